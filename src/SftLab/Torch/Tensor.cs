using System.Runtime.InteropServices;
using System.Text;

namespace SftLab.Torch;

/// <summary>
/// An n-dimensional array on a device, with autograd: a thin wrapper over a libtorch tensor.
/// Names follow PyTorch in .NET casing (<c>Matmul</c>, <c>Softmax</c>, <c>RequiresGrad</c>).
/// A tensor owns a native handle: dispose it, or create it inside a <see cref="DisposeScope"/>.
/// Factories are static members (<c>Tensor.Zeros</c>, <c>Tensor.From</c>); operators are instance
/// members and C# operators; neural-network functions are in <see cref="Functional"/>.
/// </summary>
public partial class Tensor : IDisposable
{
    private TensorHandle _handle;

    /// <summary>The dispose scope that frees this tensor, or null if the caller owns it.</summary>
    internal DisposeScope? Scope { get; set; }

    /// <summary>Takes ownership of a handle returned by the shim (checked for errors).</summary>
    internal Tensor(IntPtr handle)
    {
        _handle = new TensorHandle(Native.Check(handle));
        var scope = DisposeScope.Current;
        if (scope != null)
        {
            Scope = scope;
            scope.Add(this);
        }
    }

    /// <summary>Points this object at <paramref name="source"/>'s native tensor (PyTorch's <c>p.data = ...</c>), freeing the old one.</summary>
    internal void SetData(Tensor source)
    {
        var old = _handle;
        _handle = new TensorHandle(Native.Check(Native.sft_alias(source.Handle)));
        old.Dispose();
    }

    internal TensorHandle Handle
    {
        get
        {
            if (_handle.IsClosed) throw new ObjectDisposedException(nameof(Tensor), "the tensor was disposed (by Dispose or by its DisposeScope)");
            return _handle;
        }
    }

    /// <summary>True once the native tensor has been freed.</summary>
    public bool IsDisposed => _handle.IsClosed;

    /// <summary>Frees the native tensor now (the data is freed when no other tensor shares it).</summary>
    public void Dispose()
    {
        _handle.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Removes this tensor from its dispose scope: the caller now owns it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        Scope = null;
        return this;
    }

    /// <summary>Moves this tensor to the scope enclosing its current one (or out of all scopes).</summary>
    public Tensor MoveToOuterScope()
    {
        var outer = Scope?.Outer;
        Scope = outer;
        outer?.Add(this);
        return this;
    }

    // ---- metadata ----------------------------------------------------------------------------

    /// <summary>Number of dimensions.</summary>
    public int Dim => Native.sft_ndim(Handle);

    /// <summary>The size of each dimension.</summary>
    public unsafe long[] Shape
    {
        get
        {
            var h = Handle;
            var shape = new long[Native.sft_ndim(h)];
            fixed (long* p = shape) Native.sft_shape(h, p);
            return shape;
        }
    }

    /// <summary>The size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public long Size(int dim)
    {
        var shape = Shape;
        return shape[NormalizeDim(dim, shape.Length)];
    }

    /// <summary>Elements skipped in memory per step along each dimension.</summary>
    public unsafe long[] Strides
    {
        get
        {
            var h = Handle;
            var strides = new long[Native.sft_ndim(h)];
            fixed (long* p = strides) Native.sft_strides(h, p);
            return strides;
        }
    }

    /// <summary>Total number of elements.</summary>
    public long NumEl => Native.sft_numel(Handle);

    /// <summary>Element type.</summary>
    public DType DType => (DType)Native.sft_dtype(Handle);

    /// <summary>The device holding the data.</summary>
    public Device Device
    {
        get
        {
            var h = Handle;
            return new Device((DeviceType)Native.sft_device_type(h), Native.sft_device_index(h));
        }
    }

    /// <summary>Whether elements are laid out row-major without gaps.</summary>
    public bool IsContiguous => Native.sft_is_contiguous(Handle) == 1;

    /// <summary>Bytes per element.</summary>
    public int ElementSize => Native.sft_element_size(Handle);

    // ---- values ----------------------------------------------------------------------------

    /// <summary>The value of a one-element tensor, converted to <typeparamref name="T"/>.</summary>
    public T Item<T>() where T : unmanaged
    {
        var h = Handle;
        if (typeof(T) == typeof(long) || typeof(T) == typeof(int) || typeof(T) == typeof(short) ||
            typeof(T) == typeof(byte) || typeof(T) == typeof(sbyte))
        {
            Native.Check(Native.sft_item_long(h, out var l));
            return (T)Convert.ChangeType(l, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
        }
        Native.Check(Native.sft_item_double(h, out var d));
        if (typeof(T) == typeof(double)) return (T)(object)d;
        if (typeof(T) == typeof(float)) return (T)(object)(float)d;
        if (typeof(T) == typeof(bool)) return (T)(object)(d != 0);
        if (typeof(T) == typeof(Half)) return (T)(object)(Half)d;
        throw new NotSupportedException($"Item<{typeof(T).Name}> is not supported");
    }

    /// <summary>The value of a one-element tensor as a double.</summary>
    public double ToDouble() => Item<double>();

    /// <summary>The value of a one-element tensor as a float.</summary>
    public float ToSingle() => Item<float>();

    /// <summary>The value of a one-element tensor as a long.</summary>
    public long ToInt64() => Item<long>();

    /// <summary>
    /// Copies the elements (row-major) into a new array. <typeparamref name="T"/> must match the
    /// dtype (float for float32, long for int64...); convert first with <see cref="To(DType)"/>.
    /// </summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var h = Handle;
        var want = DTypes.Of<T>();
        var have = (DType)Native.sft_dtype(h);
        if (want != have)
            throw new InvalidOperationException($"the tensor is {have.Name()}, not {want.Name()}: call .To(DType.{want}) first");
        var result = new T[Native.sft_numel(h)];
        CopyTo<T>(result);
        return result;
    }

