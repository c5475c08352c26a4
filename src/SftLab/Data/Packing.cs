namespace SftLab.Data;

/// <summary>
/// Packs examples into rows of exactly <c>maxLength</c> tokens by best-fit decreasing (longest
/// first, each into the fullest row it still fits), so almost no compute is spent on padding.
/// Each row carries position ids that restart at 0 for every document; the model turns those
/// restarts into per-document causal attention (equivalent to a block-diagonal mask), so packed documents never attend to each other.
/// Documents longer than <c>maxLength</c> are truncated per <see cref="TruncationMode"/>; no
/// other token is lost. Rows are shuffled (by the seed and the epoch's example order), so the
/// long-document rows do not all come first.
/// </summary>
public sealed class PackedBatcher(int maxLength, long padTokenId, string truncationMode = "keep_start", ulong seed = 0) : IBatcher
{
    /// <summary>keep_start (drop the end of a too-long document) or keep_end (drop its start).</summary>
    public string TruncationMode { get; } = truncationMode is "keep_start" or "keep_end"
        ? truncationMode : throw new ArgumentException($"truncation mode must be keep_start or keep_end, not '{truncationMode}'");

    public IReadOnlyList<Batch> Plan(IReadOnlyList<TokenizedExample> examples, int batchSize)
    {
        var rows = Pack(examples);
        // Deterministic shuffle of the rows, keyed by the seed and this epoch's order of examples.
        var key = (int)(seed % int.MaxValue);
        for (var i = 0; i < Math.Min(examples.Count, 16); i++) key = unchecked(key * 31 + examples[i].Length * 7 + (int)examples[i].InputIds[0]);
        var order = Enumerable.Range(0, rows.Count).ToArray();
        new Random(key).Shuffle(order);
        var batches = new List<Batch>();
        for (var start = 0; start < order.Length; start += batchSize)
            batches.Add(ToBatch(order.Skip(start).Take(batchSize).Select(i => rows[i]).ToList()));
        return batches;
    }

    /// <summary>Truncates an example to <c>maxLength</c> per the truncation mode.</summary>
    public TokenizedExample Truncate(TokenizedExample e)
    {
        if (e.Length <= maxLength) return e;
        var start = TruncationMode == "keep_start" ? 0 : e.Length - maxLength;
        return new TokenizedExample(e.InputIds[start..(start + maxLength)], e.Labels[start..(start + maxLength)]);
    }

    /// <summary>Best-fit decreasing: the documents of each row, in row order.</summary>
    public List<List<TokenizedExample>> Pack(IReadOnlyList<TokenizedExample> examples)
    {
        var docs = examples.Select(Truncate).ToList();
        // Longest first; equal lengths keep the epoch's order (a stable sort).
        var sorted = docs.Select((d, i) => (d, i)).OrderByDescending(x => x.d.Length).ThenBy(x => x.i).Select(x => x.d);
        var rows = new List<List<TokenizedExample>>();
        // Rows by remaining space: (space, row index) in a sorted set gives the best fit in O(log n).
        var bySpace = new SortedSet<(int Space, int Row)>();
        var space = new List<int>();
        foreach (var d in sorted)
        {
            var view = bySpace.GetViewBetween((d.Length, -1), (maxLength, int.MaxValue));
            if (view.Count > 0)
            {
                var best = view.Min;
                bySpace.Remove(best);
                rows[best.Row].Add(d);
                space[best.Row] -= d.Length;
                bySpace.Add((space[best.Row], best.Row));
            }
            else
            {
                rows.Add([d]);
                space.Add(maxLength - d.Length);
                bySpace.Add((maxLength - d.Length, rows.Count - 1));
            }
        }
        return rows;
    }

    private Batch ToBatch(IReadOnlyList<List<TokenizedExample>> rows)
    {
        var columns = maxLength;
        var ids = new long[rows.Count * columns];
        var labels = new long[rows.Count * columns];
        var positions = new long[rows.Count * columns];
        Array.Fill(ids, padTokenId);
        Array.Fill(labels, TokenizedExample.IgnoreIndex);
        for (var r = 0; r < rows.Count; r++)
        {
            var offset = r * columns;
            foreach (var d in rows[r])
            {
                Array.Copy(d.InputIds, 0, ids, offset, d.Length);
                Array.Copy(d.Labels, 0, labels, offset, d.Length);
                for (var i = 0; i < d.Length; i++) positions[offset + i] = i;
                offset += d.Length;
            }
            // The tail (if any) is padding: a document of its own (positions from 0), with no labels.
            for (var i = 0; offset + i < (r + 1) * columns; i++) positions[offset + i] = i;
        }
        return new Batch(rows.Count, columns, ids, labels, null, positions) { PaddingTokens = rows.Sum(r => columns - r.Sum(d => d.Length)) };
    }
}

/// <summary>
/// Padding-free batches: the examples of a micro-batch are concatenated into a single row (no
/// padding at all), with position ids restarting per example so they stay independent.
/// </summary>
public sealed class PaddingFreeBatcher(int maxLength, string truncationMode = "keep_start") : IBatcher
{
    private readonly PackedBatcher _truncator = new(maxLength, 0, truncationMode);

    public IReadOnlyList<Batch> Plan(IReadOnlyList<TokenizedExample> examples, int batchSize)
    {
        var batches = new List<Batch>();
        for (var start = 0; start < examples.Count; start += batchSize)
        {
            var docs = examples.Skip(start).Take(batchSize).Select(_truncator.Truncate).ToList();
            var ids = docs.SelectMany(d => d.InputIds).ToArray();
            var labels = docs.SelectMany(d => d.Labels).ToArray();
            var positions = docs.SelectMany(d => Enumerable.Range(0, d.Length).Select(i => (long)i)).ToArray();
            batches.Add(new Batch(1, ids.Length, ids, labels, null, positions));
        }
        return batches;
    }
}
