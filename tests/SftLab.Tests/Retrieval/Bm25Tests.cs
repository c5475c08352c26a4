using SftLab.Retrieval;
using SftLab.Tests.Evaluation;

namespace SftLab.Tests.Retrieval;

/// <summary>BM25 scores by hand, against wink-bm25-text-search (npm), and the index's search contract.</summary>
public class Bm25Tests
{
    private static IReadOnlyList<Passage> Passages(params string[] texts) =>
        texts.Select((t, i) => new Passage(i, $"d{i}", "", t, 0, t.Length, 0)).ToList();

    [Fact]
    public void ScoresMatchAHandComputedExample()
    {
        // Three passages, no titles; k1 = 1.5, b = 0.75, Lucene idf:
        //   d0 "the cat sat"             length 3
        //   d1 "the dog sat on the mat"  length 6
        //   d2 "cat cat dog"             length 3        N = 3, avgdl = 12 / 3 = 4
        // Query "cat mat". df(cat) = 2, df(mat) = 1:
        //   idf(cat) = ln(1 + (3 − 2 + 0.5) / (2 + 0.5)) = ln(1 + 1.5/2.5) = ln 1.6   ≈ 0.470004
        //   idf(mat) = ln(1 + (3 − 1 + 0.5) / (1 + 0.5)) = ln(1 + 2.5/1.5) = ln(8/3) ≈ 0.980829
        // Length norms 1 − b + b·|d|/avgdl: d0, d2: 0.25 + 0.75·3/4 = 0.8125; d1: 0.25 + 0.75·6/4 = 1.375.
        //   d0: cat tf 1: ln1.6 · 1·2.5 / (1 + 1.5·0.8125) = ln1.6 · 2.5/2.21875  ≈ 0.529582
        //   d1: mat tf 1: ln(8/3) · 2.5 / (1 + 1.5·1.375)  = ln(8/3) · 2.5/3.0625 ≈ 0.800677
        //   d2: cat tf 2: ln1.6 · 2·2.5 / (2 + 1.5·0.8125) = ln1.6 · 5/3.21875    ≈ 0.730103
        // So the ranking is d1, d2, d0.
        var index = Bm25Index.Build(Passages("the cat sat", "the dog sat on the mat", "cat cat dog"));
        var d0 = Math.Log(1.6) * 2.5 / 2.21875;
        var d1 = Math.Log(8.0 / 3) * 2.5 / 3.0625;
        var d2 = Math.Log(1.6) * 5 / 3.21875;
        Assert.Equal(4, index.AverageLength);
        Assert.Equal(Math.Log(1.6), index.Idf("cat"), 14);
        Assert.Equal(2, index.DocumentFrequency("cat"));
        Assert.Equal([(0, 1), (2, 2)], index.Postings("cat"));
        var scores = index.Scores("cat mat");
        Assert.Equal(d0, scores[0], 14);
        Assert.Equal(d1, scores[1], 14);
        Assert.Equal(d2, scores[2], 14);
        var hits = index.Search("Cat, mat?", 3);
        Assert.Equal(["d1", "d2", "d0"], hits.Select(h => h.DocId));
        Assert.Equal([1, 2, 3], hits.Select(h => h.Rank));
        Assert.Equal(d1, hits[0].Score, 14);
        // Explain breaks a score into its terms.
        var parts = index.Explain("cat mat", 2);
        Assert.Equal(("cat", 2, 2), (parts[0].Term, parts[0].TermFrequency, parts[0].DocumentFrequency));
        Assert.Equal(0, parts[1].Score);
        Assert.Equal(d2, parts.Sum(p => p.Score), 14);
        // A repeated query word counts twice; an unknown word adds nothing.
        Assert.Equal(2 * d0, index.Scores("cat cat zebra")[0], 14);
    }

    [Fact]
    public void OkapiIdfFollowsRankBm25()
    {
        // Same passages. Classic idf ln((N − n + 0.5)/(n + 0.5)): df 2 → ln(1.5/2.5) = ln 0.6 < 0,
        // df 1 → ln(2.5/1.5) = ln(5/3). Terms: the, cat, sat, dog (df 2) and on, mat (df 1), so the
        // mean idf is (4 ln 0.6 + 2 ln(5/3)) / 6 and negative idfs become 0.25 × that mean (rank_bm25's epsilon).
        var index = Bm25Index.Build(Passages("the cat sat", "the dog sat on the mat", "cat cat dog"), new Bm25Options { Idf = Bm25Idf.Okapi });
        var mean = (4 * Math.Log(0.6) + 2 * Math.Log(5.0 / 3)) / 6;
        Assert.Equal(0.25 * mean, index.Idf("cat"), 14);
        Assert.Equal(Math.Log(5.0 / 3), index.Idf("mat"), 14);
        Assert.Equal(Math.Log(5.0 / 3) * 2.5 / 3.0625, index.Scores("mat")[1], 14);
    }

