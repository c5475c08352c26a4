namespace SftLab.Torch;

public partial class Tensor
{
    private Tensor Unary(UnaryOp op) => new(Native.sft_unary(Handle, op));
    private Tensor Binary(Tensor other, BinaryOp op) => new(Native.sft_binary(Handle, other.Handle, op));
    private Tensor Binary(double s, BinaryOp op, bool reverse = false) => new(Native.sft_binary_scalar(Handle, s, op, reverse ? 1 : 0));

    private static Tensor Pair(int status, IntPtr values, IntPtr indices, out Tensor indexTensor)
    {
        Native.Check(status);
        var v = new Tensor(values);
        indexTensor = new Tensor(indices);
        return v;
    }

    // ---- arithmetic (broadcasting) -----------------------------------------------------------

    public static Tensor operator +(Tensor a, Tensor b) => a.Binary(b, BinaryOp.Add);
    public static Tensor operator +(Tensor a, double b) => a.Binary(b, BinaryOp.Add);
    public static Tensor operator +(double a, Tensor b) => b.Binary(a, BinaryOp.Add);
    public static Tensor operator -(Tensor a, Tensor b) => a.Binary(b, BinaryOp.Sub);
    public static Tensor operator -(Tensor a, double b) => a.Binary(b, BinaryOp.Sub);
    public static Tensor operator -(double a, Tensor b) => b.Binary(a, BinaryOp.Sub, reverse: true);
    public static Tensor operator *(Tensor a, Tensor b) => a.Binary(b, BinaryOp.Mul);
    public static Tensor operator *(Tensor a, double b) => a.Binary(b, BinaryOp.Mul);
    public static Tensor operator *(double a, Tensor b) => b.Binary(a, BinaryOp.Mul);
    public static Tensor operator /(Tensor a, Tensor b) => a.Binary(b, BinaryOp.Div);
    public static Tensor operator /(Tensor a, double b) => a.Binary(b, BinaryOp.Div);
    public static Tensor operator /(double a, Tensor b) => b.Binary(a, BinaryOp.Div, reverse: true);
    public static Tensor operator -(Tensor a) => a.Unary(UnaryOp.Neg);

    /// <summary>this + alpha · other.</summary>
    public Tensor Add(Tensor other, double alpha = 1) => new(Native.sft_add_alpha(Handle, other.Handle, alpha));
    public Tensor Sub(Tensor other) => Binary(other, BinaryOp.Sub);
    public Tensor Mul(Tensor other) => Binary(other, BinaryOp.Mul);
    public Tensor Div(Tensor other) => Binary(other, BinaryOp.Div);
    public Tensor Pow(Tensor exponent) => Binary(exponent, BinaryOp.Pow);
    public Tensor Pow(double exponent) => Binary(exponent, BinaryOp.Pow);
    public Tensor Maximum(Tensor other) => Binary(other, BinaryOp.Maximum);
    public Tensor Minimum(Tensor other) => Binary(other, BinaryOp.Minimum);
    public Tensor Remainder(double divisor) => Binary(divisor, BinaryOp.Remainder);
    public Tensor FloorDivide(double divisor) => Binary(divisor, BinaryOp.FloorDivide);

    /// <summary>Clamps to [min, max]; either bound may be omitted.</summary>
    public Tensor Clamp(double? min = null, double? max = null) =>
        new(Native.sft_clamp(Handle, min ?? 0, max ?? 0, min.HasValue ? 1 : 0, max.HasValue ? 1 : 0));

    public Tensor Neg() => Unary(UnaryOp.Neg);
    public Tensor Exp() => Unary(UnaryOp.Exp);
    public Tensor Log() => Unary(UnaryOp.Log);
    public Tensor Log1p() => Unary(UnaryOp.Log1p);
    public Tensor Expm1() => Unary(UnaryOp.Expm1);
    public Tensor Sqrt() => Unary(UnaryOp.Sqrt);
    public Tensor Rsqrt() => Unary(UnaryOp.Rsqrt);
    public Tensor Square() => Unary(UnaryOp.Square);
    public Tensor Reciprocal() => Unary(UnaryOp.Reciprocal);
    public Tensor Abs() => Unary(UnaryOp.Abs);
    public Tensor Sign() => Unary(UnaryOp.Sign);
    public Tensor Sin() => Unary(UnaryOp.Sin);
    public Tensor Cos() => Unary(UnaryOp.Cos);
    public Tensor Tanh() => Unary(UnaryOp.Tanh);
    public Tensor Sigmoid() => Unary(UnaryOp.Sigmoid);
    public Tensor Relu() => Unary(UnaryOp.Relu);
    public Tensor Silu() => Unary(UnaryOp.Silu);

