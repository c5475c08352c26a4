using SftLab.Torch;
using F = SftLab.Torch.Functional;

namespace SftLab.Models;

/// <summary>
/// A Llama-family decoder-only transformer (Llama 2/3.x, SmolLM2, TinyLlama, Mistral, Qwen2),
/// written so the math is visible. Parameter names match the Hugging Face state dict
/// (<c>model.layers.0.self_attn.q_proj.weight</c>...), so checkpoints load and save as they are.
///
/// <code>
/// x = embed_tokens(ids)
/// for each layer:  x = x + o_proj(attention(rope(q_proj(norm(x))), rope(k_proj(norm(x))), v_proj(norm(x))))
///                  x = x + down_proj(act(gate_proj(norm(x))) * up_proj(norm(x)))
/// logits = lm_head(norm(x))
/// </code>
/// </summary>
public sealed partial class LlamaForCausalLM : Module
{
    /// <summary>The hyper-parameters.</summary>
    public LlamaConfig Config { get; }

    /// <summary>The decoder stack (state-dict prefix <c>model.</c>).</summary>
    public LlamaModel Model { get; }

    /// <summary>The output projection to vocabulary logits, or null when tied to the embedding.</summary>
    public Linear? LmHead { get; }

    /// <summary>Builds a randomly initialised model (N(0, 0.02) weights, as transformers' initializer_range).</summary>
    public LlamaForCausalLM(LlamaConfig config, ulong seed = 0, DType dtype = DType.Float32, Device? device = null)
    {
        Config = config.Validate();
        using var g = new Generator(seed);
        Model = RegisterModule("model", new LlamaModel(config, g, dtype, device));
        if (!config.TieWordEmbeddings)
            LmHead = RegisterModule("lm_head", new Linear(config.HiddenSize, config.VocabSize, bias: false, generator: g, dtype: dtype, device: device));
        InitWeights(g);
    }

    private void InitWeights(Generator g)
    {
        using var _ = Autograd.NoGrad();
        foreach (var (name, p) in NamedParameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) continue; // ones
            if (name.EndsWith(".bias", StringComparison.Ordinal)) { p.Zero_(); continue; }
            using var scope = DisposeScope.Begin(); // free each temporary at once: peak memory stays near the weights' size
            p.Copy_(Tensor.Randn(p.Shape, g) * 0.02);
        }
    }

    /// <summary>
    /// Gradient checkpointing (transformers' <c>gradient_checkpointing_enable()</c>): while training with
    /// gradients recorded, each decoder layer keeps only its input and recomputes the rest in the backward
    /// pass (<see cref="Checkpoint"/>). Much less activation memory, for one more forward pass per step. Evaluation
    /// and generation are unaffected.
    /// </summary>
    public bool GradientCheckpointing
    {
        get => Model.GradientCheckpointing;
        set => Model.GradientCheckpointing = value;
    }

    /// <summary>The device of the weights.</summary>
    public Device Device => Model.EmbedTokens.Weight.Device;

    /// <summary>The dtype of the weights.</summary>
    public DType DType => Model.EmbedTokens.Weight.DType;

    /// <summary>
    /// Logits [batch, time, vocab] for token ids [batch, time].
    /// </summary>
    /// <param name="inputIds">int64 token ids [B, T].</param>
    /// <param name="attentionMask">1 for real tokens, 0 for padding, over past + current positions [B, past+T]; null = all real.</param>
    /// <param name="positionIds">Positions [B, T]; null = past..past+T−1. In a packed row they restart at 0 for each document,
    /// and attention is then limited to the same document (block-diagonal).</param>
    /// <param name="cache">Key/value cache for incremental decoding (updated in place), or null.</param>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KvCache? cache = null)
    {
        var hidden = Model.Forward(inputIds, attentionMask, positionIds, cache);
        return LmHead is { } head ? head.Forward(hidden) : F.Linear(hidden, Model.EmbedTokens.Weight);
    }

    /// <summary>A cache for incremental decoding with this model.</summary>
    public KvCache NewCache() => new(Config.NumHiddenLayers);
}

/// <summary>The decoder stack: embeddings, blocks, final norm (<c>model.*</c> in the state dict).</summary>
public sealed class LlamaModel : Module
{
    private readonly LlamaConfig _config;
    private readonly Tensor _invFreq;

