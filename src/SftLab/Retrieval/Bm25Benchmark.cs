using System.Diagnostics;
using System.Globalization;

namespace SftLab.Retrieval;

/// <summary>The figures of one <see cref="Bm25Benchmark.Run"/>.</summary>
/// <param name="Passages">Passages in the index.</param>
/// <param name="Queries">Queries run (per side).</param>
/// <param name="BuildMs">Time to build the inverted index.</param>
/// <param name="IndexQueriesPerSecond">Single-threaded queries per second through <see cref="Bm25Index.Search"/>.</param>
/// <param name="ScanQueriesPerSecond">The peer: single-threaded queries per second of an exhaustive scan that scores every passage
/// from its own term-count table and sorts (how rank_bm25's get_scores + get_top_n work).</param>
/// <param name="ParallelQueriesPerSecond">Queries per second through <see cref="Bm25Index.SearchMany"/> on all cores.</param>
/// <param name="SameResults">Whether both sides returned the same top-k passages for every query.</param>
public sealed record Bm25BenchmarkResult(int Passages, int Queries, double BuildMs, double IndexQueriesPerSecond, double ScanQueriesPerSecond, double ParallelQueriesPerSecond, bool SameResults)
{
    /// <summary>How many times faster the inverted index answers than the exhaustive scan.</summary>
    public double Speedup => IndexQueriesPerSecond / ScanQueriesPerSecond;

    /// <summary>The figures in one paragraph.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Passages} passages, {Queries} queries, index built in {BuildMs:F0} ms\n" +
        $"inverted index: {IndexQueriesPerSecond:F0} queries/s (1 thread), {ParallelQueriesPerSecond:F0} queries/s (all cores)\n" +
        $"exhaustive scan: {ScanQueriesPerSecond:F0} queries/s (1 thread)\n" +
        $"ratio index / scan: {Speedup:F1}x; same top-k: {(SameResults ? "yes" : "NO")}");
}

/// <summary>
/// Measures BM25 search speed against a peer measured in the same run: an exhaustive scan with
/// the same formula that visits every passage (the way rank_bm25 scores), so the ratio shows what
/// the inverted index buys. Also checks that both return the same passages.
/// </summary>
public static class Bm25Benchmark
{
    /// <summary>Builds an index over <paramref name="passages"/> and times <paramref name="queries"/> through it and through the scan.</summary>
    public static Bm25BenchmarkResult Run(IReadOnlyList<Passage> passages, IReadOnlyList<string> queries, int k = 5, Bm25Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(passages);
        ArgumentNullException.ThrowIfNull(queries);
        if (queries.Count == 0) throw new ArgumentException("no queries", nameof(queries));
        options ??= new Bm25Options();
        var sw = Stopwatch.StartNew();
        var index = Bm25Index.Build(passages, options);
        var buildMs = sw.Elapsed.TotalMilliseconds;

        // The peer's data: one term-count table per passage, and the index's idf and length statistics.
        var tables = passages.Select(p =>
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var t in options.Tokenizer.Tokenize(options.IndexTitle && p.Title.Length > 0 ? p.Title + "\n" + p.Text : p.Text))
                counts[t] = counts.GetValueOrDefault(t) + 1;
            return counts;
        }).ToArray();
        var idf = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var table in tables)
            foreach (var term in table.Keys)
                idf.TryAdd(term, index.Idf(term));
        var lengths = passages.Select(p => (double)index.Length(p.Index)).ToArray();

        List<int> Scan(string query)
        {
            var terms = options.Tokenizer.Tokenize(query);
            var scores = new double[tables.Length];
            for (var d = 0; d < tables.Length; d++)
            {
                var norm = 1 - options.B + options.B * (lengths[d] / index.AverageLength);
                double s = 0;
                foreach (var t in terms)
                    if (tables[d].TryGetValue(t, out var tf)) s += idf[t] * tf * (options.K1 + 1) / (tf + options.K1 * norm);
                scores[d] = s;
            }
            var order = Enumerable.Range(0, scores.Length).Where(d => scores[d] > 0).ToArray();
            Array.Sort(order, (a, b) => scores[a] != scores[b] ? scores[b].CompareTo(scores[a]) : a.CompareTo(b));
            return order.Take(k).ToList();
        }

        // Warm up both, then time each over all queries.
        for (var i = 0; i < Math.Min(20, queries.Count); i++) { index.Search(queries[i], k); Scan(queries[i]); }
        sw.Restart();
        var fromIndex = queries.Select(q => index.Search(q, k)).ToList();
        var indexSeconds = sw.Elapsed.TotalSeconds;
        sw.Restart();
        var fromScan = queries.Select(Scan).ToList();
        var scanSeconds = sw.Elapsed.TotalSeconds;
        sw.Restart();
        index.SearchMany(queries, k);
        var parallelSeconds = sw.Elapsed.TotalSeconds;
        var same = fromIndex.Zip(fromScan).All(p => p.First.Select(h => h.Passage.Index).SequenceEqual(p.Second));
        return new Bm25BenchmarkResult(passages.Count, queries.Count, buildMs,
            queries.Count / indexSeconds, queries.Count / scanSeconds, queries.Count / parallelSeconds, same);
    }
}
