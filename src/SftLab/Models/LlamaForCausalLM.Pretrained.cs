using System.Text.Json;
using System.Text.Json.Nodes;
using SftLab.IO;
using SftLab.Torch;

namespace SftLab.Models;

public sealed partial class LlamaForCausalLM
{
    /// <summary>
    /// Loads a model from a Hugging Face snapshot folder: <c>config.json</c> and
    /// <c>model.safetensors</c> (or a sharded <c>model.safetensors.index.json</c>).
    /// Weights are converted to <paramref name="dtype"/> (default float32) on <paramref name="device"/> (default cpu).
    /// Missing or unexpected weights, and weights of the wrong shape, are listed in the exception.
    /// </summary>
    public static LlamaForCausalLM FromPretrained(string folder, Device? device = null, DType dtype = DType.Float32)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"model folder not found: {folder}");
        var configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{folder} has no config.json (is it a Hugging Face model folder?)", configPath);
        var config = LlamaConfig.Load(configPath);
        var model = new LlamaForCausalLM(config, 0, dtype, device);
        try
        {
            using var scope = DisposeScope.Begin();
            var state = SafeTensors.LoadCheckpoint(folder, device);
            // With tied embeddings lm_head.weight, if saved at all, is the embedding again.
            if (config.TieWordEmbeddings) state.Remove("lm_head.weight");
            try
            {
                model.LoadStateDict(state, strict: true);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{folder}: the weights do not match config.json: {e.Message}", e);
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>
    /// Saves config.json, model.safetensors (sharded above <paramref name="maxShardBytes"/>) and
    /// generation_config.json in the Hugging Face layout, each file written atomically.
    /// </summary>
    public void SavePretrained(string folder, long maxShardBytes = 5_000_000_000)
    {
        Directory.CreateDirectory(folder);
        var config = Config with { TorchDType = DType.Name() };
        var json = config.ToJson();
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        var generation = new JsonObject();
        if (Config.BosTokenId is { } bos) generation["bos_token_id"] = bos;
        if (Config.EosTokenIds.Count == 1) generation["eos_token_id"] = Config.EosTokenIds[0];
        else if (Config.EosTokenIds.Count > 1) generation["eos_token_id"] = new JsonArray(Config.EosTokenIds.Select(e => (JsonNode)e).ToArray());
        if (Config.PadTokenId is { } pad) generation["pad_token_id"] = pad;
        AtomicFile.WriteAllText(Path.Combine(folder, "generation_config.json"), generation.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        SafeTensors.SaveSharded(folder, StateDict(), maxShardBytes, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
