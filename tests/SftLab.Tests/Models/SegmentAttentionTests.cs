using SftLab.Models;
using SftLab.Torch;
using F = SftLab.Torch.Functional;

namespace SftLab.Tests.Models;

/// <summary>
/// Attention per packed document must equal attention over the whole row with the block-diagonal causal
/// mask that <see cref="AttentionMask.Build"/> makes from the same position ids: outputs and gradients.
/// </summary>
public sealed class SegmentAttentionTests
{
    private static readonly long[][] RowPositions =
    [
        [0, 1, 2, 3, 0, 1, 2, 0, 1, 2, 3, 4],       // three documents
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0],       // a long one, then two short (the last one token)
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],     // one document
    ];

    [Fact]
    public void SegmentsEqualTheBlockDiagonalMask_OutputsAndGradients()
    {
        using var scope = DisposeScope.Begin();
        const long b = 3, h = 2, t = 12, d = 8;
        using var gen = new Generator(11);
        var positions = Tensor.From(RowPositions.SelectMany(r => r).ToArray(), b, t);
        var segments = PackedSegments.FromPositions(positions);
        Assert.Equal([(0L, 0L, 4L), (0, 4, 3), (0, 7, 5), (1, 0, 9), (1, 9, 2), (1, 11, 1), (2, 0, 12)], segments);
        var mask = AttentionMask.Build(b, t, 0, null, positions, Device.Cpu)!;

        (double[] Out, double[] Gq, double[] Gk, double[] Gv) Run(bool bySegment)
        {
            using var inner = DisposeScope.Begin();
            var q = Tensor.Randn([b, h, t, d], new Generator(1), DType.Float64).RequiresGrad_();
            var k = Tensor.Randn([b, h, t, d], new Generator(2), DType.Float64).RequiresGrad_();
            var v = Tensor.Randn([b, h, t, d], new Generator(3), DType.Float64).RequiresGrad_();
            var w = Tensor.Randn([b, h, t, d], new Generator(4), DType.Float64);
            var o = bySegment ? F.SegmentAttention(q, k, v, segments) : F.ScaledDotProductAttention(q, k, v, mask);
            (o * w).Sum().Backward();
            return (o.ToDoubleArray(), q.Grad!.ToDoubleArray(), k.Grad!.ToDoubleArray(), v.Grad!.ToDoubleArray());
        }
        var masked = Run(false);
        var segmented = Run(true);
        void Same(double[] x, double[] y, string what)
        {
            Assert.Equal(x.Length, y.Length);
            for (var i = 0; i < x.Length; i++) Assert.True(Math.Abs(x[i] - y[i]) < 1e-10, $"{what}[{i}]: {x[i]} vs {y[i]}");
        }
        Same(masked.Out, segmented.Out, "output");
        Same(masked.Gq, segmented.Gq, "dq");
        Same(masked.Gk, segmented.Gk, "dk");
        Same(masked.Gv, segmented.Gv, "dv");
    }

    [Fact]
    public void SegmentsThatDoNotCoverTheRowsAreRefused()
    {
        using var scope = DisposeScope.Begin();
        var q = Tensor.Randn([2, 1, 4, 3]);
        var e = Assert.Throws<TorchException>(() => F.SegmentAttention(q, q, q, [(0, 0, 4), (1, 0, 3)]));
        Assert.Contains("row 1", e.Message);
        Assert.Throws<TorchException>(() => F.SegmentAttention(q, q, q, [(0, 0, 2), (0, 1, 2), (1, 0, 4)]));
        Assert.Throws<TorchException>(() => F.SegmentAttention(q, q, q, [(0, 0, 4), (2, 0, 4)]));
    }
}
