using System.Text.Json;
using System.Text.Json.Nodes;
using SftLab.IO;
using SftLab.Torch;

namespace SftLab.Models;

/// <summary>
/// LoRA settings (PEFT's <c>LoraConfig</c>): low-rank adapters on chosen linear layers, trained
/// while the base model stays frozen. With rank r, a layer of [out, in] trains r·(in + out)
/// numbers instead of out·in.
/// </summary>
public sealed record LoraConfig
{
    /// <summary>Rank r of the adapters.</summary>
    public int Rank { get; init; } = 8;
    /// <summary>α: the adapter output is scaled by α / r.</summary>
    public double Alpha { get; init; } = 16;
    /// <summary>Dropout on the adapter input while training.</summary>
    public double Dropout { get; init; } = 0.05;
    /// <summary>Names of the linear layers to adapt (last name segment), e.g. q_proj, v_proj.</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
    /// <summary>Scale by α/√r instead of α/r (rsLoRA).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("use_rslora")]
    public bool UseRsLora { get; init; }
    /// <summary>Recorded in adapter_config.json: the base model's name or path.</summary>
    public string? BaseModelNameOrPath { get; init; }
}

/// <summary>Attaching, saving (PEFT format), loading, merging and counting LoRA adapters.</summary>
public static class Lora
{
    private const string PeftPrefix = "base_model.model.";

    /// <summary>
    /// Adds adapters to every <see cref="Linear"/> whose name ends with one of the target modules,
    /// and freezes every other parameter. Returns the adapted layer names.
    /// </summary>
    public static IReadOnlyList<string> Apply(Module model, LoraConfig config, ulong seed = 0)
    {
        var targets = config.TargetModules.ToHashSet(StringComparer.Ordinal);
        var layers = model.NamedModules()
            .Where(m => m.Module is Linear && targets.Contains(m.Name.Split('.')[^1]))
            .ToList();
        if (layers.Count == 0)
            throw new ArgumentException($"no linear layer is named one of: {string.Join(", ", targets)}");
        foreach (var p in model.Parameters()) p.RequiresGrad = false;
        using var g = new Generator(seed);
        foreach (var (_, m) in layers)
            ((Linear)m).AddLora(config.Rank, config.Alpha, config.Dropout, config.UseRsLora, g);
        return layers.Select(l => l.Name).ToList();
    }

    /// <summary>(trainable, total) parameter counts, as PEFT's print_trainable_parameters.</summary>
    public static (long Trainable, long Total) CountParameters(Module model) =>
        (model.ParameterCount(trainableOnly: true), model.ParameterCount());

    private static IEnumerable<(string Name, Linear Layer)> Adapted(Module model) =>
        model.NamedModules().Where(m => m.Module is Linear { LoraA: not null }).Select(m => (m.Name, (Linear)m.Module));

    /// <summary>Folds every adapter into its base weight.</summary>
    public static void Merge(Module model)
    {
        foreach (var (_, l) in Adapted(model)) l.MergeLora();
    }

    /// <summary>Undoes <see cref="Merge"/>.</summary>
    public static void Unmerge(Module model)
    {
        foreach (var (_, l) in Adapted(model)) l.UnmergeLora();
    }

    /// <summary>
    /// Writes <c>adapter_config.json</c> and <c>adapter_model.safetensors</c> with PEFT's key
    /// names (<c>base_model.model.&lt;layer&gt;.lora_A.weight</c>), so PEFT can load them.
    /// </summary>
    public static void SaveAdapter(Module model, string folder, LoraConfig config)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, l) in Adapted(model))
        {
            tensors[$"{PeftPrefix}{name}.lora_A.weight"] = l.LoraA!.Weight;
            tensors[$"{PeftPrefix}{name}.lora_B.weight"] = l.LoraB!.Weight;
        }
        if (tensors.Count == 0) throw new InvalidOperationException("the model has no LoRA adapters to save");
        Directory.CreateDirectory(folder);
        var json = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["r"] = config.Rank,
            ["lora_alpha"] = config.Alpha,
            ["lora_dropout"] = config.Dropout,
            ["target_modules"] = new JsonArray(config.TargetModules.Select(t => (JsonNode)t).ToArray()),
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["use_rslora"] = config.UseRsLora,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["modules_to_save"] = null,
            ["base_model_name_or_path"] = config.BaseModelNameOrPath,
        };
        AtomicFile.WriteAllText(Path.Combine(folder, "adapter_config.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        SafeTensors.Save(Path.Combine(folder, "adapter_model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Reads <c>adapter_config.json</c>.</summary>
    public static LoraConfig ReadConfig(string folder)
    {
        var path = Path.Combine(folder, "adapter_config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder} has no adapter_config.json", path);
        var o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: expected a JSON object");
        if (o["peft_type"]?.GetValue<string>() is { } type && type != "LORA")
            throw new NotSupportedException($"{path}: peft_type '{type}' is not supported (only LORA)");
        var targets = o["target_modules"] switch
        {
            JsonArray a => a.Select(x => x!.GetValue<string>()).ToList(),
            JsonValue v => [v.GetValue<string>()],
            _ => throw new InvalidDataException($"{path}: 'target_modules' is missing"),
        };
        return new LoraConfig
        {
            Rank = o["r"]?.GetValue<int>() ?? throw new InvalidDataException($"{path}: 'r' is missing"),
            Alpha = o["lora_alpha"]?.GetValue<double>() ?? 8,
            Dropout = o["lora_dropout"]?.GetValue<double>() ?? 0,
            TargetModules = targets,
            UseRsLora = o["use_rslora"]?.GetValue<bool>() ?? false,
            BaseModelNameOrPath = o["base_model_name_or_path"]?.GetValue<string>(),
        };
    }

    /// <summary>Attaches adapters as described by a PEFT adapter folder and loads their weights.</summary>
    public static LoraConfig LoadAdapter(Module model, string folder)
    {
        var config = ReadConfig(folder);
        Apply(model, config);
        LoadAdapterWeights(model, folder);
        return config;
    }

    /// <summary>Loads adapter weights from a PEFT folder into adapters already attached with <see cref="Apply"/>.</summary>
    public static void LoadAdapterWeights(Module model, string folder)
    {
        using var scope = DisposeScope.Begin();
        var state = SafeTensors.Load(Path.Combine(folder, "adapter_model.safetensors"));
        var own = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, l) in Adapted(model))
        {
            own[$"{PeftPrefix}{name}.lora_A.weight"] = l.LoraA!.Weight;
            own[$"{PeftPrefix}{name}.lora_B.weight"] = l.LoraB!.Weight;
        }
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidDataException($"{folder}: adapter weights do not match the model: missing [{string.Join(", ", missing.Take(8))}] unexpected [{string.Join(", ", unexpected.Take(8))}]");
        using (Autograd.NoGrad())
            foreach (var (k, t) in own)
            {
                var v = state[k];
                if (!v.Shape.SequenceEqual(t.Shape))
                    throw new InvalidDataException($"{folder}: '{k}' has shape [{string.Join(", ", v.Shape)}], expected [{string.Join(", ", t.Shape)}]");
                t.Copy_(v);
            }
    }
}
