using System.Text.Json.Nodes;
using SftLab.IO;
using SftLab.Models;
using SftLab.Torch;

namespace SftLab.Tests.Models;

public sealed class ModelTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sftlab-models-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    internal static LlamaConfig Tiny(string type = "llama", bool tied = false, int kvHeads = 2) => new()
    {
        ModelType = type,
        VocabSize = 50,
        HiddenSize = 32,
        IntermediateSize = 48,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = kvHeads,
        RopeTheta = 10000,
        RmsNormEps = 1e-5,
        TieWordEmbeddings = tied,
        QkvBias = type == "qwen2",
        EosTokenIds = [1],
        BosTokenId = 0,
        MaxPositionEmbeddings = 64,
    };

    private static long[] Ids(int n, int seed) => Enumerable.Range(0, n).Select(i => (long)((i * 7 + seed * 13) % 48 + 2)).ToArray();

    [Fact]
    public void SavedCheckpointReloadsBitIdentically()
    {
        using var scope = DisposeScope.Begin();
        using var model = new LlamaForCausalLM(Tiny(), seed: 3);
        model.SavePretrained(_dir);
        Assert.True(File.Exists(Path.Combine(_dir, "config.json")));
        Assert.True(File.Exists(Path.Combine(_dir, "model.safetensors")));
        using var reloaded = LlamaForCausalLM.FromPretrained(_dir);
        var a = model.StateDict();
        var b = reloaded.StateDict();
        Assert.Equal(a.Keys.OrderBy(k => k), b.Keys.OrderBy(k => k));
        foreach (var (k, t) in a) Assert.True(t.Equal(b[k]), k);
        Assert.Equal(model.Config.ToJson().ToJsonString(), reloaded.Config.ToJson().ToJsonString());
        var ids = Tensor.From<long>(Ids(10, 1), [1, 10]);
        Assert.True(model.Forward(ids).Equal(reloaded.Forward(ids)));
    }

    [Fact]
    public void ShardedCheckpointLoads()
    {
        using var scope = DisposeScope.Begin();
        using var model = new LlamaForCausalLM(Tiny(tied: true), seed: 4);
        model.SavePretrained(_dir, maxShardBytes: 20_000);
        Assert.True(File.Exists(Path.Combine(_dir, "model.safetensors.index.json")));
        Assert.True(Directory.GetFiles(_dir, "model-*-of-*.safetensors").Length >= 2);
        using var reloaded = LlamaForCausalLM.FromPretrained(_dir);
        foreach (var (k, t) in model.StateDict()) Assert.True(t.Equal(reloaded.StateDict()[k]), k);
    }

    [Fact]
    public void StateDictKeysAreHuggingFaces()
    {
        using var model = new LlamaForCausalLM(Tiny("qwen2", tied: true));
        var keys = model.StateDict().Keys.ToHashSet();
        Assert.Contains("model.embed_tokens.weight", keys);
        Assert.Contains("model.layers.1.self_attn.q_proj.bias", keys);
        Assert.DoesNotContain("model.layers.1.self_attn.o_proj.bias", keys);
        Assert.Contains("model.layers.0.mlp.down_proj.weight", keys);
        Assert.Contains("model.layers.0.post_attention_layernorm.weight", keys);
        Assert.Contains("model.norm.weight", keys);
        Assert.DoesNotContain("lm_head.weight", keys);
        using var untied = new LlamaForCausalLM(Tiny());
        Assert.Contains("lm_head.weight", untied.StateDict().Keys);
        Assert.Equal(new long[] { 16, 32 }, untied.StateDict()["model.layers.0.self_attn.k_proj.weight"].Shape); // 2 kv heads × 8
    }

    [Fact]
    public void KvCacheGivesTheSameTokensAsRecomputing()
    {
        using var model = new LlamaForCausalLM(Tiny(), seed: 5);
        model.Eval();
        var prompt = Ids(7, 2);
        var cached = TextGeneration.Generate(model, prompt, new GenerationConfig { MaxNewTokens = 12, EosTokenIds = [] });
        var uncached = TextGeneration.Generate(model, prompt, new GenerationConfig { MaxNewTokens = 12, EosTokenIds = [], UseCache = false });
        Assert.Equal(12, cached.Length);
        Assert.Equal(uncached, cached);
    }

    [Fact]
    public void LeftPaddedBatchMatchesSeparateRuns()
    {
        using var model = new LlamaForCausalLM(Tiny(kvHeads: 1), seed: 6);
        model.Eval();
        var prompts = new[] { Ids(3, 1), Ids(9, 2), Ids(6, 3) };
        var cfg = new GenerationConfig { MaxNewTokens = 8, EosTokenIds = [] };
        var batched = TextGeneration.Generate(model, prompts, cfg);
        for (var i = 0; i < prompts.Length; i++)
            Assert.Equal(TextGeneration.Generate(model, prompts[i], cfg), batched[i]);
    }

    [Fact]
    public void PackedRowMatchesDocumentsRunSeparately()
    {
        using var scope = DisposeScope.Begin();
        using var model = new LlamaForCausalLM(Tiny(), seed: 7);
        var a = Ids(5, 1);
        var b = Ids(7, 2);
        var packed = Tensor.From<long>(a.Concat(b).ToArray(), [1, 12]);
        var positions = Tensor.From<long>(Enumerable.Range(0, 5).Concat(Enumerable.Range(0, 7)).Select(i => (long)i).ToArray(), [1, 12]);
        var together = model.Forward(packed, positionIds: positions);
        var alone = Tensor.Cat([model.Forward(Tensor.From<long>(a, [1, 5])), model.Forward(Tensor.From<long>(b, [1, 7]))], 1);
        Assert.True(together.AllClose(alone, 1e-4, 1e-5), "packed documents must not attend to each other");
        // Without the position ids the second document would see the first: the logits differ.
        Assert.False(model.Forward(packed).AllClose(alone, 1e-4, 1e-5));
    }

    [Fact]
    public void SamplingIsSeededAndRespectsTopK()
    {
        using var model = new LlamaForCausalLM(Tiny(), seed: 8);
        model.Eval();
        var prompt = Ids(4, 5);
        var cfg = new GenerationConfig { MaxNewTokens = 20, DoSample = true, Temperature = 1.5, Seed = 42, EosTokenIds = [] };
        var one = TextGeneration.Generate(model, prompt, cfg);
        Assert.Equal(one, TextGeneration.Generate(model, prompt, cfg));
        Assert.NotEqual(one, TextGeneration.Generate(model, prompt, cfg with { Seed = 43 }));
        // top-k = 1 is greedy.
        var greedy = TextGeneration.Generate(model, prompt, new GenerationConfig { MaxNewTokens = 20, EosTokenIds = [] });
        Assert.Equal(greedy, TextGeneration.Generate(model, prompt, cfg with { TopK = 1 }));
        // a tiny top-p keeps only the most likely token: greedy again.
        Assert.Equal(greedy, TextGeneration.Generate(model, prompt, cfg with { TopP = 1e-6 }));
    }

    [Fact]
    public void RepetitionPenaltyReducesRepeats()
    {
        using var model = new LlamaForCausalLM(Tiny(), seed: 9);
        model.Eval();
        var prompt = Ids(4, 6);
        var plain = TextGeneration.Generate(model, prompt, new GenerationConfig { MaxNewTokens = 30, EosTokenIds = [] });
        var penalised = TextGeneration.Generate(model, prompt, new GenerationConfig { MaxNewTokens = 30, EosTokenIds = [], RepetitionPenalty = 5 });
        Assert.True(penalised.Distinct().Count() > plain.Distinct().Count(), $"{plain.Distinct().Count()} vs {penalised.Distinct().Count()} distinct tokens");
    }

    [Fact]
    public void GenerationStopsAtEosAndStreams()
    {
        using var model = new LlamaForCausalLM(Tiny(), seed: 10);
        model.Eval();
        var prompt = Ids(4, 7);
        var free = TextGeneration.Generate(model, prompt, new GenerationConfig { MaxNewTokens = 10, EosTokenIds = [] });
        var stopAt = free[3];
        var streamed = new List<long>();
        var stopped = TextGeneration.Generate(model, prompt, new GenerationConfig { MaxNewTokens = 10, EosTokenIds = [stopAt] }, streamed.Add);
        Assert.Equal(free.Take(Array.IndexOf(free, stopAt) + 1), stopped);
        Assert.Equal(stopped, streamed);
    }

    [Fact]
    public void LoraWithZeroBIsTheBaseAndMergeUnmergeRestores()
    {
        using var scope = DisposeScope.Begin();
        using var model = new LlamaForCausalLM(Tiny(), seed: 11);
        model.Eval();
        var ids = Tensor.From<long>(Ids(9, 3), [1, 9]);
        var before = model.Forward(ids);
        var baseWeights = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        var adapted = Lora.Apply(model, new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0, TargetModules = ["q_proj", "v_proj", "down_proj"] });
        Assert.Equal(6, adapted.Count);
        Assert.True(model.Forward(ids).Equal(before), "B = 0: the adapter must change nothing");
        var (trainable, total) = Lora.CountParameters(model);
        Assert.Equal(2 * (4 * (32 + 32) + 4 * (32 + 16) + 4 * (48 + 32)), trainable);
        Assert.True(total > trainable);
        Assert.All(model.NamedParameters().Where(p => p.Parameter.RequiresGrad), p => Assert.Contains(".lora_", p.Name));

        // Train the adapters a little so they matter.
        using (Autograd.NoGrad())
            foreach (var (name, p) in model.NamedParameters().Where(p => p.Name.Contains("lora_B")))
                p.Copy_(Tensor.Randn(p.Shape) * 0.1);
        var adaptedOut = model.Forward(ids);
        Assert.False(adaptedOut.AllClose(before));
        Lora.Merge(model);
        Assert.True(model.Forward(ids).AllClose(adaptedOut, 1e-4, 1e-5), "merged = adapter output");
        Lora.Unmerge(model);
        foreach (var (k, w) in baseWeights) Assert.True(model.StateDict()[k].AllClose(w, 1e-6, 1e-6), k);
    }

    [Fact]
    public void AdapterSavesInPeftFormatAndLoads()
    {
        using var scope = DisposeScope.Begin();
        using var model = new LlamaForCausalLM(Tiny(), seed: 12);
        var cfg = new LoraConfig { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj"], BaseModelNameOrPath = "tiny" };
        Lora.Apply(model, cfg);
        using (Autograd.NoGrad())
            foreach (var (_, p) in model.NamedParameters().Where(p => p.Name.Contains("lora_B")))
                p.Copy_(Tensor.Randn(p.Shape) * 0.1);
        Lora.SaveAdapter(model, _dir, cfg);
        var header = SafeTensors.ReadHeader(Path.Combine(_dir, "adapter_model.safetensors"));
        Assert.Contains(header.Tensors, t => t.Name == "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
        Assert.Equal(8, header.Tensors.Count);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "adapter_config.json")))!;
        Assert.Equal("LORA", json["peft_type"]!.GetValue<string>());
        Assert.Equal(2, json["r"]!.GetValue<int>());

        using var fresh = new LlamaForCausalLM(Tiny(), seed: 12);
        var loaded = Lora.LoadAdapter(fresh, _dir);
        Assert.Equal(cfg.TargetModules, loaded.TargetModules);
        var ids = Tensor.From<long>(Ids(6, 1), [1, 6]);
        model.Eval();
        fresh.Eval();
        Assert.True(model.Forward(ids).Equal(fresh.Forward(ids)));
    }

    [Theory]
    [InlineData("{\"model_type\": \"gpt2\"}", "model_type 'gpt2' is not supported")]
    [InlineData("{\"model_type\": \"llama\", \"architectures\": [\"LlamaForSequenceClassification\"]}", "architecture 'LlamaForSequenceClassification'")]
    [InlineData("{\"model_type\": \"llama\", \"vocab_size\": 10, \"hidden_size\": 8, \"intermediate_size\": 8, \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"hidden_act\": \"relu2\"}", "hidden_act 'relu2'")]
    [InlineData("{\"model_type\": \"llama\", \"vocab_size\": 10, \"hidden_size\": 8, \"intermediate_size\": 8, \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 2}}", "rope_scaling type 'yarn'")]
    [InlineData("{\"model_type\": \"llama\", \"vocab_size\": 10, \"hidden_size\": 8, \"intermediate_size\": 8, \"num_hidden_layers\": 1, \"num_attention_heads\": 3, \"num_key_value_heads\": 2}", "num_key_value_heads")]
    [InlineData("{\"model_type\": \"llama\", \"vocab_size\": \"ten\"}", "'vocab_size' has the wrong type")]
    public void BadConfigsAreRefusedByName(string json, string message)
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "config.json"), json);
        var e = Assert.ThrowsAny<Exception>(() => LlamaForCausalLM.FromPretrained(_dir));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void WrongShapesAndMissingKeysAreListed()
    {
        using var scope = DisposeScope.Begin();
        using (var model = new LlamaForCausalLM(Tiny(), seed: 1)) model.SavePretrained(_dir);
        // Drop a key and change a shape by saving a doctored state dict.
        var state = SafeTensors.Load(Path.Combine(_dir, "model.safetensors"));
        state.Remove("model.norm.weight");
        state["model.layers.0.mlp.up_proj.weight"] = Tensor.Zeros(3, 3);
        SafeTensors.Save(Path.Combine(_dir, "model.safetensors"), state);
        var e = Assert.Throws<InvalidDataException>(() => LlamaForCausalLM.FromPretrained(_dir));
        Assert.Contains("model.layers.0.mlp.up_proj.weight", e.Message);
        state["model.layers.0.mlp.up_proj.weight"] = Tensor.Zeros(48, 32);
        SafeTensors.Save(Path.Combine(_dir, "model.safetensors"), state);
        e = Assert.Throws<InvalidDataException>(() => LlamaForCausalLM.FromPretrained(_dir));
        Assert.Contains("missing keys: model.norm.weight", e.Message);
    }

    [Fact]
    public void TruncatedWeightsFileIsAClearError()
    {
        using (var model = new LlamaForCausalLM(Tiny(), seed: 1)) model.SavePretrained(_dir);
        var path = Path.Combine(_dir, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<SafeTensorsException>(() => LlamaForCausalLM.FromPretrained(_dir));
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void ScoringGivesLogProbsConsistentWithPerplexity()
    {
        using var model = new LlamaForCausalLM(Tiny(), seed: 13);
        var ids = Ids(12, 4);
        var lp = Scoring.LogProbs(model, ids);
        Assert.Equal(11, lp.Length);
        Assert.All(lp, v => Assert.True(v < 0));
        Assert.Equal(Math.Exp(-lp.Average()), Scoring.Perplexity(model, ids), 10);
        // A random model is near uniform: perplexity close to the vocabulary size.
        Assert.InRange(Scoring.Perplexity(model, ids), 25, 100);
    }
}