    /// <summary>Copies the elements (row-major) into <paramref name="destination"/>, which must have exactly <see cref="NumEl"/> elements of the tensor's dtype.</summary>
    public unsafe void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        var h = Handle;
        var bytes = MemoryMarshal.AsBytes(destination);
        fixed (byte* p = bytes) Native.Check(Native.sft_copy_to_host(h, p, bytes.Length));
    }

    /// <summary>The raw bytes of the elements (row-major, the tensor's own dtype).</summary>
    public unsafe byte[] ToBytes()
    {
        var h = Handle;
        var bytes = new byte[Native.sft_numel(h) * Native.sft_element_size(h)];
        fixed (byte* p = bytes) Native.Check(Native.sft_copy_to_host(h, p, bytes.Length));
        return bytes;
    }

    /// <summary>The elements as doubles (any dtype), for inspection and tests.</summary>
    public double[] ToDoubleArray()
    {
        if (DType == DType.Float64) return ToArray<double>();
        using var d = To(DType.Float64);
        return d.ToArray<double>();
    }

    /// <summary>Shape, dtype, device, and up to 8 leading values.</summary>
    public override string ToString()
    {
        if (IsDisposed) return "Tensor(disposed)";
        var sb = new StringBuilder("Tensor(shape=[");
        sb.Append(string.Join(", ", Shape)).Append("], dtype=").Append(DType.Name()).Append(", device=").Append(Device);
        if (RequiresGrad) sb.Append(", requires_grad");
        var n = NumEl;
        if (n > 0)
        {
            using var flat = Reshape(-1);
            using var head = flat.Narrow(0, 0, Math.Min(n, 8));
            var values = head.ToDoubleArray();
            sb.Append(", values=[").Append(string.Join(", ", values.Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture))));
            if (n > 8) sb.Append(", …");
            sb.Append(']');
        }
        return sb.Append(')').ToString();
    }

    // ---- autograd -------------------------------------------------------------------------

    /// <summary>Whether operations on this tensor are recorded for gradients.</summary>
    public bool RequiresGrad
    {
        get => Native.sft_requires_grad(Handle) == 1;
        set => Native.Check(Native.sft_set_requires_grad(Handle, value ? 1 : 0));
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (fluent).</summary>
    public Tensor RequiresGrad_(bool on = true)
    {
        RequiresGrad = on;
        return this;
    }

    /// <summary>True for tensors created by the user (not the result of a recorded operation).</summary>
    public bool IsLeaf => Native.sft_is_leaf(Handle) == 1;

    /// <summary>
    /// The accumulated gradient, or null. Each read returns a new handle sharing the gradient's
    /// storage (it belongs to the current dispose scope like any new tensor).
    /// </summary>
    public Tensor? Grad
    {
        get
        {
            var p = Native.sft_grad(Handle);
            if (p == IntPtr.Zero)
            {
                var err = Native.TakeError();
                if (err != null) throw new TorchException(err);
                return null;
            }
            return new Tensor(p);
        }
        set
        {
            Native.Check(Native.sft_set_grad(Handle, Native.Opt(value)));
            GC.KeepAlive(value);
        }
    }

    /// <summary>Computes gradients of this tensor with respect to the leaves that require them.</summary>
    /// <param name="gradient">d(output)/d(this); omit for a scalar.</param>
    /// <param name="retainGraph">Keep the graph for another backward pass.</param>
    public void Backward(Tensor? gradient = null, bool retainGraph = false)
    {
        Native.Check(Native.sft_backward(Handle, Native.Opt(gradient), retainGraph ? 1 : 0));
        GC.KeepAlive(gradient);
    }

    /// <summary>A new tensor sharing data with this one, cut from the autograd graph.</summary>
    public Tensor Detach() => new(Native.sft_detach(Handle));

    /// <summary>A copy with its own storage (recorded by autograd).</summary>
    public Tensor Clone() => new(Native.sft_clone(Handle));

    /// <summary>A new handle to this same tensor (same storage, same autograd identity).</summary>
    public Tensor Alias() => new(Native.sft_alias(Handle));

    // ---- conversion ------------------------------------------------------------------------

    /// <summary>Converts to <paramref name="dtype"/> (a new tensor; the same one if already of that dtype).</summary>
    public Tensor To(DType dtype) => new(Native.sft_to_dtype(Handle, (int)dtype));

    /// <summary>Moves to <paramref name="device"/>.</summary>
    public Tensor To(Device device, bool nonBlocking = false) =>
        new(Native.sft_to_device(Handle, (int)device.Type, device.Index, nonBlocking ? 1 : 0));

    /// <summary>Moves to <paramref name="device"/> and converts to <paramref name="dtype"/>.</summary>
    public Tensor To(Device device, DType dtype)
    {
        using var moved = To(device);
        return moved.To(dtype);
    }

    /// <summary>Row-major copy if not already contiguous.</summary>
    public Tensor Contiguous() => new(Native.sft_contiguous(Handle));

    internal static int NormalizeDim(int dim, int ndim)
    {
        var d = dim < 0 ? dim + ndim : dim;
        if (d < 0 || d >= Math.Max(ndim, 1))
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"dimension out of range for a tensor of {ndim} dimension(s)");
        return d;
    }
}