    public Embedding EmbedTokens { get; }
    public ModuleList<LlamaDecoderLayer> Layers { get; }
    public RmsNorm Norm { get; }

    /// <summary>See <see cref="LlamaForCausalLM.GradientCheckpointing"/>.</summary>
    public bool GradientCheckpointing { get; set; }

    internal LlamaModel(LlamaConfig config, Generator g, DType dtype, Device? device)
    {
        _config = config;
        EmbedTokens = RegisterModule("embed_tokens", new Embedding(config.VocabSize, config.HiddenSize, g, dtype, device));
        Layers = RegisterModule("layers", new ModuleList<LlamaDecoderLayer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new LlamaDecoderLayer(config, g, dtype, device))));
        Norm = RegisterModule("norm", new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device));
        // inv_freq is derived from the config, not a weight: kept outside the state dict (as HF's non-persistent buffer).
        _invFreq = Rope.InverseFrequencies(config).DetachFromDisposeScope();
    }

    /// <summary>Final hidden states [B, T, hidden].</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KvCache? cache)
    {
        var shape = inputIds.Shape;
        long batch = shape[0], time = shape[1];
        var past = cache?.Length ?? 0;
        var packed = positionIds != null && cache == null;
        positionIds ??= (Tensor.Arange(past, past + time, 1, DType.Int64, inputIds.Device)).Unsqueeze(0).Expand(batch, -1);

        var x = EmbedTokens.Forward(inputIds);
        var (cos, sin) = Rope.CosSin(_invFreq, positionIds, x.DType);
        // Packed documents without padding: attention runs document by document (no scores between documents
        // are computed) instead of over the whole row with a block-diagonal mask. With an attention mask as
        // well, the mask decides.
        var perDocument = packed && attentionMask is null && time > 1;
        var segments = perDocument ? PackedSegments.FromPositions(positionIds) : null;
        if (segments?.Count == batch) segments = null; // one document per row: plain causal attention
        var mask = perDocument ? null : AttentionMask.Build(batch, time, past, attentionMask, packed ? positionIds : null, inputIds.Device);
        var checkpointing = GradientCheckpointing && Training && cache == null && Autograd.IsGradEnabled;
        // With frozen embeddings (LoRA) the hidden states would not require gradients, and a checkpointed layer
        // whose input does not gets none for its adapters: start the chain here (transformers'
        // enable_input_require_grads).
        if (checkpointing && !x.RequiresGrad) x = x.Detach().RequiresGrad_();
        for (var i = 0; i < Layers.Count; i++)
        {
            if (!checkpointing)
            {
                x = Layers[i].Forward(x, cos, sin, mask, cache, i, segments);
                continue;
            }
            var (layer, index) = (Layers[i], i);
            x = Checkpoint.Run(a => layer.Forward(a[0], a[1], a[2], a.Length > 3 ? a[3] : null, null, index, segments),
                mask is null ? [x, cos, sin] : [x, cos, sin, mask]);
        }
        cache?.Advance(time);
        return Norm.Forward(x);
    }

    protected internal override void OnDispose() => _invFreq.Dispose();
}

/// <summary>One transformer block: pre-norm attention and pre-norm MLP, each added to the residual.</summary>
public sealed class LlamaDecoderLayer : Module
{
    public RmsNorm InputLayernorm { get; }
    public LlamaAttention SelfAttn { get; }
    public RmsNorm PostAttentionLayernorm { get; }
    public LlamaMlp Mlp { get; }

    internal LlamaDecoderLayer(LlamaConfig c, Generator g, DType dtype, Device? device)
    {
        InputLayernorm = RegisterModule("input_layernorm", new RmsNorm(c.HiddenSize, c.RmsNormEps, dtype, device));
        SelfAttn = RegisterModule("self_attn", new LlamaAttention(c, g, dtype, device));
        PostAttentionLayernorm = RegisterModule("post_attention_layernorm", new RmsNorm(c.HiddenSize, c.RmsNormEps, dtype, device));
        Mlp = RegisterModule("mlp", new LlamaMlp(c, g, dtype, device));
    }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, int layer,
        IReadOnlyList<(long Row, long Start, long Length)>? segments = null)
    {
        x = x + SelfAttn.Forward(InputLayernorm.Forward(x), cos, sin, mask, cache, layer, segments);
        return x + Mlp.Forward(PostAttentionLayernorm.Forward(x));
    }
}

