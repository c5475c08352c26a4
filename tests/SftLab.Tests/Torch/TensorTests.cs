using SftLab.Torch;
using F = SftLab.Torch.Functional;

namespace SftLab.Tests.Torch;

public sealed class TensorTests
{
    [Fact]
    public void FactoriesProduceTheRequestedShapesAndValues()
    {
        using var scope = DisposeScope.Begin();
        Assert.Equal(new long[] { 2, 3 }, Tensor.Zeros(2, 3).Shape);
        Assert.All(Tensor.Ones(2, 2).ToArray<float>(), v => Assert.Equal(1f, v));
        Assert.All(Tensor.Full([3], 2.5, DType.Float64).ToArray<double>(), v => Assert.Equal(2.5, v));
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, Tensor.Arange(5).ToArray<long>());
        Assert.Equal(new float[] { 1, 1.5f, 2, 2.5f }, Tensor.Arange(1, 3, 0.5, DType.Float32).ToArray<float>());
        var e = Tensor.Empty([4, 0]);
        Assert.Equal(0, e.NumEl);
        var s = Tensor.Scalar(3);
        Assert.Equal(0, s.Dim);
        Assert.Equal(3.0, s.ToDouble());
    }

    [Fact]
    public void MetadataMatchesLibtorch()
    {
        using var scope = DisposeScope.Begin();
        var t = Tensor.Zeros([2, 3, 4], DType.BFloat16);
        Assert.Equal(3, t.Dim);
        Assert.Equal(24, t.NumEl);
        Assert.Equal(new long[] { 12, 4, 1 }, t.Strides);
        Assert.Equal(DType.BFloat16, t.DType);
        Assert.Equal(2, t.ElementSize);
        Assert.Equal(DeviceType.Cpu, t.Device.Type);
        Assert.True(t.IsContiguous);
        var tt = t.Transpose(0, 2);
        Assert.Equal(new long[] { 4, 3, 2 }, tt.Shape);
        Assert.Equal(new long[] { 1, 4, 12 }, tt.Strides);
        Assert.False(tt.IsContiguous);
        Assert.True(tt.Contiguous().IsContiguous);
        Assert.Equal(3, tt.Size(-2));
    }

    [Fact]
    public void SeededGeneratorsRepeatAndDiffer()
    {
        using var scope = DisposeScope.Begin();
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        using var g3 = new Generator(43);
        var a = Tensor.Randn([100], g1).ToArray<float>();
        var b = Tensor.Randn([100], g2).ToArray<float>();
        var c = Tensor.Randn([100], g3).ToArray<float>();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        var mean = a.Average();
        Assert.InRange(mean, -0.4, 0.4);
        var u = Tensor.Rand([1000], g1).ToArray<float>();
        Assert.All(u, v => Assert.InRange(v, 0f, 1f));
        var ints = Tensor.Randint(3, 7, [500], g1).ToArray<long>();
        Assert.All(ints, v => Assert.InRange(v, 3, 6));
        Assert.Equal(4, ints.Distinct().Count());
    }

    [Fact]
    public void GeneratorStateRestoresTheSequence()
    {
        using var scope = DisposeScope.Begin();
        using var g = new Generator(5);
        Tensor.Randn([10], g);
        var state = g.GetState();
        var first = Tensor.Randn([10], g).ToArray<float>();
        g.SetState(state);
        Assert.Equal(first, Tensor.Randn([10], g).ToArray<float>());
    }

    public static TheoryData<DType> AllDTypes => new()
    {
        DType.Float32, DType.Float64, DType.Float16, DType.BFloat16, DType.Int64, DType.Int32, DType.Int16, DType.Int8, DType.UInt8, DType.Bool,
    };

    [Fact]
    public void DotNetArraysRoundTripInEveryDType()
    {
        using var scope = DisposeScope.Begin();
        RoundTrip(new[] { 1.5f, -2.25f, 3e-8f, float.MaxValue });
        RoundTrip(new[] { 1.5, -2.25, 1e-300, double.MinValue });
        RoundTrip(new[] { (Half)1.5, (Half)(-2.25), Half.Epsilon });
        RoundTrip(new[] { (BFloat16)1.5f, (BFloat16)(-2.25f), (BFloat16)1e30f });
        RoundTrip(new[] { long.MinValue, 0L, long.MaxValue });
        RoundTrip(new[] { int.MinValue, 7, int.MaxValue });
        RoundTrip(new short[] { short.MinValue, -1, short.MaxValue });
        RoundTrip(new sbyte[] { sbyte.MinValue, 0, sbyte.MaxValue });
        RoundTrip(new byte[] { 0, 128, 255 });
        RoundTrip(new[] { true, false, true });

        static void RoundTrip<T>(T[] values) where T : unmanaged
        {
            var t = Tensor.From<T>(values);
            Assert.Equal(DTypes.Of<T>(), t.DType);
            Assert.Equal(values, t.ToArray<T>());
            var reshaped = Tensor.From<T>(values.Concat(values).ToArray(), [2, values.Length]);
            Assert.Equal(new long[] { 2, values.Length }, reshaped.Shape);
        }
    }

    [Theory]
    [MemberData(nameof(AllDTypes))]
    public void ConversionsBetweenDTypesPreserveRepresentableValues(DType dtype)
    {
        using var scope = DisposeScope.Begin();
        double[] values = dtype switch
        {
            DType.Bool => [0, 1, 1, 0],
            DType.UInt8 => [0, 1, 100, 255],
            _ => [0, 1, -100, 127],
        };
        var back = Tensor.From(values).To(dtype).To(DType.Float64).ToArray<double>();
        Assert.Equal(values, back);
        Assert.Equal(dtype, Tensor.From(values).To(dtype).DType);
    }

    [Fact]
    public void OurBFloat16RoundsLikeLibtorch()
    {
        using var scope = DisposeScope.Begin();
        using var g = new Generator(3);
        var floats = (Tensor.Randn([4096], g) * 1000.0).ToArray<float>().Concat([0f, -0f, 1f, float.Epsilon, 65504f, 3.3895314e38f]).ToArray();
        var ours = floats.Select(f => ((BFloat16)f).Bits).ToArray();
        var libtorch = Tensor.From(floats).To(DType.BFloat16).ToArray<BFloat16>().Select(b => b.Bits).ToArray();
        Assert.Equal(libtorch, ours);
    }

    [Fact]
    public void MovingToCudaWorksOrFailsWithAClearError()
    {
        using var scope = DisposeScope.Begin();
        var t = Tensor.From(new[] { 1f, 2f, 3f });
        if (TorchRuntime.CudaIsAvailable)
        {
            var g = t.To(Device.Cuda(0));
            Assert.Equal(DeviceType.Cuda, g.Device.Type);
            Assert.Equal(new[] { 1f, 2f, 3f }, g.To(Device.Cpu).ToArray<float>());
            Assert.Equal(new[] { 2f, 4f, 6f }, (g * 2.0).ToArray<float>()); // ToArray copies to host itself
        }
        else
        {
            var e = Assert.Throws<TorchException>(() => t.To(Device.Cuda(0)));
            Assert.Contains("CUDA", e.Message, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal(new[] { 1f, 2f, 3f }, t.To(Device.Cpu).ToArray<float>());
    }

    [Theory]
    [InlineData("cpu", DeviceType.Cpu, -1)]
    [InlineData("cuda", DeviceType.Cuda, -1)]
    [InlineData("cuda:1", DeviceType.Cuda, 1)]
    [InlineData(" CUDA:0 ", DeviceType.Cuda, 0)]
    public void DevicesParse(string text, DeviceType type, int index)
    {
        var d = Device.Parse(text);
        Assert.Equal(type, d.Type);
        Assert.Equal(index, d.Index);
        Assert.Throws<ArgumentException>(() => Device.Parse("tpu"));
    }

    [Fact]
    public void OperatorsComputeTheExpectedValues()
    {
        using var scope = DisposeScope.Begin();
        var a = Tensor.From(new[] { 1f, 2f, 3f, 4f }, 2, 2);
        var b = Tensor.From(new[] { 10f, 20f });
        Assert.Equal(new[] { 11f, 22f, 13f, 24f }, (a + b).ToArray<float>());
        Assert.Equal(new[] { 9f, 8f, 7f, 6f }, (10.0 - a).ToArray<float>());
        Assert.Equal(new[] { 7f, 10f, 15f, 22f }, a.Matmul(a).ToArray<float>());
        Assert.Equal(new[] { 1f, 3f, 2f, 4f }, a.T.Contiguous().ToArray<float>());
        Assert.Equal(new[] { 4f, 6f }, a.Sum(0).ToArray<float>());
        Assert.Equal(new long[] { 1, 1 }, a.Argmax(1).ToArray<long>());
        Assert.Equal(3L, a.Argmax().ToInt64());
        Assert.Equal(new[] { 1f, 3f, 6f, 10f }, a.Reshape(-1).Cumsum(0).ToArray<float>());
        var (vals, idx) = Tensor.From(new[] { 5f, 1f, 9f, 3f }).TopK(2);
        Assert.Equal(new[] { 9f, 5f }, vals.ToArray<float>());
        Assert.Equal(new long[] { 2, 0 }, idx.ToArray<long>());
        Assert.Equal(new[] { true, false, false, false }, a.Lt(2).ToArray<bool>());
        Assert.Equal(new[] { 0f, 2f, 0f, 4f }, Tensor.Where(a.Remainder(2).Eq(0), a, a.ZerosLike()).ToArray<float>());
        Assert.Equal(new[] { 1f, 2f, 0f, 4f }, a.Triu().ToArray<float>());
        var parts = Tensor.Arange(5).Split(2);
        Assert.Equal(3, parts.Length);
        Assert.Equal(new long[] { 4 }, parts[2].ToArray<long>());
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 0, 1 }, Tensor.Cat([Tensor.Arange(5), Tensor.Arange(2)]).ToArray<long>());
        Assert.Equal(new long[] { 2, 2, 2 }, Tensor.Stack([a, a]).Unsqueeze(0).Squeeze(0).Shape);
        Assert.True(F.Softmax(a, -1).Sum(-1).AllClose(Tensor.Ones(2)));
    }

    [Fact]
    public void MultinomialFollowsTheProbabilities()
    {
        using var scope = DisposeScope.Begin();
        using var g = new Generator(11);
        var probs = Tensor.From(new[] { 0f, 0.8f, 0.2f, 0f });
        var draws = F.Multinomial(probs, 2000, replacement: true, generator: g).ToArray<long>();
        Assert.DoesNotContain(0L, draws);
        Assert.DoesNotContain(3L, draws);
        var ones = draws.Count(d => d == 1);
        Assert.InRange(ones, 1500, 1700);
    }

    [Fact]
    public void DropoutZeroesAboutPAndRescales()
    {
        using var scope = DisposeScope.Begin();
        var x = Tensor.Ones(10000);
        var y = F.Dropout(x, 0.25).ToArray<float>();
        var zeros = y.Count(v => v == 0);
        Assert.InRange(zeros, 2200, 2800);
        Assert.All(y.Where(v => v != 0), v => Assert.Equal(1f / 0.75f, v, 5));
        Assert.Equal(x.ToArray<float>(), F.Dropout(x, 0.25, training: false).ToArray<float>());
    }

    [Fact]
    public void ShapeErrorBecomesAnExceptionWithBothShapes()
    {
        using var scope = DisposeScope.Begin();
        var a = Tensor.Zeros(2, 3);
        var b = Tensor.Zeros(4, 5);
        var e = Assert.Throws<TorchException>(() => a.Matmul(b));
        Assert.Contains("2x3", e.Message);
        Assert.Contains("4x5", e.Message);
        Assert.DoesNotContain("frame #", e.Message); // no C++ backtrace
        // The process, and the binding, are still fine afterwards.
        Assert.Equal(new long[] { 2, 5 }, a.Matmul(Tensor.Zeros(3, 5)).Shape);
    }

    [Fact]
    public void OtherNativeErrorsAreExceptionsToo()
    {
        using var scope = DisposeScope.Begin();
        var x = Tensor.Zeros(2, 3);
        Assert.Throws<TorchException>(() => x.View(4, 4));
        Assert.Throws<TorchException>(() => x.Select(0, 5));
        Assert.Throws<TorchException>(() => x.IndexSelect(0, Tensor.From(new long[] { 7 })));
        Assert.Throws<TorchException>(() => F.CrossEntropy(x, Tensor.From(new long[] { 0, 9 })));
        Assert.Throws<TorchException>(() => Tensor.From(new long[] { 1 }).Backward());
        Assert.Throws<TorchException>(() => x.Item<float>());
        var bytes = new byte[5];
        Assert.Throws<TorchException>(() => Tensor.FromBytes(bytes, [2], DType.Float32));
        Assert.Throws<InvalidOperationException>(() => x.ToArray<long>());
        Assert.Throws<ArgumentException>(() => Tensor.From<float>(new float[5], [2, 2]));
    }

    [Fact]
    public void UsingADisposedTensorThrows()
    {
        var t = Tensor.Zeros(2);
        t.Dispose();
        Assert.True(t.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => t.Shape);
        t.Dispose(); // twice is fine
    }

    [Fact]
    public void ToStringShowsShapeDTypeAndValues()
    {
        using var scope = DisposeScope.Begin();
        var s = Tensor.From(new[] { 1f, 2.5f }).ToString();
        Assert.Equal("Tensor(shape=[2], dtype=float32, device=cpu, values=[1, 2.5])", s);
    }

    [Fact]
    public void VersionIsTheLinkedLibtorch()
    {
        var v = TorchRuntime.LibTorchVersion;
        Assert.True(v.Major >= 1);
        Assert.Contains($"libtorch {v}", TorchRuntime.Describe());
    }
}
