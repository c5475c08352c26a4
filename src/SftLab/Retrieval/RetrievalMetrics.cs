using SftLab.Evaluation;

namespace SftLab.Retrieval;

/// <summary>A retrieval test question: the query and the documents that answer it.</summary>
/// <param name="Id">An id for the question.</param>
/// <param name="Query">The query text.</param>
/// <param name="GoldDocIds">The ids of the documents that hold the answer.</param>
public sealed record RetrievalQuery(string Id, string Query, IReadOnlyList<string> GoldDocIds);

/// <summary>One query's retrieval result and scores.</summary>
/// <param name="Query">The query.</param>
/// <param name="Hits">The top-k hits.</param>
/// <param name="Recall">The fraction of its gold documents found in the top k.</param>
/// <param name="Hit">1 when at least one gold document is in the top k.</param>
/// <param name="ReciprocalRank">1 / the rank of the first hit from a gold document, 0 if none in the top k.</param>
public sealed record RetrievalQueryResult(RetrievalQuery Query, IReadOnlyList<SearchHit> Hits, double Recall, double Hit, double ReciprocalRank);

/// <summary>Retrieval quality over a set of queries, with bootstrap 95% intervals and per-query results.</summary>
/// <param name="K">How many passages were retrieved per query.</param>
/// <param name="RecallAtK">Mean recall@k.</param>
/// <param name="HitRateAtK">The fraction of queries with at least one gold document in the top k.</param>
/// <param name="MeanReciprocalRank">MRR@k.</param>
/// <param name="PerQuery">Each query's hits and scores, for inspection.</param>
public sealed record RetrievalEvaluation(int K, ConfidenceInterval RecallAtK, ConfidenceInterval HitRateAtK, ConfidenceInterval MeanReciprocalRank, IReadOnlyList<RetrievalQueryResult> PerQuery);

/// <summary>
/// How good retrieval is, measured against known answers (gold document ids), separately from
/// how good the generated answers are: RAG cannot answer from a document it did not retrieve.
/// Ranks count passages (what goes into the prompt): k = 3 means the top 3 passages, which may
/// come from fewer than 3 documents.
/// </summary>
public static class RetrievalMetrics
{
    /// <summary>
    /// Recall@k: the fraction of the gold documents that have a passage among the first
    /// <paramref name="k"/> results. Rewards finding what is needed; does not mind how much
    /// irrelevant text comes along, nor in what order within the top k.
    /// </summary>
    /// <param name="retrievedDocIds">The document id of each retrieved passage, best first.</param>
    /// <param name="goldDocIds">The documents that hold the answer (at least one).</param>
    /// <param name="k">How many results count.</param>
    public static double RecallAtK(IReadOnlyList<string> retrievedDocIds, IReadOnlyCollection<string> goldDocIds, int k)
    {
        var gold = GoldSet(goldDocIds);
        CheckK(k);
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in retrievedDocIds.Take(k))
            if (gold.Contains(id)) found.Add(id);
        return (double)found.Count / gold.Count;
    }

    /// <summary>Hit@k (also "success@k"): 1 when any gold document has a passage in the first k results, else 0.</summary>
    public static double HitAtK(IReadOnlyList<string> retrievedDocIds, IReadOnlyCollection<string> goldDocIds, int k)
    {
        var gold = GoldSet(goldDocIds);
        CheckK(k);
        return retrievedDocIds.Take(k).Any(gold.Contains) ? 1 : 0;
    }

    /// <summary>
    /// Reciprocal rank: 1 / (the rank of the first result from a gold document), 0 if none is found
    /// (within the first <paramref name="k"/> when k is given). Its mean over queries is MRR; it
    /// rewards putting a right passage first (1), second (0.5), third (0.33)...
    /// </summary>
    public static double ReciprocalRank(IReadOnlyList<string> retrievedDocIds, IReadOnlyCollection<string> goldDocIds, int? k = null)
    {
        ArgumentNullException.ThrowIfNull(retrievedDocIds);
        var gold = GoldSet(goldDocIds);
        var limit = k ?? retrievedDocIds.Count;
        if (k is { } kk) CheckK(kk);
        for (var i = 0; i < Math.Min(limit, retrievedDocIds.Count); i++)
            if (gold.Contains(retrievedDocIds[i])) return 1.0 / (i + 1);
        return 0;
    }

    /// <summary>
    /// Searches the index with every query (top <paramref name="k"/>) and reports mean recall@k,
    /// hit rate@k and MRR@k with bootstrap confidence intervals, keeping each query's hits.
    /// </summary>
    public static RetrievalEvaluation Evaluate(Bm25Index index, IEnumerable<RetrievalQuery> queries, int k = 5, int resamples = Bootstrap.DefaultResamples, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(queries);
        CheckK(k);
        var list = queries.ToList();
        if (list.Count == 0) throw new ArgumentException("no queries to evaluate", nameof(queries));
        var hits = index.SearchMany(list.Select((q, i) => q?.Query ?? throw new ArgumentException($"query {i} is null or has no text")).ToList(), k);
        var results = new List<RetrievalQueryResult>(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            var q = list[i];
            if (q.GoldDocIds is null || q.GoldDocIds.Count == 0) throw new ArgumentException($"query {i} ({q.Id}) has no gold document ids");
            var ids = hits[i].Select(h => h.DocId).ToList();
            results.Add(new RetrievalQueryResult(q, hits[i], RecallAtK(ids, q.GoldDocIds.ToList(), k), HitAtK(ids, q.GoldDocIds.ToList(), k), ReciprocalRank(ids, q.GoldDocIds.ToList(), k)));
        }
        return new RetrievalEvaluation(k,
            Bootstrap.MeanCI(results.Select(r => r.Recall).ToList(), resamples, seed),
            Bootstrap.MeanCI(results.Select(r => r.Hit).ToList(), resamples, seed),
            Bootstrap.MeanCI(results.Select(r => r.ReciprocalRank).ToList(), resamples, seed),
            results);
    }

    private static HashSet<string> GoldSet(IReadOnlyCollection<string> goldDocIds)
    {
        ArgumentNullException.ThrowIfNull(goldDocIds);
        if (goldDocIds.Count == 0) throw new ArgumentException("at least one gold document id is needed", nameof(goldDocIds));
        return new HashSet<string>(goldDocIds, StringComparer.Ordinal);
    }

    private static void CheckK(int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1");
    }
}
