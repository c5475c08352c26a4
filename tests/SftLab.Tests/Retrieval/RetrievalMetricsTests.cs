using System.Text.Json.Nodes;
using SftLab.Retrieval;

namespace SftLab.Tests.Retrieval;

/// <summary>Recall@k, hit@k and MRR by hand, and end to end on the shipped knowledge base and test questions.</summary>
public class RetrievalMetricsTests
{
    [Fact]
    public void MetricsByHand()
    {
        string[] retrieved = ["d1", "d2", "d1", "d3"];
        string[] gold = ["d3", "d9"];
        Assert.Equal(0.5, RetrievalMetrics.RecallAtK(retrieved, gold, 4));     // d3 found, d9 not
        Assert.Equal(0.0, RetrievalMetrics.RecallAtK(retrieved, gold, 3));
        Assert.Equal(1.0, RetrievalMetrics.HitAtK(retrieved, gold, 4));
        Assert.Equal(0.25, RetrievalMetrics.ReciprocalRank(retrieved, gold));   // first gold at rank 4
        Assert.Equal(0.0, RetrievalMetrics.ReciprocalRank(retrieved, gold, 3));
        Assert.Equal(1.0, RetrievalMetrics.RecallAtK(["d3", "d3", "d9"], gold, 10)); // fewer results than k is fine
        Assert.Throws<ArgumentException>(() => RetrievalMetrics.RecallAtK(retrieved, [], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrievalMetrics.HitAtK(retrieved, gold, 0));
    }

    [Fact]
    public void EvaluateOnTheShippedKnowledgeBase()
    {
        var root = Oracles.PythonOracle.RepoRoot;
        var docs = Document.LoadJsonl(Path.Combine(root, "datasets", "knowledge-base", "documents.jsonl"));
        var queries = File.ReadLines(Path.Combine(root, "datasets", "sft", "test.jsonl")).Select(line =>
        {
            var row = JsonNode.Parse(line)!;
            var question = row["messages"]!.AsArray().Last()!["content"]!.GetValue<string>();
            return new RetrievalQuery(row["id"]!.GetValue<string>(), question, row["gold_doc_ids"]!.AsArray().Select(x => x!.GetValue<string>()).ToList());
        }).ToList();
        Assert.Equal(300, queries.Count);
        var index = Bm25Index.Build(Chunker.Split(docs, 60, 15), new Bm25Options { Tokenizer = Bm25Tokenizer.English });
        double previous = 0;
        foreach (var k in new[] { 1, 3, 5, 10 })
        {
            var eval = RetrievalMetrics.Evaluate(index, queries, k, resamples: 200);
            Assert.Equal(300, eval.PerQuery.Count);
            // Per-query values are consistent with the hits, and the means with the per-query values.
            foreach (var r in eval.PerQuery.Take(20))
            {
                var ids = r.Hits.Select(h => h.DocId).ToList();
                Assert.True(r.Hits.Count <= k);
                Assert.Equal(RetrievalMetrics.RecallAtK(ids, r.Query.GoldDocIds.ToList(), k), r.Recall);
                Assert.Equal(RetrievalMetrics.ReciprocalRank(ids, r.Query.GoldDocIds.ToList(), k), r.ReciprocalRank);
            }
            Assert.Equal(eval.PerQuery.Average(r => r.Recall), eval.RecallAtK.Estimate, 12);
            Assert.True(eval.RecallAtK.Estimate >= previous, "recall@k cannot fall as k grows");
            Assert.True(eval.MeanReciprocalRank.Estimate <= eval.HitRateAtK.Estimate + 1e-12);
            previous = eval.RecallAtK.Estimate;
        }
        // Questions name their entity, which BM25 matches: most gold documents are in the top 5.
        Assert.True(RetrievalMetrics.Evaluate(index, queries, 5, resamples: 200).HitRateAtK.Estimate > 0.8);
    }
}