    [Theory]
    [InlineData(1.5, 0.75)]
    [InlineData(1.2, 0.5)]
    [InlineData(2.0, 1.0)]
    public void ScoresMatchWinkBm25TextSearch(double k1, double b)
    {
        var rng = new Random(17);
        var vocab = Enumerable.Range(0, 40).Select(i => "w" + (char)('a' + i % 26) + (i / 26)).ToArray();
        string Text(int min, int max) => string.Join(' ', Enumerable.Range(0, rng.Next(min, max)).Select(_ => vocab[(int)Math.Floor(Math.Pow(rng.NextDouble(), 2) * vocab.Length)]));
        var docs = Enumerable.Range(0, 150).Select(_ => Text(3, 40)).ToArray();
        var queries = Enumerable.Range(0, 40).Select(_ => Text(1, 6)).ToArray();
        var index = Bm25Index.Build(Passages(docs), new Bm25Options { K1 = k1, B = b, IndexTitle = false });
        var expected = MetricsOracle.Node(new { op = "bm25", docs, queries, k1, b }).AsArray();
        for (var q = 0; q < queries.Length; q++)
        {
            var theirs = expected[q]!.AsObject().ToDictionary(kv => int.Parse(kv.Key), kv => kv.Value!.GetValue<double>());
            var ours = index.Scores(queries[q]);
            Assert.Equal(theirs.Keys.Order(), Enumerable.Range(0, docs.Length).Where(i => ours[i] > 0));
            foreach (var (doc, score) in theirs)
                Assert.True(Math.Abs(score - ours[doc]) < 1e-7, $"query {q} '{queries[q]}', doc {doc}: wink {score}, ours {ours[doc]}");
        }
    }

    [Fact]
    public void SearchReturnsTheTopKOfAllScoresWithTiesByPassageOrder()
    {
        var rng = new Random(3);
        string[] vocab = ["red", "green", "blue", "lamp", "tent", "boot", "stove", "rope"];
        var texts = Enumerable.Range(0, 300).Select(_ => string.Join(' ', Enumerable.Range(0, rng.Next(1, 8)).Select(_ => vocab[rng.Next(vocab.Length)]))).ToArray();
        var index = Bm25Index.Build(Passages(texts));
        for (var q = 0; q < 50; q++)
        {
            var query = string.Join(' ', Enumerable.Range(0, rng.Next(1, 4)).Select(_ => vocab[rng.Next(vocab.Length)]));
            var scores = index.Scores(query);
            foreach (var k in new[] { 1, 5, 40, 1000 })
            {
                var expected = Enumerable.Range(0, texts.Length).Where(i => scores[i] > 0)
                    .OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToList();
                Assert.Equal(expected, index.Search(query, k).Select(h => h.Passage.Index));
            }
        }
        // Many exact ties (identical passages): passage order decides.
        var tied = Bm25Index.Build(Passages("x y", "a b", "x y", "x y"));
        Assert.Equal([0, 2, 3], tied.Search("x", 3).Select(h => h.Passage.Index));
        Assert.Empty(tied.Search("nothing here"));
    }

    [Fact]
    public void SearchManyEqualsSequentialSearch()
    {
        var docs = Document.LoadJsonl(System.IO.Path.Combine(Oracles.PythonOracle.RepoRoot, "datasets", "knowledge-base", "documents.jsonl"));
        var index = Bm25Index.Build(Chunker.Split(docs, 40, 10));
        var queries = docs.Select(d => d.Title + " warranty price").ToList();
        var many = index.SearchMany(queries, 5);
        for (var i = 0; i < queries.Count; i++)
            Assert.Equal(index.Search(queries[i], 5), many[i]);
    }

    [Fact]
    public void TitlesAreIndexedUnlessTurnedOff()
    {
        var passages = new[] { new Passage(0, "d0", "Quenby headlamp", "It weighs 180 g.", 0, 16, 0), new Passage(1, "d1", "Solvar stove", "It weighs 900 g.", 0, 16, 0) };
        Assert.Equal("d0", Bm25Index.Build(passages).Search("quenby").Single().DocId);
        Assert.Empty(Bm25Index.Build(passages, new Bm25Options { IndexTitle = false }).Search("quenby"));
        Assert.Equal(6, Bm25Index.Build(passages).Length(0));   // quenby headlamp it weighs 180 g
        Assert.Equal(4, Bm25Index.Build(passages, new Bm25Options { IndexTitle = false }).Length(0));
    }

    [Fact]
    public void TokenizerLowercasesSplitsAndOptionallyDropsStopWords()
    {
        Assert.Equal(["fernhollow", "s", "e", "mail", "été", "2024"], Bm25Tokenizer.Default.Tokenize("Fernhollow's e-mail: ÉTÉ 2024!"));
        Assert.Equal(["price", "quenby", "headlamp"], Bm25Tokenizer.English.Tokenize("What is the price of the Quenby headlamp?"));
        Assert.Empty(Bm25Tokenizer.Default.Tokenize(" ... !!! "));
        var index = Bm25Index.Build(Passages("the price of the lamp", "the the the"), new Bm25Options { Tokenizer = Bm25Tokenizer.English });
        Assert.Equal(0, index.DocumentFrequency("the"));
        Assert.Equal(0, index.Length(1));
    }

    [Fact]
    public void BadInputIsRejected()
    {
        Assert.Contains("Index 5", Assert.Throws<ArgumentException>(() => Bm25Index.Build([new Passage(5, "d", "", "x", 0, 1, 0)])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Bm25Index.Build(Passages("a"), new Bm25Options { B = 1.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bm25Index.Build(Passages("a")).Search("a", 0));
        Assert.Empty(Bm25Index.Build([]).Search("a"));
    }
}
