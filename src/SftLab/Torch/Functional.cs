namespace SftLab.Torch;

/// <summary>How a loss reduces per-element values (PyTorch's <c>reduction=</c>).</summary>
public enum Reduction
{
    None = 0,
    Mean = 1,
    Sum = 2,
}

/// <summary>Neural-network functions (PyTorch's <c>torch.nn.functional</c>).</summary>
public static class Functional
{
    /// <summary>softmax along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor x, long dim) => new(Native.sft_softmax(x.Handle, dim));

    /// <summary>log(softmax) along <paramref name="dim"/>, computed stably.</summary>
    public static Tensor LogSoftmax(Tensor x, long dim) => new(Native.sft_log_softmax(x.Handle, dim));

    /// <summary>
    /// Cross-entropy between logits [N, C] (or [N, C, d...]) and class indices [N] (int64).
    /// Targets equal to <paramref name="ignoreIndex"/> (default −100, as in Hugging Face labels)
    /// contribute nothing; with <see cref="Reduction.Mean"/> the mean is over the other targets.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean,
        long ignoreIndex = -100, double labelSmoothing = 0, Tensor? weight = null)
    {
        var r = new Tensor(Native.sft_cross_entropy(logits.Handle, target.Handle, Native.Opt(weight), (int)reduction, ignoreIndex, labelSmoothing));
        GC.KeepAlive(weight);
        return r;
    }

    /// <summary>Mean squared error.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        new(Native.sft_mse_loss(input.Handle, target.Handle, (int)reduction));

    /// <summary>Rows of <paramref name="weight"/> [V, D] at <paramref name="indices"/> (int64).</summary>
    public static Tensor Embedding(Tensor weight, Tensor indices, long paddingIdx = -1) =>
        new(Native.sft_embedding(weight.Handle, indices.Handle, paddingIdx));

    /// <summary>x·Wᵀ + b.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        var r = new Tensor(Native.sft_linear(x.Handle, weight.Handle, Native.Opt(bias)));
        GC.KeepAlive(bias);
        return r;
    }

    /// <summary>Zeros elements with probability <paramref name="p"/> and rescales the rest, when <paramref name="training"/>.</summary>
    public static Tensor Dropout(Tensor x, double p, bool training = true) =>
        new(Native.sft_dropout(x.Handle, p, training ? 1 : 0));

    /// <summary>Draws <paramref name="numSamples"/> indices per row from the (unnormalized) probabilities.</summary>
    public static Tensor Multinomial(Tensor probabilities, long numSamples, bool replacement = false, Generator? generator = null) =>
        new(Native.sft_multinomial(probabilities.Handle, numSamples, replacement ? 1 : 0, generator?.Handle ?? IntPtr.Zero));

    /// <summary>Layer normalization over the trailing dimensions <paramref name="normalizedShape"/>.</summary>
    public static unsafe Tensor LayerNorm(Tensor x, long[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        Tensor r;
        fixed (long* p = normalizedShape)
            r = new Tensor(Native.sft_layer_norm(x.Handle, p, normalizedShape.Length, Native.Opt(weight), Native.Opt(bias), eps));
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
        return r;
    }

    /// <summary>RMSNorm over the last dimension: x / sqrt(mean(x²) + eps) · weight, in float32 as Llama computes it.</summary>
    public static Tensor RmsNorm(Tensor x, Tensor? weight, double eps = 1e-6)
    {
        var r = new Tensor(Native.sft_rms_norm(x.Handle, Native.Opt(weight), eps));
        GC.KeepAlive(weight);
        return r;
    }

    /// <summary>
    /// softmax(q·kᵀ/√d + mask)·v. <paramref name="mask"/> is boolean (true = may attend) or an
    /// additive float mask, broadcastable to [..., L, S]. Fused on libtorch 2.x; composed on 1.13.
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? mask = null, double dropoutP = 0, bool isCausal = false)
    {
        var r = new Tensor(Native.sft_scaled_dot_product_attention(q.Handle, k.Handle, v.Handle, Native.Opt(mask), dropoutP, isCausal ? 1 : 0));
        GC.KeepAlive(mask);
        return r;
    }

    /// <summary>
    /// Causal attention within segments of each row: packed documents that must not see each other. The
    /// result equals <see cref="ScaledDotProductAttention"/> with a block-diagonal causal mask, but the scores
    /// between different documents are never computed (on a packed row of n documents, about n times less
    /// attention work). q, k, v: [B, H, T, d]; <paramref name="segments"/>: (row, start, length) in order,
    /// covering every row.
    /// </summary>
    public static unsafe Tensor SegmentAttention(Tensor q, Tensor k, Tensor v, IReadOnlyList<(long Row, long Start, long Length)> segments, double dropoutP = 0)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var flat = new long[segments.Count * 3];
        for (var i = 0; i < segments.Count; i++) (flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]) = segments[i];
        fixed (long* p = flat)
            return new Tensor(Native.sft_segment_attention(q.Handle, k.Handle, v.Handle, p, segments.Count, dropoutP));
    }

    /// <summary>
    /// Scales the gradients of <paramref name="parameters"/> in place so that their global
    /// <paramref name="normType"/>-norm is at most <paramref name="maxNorm"/>. Returns the norm before clipping.
    /// </summary>
    public static unsafe double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2)
    {
        var list = parameters as IReadOnlyList<Tensor> ?? parameters.ToList();
        var handles = Tensor.HandlesOf(list);
        try
        {
            double total;
            fixed (IntPtr* p = handles.Ptrs)
                Native.Check(Native.sft_clip_grad_norm(p, handles.Ptrs.Length, maxNorm, normType, out total));
            return total;
        }
        finally { handles.Release(); }
    }
}
