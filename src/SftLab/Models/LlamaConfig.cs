using System.Text.Json;
using System.Text.Json.Nodes;

namespace SftLab.Models;

/// <summary>
/// The hyper-parameters of a Llama-family decoder, read from a Hugging Face <c>config.json</c>.
/// One class covers Llama 2/3.x, SmolLM2, TinyLlama, Mistral and Qwen2/2.5: they differ only in
/// the fields below. Anything this implementation cannot honour is refused by name.
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>Hugging Face <c>model_type</c>: llama, mistral or qwen2.</summary>
    public string ModelType { get; init; } = "llama";
    /// <summary>Number of tokens in the vocabulary (rows of the embedding).</summary>
    public int VocabSize { get; init; }
    /// <summary>Width of the residual stream (d_model).</summary>
    public int HiddenSize { get; init; }
    /// <summary>Width of the MLP's hidden layer.</summary>
    public int IntermediateSize { get; init; }
    /// <summary>Number of transformer blocks.</summary>
    public int NumHiddenLayers { get; init; }
    /// <summary>Number of query heads.</summary>
    public int NumAttentionHeads { get; init; }
    /// <summary>Number of key/value heads (fewer than query heads = grouped-query attention).</summary>
    public int NumKeyValueHeads { get; init; }
    /// <summary>Size of one head (defaults to hidden_size / num_attention_heads).</summary>
    public int HeadDim { get; init; }
    /// <summary>Longest context the model was trained for.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;
    /// <summary>Epsilon of RMSNorm.</summary>
    public double RmsNormEps { get; init; } = 1e-6;
    /// <summary>Base of the rotary embedding frequencies.</summary>
    public double RopeTheta { get; init; } = 10000;
    /// <summary>Rotary scaling (null, "linear" or "llama3").</summary>
    public RopeScaling? RopeScaling { get; init; }
    /// <summary>Whether q/k/v/o projections have biases (Llama's attention_bias).</summary>
    public bool AttentionBias { get; init; }
    /// <summary>Whether only q/k/v have biases (Qwen2).</summary>
    public bool QkvBias { get; init; }
    /// <summary>Whether the MLP projections have biases.</summary>
    public bool MlpBias { get; init; }
    /// <summary>Whether lm_head shares the embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Activation of the MLP gate: silu (SwiGLU) or gelu_pytorch_tanh.</summary>
    public string HiddenAct { get; init; } = "silu";
    /// <summary>Token id of the beginning of sequence, if any.</summary>
    public long? BosTokenId { get; init; }
    /// <summary>Token ids that end generation (config's eos_token_id may be a list).</summary>
    public IReadOnlyList<long> EosTokenIds { get; init; } = [];
    /// <summary>Token id used for padding, if any.</summary>
    public long? PadTokenId { get; init; }
    /// <summary>The dtype the weights were saved in (torch_dtype), e.g. bfloat16.</summary>
    public string? TorchDType { get; init; }

    /// <summary>Head size actually used.</summary>
    public int EffectiveHeadDim => HeadDim > 0 ? HeadDim : HiddenSize / NumAttentionHeads;

    /// <summary>Checks the numbers fit together; throws naming the field.</summary>
    public LlamaConfig Validate(string source = "config")
    {
        void Positive(int v, string name)
        {
            if (v <= 0) throw new InvalidDataException($"{source}: '{name}' must be a positive integer (got {v})");
        }
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(NumKeyValueHeads, "num_key_value_heads");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new InvalidDataException($"{source}: num_attention_heads ({NumAttentionHeads}) must be a multiple of num_key_value_heads ({NumKeyValueHeads})");
        if (HeadDim <= 0 && HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"{source}: hidden_size ({HiddenSize}) must be divisible by num_attention_heads ({NumAttentionHeads}) when head_dim is not given");
        if (EffectiveHeadDim % 2 != 0)
            throw new InvalidDataException($"{source}: the head size ({EffectiveHeadDim}) must be even for rotary embeddings");
        if (HiddenAct is not ("silu" or "gelu_pytorch_tanh" or "gelu"))
            throw new NotSupportedException($"{source}: hidden_act '{HiddenAct}' is not supported (supported: silu, gelu_pytorch_tanh, gelu)");
        return this;
    }

    private static readonly Dictionary<string, string> Architectures = new()
    {
        ["LlamaForCausalLM"] = "llama",
        ["MistralForCausalLM"] = "mistral",
        ["Qwen2ForCausalLM"] = "qwen2",
    };

    /// <summary>Reads and validates a <c>config.json</c>.</summary>
    public static LlamaConfig Load(string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        if (root is not JsonObject o) throw new InvalidDataException($"{path}: expected a JSON object");
        return FromJson(o, path);
    }

    /// <summary>Builds a config from the JSON object of a <c>config.json</c>.</summary>
    public static LlamaConfig FromJson(JsonObject o, string source = "config.json")
    {
        var modelType = Str(o, "model_type", source) ?? throw new InvalidDataException($"{source}: missing 'model_type'");
        if (modelType is not ("llama" or "mistral" or "qwen2"))
            throw new NotSupportedException($"{source}: model_type '{modelType}' is not supported (supported: llama, mistral, qwen2 — Llama-family decoders)");
        if (o["architectures"] is JsonArray archs)
            foreach (var a in archs)
            {
                var name = a?.GetValue<string>() ?? "";
                if (!Architectures.ContainsKey(name))
                    throw new NotSupportedException($"{source}: architecture '{name}' is not supported (supported: {string.Join(", ", Architectures.Keys)})");
            }
        // Mistral: a missing sliding_window means 4096 (MistralConfig's default), null means full attention.
        long? window = modelType != "mistral" ? null
            : !o.ContainsKey("sliding_window") ? 4096
            : o["sliding_window"] is JsonValue sw && sw.GetValueKind() == JsonValueKind.Number ? sw.GetValue<long>() : null;
        if (window is { } w)
        {
            var maxPos = Int(o, "max_position_embeddings", source) ?? 32768;
            if (w < maxPos)
                throw new NotSupportedException($"{source}: sliding_window {w} (< max_position_embeddings {maxPos}) is not supported: attention here is full causal");
        }
        if (modelType == "qwen2" && Bool(o, "use_sliding_window", source) == true)
            throw new NotSupportedException($"{source}: use_sliding_window true is not supported");
        var heads = Int(o, "num_attention_heads", source) ?? 0;
        var eos = o["eos_token_id"] switch
        {
            JsonArray arr => arr.Select(x => x!.GetValue<long>()).ToList(),
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => [v.GetValue<long>()],
            _ => new List<long>(),
        };
        var cfg = new LlamaConfig
        {
            ModelType = modelType,
            VocabSize = Int(o, "vocab_size", source) ?? 0,
            HiddenSize = Int(o, "hidden_size", source) ?? 0,
            IntermediateSize = Int(o, "intermediate_size", source) ?? 0,
            NumHiddenLayers = Int(o, "num_hidden_layers", source) ?? 0,
            NumAttentionHeads = heads,
            NumKeyValueHeads = Int(o, "num_key_value_heads", source) ?? heads,
            HeadDim = Int(o, "head_dim", source) ?? 0,
            MaxPositionEmbeddings = Int(o, "max_position_embeddings", source) ?? 2048,
            RmsNormEps = Num(o, "rms_norm_eps", source) ?? 1e-6,
            RopeTheta = Num(o, "rope_theta", source) ?? 10000,
            RopeScaling = RopeScaling.FromJson(o["rope_scaling"], source),
            AttentionBias = Bool(o, "attention_bias", source) ?? false,
            QkvBias = modelType == "qwen2",
            MlpBias = Bool(o, "mlp_bias", source) ?? false,
            TieWordEmbeddings = Bool(o, "tie_word_embeddings", source) ?? false,
            HiddenAct = Str(o, "hidden_act", source) ?? "silu",
            BosTokenId = Int(o, "bos_token_id", source),
            EosTokenIds = eos,
            PadTokenId = Int(o, "pad_token_id", source),
            TorchDType = Str(o, "torch_dtype", source) ?? Str(o, "dtype", source),
        };
        return cfg.Validate(source);
    }

    /// <summary>The config as a <c>config.json</c> object that transformers loads.</summary>
    public JsonObject ToJson()
    {
        var arch = Architectures.First(kv => kv.Value == ModelType).Key;
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(arch),
            ["model_type"] = ModelType,
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["rope_scaling"] = RopeScaling?.ToJson(),
            ["hidden_act"] = HiddenAct,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["torch_dtype"] = TorchDType ?? "float32",
        };
        if (HeadDim > 0) o["head_dim"] = HeadDim;
        if (ModelType != "qwen2")
        {
            o["attention_bias"] = AttentionBias;
            o["mlp_bias"] = MlpBias;
        }
        if (BosTokenId is { } bos) o["bos_token_id"] = bos;
        if (EosTokenIds.Count == 1) o["eos_token_id"] = EosTokenIds[0];
        else if (EosTokenIds.Count > 1) o["eos_token_id"] = new JsonArray(EosTokenIds.Select(e => (JsonNode)e).ToArray());
        if (PadTokenId is { } pad) o["pad_token_id"] = pad;
        return o;
    }

    private static T? Get<T>(JsonObject o, string key, string source, JsonValueKind kind) where T : struct
    {
        if (!o.TryGetPropertyValue(key, out var n) || n is null) return null;
        if (n is not JsonValue v || v.GetValueKind() != kind && !(kind == JsonValueKind.True && v.GetValueKind() == JsonValueKind.False))
            throw new InvalidDataException($"{source}: '{key}' has the wrong type (expected {(kind == JsonValueKind.True ? "a boolean" : "a number")})");
        return v.GetValue<T>();
    }

    private static int? Int(JsonObject o, string key, string source)
    {
        var d = Get<double>(o, key, source, JsonValueKind.Number);
        if (d is null) return null;
        if (d != Math.Floor(d.Value)) throw new InvalidDataException($"{source}: '{key}' must be an integer (got {d})");
        return checked((int)d.Value);
    }

    private static double? Num(JsonObject o, string key, string source) => Get<double>(o, key, source, JsonValueKind.Number);
    private static bool? Bool(JsonObject o, string key, string source) => Get<bool>(o, key, source, JsonValueKind.True);

    private static string? Str(JsonObject o, string key, string source)
    {
        if (!o.TryGetPropertyValue(key, out var n) || n is null) return null;
        if (n is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
            throw new InvalidDataException($"{source}: '{key}' must be a string");
        return v.GetValue<string>();
    }
}

