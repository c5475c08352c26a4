using System.Reflection;
using System.Runtime.InteropServices;

namespace SftLab.Torch;

/// <summary>
/// P/Invoke declarations of the C ABI exported by <c>libsftlab_native</c> (src/SftLab.Native).
/// Every function that can fail returns a null handle or a negative status and leaves a message
/// in the shim's thread-local error slot; <see cref="Check(IntPtr)"/> turns that into a
/// <see cref="TorchException"/>.
/// </summary>
internal static unsafe partial class Native
{
    internal const string Lib = "sftlab_native";

    static Native()
    {
        NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);
    }

    /// <summary>Finds the shim: SFTLAB_NATIVE_DIR, beside this assembly, or the repo's build/native.</summary>
    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Lib) return IntPtr.Zero;
        const string file = "libsftlab_native.so";
        var candidates = new List<string>();
        var env = Environment.GetEnvironmentVariable("SFTLAB_NATIVE_DIR");
        if (!string.IsNullOrEmpty(env)) candidates.Add(Path.Combine(env, file));
        candidates.Add(Path.Combine(AppContext.BaseDirectory, file));
        var asmDir = Path.GetDirectoryName(assembly.Location);
        if (!string.IsNullOrEmpty(asmDir)) candidates.Add(Path.Combine(asmDir, file));
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            candidates.Add(Path.Combine(dir.FullName, "build", "native", file));
        foreach (var c in candidates)
            if (File.Exists(c) && NativeLibrary.TryLoad(c, out var h)) return h;
        throw new DllNotFoundException(
            $"{file} was not found (looked in: {string.Join(", ", candidates.Take(4))}, and build/native above them). " +
            "Run ./scripts/setup.sh to build the libtorch shim, or set SFTLAB_NATIVE_DIR to its folder.");
    }

    /// <summary>Force the resolver to run (static constructor) before the first import is bound.</summary>
    internal static void EnsureLoaded() { }

    internal static string? TakeError()
    {
        var p = sft_last_error();
        return p == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(p);
    }

    internal static IntPtr Check(IntPtr handle)
    {
        if (handle == IntPtr.Zero) throw new TorchException(TakeError() ?? "native call returned no tensor");
        return handle;
    }

    /// <summary>The raw pointer of an optional tensor (null → 0). Keep the tensor alive across the call (GC.KeepAlive).</summary>
    internal static IntPtr Opt(Tensor? t) => t is null ? IntPtr.Zero : t.Handle.DangerousGetHandle();

    internal static int Check(int status)
    {
        if (status < 0) throw new TorchException(TakeError() ?? "native call failed");
        return status;
    }

    // ---- runtime ----
    [DllImport(Lib)] internal static extern IntPtr sft_last_error();
    [DllImport(Lib)] internal static extern long sft_live_tensors();
    [DllImport(Lib)] internal static extern void sft_free(IntPtr t);
    [DllImport(Lib)] internal static extern int sft_torch_version(out int major, out int minor, out int patch);
    [DllImport(Lib)] internal static extern int sft_cuda_is_available();
    [DllImport(Lib)] internal static extern int sft_cuda_device_count();
    [DllImport(Lib)] internal static extern int sft_set_num_threads(int n);
    [DllImport(Lib)] internal static extern int sft_get_num_threads();
    [DllImport(Lib)] internal static extern int sft_manual_seed(ulong seed);
    [DllImport(Lib)] internal static extern int sft_set_grad_enabled(int enabled);
    [DllImport(Lib)] internal static extern int sft_is_grad_enabled();
    [DllImport(Lib)] internal static extern IntPtr sft_generator_new(ulong seed);
    [DllImport(Lib)] internal static extern void sft_generator_free(IntPtr g);
    [DllImport(Lib)] internal static extern int sft_generator_get_state(IntPtr g, byte* data, long capacity, out long size);
    [DllImport(Lib)] internal static extern int sft_generator_set_state(IntPtr g, byte* data, long size);

    // ---- creation ----
    [DllImport(Lib)] internal static extern IntPtr sft_empty(long* shape, int ndim, int dtype, int dev, int idx);
    [DllImport(Lib)] internal static extern IntPtr sft_zeros(long* shape, int ndim, int dtype, int dev, int idx);
    [DllImport(Lib)] internal static extern IntPtr sft_ones(long* shape, int ndim, int dtype, int dev, int idx);
    [DllImport(Lib)] internal static extern IntPtr sft_full(long* shape, int ndim, double value, int dtype, int dev, int idx);
    [DllImport(Lib)] internal static extern IntPtr sft_arange(double start, double end, double step, int dtype, int dev, int idx);
    [DllImport(Lib)] internal static extern IntPtr sft_randn(long* shape, int ndim, IntPtr gen, int dtype, int dev, int idx);
    [DllImport(Lib)] internal static extern IntPtr sft_rand(long* shape, int ndim, IntPtr gen, int dtype, int dev, int idx);
    [DllImport(Lib)] internal static extern IntPtr sft_randint(long low, long high, long* shape, int ndim, IntPtr gen, int dtype, int dev, int idx);
    [DllImport(Lib)] internal static extern IntPtr sft_from_data(void* data, long nbytes, long* shape, int ndim, int dtype, int dev, int idx);
    [DllImport(Lib)] internal static extern int sft_copy_to_host(TensorHandle t, void* output, long nbytes);

    // ---- metadata ----
    [DllImport(Lib)] internal static extern int sft_ndim(TensorHandle t);
    [DllImport(Lib)] internal static extern int sft_shape(TensorHandle t, long* output);
    [DllImport(Lib)] internal static extern int sft_strides(TensorHandle t, long* output);
    [DllImport(Lib)] internal static extern long sft_numel(TensorHandle t);
    [DllImport(Lib)] internal static extern int sft_dtype(TensorHandle t);
    [DllImport(Lib)] internal static extern int sft_device_type(TensorHandle t);
    [DllImport(Lib)] internal static extern int sft_device_index(TensorHandle t);
    [DllImport(Lib)] internal static extern int sft_is_contiguous(TensorHandle t);
    [DllImport(Lib)] internal static extern int sft_element_size(TensorHandle t);
    [DllImport(Lib)] internal static extern int sft_item_double(TensorHandle t, out double value);
    [DllImport(Lib)] internal static extern int sft_item_long(TensorHandle t, out long value);

    // ---- conversions ----
    [DllImport(Lib)] internal static extern IntPtr sft_to_dtype(TensorHandle t, int dtype);
    [DllImport(Lib)] internal static extern IntPtr sft_to_device(TensorHandle t, int dev, int idx, int nonBlocking);
    [DllImport(Lib)] internal static extern IntPtr sft_clone(TensorHandle t);
    [DllImport(Lib)] internal static extern IntPtr sft_detach(TensorHandle t);
    [DllImport(Lib)] internal static extern IntPtr sft_contiguous(TensorHandle t);
    [DllImport(Lib)] internal static extern IntPtr sft_alias(TensorHandle t);
    [DllImport(Lib, EntryPoint = "sft_alias")] internal static extern IntPtr sft_alias_raw(IntPtr t);

    // ---- autograd ----
    [DllImport(Lib)] internal static extern int sft_set_requires_grad(TensorHandle t, int on);
    [DllImport(Lib)] internal static extern int sft_requires_grad(TensorHandle t);
    [DllImport(Lib)] internal static extern int sft_is_leaf(TensorHandle t);
    [DllImport(Lib)] internal static extern int sft_backward(TensorHandle t, IntPtr grad, int retainGraph);
    [DllImport(Lib)] internal static extern IntPtr sft_grad(TensorHandle t);
    [DllImport(Lib)] internal static extern int sft_set_grad(TensorHandle t, IntPtr grad);

    // ---- in place ----
    [DllImport(Lib)] internal static extern int sft_zero_(TensorHandle t);
    [DllImport(Lib)] internal static extern int sft_fill_(TensorHandle t, double v);
    [DllImport(Lib)] internal static extern int sft_copy_(TensorHandle t, TensorHandle src);
    [DllImport(Lib)] internal static extern int sft_add_(TensorHandle t, TensorHandle other, double alpha);
    [DllImport(Lib)] internal static extern int sft_add_scalar_(TensorHandle t, double v);
    [DllImport(Lib)] internal static extern int sft_mul_(TensorHandle t, TensorHandle other);
    [DllImport(Lib)] internal static extern int sft_mul_scalar_(TensorHandle t, double v);
    [DllImport(Lib)] internal static extern int sft_div_scalar_(TensorHandle t, double v);
    [DllImport(Lib)] internal static extern int sft_lerp_(TensorHandle t, TensorHandle end, double weight);
    [DllImport(Lib)] internal static extern int sft_addcmul_(TensorHandle t, TensorHandle a, TensorHandle b, double value);
    [DllImport(Lib)] internal static extern int sft_addcdiv_(TensorHandle t, TensorHandle a, TensorHandle b, double value);
    [DllImport(Lib)] internal static extern int sft_clamp_(TensorHandle t, double lo, double hi);

    // ---- element-wise ----
    [DllImport(Lib)] internal static extern IntPtr sft_unary(TensorHandle t, UnaryOp op);
    [DllImport(Lib)] internal static extern IntPtr sft_binary(TensorHandle a, TensorHandle b, BinaryOp op);
    [DllImport(Lib)] internal static extern IntPtr sft_binary_scalar(TensorHandle a, double s, BinaryOp op, int reverse);
    [DllImport(Lib)] internal static extern IntPtr sft_add_alpha(TensorHandle a, TensorHandle b, double alpha);
    [DllImport(Lib)] internal static extern IntPtr sft_clamp(TensorHandle t, double lo, double hi, int hasLo, int hasHi);
    [DllImport(Lib)] internal static extern IntPtr sft_where(TensorHandle cond, TensorHandle a, TensorHandle b);
    [DllImport(Lib)] internal static extern IntPtr sft_masked_fill(TensorHandle t, TensorHandle mask, double value);
    [DllImport(Lib)] internal static extern IntPtr sft_triu(TensorHandle t, long k);
    [DllImport(Lib)] internal static extern IntPtr sft_tril(TensorHandle t, long k);
    [DllImport(Lib)] internal static extern IntPtr sft_lerp(TensorHandle a, TensorHandle b, double w);

    // ---- linear algebra ----
    [DllImport(Lib)] internal static extern IntPtr sft_matmul(TensorHandle a, TensorHandle b);
    [DllImport(Lib)] internal static extern IntPtr sft_mm(TensorHandle a, TensorHandle b);
    [DllImport(Lib)] internal static extern IntPtr sft_bmm(TensorHandle a, TensorHandle b);
    [DllImport(Lib)] internal static extern IntPtr sft_linear(TensorHandle x, TensorHandle w, IntPtr b);
    [DllImport(Lib)] internal static extern IntPtr sft_outer(TensorHandle a, TensorHandle b);

    // ---- reductions ----
    [DllImport(Lib)] internal static extern IntPtr sft_sum_all(TensorHandle t);
    [DllImport(Lib)] internal static extern IntPtr sft_mean_all(TensorHandle t);
    [DllImport(Lib)] internal static extern IntPtr sft_max_all(TensorHandle t);
    [DllImport(Lib)] internal static extern IntPtr sft_min_all(TensorHandle t);
    [DllImport(Lib)] internal static extern IntPtr sft_sum(TensorHandle t, long* dims, int nd, int keepdim);
    [DllImport(Lib)] internal static extern IntPtr sft_mean(TensorHandle t, long* dims, int nd, int keepdim);
    [DllImport(Lib)] internal static extern IntPtr sft_var(TensorHandle t, long* dims, int nd, long correction, int keepdim);
    [DllImport(Lib)] internal static extern IntPtr sft_logsumexp(TensorHandle t, long* dims, int nd, int keepdim);
    [DllImport(Lib)] internal static extern IntPtr sft_norm(TensorHandle t, double p);
    [DllImport(Lib)] internal static extern int sft_max_dim(TensorHandle t, long dim, int keepdim, out IntPtr values, out IntPtr indices);
    [DllImport(Lib)] internal static extern int sft_min_dim(TensorHandle t, long dim, int keepdim, out IntPtr values, out IntPtr indices);
    [DllImport(Lib)] internal static extern IntPtr sft_argmax(TensorHandle t, long dim, int hasDim, int keepdim);
    [DllImport(Lib)] internal static extern IntPtr sft_cumsum(TensorHandle t, long dim);
    [DllImport(Lib)] internal static extern int sft_topk(TensorHandle t, long k, long dim, int largest, int sorted, out IntPtr values, out IntPtr indices);
    [DllImport(Lib)] internal static extern int sft_sort(TensorHandle t, long dim, int descending, out IntPtr values, out IntPtr indices);
    [DllImport(Lib)] internal static extern int sft_equal(TensorHandle a, TensorHandle b);
    [DllImport(Lib)] internal static extern int sft_allclose(TensorHandle a, TensorHandle b, double rtol, double atol);

    // ---- shapes ----
    [DllImport(Lib)] internal static extern IntPtr sft_reshape(TensorHandle t, long* shape, int n);
    [DllImport(Lib)] internal static extern IntPtr sft_view(TensorHandle t, long* shape, int n);
    [DllImport(Lib)] internal static extern IntPtr sft_expand(TensorHandle t, long* shape, int n);
    [DllImport(Lib)] internal static extern IntPtr sft_permute(TensorHandle t, long* dims, int n);
    [DllImport(Lib)] internal static extern IntPtr sft_repeat(TensorHandle t, long* repeats, int n);
    [DllImport(Lib)] internal static extern IntPtr sft_transpose(TensorHandle t, long d0, long d1);
    [DllImport(Lib)] internal static extern IntPtr sft_unsqueeze(TensorHandle t, long dim);
    [DllImport(Lib)] internal static extern IntPtr sft_squeeze(TensorHandle t, long dim, int hasDim);
    [DllImport(Lib)] internal static extern IntPtr sft_flatten(TensorHandle t, long start, long end);
    [DllImport(Lib)] internal static extern IntPtr sft_narrow(TensorHandle t, long dim, long start, long length);
    [DllImport(Lib)] internal static extern IntPtr sft_slice(TensorHandle t, long dim, long start, long end, long step);
    [DllImport(Lib)] internal static extern IntPtr sft_select(TensorHandle t, long dim, long index);
    [DllImport(Lib)] internal static extern IntPtr sft_index_select(TensorHandle t, long dim, TensorHandle index);
    [DllImport(Lib)] internal static extern IntPtr sft_gather(TensorHandle t, long dim, TensorHandle index);
    [DllImport(Lib)] internal static extern IntPtr sft_scatter(TensorHandle t, long dim, TensorHandle index, TensorHandle src);
    [DllImport(Lib)] internal static extern IntPtr sft_masked_select(TensorHandle t, TensorHandle mask);
    [DllImport(Lib)] internal static extern IntPtr sft_nonzero(TensorHandle t);
    [DllImport(Lib)] internal static extern IntPtr sft_cat(IntPtr* tensors, int n, long dim);
    [DllImport(Lib)] internal static extern IntPtr sft_stack(IntPtr* tensors, int n, long dim);
    [DllImport(Lib)] internal static extern int sft_split(TensorHandle t, long size, long dim, IntPtr* output, int capacity);

    // ---- nn ----
    [DllImport(Lib)] internal static extern IntPtr sft_softmax(TensorHandle t, long dim);
    [DllImport(Lib)] internal static extern IntPtr sft_log_softmax(TensorHandle t, long dim);
    [DllImport(Lib)] internal static extern IntPtr sft_cross_entropy(TensorHandle input, TensorHandle target, IntPtr weight, int reduction, long ignoreIndex, double labelSmoothing);
    [DllImport(Lib)] internal static extern IntPtr sft_mse_loss(TensorHandle input, TensorHandle target, int reduction);
    [DllImport(Lib)] internal static extern IntPtr sft_embedding(TensorHandle weight, TensorHandle indices, long paddingIdx);
    [DllImport(Lib)] internal static extern IntPtr sft_dropout(TensorHandle t, double p, int train);
    [DllImport(Lib)] internal static extern IntPtr sft_multinomial(TensorHandle probs, long n, int replacement, IntPtr gen);
    [DllImport(Lib)] internal static extern IntPtr sft_layer_norm(TensorHandle x, long* shape, int n, IntPtr w, IntPtr b, double eps);
    [DllImport(Lib)] internal static extern IntPtr sft_rms_norm(TensorHandle x, IntPtr w, double eps);
    [DllImport(Lib)] internal static extern IntPtr sft_segment_attention(TensorHandle q, TensorHandle k, TensorHandle v, long* segments, int n, double dropoutP);
    [DllImport(Lib)] internal static extern IntPtr sft_scaled_dot_product_attention(TensorHandle q, TensorHandle k, TensorHandle v, IntPtr mask, double dropoutP, int isCausal);
    [DllImport(Lib)] internal static extern int sft_adamw_update(TensorHandle param, TensorHandle grad, TensorHandle expAvg, TensorHandle expAvgSq,
        double lr, double beta1, double beta2, double weightDecay, double eps, double step);
    [DllImport(Lib)] internal static extern unsafe IntPtr sft_checkpoint(delegate* unmanaged<IntPtr, IntPtr*, int, IntPtr> fn, IntPtr state,
        delegate* unmanaged<IntPtr, void> release, IntPtr* inputs, int n);
    [DllImport(Lib)] internal static extern void sft_set_error([MarshalAs(UnmanagedType.LPUTF8Str)] string message);
    [DllImport(Lib)] internal static extern int sft_clip_grad_norm(IntPtr* parameters, int n, double maxNorm, double normType, out double totalNorm);
}

/// <summary>Operator codes of <c>sft_unary</c>; kept in sync with ops.cpp.</summary>
internal enum UnaryOp
{
    Neg, Exp, Log, Sqrt, Rsqrt, Tanh, Sigmoid, Silu, Gelu, GeluTanh,
    Relu, Abs, Sin, Cos, Square, LogicalNot, IsNan, IsFinite, Reciprocal, Floor,
    Ceil, Round, Sign, Log1p, Expm1,
}

/// <summary>Operator codes of <c>sft_binary</c>; kept in sync with ops.cpp.</summary>
internal enum BinaryOp
{
    Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge,
    LogicalAnd, LogicalOr, Remainder, FloorDivide, Atan2,
}

/// <summary>Owns one native tensor handle (a heap <c>at::Tensor</c>); frees it exactly once.</summary>
internal sealed class TensorHandle : SafeHandle
{
    internal TensorHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Native.sft_free(handle);
        return true;
    }
}
