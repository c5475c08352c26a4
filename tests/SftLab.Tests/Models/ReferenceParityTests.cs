using System.Text.Json.Nodes;
using SftLab.Models;
using SftLab.Tests.Oracles;
using SftLab.Torch;

namespace SftLab.Tests.Models;

/// <summary>
/// The C# model against tests/oracles/models/llama_reference.py, an independent plain-torch
/// implementation of the Hugging Face architectures: the oracle writes a tiny random checkpoint in
/// the Hugging Face layout, both sides compute per-token log-probabilities, they must agree to 1e-4.
/// </summary>
public sealed class ReferenceParityTests : IDisposable
{
    private const string Script = "models/llama_reference.py";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sftlab-parity-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string MakeCheckpoint(string preset, params string[] extra)
    {
        var folder = Path.Combine(_dir, preset);
        // std 0.1 (not the oracle's 0.02) keeps the model far from uniform, so RoPE and mask bugs move log-probs by ~1.
        PythonOracle.Run(Script, ["make-checkpoint", "--config", preset, "--out", folder, "--seed", "7", "--std", "0.1", .. extra]);
        return folder;
    }

    private static long[][] Sequences(int vocab) =>
    [
        Enumerable.Range(0, 40).Select(i => (long)((i * 37 + 5) % vocab)).ToArray(),
        Enumerable.Range(0, 40).Select(i => (long)((i * i + 3) % vocab)).ToArray(),
        Enumerable.Range(0, 90).Select(i => (long)((i * 11 + i / 3) % vocab)).ToArray(), // past the llama3 preset's original context (64)
    ];

    private static JsonObject Reference(string folder, JsonObject input)
    {
        var output = PythonOracle.Run(Script, ["logprobs", "--model", folder, "--input", "-", "--output", "-"], input.ToJsonString());
        return JsonNode.Parse(output)!.AsObject();
    }

    private static JsonArray Rows(IEnumerable<long[]> rows) => new(rows.Select(r => (JsonNode)new JsonArray(r.Select(v => (JsonNode)v).ToArray())).ToArray());

    private static void AssertClose(JsonArray expected, double[] actual, string what)
    {
        Assert.Equal(expected.Count, actual.Length);
        for (var i = 0; i < actual.Length; i++)
        {
            if (expected[i] is null) continue; // padding
            var e = expected[i]!.GetValue<double>();
            Assert.True(Math.Abs(e - actual[i]) <= 1e-4, $"{what}, position {i}: reference {e:G8}, SftLab {actual[i]:G8}");
        }
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("llama2")]
    [InlineData("qwen2")]
    [InlineData("mistral")]
    public void LogProbsMatchTheReference(string preset)
    {
        var folder = MakeCheckpoint(preset);
        using var model = LlamaForCausalLM.FromPretrained(folder);
        var seqs = Sequences(model.Config.VocabSize);
        var reference = Reference(folder, new JsonObject { ["sequences"] = Rows(seqs) })["results"]!.AsArray();
        for (var s = 0; s < seqs.Length; s++)
            AssertClose(reference[s]!["logprobs"]!.AsArray(), Scoring.LogProbs(model, seqs[s]), $"{preset} sequence {s}");
    }

    [Fact]
    public void ShardedReferenceCheckpointLoadsAndMatches()
    {
        var folder = MakeCheckpoint("llama3", "--sharded");
        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors.index.json")));
        using var model = LlamaForCausalLM.FromPretrained(folder);
        var seq = Sequences(model.Config.VocabSize)[0];
        var reference = Reference(folder, new JsonObject { ["sequences"] = Rows([seq]) })["results"]!.AsArray();
        AssertClose(reference[0]!["logprobs"]!.AsArray(), Scoring.LogProbs(model, seq), "sharded llama3");
    }