/// <summary>Grouped-query self-attention with rotary position embeddings.</summary>
public sealed class LlamaAttention : Module
{
    private readonly int _heads, _kvHeads, _headDim;

    public Linear QProj { get; }
    public Linear KProj { get; }
    public Linear VProj { get; }
    public Linear OProj { get; }

    internal LlamaAttention(LlamaConfig c, Generator g, DType dtype, Device? device)
    {
        _heads = c.NumAttentionHeads;
        _kvHeads = c.NumKeyValueHeads;
        _headDim = c.EffectiveHeadDim;
        var qkvBias = c.AttentionBias || c.QkvBias;
        QProj = RegisterModule("q_proj", new Linear(c.HiddenSize, _heads * _headDim, qkvBias, g, dtype, device));
        KProj = RegisterModule("k_proj", new Linear(c.HiddenSize, _kvHeads * _headDim, qkvBias, g, dtype, device));
        VProj = RegisterModule("v_proj", new Linear(c.HiddenSize, _kvHeads * _headDim, qkvBias, g, dtype, device));
        OProj = RegisterModule("o_proj", new Linear(_heads * _headDim, c.HiddenSize, c.AttentionBias, g, dtype, device));
    }

    // segments: packed documents (row, start, length); attention stays within each (causal) and replaces the mask.
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, int layer,
        IReadOnlyList<(long Row, long Start, long Length)>? segments = null)
    {
        var shape = x.Shape;
        long b = shape[0], t = shape[1];
        // [B, T, heads*hd] -> [B, heads, T, hd]
        var q = QProj.Forward(x).View(b, t, _heads, _headDim).Transpose(1, 2);
        var k = KProj.Forward(x).View(b, t, _kvHeads, _headDim).Transpose(1, 2);
        var v = VProj.Forward(x).View(b, t, _kvHeads, _headDim).Transpose(1, 2);
        q = Rope.Apply(q, cos, sin);
        k = Rope.Apply(k, cos, sin);
        if (cache != null) (k, v) = cache.Append(layer, k, v);
        // Grouped-query attention: each key/value head serves heads/kvHeads query heads.
        k = RepeatKv(k);
        v = RepeatKv(v);
        // No mask: plain causal attention, or one new token that may see all cached keys.
        var attn = segments != null ? F.SegmentAttention(q, k, v, segments)
            : mask is null ? F.ScaledDotProductAttention(q, k, v, isCausal: t > 1)
            : F.ScaledDotProductAttention(q, k, v, mask);
        return OProj.Forward(attn.Transpose(1, 2).Reshape(b, t, _heads * _headDim));
    }

    private Tensor RepeatKv(Tensor kv)
    {
        var rep = _heads / _kvHeads;
        if (rep == 1) return kv;
        var s = kv.Shape; // [B, kvH, S, hd]
        return kv.Unsqueeze(2).Expand(s[0], s[1], rep, s[2], s[3]).Reshape(s[0], s[1] * rep, s[2], s[3]);
    }
}

/// <summary>The gated MLP (SwiGLU when the activation is SiLU): down(act(gate(x)) · up(x)).</summary>
public sealed class LlamaMlp : Module
{
    private readonly string _act;

    public Linear GateProj { get; }
    public Linear UpProj { get; }
    public Linear DownProj { get; }

    internal LlamaMlp(LlamaConfig c, Generator g, DType dtype, Device? device)
    {
        _act = c.HiddenAct;
        GateProj = RegisterModule("gate_proj", new Linear(c.HiddenSize, c.IntermediateSize, c.MlpBias, g, dtype, device));
        UpProj = RegisterModule("up_proj", new Linear(c.HiddenSize, c.IntermediateSize, c.MlpBias, g, dtype, device));
        DownProj = RegisterModule("down_proj", new Linear(c.IntermediateSize, c.HiddenSize, c.MlpBias, g, dtype, device));
    }

    public Tensor Forward(Tensor x)
    {
        var gate = GateProj.Forward(x);
        var activated = _act switch
        {
            "silu" => gate.Silu(),
            "gelu_pytorch_tanh" => gate.Gelu(tanhApproximation: true),
            _ => gate.Gelu(),
        };
        return DownProj.Forward(activated * UpProj.Forward(x));
    }
}
