namespace SftLab.Torch;

public partial class Tensor
{
    private static unsafe Tensor Create(ReadOnlySpan<long> shape, Func<IntPtr, int, IntPtr> make)
    {
        TorchRuntime.Initialize();
        fixed (long* p = shape) return new Tensor(make((IntPtr)p, shape.Length));
    }

    private static (int Type, int Index) Dev(Device? device) =>
        device is { } d ? ((int)d.Type, d.Index) : (0, -1);

    /// <summary>Uninitialized tensor.</summary>
    public static unsafe Tensor Empty(long[] shape, DType dtype = DType.Float32, Device? device = null)
    {
        var (t, i) = Dev(device);
        return Create(shape, (p, n) => Native.sft_empty((long*)p, n, (int)dtype, t, i));
    }

    /// <summary>Tensor of zeros.</summary>
    public static unsafe Tensor Zeros(long[] shape, DType dtype = DType.Float32, Device? device = null)
    {
        var (t, i) = Dev(device);
        return Create(shape, (p, n) => Native.sft_zeros((long*)p, n, (int)dtype, t, i));
    }

    /// <summary>Tensor of zeros: <c>Tensor.Zeros(2, 3)</c>.</summary>
    public static Tensor Zeros(params long[] shape) => Zeros(shape, DType.Float32);

    /// <summary>Tensor of ones.</summary>
    public static unsafe Tensor Ones(long[] shape, DType dtype = DType.Float32, Device? device = null)
    {
        var (t, i) = Dev(device);
        return Create(shape, (p, n) => Native.sft_ones((long*)p, n, (int)dtype, t, i));
    }

    /// <summary>Tensor of ones: <c>Tensor.Ones(2, 3)</c>.</summary>
    public static Tensor Ones(params long[] shape) => Ones(shape, DType.Float32);

    /// <summary>Tensor filled with <paramref name="value"/>.</summary>
    public static unsafe Tensor Full(long[] shape, double value, DType dtype = DType.Float32, Device? device = null)
    {
        var (t, i) = Dev(device);
        return Create(shape, (p, n) => Native.sft_full((long*)p, n, value, (int)dtype, t, i));
    }

    /// <summary>A one-element, zero-dimensional tensor.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device? device = null) =>
        Full([], value, dtype, device);

    /// <summary>Values start, start+step, ... below end (int64 unless a dtype is given).</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Int64, Device? device = null)
    {
        TorchRuntime.Initialize();
        var (t, i) = Dev(device);
        return new Tensor(Native.sft_arange(start, end, step, (int)dtype, t, i));
    }

    /// <summary>0, 1, ..., end-1 as int64.</summary>
    public static Tensor Arange(long end, Device? device = null) => Arange(0, end, 1, DType.Int64, device);

    /// <summary>Standard normal samples (from <paramref name="generator"/>, or the default generator).</summary>
    public static unsafe Tensor Randn(long[] shape, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        var (t, i) = Dev(device);
        var g = generator?.Handle ?? IntPtr.Zero;
        return Create(shape, (p, n) => Native.sft_randn((long*)p, n, g, (int)dtype, t, i));
    }

    /// <summary>Uniform samples in [0, 1).</summary>
    public static unsafe Tensor Rand(long[] shape, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        var (t, i) = Dev(device);
        var g = generator?.Handle ?? IntPtr.Zero;
        return Create(shape, (p, n) => Native.sft_rand((long*)p, n, g, (int)dtype, t, i));
    }

    /// <summary>Uniform integers in [low, high).</summary>
    public static unsafe Tensor Randint(long low, long high, long[] shape, Generator? generator = null, DType dtype = DType.Int64, Device? device = null)
    {
        var (t, i) = Dev(device);
        var g = generator?.Handle ?? IntPtr.Zero;
        return Create(shape, (p, n) => Native.sft_randint(low, high, (long*)p, n, g, (int)dtype, t, i));
    }

    /// <summary>
    /// Copies .NET data into a new tensor of the matching dtype (float → float32, long → int64,
    /// int → int32, bool → bool, Half → float16, BFloat16 → bfloat16, double → float64).
    /// </summary>
    /// <param name="data">Elements in row-major order.</param>
    /// <param name="shape">The shape; omit for a 1-D tensor.</param>
    /// <param name="device">Where to put it (default cpu).</param>
    public static unsafe Tensor From<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape = default, Device? device = null) where T : unmanaged
    {
        var dtype = DTypes.Of<T>();
        long[] dims = shape.IsEmpty ? [data.Length] : shape.ToArray();
        long count = 1;
        foreach (var d in dims) count *= d;
        if (count != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", dims)}] holds {count} elements but {data.Length} were given", nameof(shape));
        return FromBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data), dims, dtype, device);
    }

    /// <summary>1-D float32 tensor from values.</summary>
    public static Tensor From(float[] data, params long[] shape) => From<float>(data, shape, null);

    /// <summary>int64 tensor from values.</summary>
    public static Tensor From(long[] data, params long[] shape) => From<long>(data, shape, null);

    /// <summary>float64 tensor from values.</summary>
    public static Tensor From(double[] data, params long[] shape) => From<double>(data, shape, null);

    /// <summary>int32 tensor from values.</summary>
    public static Tensor From(int[] data, params long[] shape) => From<int>(data, shape, null);

    /// <summary>bool tensor from values.</summary>
    public static Tensor From(bool[] data, params long[] shape) => From<bool>(data, shape, null);

    /// <summary>A 2-D tensor from a rectangular .NET array.</summary>
    public static Tensor From<T>(T[,] data, Device? device = null) where T : unmanaged
    {
        var flat = new T[data.Length];
        var k = 0;
        foreach (var v in data) flat[k++] = v;
        return From<T>(flat, [data.GetLength(0), data.GetLength(1)], device);
    }

    /// <summary>A tensor from raw little-endian bytes of <paramref name="dtype"/> (as in a safetensors file).</summary>
    public static unsafe Tensor FromBytes(ReadOnlySpan<byte> bytes, ReadOnlySpan<long> shape, DType dtype, Device? device = null)
    {
        TorchRuntime.Initialize();
        var (t, i) = Dev(device);
        fixed (byte* d = bytes)
        fixed (long* s = shape)
            return new Tensor(Native.sft_from_data(d, bytes.Length, s, shape.Length, (int)dtype, t, i));
    }

    /// <summary>Zeros with this tensor's shape, dtype and device.</summary>
    public Tensor ZerosLike() => Zeros(Shape, DType, Device);

    /// <summary>Ones with this tensor's shape, dtype and device.</summary>
    public Tensor OnesLike() => Ones(Shape, DType, Device);

    /// <summary>A filled tensor with this tensor's shape, dtype and device.</summary>
    public Tensor FullLike(double value) => Full(Shape, value, DType, Device);
}
