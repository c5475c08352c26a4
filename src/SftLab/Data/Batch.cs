using SftLab.Torch;

namespace SftLab.Data;

/// <summary>
/// A batch as the trainer consumes it: rows × columns of token ids and labels, with an optional
/// attention mask (1 real, 0 padding) and optional position ids (which restart at 0 for each
/// document of a packed row, so the model keeps documents apart). Host arrays, row-major;
/// <see cref="ToTensors"/> moves them to a device.
/// </summary>
public sealed record Batch(int Rows, int Columns, long[] InputIds, long[] Labels, long[]? AttentionMask = null, long[]? PositionIds = null)
{
    /// <summary>Padding tokens in a packed batch (whose padding is not described by an attention mask).</summary>
    public long PaddingTokens { get; init; }

    /// <summary>Tokens that are not padding.</summary>
    public long RealTokens => (AttentionMask?.Count(m => m != 0) ?? (long)Rows * Columns) - PaddingTokens;

    /// <summary>Tokens whose label counts in the loss (after the one-position shift).</summary>
    public long LabelTokens
    {
        get
        {
            long n = 0;
            for (var r = 0; r < Rows; r++)
                for (var c = 1; c < Columns; c++)
                    if (Labels[r * Columns + c] != TokenizedExample.IgnoreIndex) n++;
            return n;
        }
    }

    /// <summary>
    /// The batch as int64 tensors [Rows, Columns] on <paramref name="device"/> (in the current dispose scope). An
    /// attention mask without a single zero (no padding) is left out: the model then uses plain causal
    /// attention, which is the same thing computed with fewer operations.
    /// </summary>
    public (Tensor InputIds, Tensor Labels, Tensor? AttentionMask, Tensor? PositionIds) ToTensors(Device device)
    {
        long[] shape = [Rows, Columns];
        var padded = AttentionMask != null && Array.IndexOf(AttentionMask, 0L) >= 0;
        return (Tensor.From<long>(InputIds, shape, device),
            Tensor.From<long>(Labels, shape, device),
            padded ? Tensor.From<long>(AttentionMask!, shape, device) : null,
            PositionIds is null ? null : Tensor.From<long>(PositionIds, shape, device));
    }
}

/// <summary>
/// Groups an epoch's examples (already in training order) into micro-batches: by padding
/// (<see cref="PaddedBatcher"/>), by packing, or padding-free.
/// </summary>
public interface IBatcher
{
    /// <summary>The micro-batches of one epoch, in order.</summary>
    IReadOnlyList<Batch> Plan(IReadOnlyList<TokenizedExample> examples, int batchSize);
}

/// <summary>
/// The baseline: takes examples <c>batchSize</c> at a time and right-pads each to the longest in
/// its batch (labels −100 and attention mask 0 on the padding). Simple, and wasteful when lengths
/// vary — compare with packing.
/// </summary>
public sealed class PaddedBatcher(long padTokenId) : IBatcher
{
    public IReadOnlyList<Batch> Plan(IReadOnlyList<TokenizedExample> examples, int batchSize)
    {
        var batches = new List<Batch>();
        for (var start = 0; start < examples.Count; start += batchSize)
            batches.Add(Collate(examples.Skip(start).Take(batchSize).ToList()));
        return batches;
    }

    /// <summary>One right-padded batch.</summary>
    public Batch Collate(IReadOnlyList<TokenizedExample> examples)
    {
        if (examples.Count == 0) throw new ArgumentException("cannot collate an empty list of examples");
        var columns = examples.Max(e => e.Length);
        var rows = examples.Count;
        var ids = new long[rows * columns];
        var labels = new long[rows * columns];
        var mask = new long[rows * columns];
        Array.Fill(ids, padTokenId);
        Array.Fill(labels, TokenizedExample.IgnoreIndex);
        var padded = false;
        for (var r = 0; r < rows; r++)
        {
            var e = examples[r];
            Array.Copy(e.InputIds, 0, ids, r * columns, e.Length);
            Array.Copy(e.Labels, 0, labels, r * columns, e.Length);
            Array.Fill(mask, 1, r * columns, e.Length);
            padded |= e.Length < columns;
        }
        // Without padding the mask says nothing: leave it out so the model uses plain causal attention.
        return new Batch(rows, columns, ids, labels, padded ? mask : null);
    }
}