/// <summary>Rotary-embedding scaling (<c>rope_scaling</c> in config.json).</summary>
public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor = 1, double HighFreqFactor = 4, int OriginalMaxPositionEmbeddings = 8192)
{
    internal static RopeScaling? FromJson(JsonNode? node, string source)
    {
        if (node is null) return null;
        if (node is not JsonObject o) throw new InvalidDataException($"{source}: 'rope_scaling' must be an object or null");
        var type = (o["rope_type"] ?? o["type"])?.GetValue<string>() ?? throw new InvalidDataException($"{source}: rope_scaling needs 'rope_type'");
        if (type == "default") return null;
        if (type is not ("linear" or "llama3"))
            throw new NotSupportedException($"{source}: rope_scaling type '{type}' is not supported (supported: default, linear, llama3)");
        double D(string k, double def) => o[k] is JsonValue v ? v.GetValue<double>() : def;
        return new RopeScaling(type, D("factor", 1), D("low_freq_factor", 1), D("high_freq_factor", 4), (int)D("original_max_position_embeddings", 8192));
    }

    internal JsonObject ToJson()
    {
        var o = new JsonObject { ["rope_type"] = Type, ["factor"] = Factor };
        if (Type == "llama3")
        {
            o["low_freq_factor"] = LowFreqFactor;
            o["high_freq_factor"] = HighFreqFactor;
            o["original_max_position_embeddings"] = OriginalMaxPositionEmbeddings;
        }
        return o;
    }
}
