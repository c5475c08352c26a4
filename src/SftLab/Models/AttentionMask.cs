using SftLab.Torch;

namespace SftLab.Models;

/// <summary>
/// Builds the boolean attention mask [B, 1, T, past+T] (true = may attend) that combines:
/// causality (a token sees only earlier positions), padding (nobody attends a pad token), and
/// packing (in a row holding several documents, a token sees only its own document). Packed
/// documents are found from the position ids, which restart at 0 where a document begins.
/// </summary>
public static class AttentionMask
{
    /// <summary>
    /// The mask, or null when none is needed: no padding and no packing, and either no cache
    /// (plain causal attention, <c>isCausal</c>) or a single new token (it may see every cached key).
    /// </summary>
    public static Tensor? Build(long batch, long time, long past, Tensor? attentionMask, Tensor? packedPositionIds, Device device)
    {
        if (attentionMask is null && packedPositionIds is null && (past == 0 || time == 1)) return null;
        var total = past + time;
        // causal[t, s] = s <= past + t
        var mask = Tensor.Ones([time, total], DType.Bool, device).Tril(past).Unsqueeze(0); // [1, T, S]
        if (packedPositionIds is not null)
        {
            // document index of each token: how many position-0 tokens came at or before it
            var doc = packedPositionIds.Eq(0).To(DType.Int64).Cumsum(1); // [B, T]
            mask = mask.LogicalAnd(doc.Unsqueeze(2).Eq(doc.Unsqueeze(1)));  // [B, T, T]
        }
        if (attentionMask is not null)
        {
            if (attentionMask.Size(1) != total)
                throw new ArgumentException($"attention mask covers {attentionMask.Size(1)} positions but past + current = {total}");
            mask = mask.LogicalAnd(attentionMask.To(DType.Bool).Unsqueeze(1)); // [B, 1, S]
        }
        // A padding query would otherwise see nothing (softmax of all −∞ is NaN): let it see itself.
        var diagonal = Tensor.Ones([time, total], DType.Bool, device).Tril(past).Triu(past);
        mask = mask.LogicalOr(diagonal);
        if (mask.Size(0) != batch) mask = mask.Expand(batch, time, total);
        return mask.Unsqueeze(1);
    }
}

/// <summary>
/// The documents of a packed batch, from its position ids (a document starts where the position is 0, as
/// in <see cref="AttentionMask.Build"/>): (row, start, length) triples for <see cref="Functional.SegmentAttention"/>.
/// </summary>
public static class PackedSegments
{
    public static IReadOnlyList<(long Row, long Start, long Length)> FromPositions(Tensor positionIds)
    {
        var shape = positionIds.Shape;
        long rows = shape[0], columns = shape[1];
        using var cpu = positionIds.To(Device.Cpu, DType.Int64);
        var positions = cpu.ToArray<long>();
        var segments = new List<(long, long, long)>();
        for (long r = 0; r < rows; r++)
        {
            long start = 0;
            for (long c = 1; c <= columns; c++)
                if (c == columns || positions[r * columns + c] == 0)
                {
                    segments.Add((r, start, c - start));
                    start = c;
                }
        }
        return segments;
    }
}