    [Fact]
    public void LeftPaddedBatchMatchesTheReference()
    {
        var folder = MakeCheckpoint("qwen2");
        using var model = LlamaForCausalLM.FromPretrained(folder);
        var seqs = new[] { new long[] { 0, 0, 0, 5, 9, 20, 33, 7 }, new long[] { 4, 8, 15, 16, 23, 42, 11, 12 } };
        var masks = new[] { new long[] { 0, 0, 0, 1, 1, 1, 1, 1 }, new long[] { 1, 1, 1, 1, 1, 1, 1, 1 } };
        var reference = Reference(folder, new JsonObject { ["sequences"] = Rows(seqs), ["attention_mask"] = Rows(masks) })["results"]!.AsArray();

        using var scope = DisposeScope.Begin();
        using var _ = Autograd.NoGrad();
        var ids = Tensor.From<long>(seqs.SelectMany(s => s).ToArray(), [2, 8]);
        var mask = Tensor.From<long>(masks.SelectMany(s => s).ToArray(), [2, 8]);
        var positions = (mask.Cumsum(1) - 1.0).To(DType.Int64).MaskedFill(mask.Eq(0), 1);
        var logp = Functional.LogSoftmax(model.Forward(ids, mask, positions).Narrow(1, 0, 7), -1)
            .Gather(2, ids.Narrow(1, 1, 7).Unsqueeze(-1)).Reshape(2, 7).To(DType.Float64);
        for (var r = 0; r < 2; r++)
            AssertClose(reference[r]!["logprobs"]!.AsArray(), logp.Select(0, r).ToArray<double>(), $"padded row {r}");
    }

    [Fact]
    public void PackedRowMatchesTheReference()
    {
        var folder = MakeCheckpoint("llama3");
        using var model = LlamaForCausalLM.FromPretrained(folder);
        var row = new long[] { 3, 17, 29, 44, 51, 8, 90, 12, 66, 70, 2, 5 };
        var positions = new long[] { 0, 1, 2, 3, 4, 0, 1, 2, 3, 0, 1, 2 };
        var reference = Reference(folder, new JsonObject { ["sequences"] = Rows([row]), ["position_ids"] = Rows([positions]) })["results"]!.AsArray();

        using var scope = DisposeScope.Begin();
        using var _ = Autograd.NoGrad();
        var ids = Tensor.From<long>(row, [1, 12]);
        var logp = Functional.LogSoftmax(model.Forward(ids, positionIds: Tensor.From<long>(positions, [1, 12])).Narrow(1, 0, 11), -1)
            .Gather(2, ids.Narrow(1, 1, 11).Unsqueeze(-1)).Reshape(11).To(DType.Float64);
        AssertClose(reference[0]!["logprobs"]!.AsArray(), logp.ToArray<double>(), "packed row");
    }

    [Fact]
    public void GreedyGenerationMatchesTheReference()
    {
        var folder = MakeCheckpoint("mistral");
        using var model = LlamaForCausalLM.FromPretrained(folder);
        model.Eval();
        var prompt = new long[] { 1, 40, 41, 42, 43 };
        var input = new JsonObject { ["prompts"] = Rows([prompt]), ["max_new_tokens"] = 16, ["eos_token_id"] = null };
        var output = JsonNode.Parse(PythonOracle.Run(Script, ["generate", "--model", folder, "--input", "-", "--output", "-"], input.ToJsonString()))!;
        var result = output["results"]![0]!;
        var expected = result["tokens"]!.AsArray().Select(t => t!.GetValue<long>()).ToArray();
        var margins = result["top2_margins"]!.AsArray().Select(m => m!.GetValue<double>()).ToArray();
        var ours = TextGeneration.Generate(model, prompt, new GenerationConfig { MaxNewTokens = 16, EosTokenIds = [] });
        // Tokens agree until the first step where the reference's top-2 margin is within float noise.
        for (var i = 0; i < expected.Length; i++)
        {
            if (margins[i] < 1e-4) break;
            Assert.True(expected[i] == ours[i], $"token {i}: reference {expected[i]}, SftLab {ours[i]} (margin {margins[i]:G3})");
        }
    }
}
