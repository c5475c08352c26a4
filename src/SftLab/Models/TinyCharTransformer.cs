using SftLab.Torch;
using F = SftLab.Torch.Functional;

namespace SftLab.Models;

/// <summary>
/// A one-file, character-level causal transformer (a few thousand parameters): token and
/// position embeddings, <c>layers</c> pre-norm blocks of causal self-attention and a SwiGLU MLP,
/// a final RMSNorm and an output head. It is the smoke test of the binding — small enough to
/// train in seconds on a CPU — and a readable warm-up for the Llama-family model of
/// <c>Models/</c>. Every line of the math is here.
/// </summary>
public sealed class TinyCharTransformer : Module
{
    /// <summary>Size of the vocabulary (number of distinct characters).</summary>
    public int VocabSize { get; }

    /// <summary>Longest sequence the position embedding covers.</summary>
    public int ContextLength { get; }

    private readonly Embedding _tokens;
    private readonly Embedding _positions;
    private readonly ModuleList<Block> _blocks;
    private readonly RmsNorm _norm;
    private readonly Linear _head;

    public TinyCharTransformer(int vocabSize, int contextLength = 32, int dim = 32, int heads = 4, int layers = 1, ulong seed = 0)
    {
        VocabSize = vocabSize;
        ContextLength = contextLength;
        using var g = new Generator(seed);
        _tokens = RegisterModule("embed_tokens", new Embedding(vocabSize, dim, g));
        _positions = RegisterModule("embed_positions", new Embedding(contextLength, dim, g));
        using (Autograd.NoGrad())
        {
            _tokens.Weight.Mul_(0.02);
            _positions.Weight.Mul_(0.02);
        }
        _blocks = RegisterModule("layers", new ModuleList<Block>(Enumerable.Range(0, layers).Select(_ => new Block(dim, heads, g))));
        _norm = RegisterModule("norm", new RmsNorm(dim));
        _head = RegisterModule("lm_head", new Linear(dim, vocabSize, bias: false, generator: g));
    }

    /// <summary>Logits [batch, time, vocab] for token ids [batch, time].</summary>
    public Tensor Forward(Tensor ids)
    {
        var t = ids.Size(1);
        using var positions = Tensor.Arange(t, ids.Device);
        var x = _tokens.Forward(ids) + _positions.Forward(positions);
        foreach (var block in _blocks) x = block.Forward(x);
        return _head.Forward(_norm.Forward(x));
    }

    /// <summary>Mean next-token cross-entropy of a batch: position i predicts token i+1.</summary>
    public Tensor Loss(Tensor ids)
    {
        var t = ids.Size(1);
        var logits = Forward(ids.Narrow(1, 0, t - 1));
        var targets = ids.Narrow(1, 1, t - 1);
        return F.CrossEntropy(logits.Reshape(-1, VocabSize), targets.Reshape(-1));
    }

    /// <summary>One transformer block: x + Attn(Norm(x)), then x + MLP(Norm(x)).</summary>
    public sealed class Block : Module
    {
        private readonly int _heads;
        private readonly RmsNorm _attnNorm, _mlpNorm;
        private readonly Linear _q, _k, _v, _o, _gate, _up, _down;

        public Block(int dim, int heads, Generator g)
        {
            _heads = heads;
            _attnNorm = RegisterModule("input_layernorm", new RmsNorm(dim));
            _q = RegisterModule("q_proj", new Linear(dim, dim, bias: false, generator: g));
            _k = RegisterModule("k_proj", new Linear(dim, dim, bias: false, generator: g));
            _v = RegisterModule("v_proj", new Linear(dim, dim, bias: false, generator: g));
            _o = RegisterModule("o_proj", new Linear(dim, dim, bias: false, generator: g));
            _mlpNorm = RegisterModule("post_attention_layernorm", new RmsNorm(dim));
            _gate = RegisterModule("gate_proj", new Linear(dim, 2 * dim, bias: false, generator: g));
            _up = RegisterModule("up_proj", new Linear(dim, 2 * dim, bias: false, generator: g));
            _down = RegisterModule("down_proj", new Linear(2 * dim, dim, bias: false, generator: g));
        }

        public Tensor Forward(Tensor x)
        {
            var shape = x.Shape; // [B, T, D]
            long b = shape[0], t = shape[1], d = shape[2], hd = d / _heads;
            var h = _attnNorm.Forward(x);
            // [B, T, D] -> [B, heads, T, head_dim]
            Tensor Heads(Tensor y) => y.View(b, t, _heads, hd).Transpose(1, 2);
            var attn = F.ScaledDotProductAttention(Heads(_q.Forward(h)), Heads(_k.Forward(h)), Heads(_v.Forward(h)), isCausal: true);
            x = x + _o.Forward(attn.Transpose(1, 2).Reshape(b, t, d));
            h = _mlpNorm.Forward(x);
            return x + _down.Forward(_gate.Forward(h).Silu() * _up.Forward(h));
        }
    }
}