    /// <summary>GELU, exact (erf) or with the tanh approximation GPT-2 uses.</summary>
    public Tensor Gelu(bool tanhApproximation = false) => Unary(tanhApproximation ? UnaryOp.GeluTanh : UnaryOp.Gelu);

    public Tensor Floor() => Unary(UnaryOp.Floor);
    public Tensor Ceil() => Unary(UnaryOp.Ceil);
    public Tensor Round() => Unary(UnaryOp.Round);
    public Tensor IsNan() => Unary(UnaryOp.IsNan);
    public Tensor IsFinite() => Unary(UnaryOp.IsFinite);
    public Tensor LogicalNot() => Unary(UnaryOp.LogicalNot);
    public Tensor LogicalAnd(Tensor other) => Binary(other, BinaryOp.LogicalAnd);
    public Tensor LogicalOr(Tensor other) => Binary(other, BinaryOp.LogicalOr);

    // ---- comparisons (element-wise, bool results) -----------------------------------------

    public Tensor Eq(Tensor other) => Binary(other, BinaryOp.Eq);
    public Tensor Eq(double v) => Binary(v, BinaryOp.Eq);
    public Tensor Ne(Tensor other) => Binary(other, BinaryOp.Ne);
    public Tensor Ne(double v) => Binary(v, BinaryOp.Ne);
    public Tensor Lt(Tensor other) => Binary(other, BinaryOp.Lt);
    public Tensor Lt(double v) => Binary(v, BinaryOp.Lt);
    public Tensor Le(Tensor other) => Binary(other, BinaryOp.Le);
    public Tensor Le(double v) => Binary(v, BinaryOp.Le);
    public Tensor Gt(Tensor other) => Binary(other, BinaryOp.Gt);
    public Tensor Gt(double v) => Binary(v, BinaryOp.Gt);
    public Tensor Ge(Tensor other) => Binary(other, BinaryOp.Ge);
    public Tensor Ge(double v) => Binary(v, BinaryOp.Ge);

    /// <summary>True when shapes and all elements are equal.</summary>
    public bool Equal(Tensor other) => Native.Check(Native.sft_equal(Handle, other.Handle)) == 1;

