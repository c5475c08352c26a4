using SftLab.Torch;
using F = SftLab.Torch.Functional;

namespace SftLab.Tests.Torch;

/// <summary>
/// Every differentiable operator's gradient (from libtorch's autograd, through the binding) is
/// checked against central finite differences in float64.
/// </summary>
public sealed class GradCheckTests : IDisposable
{
    private readonly DisposeScope _scope = DisposeScope.Begin();
    private readonly Generator _gen = new(1234);

    public void Dispose()
    {
        _scope.Dispose();
        _gen.Dispose();
    }

    private Tensor Rand(params long[] shape) => Tensor.Randn(shape, _gen, DType.Float64);

    /// <summary>Inputs in [0.5, 1.5): safe for log, sqrt, rsqrt, pow, div.</summary>
    private Tensor Positive(params long[] shape) => Tensor.Rand(shape, _gen, DType.Float64) + 0.5;

    /// <summary>
    /// Checks d(Σ w·f(x))/dx for every input against (g(x+h) − g(x−h)) / 2h, element by element.
    /// </summary>
    private void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs) => CheckSome(f, inputs, Enumerable.Range(0, inputs.Length).ToArray());

    private void CheckSome(Func<Tensor[], Tensor> f, Tensor[] inputs, int[] differentiable, double h = 1e-6, double tol = 1e-5)
    {
        foreach (var i in differentiable) inputs[i].RequiresGrad = true;
        var output = f(inputs);
        using var weights = Tensor.Randn(output.Shape, _gen, DType.Float64);
        (output * weights).Sum().Backward();

        double Objective()
        {
            using var s = DisposeScope.Begin();
            using var _ = Autograd.NoGrad();
            return (f(inputs) * weights).Sum().ToDouble();
        }

        foreach (var i in differentiable)
        {
            var x = inputs[i];
            var analytic = x.Grad?.ToDoubleArray() ?? throw new Xunit.Sdk.XunitException($"input {i} got no gradient");
            var n = x.NumEl;
            using var flat = x.Detach().View(-1); // shares storage with x
            for (long k = 0; k < n; k++)
            {
                var orig = flat[k].ToDouble();
                using (Autograd.NoGrad())
                {
                    using (var e = flat[k]) e.Fill_(orig + h);
                    var plus = Objective();
                    using (var e = flat[k]) e.Fill_(orig - h);
                    var minus = Objective();
                    using (var e = flat[k]) e.Fill_(orig);
                    var numeric = (plus - minus) / (2 * h);
                    var diff = Math.Abs(numeric - analytic[k]);
                    Assert.True(diff <= tol * (1 + Math.Abs(numeric)),
                        $"input {i}, element {k}: autograd {analytic[k]:G8} vs finite difference {numeric:G8}");
                }
            }
        }
    }

    [Fact] public void Matmul() => Check(t => t[0].Matmul(t[1]), Rand(3, 4), Rand(4, 2));
    [Fact] public void MatmulBroadcast() => Check(t => t[0].Matmul(t[1]), Rand(2, 3, 4), Rand(4, 2));
    [Fact] public void Mm() => Check(t => t[0].Mm(t[1]), Rand(2, 3), Rand(3, 2));
    [Fact] public void Bmm() => Check(t => t[0].Bmm(t[1]), Rand(2, 2, 3), Rand(2, 3, 2));
    [Fact] public void Linear() => Check(t => F.Linear(t[0], t[1], t[2]), Rand(2, 3), Rand(4, 3), Rand(4));
    [Fact] public void AddBroadcast() => Check(t => t[0] + t[1], Rand(2, 3), Rand(3));
    [Fact] public void AddAlpha() => Check(t => t[0].Add(t[1], 0.5), Rand(2, 3), Rand(2, 3));
    [Fact] public void SubBroadcast() => Check(t => t[0] - t[1], Rand(2, 1), Rand(1, 3));
    [Fact] public void MulBroadcast() => Check(t => t[0] * t[1], Rand(2, 3), Rand(2, 1));
    [Fact] public void DivBroadcast() => Check(t => t[0] / t[1], Rand(2, 3), Positive(3));
    [Fact] public void ScalarArithmetic() => Check(t => (2.0 - t[0]) * 3.0 + 1.0 / t[0] - t[0] / 4.0, Positive(2, 3));
    [Fact] public void PowTensor() => Check(t => t[0].Pow(t[1]), Positive(2, 3), Rand(2, 3));
    [Fact] public void PowScalar() => Check(t => t[0].Pow(2.5), Positive(2, 3));
    [Fact] public void Sqrt() => Check(t => t[0].Sqrt(), Positive(2, 3));
    [Fact] public void Rsqrt() => Check(t => t[0].Rsqrt(), Positive(2, 3));
    [Fact] public void Exp() => Check(t => t[0].Exp(), Rand(2, 3));
    [Fact] public void Log() => Check(t => t[0].Log(), Positive(2, 3));
    [Fact] public void Tanh() => Check(t => t[0].Tanh(), Rand(2, 3));
    [Fact] public void Sigmoid() => Check(t => t[0].Sigmoid(), Rand(2, 3));
    [Fact] public void Silu() => Check(t => t[0].Silu(), Rand(2, 3));
    [Fact] public void Gelu() => Check(t => t[0].Gelu(), Rand(2, 3));
    [Fact] public void GeluTanh() => Check(t => t[0].Gelu(tanhApproximation: true), Rand(2, 3));
    [Fact] public void NegSquareAbs() => Check(t => (-t[0]).Square() + t[0].Abs(), Positive(2, 3));
    [Fact] public void Clamp() => Check(t => t[0].Clamp(-0.5, 0.5), Tensor.From(new double[] { -1.2, -0.3, 0.1, 0.7, 2.0, 0.45 }, 2, 3));
    [Fact] public void Softmax() => Check(t => F.Softmax(t[0], -1), Rand(2, 4));
    [Fact] public void LogSoftmax() => Check(t => F.LogSoftmax(t[0], 0), Rand(3, 2));
    [Fact] public void LogSumExp() => Check(t => t[0].LogSumExp(1), Rand(2, 4));

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    public void CrossEntropyWithIgnoreIndex(Reduction reduction)
    {
        var target = Tensor.From(new long[] { 2, -100, 0, 4 });
        Check(t => F.CrossEntropy(t[0], target, reduction), Rand(4, 5));
    }

    [Fact]
    public void CrossEntropyLabelSmoothing()
    {
        var target = Tensor.From(new long[] { 1, 3, 0 });
        Check(t => F.CrossEntropy(t[0], target, labelSmoothing: 0.1), Rand(3, 4));
    }

    [Fact]
    public void Embedding()
    {
        var idx = Tensor.From(new long[] { 1, 0, 1, 3 }, 2, 2);
        Check(t => F.Embedding(t[0], idx), Rand(4, 3));
    }

    [Fact] public void IndexSelect() => Check(t => t[0].IndexSelect(1, Tensor.From(new long[] { 2, 0, 2 })), Rand(2, 3));
    [Fact] public void Gather() => Check(t => t[0].Gather(1, Tensor.From(new long[] { 0, 2, 1, 1 }, 2, 2)), Rand(2, 3));
    [Fact] public void SumMean() => Check(t => t[0].Sum(1, keepDim: true) * t[0].Mean(0) + t[0].Sum() - t[0].Mean(), Rand(2, 3));
    [Fact] public void SumMeanDims() => Check(t => t[0].Sum([0, 2]) + t[0].Mean([1, 2]), Rand(3, 3, 2));
    [Fact] public void MaxAlongDim() => Check(t => t[0].Max(1).Values, Tensor.From(new double[] { 0.1, 0.9, -0.3, 1.5, 0.2, 0.4 }, 2, 3));
    [Fact] public void MaxMinAll() => Check(t => t[0].Max() - t[0].Min(), Tensor.From(new double[] { 0.1, 0.9, -0.3, 1.5 }, 2, 2));
    [Fact] public void Var() => Check(t => t[0].Var(1), Rand(2, 4));
    [Fact] public void Norm() => Check(t => t[0].Norm(), Rand(2, 3));
    [Fact] public void ReshapeView() => Check(t => t[0].Reshape(3, 2) * t[0].View(3, 2), Rand(2, 3));
    [Fact] public void TransposePermuteContiguous() => Check(t => t[0].Transpose(0, 1).Contiguous() + t[1].Permute(2, 1, 0).Sum(0), Rand(2, 3), Rand(2, 3, 4));
    [Fact] public void UnsqueezeSqueezeExpandFlatten() => Check(t => t[0].Unsqueeze(0).Expand(2, -1, -1).Flatten() .Reshape(2, 1, 6).Squeeze(1), Rand(2, 3));
    [Fact] public void Cat() => Check(t => Tensor.Cat([t[0], t[1]], 1), Rand(2, 2), Rand(2, 3));
    [Fact] public void Stack() => Check(t => Tensor.Stack([t[0], t[1]], 0), Rand(2, 3), Rand(2, 3));
    [Fact] public void Split() => Check(t => t[0].Split(2, 1)[1] * 2 + t[0].Split(2, 1)[0].Sum(), Rand(2, 5));
    [Fact] public void NarrowSliceSelect() => Check(t => t[0].Narrow(1, 1, 2) + t[0].Slice(1, 0, 4, 2) + t[0].Select(1, 1).Unsqueeze(1), Rand(2, 4));
    [Fact] public void RangeIndexer() => Check(t => t[0][1..3] * 3, Rand(4, 2));
    [Fact] public void MaskedFill() => Check(t => t[0].MaskedFill(Tensor.From(new[] { true, false, false, true, true, false }, 2, 3), 0.25), Rand(2, 3));
    [Fact] public void Where() => Check(t => Tensor.Where(Tensor.From(new[] { true, false, true }), t[0], t[1]), Rand(3), Rand(2, 3));
    [Fact] public void TriuTril() => Check(t => t[0].Triu(1) * 2 + t[0].Tril(-1) * 3, Rand(3, 3));
    [Fact] public void Cumsum() => Check(t => t[0].Cumsum(1), Rand(2, 4));
    [Fact] public void TopK() => Check(t => t[0].TopK(2, -1).Values, Tensor.From(new double[] { 0.1, 0.9, -0.3, 1.5, 0.2, 0.4, 0.7, -1 }, 2, 4));
    [Fact] public void Lerp() => Check(t => t[0].Lerp(t[1], 0.3), Rand(2, 3), Rand(2, 3));
    [Fact] public void CloneToDtype() => Check(t => t[0].Clone().To(DType.Float64) * t[0], Rand(2, 3));
    [Fact] public void RmsNorm() => Check(t => F.RmsNorm(t[0], t[1], 1e-6), Rand(2, 4), Rand(4));
    [Fact] public void LayerNorm() => Check(t => F.LayerNorm(t[0], [4], t[1], t[2]), Rand(2, 4), Rand(4), Rand(4));

    [Fact]
    public void Dropout()
    {
        // The same seed before each evaluation draws the same mask, so the function is fixed.
        Check(t =>
        {
            TorchRuntime.ManualSeed(7);
            return F.Dropout(t[0], 0.5);
        }, Rand(3, 4));
    }

    [Fact]
    public void ScaledDotProductAttention() =>
        Check(t => F.ScaledDotProductAttention(t[0], t[1], t[2], isCausal: true), Rand(1, 2, 3, 4), Rand(1, 2, 3, 4), Rand(1, 2, 3, 4));

    [Fact]
    public void ScaledDotProductAttentionWithBoolMask()
    {
        var mask = Tensor.From(new[] { true, false, false, true, true, false, false, true, true }, 3, 3);
        Check(t => F.ScaledDotProductAttention(t[0], t[1], t[2], mask), Rand(2, 3, 4), Rand(2, 3, 4), Rand(2, 3, 4));
    }

    [Fact]
    public void BackwardWithGradientArgument()
    {
        var x = Rand(3).RequiresGrad_();
        var y = x * 2.0;
        y.Backward(Tensor.From(new double[] { 1, 10, 100 }));
        Assert.Equal(new double[] { 2, 20, 200 }, x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void GradientsAccumulateUntilCleared()
    {
        var x = Rand(2).RequiresGrad_();
        (x * 3.0).Sum().Backward();
        (x * 3.0).Sum().Backward();
        Assert.Equal(new double[] { 6, 6 }, x.Grad!.ToDoubleArray());
        x.Grad = null;
        Assert.Null(x.Grad);
        (x * 1.0).Sum().Backward();
        Assert.Equal(new double[] { 1, 1 }, x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = Rand(2).RequiresGrad_();
        using (Autograd.NoGrad())
        {
            Assert.False(TorchRuntime.IsGradEnabled);
            var y = x * 2.0;
            Assert.False(y.RequiresGrad);
        }
        Assert.True(TorchRuntime.IsGradEnabled);
        Assert.True((x * 2.0).RequiresGrad);
    }
}