    /// <summary>|this − other| ≤ atol + rtol·|other| everywhere.</summary>
    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8) =>
        Native.Check(Native.sft_allclose(Handle, other.Handle, rtol, atol)) == 1;

    // ---- selection ------------------------------------------------------------------------

    /// <summary>Elements of <paramref name="a"/> where <paramref name="condition"/> holds, else of <paramref name="b"/>.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) =>
        new(Native.sft_where(condition.Handle, a.Handle, b.Handle));

    /// <summary>Copy with <paramref name="value"/> where <paramref name="mask"/> is true.</summary>
    public Tensor MaskedFill(Tensor mask, double value) => new(Native.sft_masked_fill(Handle, mask.Handle, value));

    /// <summary>Upper triangle (elements on and above diagonal <paramref name="diagonal"/>).</summary>
    public Tensor Triu(long diagonal = 0) => new(Native.sft_triu(Handle, diagonal));

    /// <summary>Lower triangle (elements on and below diagonal <paramref name="diagonal"/>).</summary>
    public Tensor Tril(long diagonal = 0) => new(Native.sft_tril(Handle, diagonal));

    /// <summary>this + weight · (end − this).</summary>
    public Tensor Lerp(Tensor end, double weight) => new(Native.sft_lerp(Handle, end.Handle, weight));

    // ---- linear algebra -------------------------------------------------------------------

    /// <summary>Matrix product with broadcasting over leading dimensions (PyTorch's <c>@</c>).</summary>
    public Tensor Matmul(Tensor other) => new(Native.sft_matmul(Handle, other.Handle));

    /// <summary>2-D matrix product.</summary>
    public Tensor Mm(Tensor other) => new(Native.sft_mm(Handle, other.Handle));

    /// <summary>Batched 3-D matrix product.</summary>
    public Tensor Bmm(Tensor other) => new(Native.sft_bmm(Handle, other.Handle));

    /// <summary>Outer product of two vectors.</summary>
    public Tensor Outer(Tensor other) => new(Native.sft_outer(Handle, other.Handle));

    // ---- reductions -----------------------------------------------------------------------

    /// <summary>Sum of all elements.</summary>
    public Tensor Sum() => new(Native.sft_sum_all(Handle));

    /// <summary>Sum over <paramref name="dim"/>.</summary>
    public unsafe Tensor Sum(long dim, bool keepDim = false) => new(Native.sft_sum(Handle, &dim, 1, keepDim ? 1 : 0));

    /// <summary>Sum over several dimensions.</summary>
    public unsafe Tensor Sum(long[] dims, bool keepDim = false)
    {
        fixed (long* p = dims) return new Tensor(Native.sft_sum(Handle, p, dims.Length, keepDim ? 1 : 0));
    }

    /// <summary>Mean of all elements.</summary>
    public Tensor Mean() => new(Native.sft_mean_all(Handle));

    /// <summary>Mean over <paramref name="dim"/>.</summary>
    public unsafe Tensor Mean(long dim, bool keepDim = false) => new(Native.sft_mean(Handle, &dim, 1, keepDim ? 1 : 0));

    /// <summary>Mean over several dimensions.</summary>
    public unsafe Tensor Mean(long[] dims, bool keepDim = false)
    {
        fixed (long* p = dims) return new Tensor(Native.sft_mean(Handle, p, dims.Length, keepDim ? 1 : 0));
    }

    /// <summary>Variance over <paramref name="dim"/> (unbiased by default, like PyTorch).</summary>
    public unsafe Tensor Var(long dim, bool unbiased = true, bool keepDim = false) =>
        new(Native.sft_var(Handle, &dim, 1, unbiased ? 1 : 0, keepDim ? 1 : 0));

    /// <summary>log Σ exp over <paramref name="dim"/>, computed stably.</summary>
    public unsafe Tensor LogSumExp(long dim, bool keepDim = false) => new(Native.sft_logsumexp(Handle, &dim, 1, keepDim ? 1 : 0));

    /// <summary>The p-norm of all elements.</summary>
    public Tensor Norm(double p = 2) => new(Native.sft_norm(Handle, p));

    /// <summary>Largest element.</summary>
    public Tensor Max() => new(Native.sft_max_all(Handle));

    /// <summary>Smallest element.</summary>
    public Tensor Min() => new(Native.sft_min_all(Handle));

    /// <summary>Largest values along <paramref name="dim"/> and their indices.</summary>
    public (Tensor Values, Tensor Indices) Max(long dim, bool keepDim = false)
    {
        var v = Pair(Native.sft_max_dim(Handle, dim, keepDim ? 1 : 0, out var vals, out var idx), vals, idx, out var i);
        return (v, i);
    }

    /// <summary>Smallest values along <paramref name="dim"/> and their indices.</summary>
    public (Tensor Values, Tensor Indices) Min(long dim, bool keepDim = false)
    {
        var v = Pair(Native.sft_min_dim(Handle, dim, keepDim ? 1 : 0, out var vals, out var idx), vals, idx, out var i);
        return (v, i);
    }

    /// <summary>Index of the largest element (of the flattened tensor, or along <paramref name="dim"/>).</summary>
    public Tensor Argmax(long? dim = null, bool keepDim = false) =>
        new(Native.sft_argmax(Handle, dim ?? 0, dim.HasValue ? 1 : 0, keepDim ? 1 : 0));

    /// <summary>Running sum along <paramref name="dim"/>.</summary>
    public Tensor Cumsum(long dim) => new(Native.sft_cumsum(Handle, dim));

    /// <summary>The <paramref name="k"/> largest (or smallest) values along <paramref name="dim"/> and their indices.</summary>
    public (Tensor Values, Tensor Indices) TopK(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        var v = Pair(Native.sft_topk(Handle, k, dim, largest ? 1 : 0, sorted ? 1 : 0, out var vals, out var idx), vals, idx, out var i);
        return (v, i);
    }

    /// <summary>Sorted values along <paramref name="dim"/> and the permutation.</summary>
    public (Tensor Values, Tensor Indices) Sort(long dim = -1, bool descending = false)
    {
        var v = Pair(Native.sft_sort(Handle, dim, descending ? 1 : 0, out var vals, out var idx), vals, idx, out var i);
        return (v, i);
    }

    // ---- shapes ---------------------------------------------------------------------------

    /// <summary>Same data in a new shape (one dimension may be −1); copies only if needed.</summary>
    public unsafe Tensor Reshape(params long[] shape)
    {
        fixed (long* p = shape) return new Tensor(Native.sft_reshape(Handle, p, shape.Length));
    }

    /// <summary>Same data in a new shape; never copies (fails if the strides do not allow it).</summary>
    public unsafe Tensor View(params long[] shape)
    {
        fixed (long* p = shape) return new Tensor(Native.sft_view(Handle, p, shape.Length));
    }

    /// <summary>Broadcasts size-1 dimensions to <paramref name="shape"/> without copying (−1 keeps a size).</summary>
    public unsafe Tensor Expand(params long[] shape)
    {
        fixed (long* p = shape) return new Tensor(Native.sft_expand(Handle, p, shape.Length));
    }

    /// <summary>Reorders dimensions.</summary>
    public unsafe Tensor Permute(params long[] dims)
    {
        fixed (long* p = dims) return new Tensor(Native.sft_permute(Handle, p, dims.Length));
    }

    /// <summary>Tiles the tensor <paramref name="repeats"/> times along each dimension.</summary>
    public unsafe Tensor Repeat(params long[] repeats)
    {
        fixed (long* p = repeats) return new Tensor(Native.sft_repeat(Handle, p, repeats.Length));
    }

    /// <summary>Swaps two dimensions.</summary>
    public Tensor Transpose(long dim0, long dim1) => new(Native.sft_transpose(Handle, dim0, dim1));

    /// <summary>Transpose of a 2-D tensor.</summary>
    public Tensor T => Transpose(0, 1);

    /// <summary>Inserts a dimension of size 1.</summary>
    public Tensor Unsqueeze(long dim) => new(Native.sft_unsqueeze(Handle, dim));

    /// <summary>Removes dimension <paramref name="dim"/> if it has size 1 (or all size-1 dimensions).</summary>
    public Tensor Squeeze(long? dim = null) => new(Native.sft_squeeze(Handle, dim ?? 0, dim.HasValue ? 1 : 0));

    /// <summary>Flattens dimensions start..end into one.</summary>
    public Tensor Flatten(long startDim = 0, long endDim = -1) => new(Native.sft_flatten(Handle, startDim, endDim));

    /// <summary>A view of <paramref name="length"/> elements from <paramref name="start"/> along <paramref name="dim"/>.</summary>
    public Tensor Narrow(long dim, long start, long length) => new(Native.sft_narrow(Handle, dim, start, length));

    /// <summary>A view of start..end (exclusive) with a step along <paramref name="dim"/>, like <c>x[:, start:end:step]</c>.</summary>
    public Tensor Slice(long dim, long start, long end, long step = 1) => new(Native.sft_slice(Handle, dim, start, end, step));

    /// <summary>The sub-tensor at <paramref name="index"/> along <paramref name="dim"/> (that dimension removed).</summary>
    public Tensor Select(long dim, long index) => new(Native.sft_select(Handle, dim, index));

    /// <summary><c>x[i]</c>: the sub-tensor at index i of the first dimension.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public Tensor this[long index] => Select(0, index);

    /// <summary><c>x[a..b]</c>: a slice of the first dimension.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public Tensor this[Range range]
    {
        get
        {
            var n = Size(0);
            var (offset, length) = range.GetOffsetAndLength(checked((int)n));
            return Narrow(0, offset, length);
        }
    }

    /// <summary>Picks entries along <paramref name="dim"/> by an int64 index vector.</summary>
    public Tensor IndexSelect(long dim, Tensor index) => new(Native.sft_index_select(Handle, dim, index.Handle));

    /// <summary>out[i][j] = this[i][index[i][j]] (for dim 1), like <c>torch.gather</c>.</summary>
    public Tensor Gather(long dim, Tensor index) => new(Native.sft_gather(Handle, dim, index.Handle));

    /// <summary>Copy with <paramref name="source"/> written at <paramref name="index"/> along <paramref name="dim"/>.</summary>
    public Tensor Scatter(long dim, Tensor index, Tensor source) => new(Native.sft_scatter(Handle, dim, index.Handle, source.Handle));

    /// <summary>1-D tensor of the elements where <paramref name="mask"/> is true.</summary>
    public Tensor MaskedSelect(Tensor mask) => new(Native.sft_masked_select(Handle, mask.Handle));

    /// <summary>Indices of non-zero elements, one row per element.</summary>
    public Tensor Nonzero() => new(Native.sft_nonzero(Handle));

    /// <summary>Concatenates along an existing dimension.</summary>
    public static unsafe Tensor Cat(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        var handles = HandlesOf(tensors);
        try
        {
            fixed (IntPtr* p = handles.Ptrs) return new Tensor(Native.sft_cat(p, handles.Ptrs.Length, dim));
        }
        finally { handles.Release(); }
    }

    /// <summary>Stacks along a new dimension.</summary>
    public static unsafe Tensor Stack(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        var handles = HandlesOf(tensors);
        try
        {
            fixed (IntPtr* p = handles.Ptrs) return new Tensor(Native.sft_stack(p, handles.Ptrs.Length, dim));
        }
        finally { handles.Release(); }
    }

    /// <summary>Splits into pieces of <paramref name="splitSize"/> along <paramref name="dim"/> (the last may be smaller).</summary>
    public unsafe Tensor[] Split(long splitSize, long dim = 0)
    {
        var h = Handle;
        var n = Native.Check(Native.sft_split(h, splitSize, dim, null, 0));
        var ptrs = new IntPtr[n];
        fixed (IntPtr* p = ptrs) Native.Check(Native.sft_split(h, splitSize, dim, p, n));
        return ptrs.Select(ptr => new Tensor(ptr)).ToArray();
    }

    /// <summary>Splits into <paramref name="chunks"/> nearly equal pieces.</summary>
    public Tensor[] Chunk(int chunks, long dim = 0)
    {
        var size = Size((int)dim);
        return Split((size + chunks - 1) / chunks, dim);
    }

    // ---- in place (for optimizers; run under Autograd.NoGrad) ----------------------------

    /// <summary>Sets every element to zero.</summary>
    public Tensor Zero_() { Native.Check(Native.sft_zero_(Handle)); return this; }

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    public Tensor Fill_(double value) { Native.Check(Native.sft_fill_(Handle, value)); return this; }

    /// <summary>Copies <paramref name="source"/> into this tensor (broadcasting, converting dtype and device).</summary>
    public Tensor Copy_(Tensor source) { Native.Check(Native.sft_copy_(Handle, source.Handle)); return this; }

    /// <summary>this += alpha · other.</summary>
    public Tensor Add_(Tensor other, double alpha = 1) { Native.Check(Native.sft_add_(Handle, other.Handle, alpha)); return this; }

    /// <summary>this += value.</summary>
    public Tensor Add_(double value) { Native.Check(Native.sft_add_scalar_(Handle, value)); return this; }

    /// <summary>this *= other.</summary>
    public Tensor Mul_(Tensor other) { Native.Check(Native.sft_mul_(Handle, other.Handle)); return this; }

    /// <summary>this *= value.</summary>
    public Tensor Mul_(double value) { Native.Check(Native.sft_mul_scalar_(Handle, value)); return this; }

    /// <summary>this /= value.</summary>
    public Tensor Div_(double value) { Native.Check(Native.sft_div_scalar_(Handle, value)); return this; }

    /// <summary>this += weight · (end − this).</summary>
    public Tensor Lerp_(Tensor end, double weight) { Native.Check(Native.sft_lerp_(Handle, end.Handle, weight)); return this; }

    /// <summary>this += value · a · b.</summary>
    public Tensor Addcmul_(Tensor a, Tensor b, double value = 1) { Native.Check(Native.sft_addcmul_(Handle, a.Handle, b.Handle, value)); return this; }

    /// <summary>this += value · a / b.</summary>
    public Tensor Addcdiv_(Tensor a, Tensor b, double value = 1) { Native.Check(Native.sft_addcdiv_(Handle, a.Handle, b.Handle, value)); return this; }

    /// <summary>Clamps in place to [min, max].</summary>
    public Tensor Clamp_(double min, double max) { Native.Check(Native.sft_clamp_(Handle, min, max)); return this; }

    // ---- handle lists ---------------------------------------------------------------------

    internal readonly struct HandleList(IntPtr[] ptrs, TensorHandle[] owners)
    {
        public IntPtr[] Ptrs { get; } = ptrs;

        public void Release()
        {
            foreach (var o in owners) o.DangerousRelease();
        }
    }

    /// <summary>Raw pointers of several tensors, each kept alive (AddRef) until <see cref="HandleList.Release"/>.</summary>
    internal static HandleList HandlesOf(IReadOnlyList<Tensor> tensors)
    {
        var ptrs = new IntPtr[tensors.Count];
        var owners = new TensorHandle[tensors.Count];
        var taken = 0;
        try
        {
            for (var i = 0; i < tensors.Count; i++)
            {
                var h = tensors[i].Handle;
                var ok = false;
                h.DangerousAddRef(ref ok);
                owners[i] = h;
                taken++;
                ptrs[i] = h.DangerousGetHandle();
            }
        }
        catch
        {
            for (var i = 0; i < taken; i++) owners[i].DangerousRelease();
            throw;
        }
        return new HandleList(ptrs, owners);
    }
}
