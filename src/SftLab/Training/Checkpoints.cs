using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SftLab.IO;
using SftLab.Models;
using SftLab.Torch;

namespace SftLab.Training;

/// <summary>
/// Checkpoints of a training run: <c>OUTPUT/checkpoint-STEP/</c> holding the model (Hugging Face
/// layout) or the LoRA adapter (PEFT layout), <c>optimizer.safetensors</c> (AdamW's moments) and
/// <c>trainer_state.json</c> (step, data position, optimizer scalars, schedule, metrics). A
/// checkpoint is written into a hidden temporary folder and renamed into place when complete, so
/// a run killed mid-save never leaves a half-written <c>checkpoint-N</c> behind.
/// </summary>
public static partial class Checkpoints
{
    [GeneratedRegex(@"^checkpoint-(\d+)$")]
    private static partial Regex NamePattern();

    /// <summary>Complete checkpoints in <paramref name="outputDir"/>, oldest first.</summary>
    public static IReadOnlyList<string> List(string outputDir)
    {
        if (!Directory.Exists(outputDir)) return [];
        return Directory.GetDirectories(outputDir)
            .Select(d => (Dir: d, M: NamePattern().Match(Path.GetFileName(d))))
            .Where(x => x.M.Success && File.Exists(Path.Combine(x.Dir, "trainer_state.json")))
            .OrderBy(x => long.Parse(x.M.Groups[1].Value))
            .Select(x => x.Dir)
            .ToList();
    }

    /// <summary>The newest complete checkpoint, or null.</summary>
    public static string? Latest(string outputDir) => List(outputDir).LastOrDefault();

    internal static string Save(string outputDir, TrainerState state, LlamaForCausalLM model, Optimizer optimizer, LrScheduler scheduler, SftConfig config)
    {
        Directory.CreateDirectory(outputDir);
        var final = Path.Combine(outputDir, $"checkpoint-{state.GlobalStep}");
        var tmp = Path.Combine(outputDir, $".checkpoint-{state.GlobalStep}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            if (config.Lora is { } lora) Lora.SaveAdapter(model, tmp, lora);
            else model.SavePretrained(tmp);
            using var opt = optimizer.StateDict();
            SafeTensors.Save(Path.Combine(tmp, "optimizer.safetensors"), opt.Tensors);
            var json = new JsonObject
            {
                ["global_step"] = state.GlobalStep,
                ["epoch"] = state.Epoch,
                ["step_in_epoch"] = state.StepInEpoch,
                ["tokens_seen"] = state.TokensSeen,
                ["best_eval_loss"] = state.BestEvalLoss,
                ["optimizer_scalars"] = JsonSerializer.SerializeToNode(opt.Scalars),
                ["scheduler"] = JsonSerializer.SerializeToNode(scheduler.StateDict()),
                ["log_history"] = JsonSerializer.SerializeToNode(state.LogHistory.Select(d => d.ToDictionary(kv => kv.Key, kv => double.IsFinite(kv.Value) ? (double?)kv.Value : null))),
                ["config"] = JsonNode.Parse(config.ToJson()),
            };
            // Written last: a folder without it is not a checkpoint.
            AtomicFile.WriteAllText(Path.Combine(tmp, "trainer_state.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
            Directory.Move(tmp, final);
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            throw;
        }
        if (config.SaveTotalLimit is { } limit)
            foreach (var old in List(outputDir).SkipLast(limit)) Directory.Delete(old, recursive: true);
        return final;
    }

    /// <summary>Settings that must not change between a run and its resumption (they shape the data order, schedule and state).</summary>
    private static readonly string[] RunDefiningFields =
    [
        "learning_rate", "lr_scheduler_type", "warmup_ratio", "warmup_steps", "num_train_epochs", "max_steps",
        "per_device_train_batch_size", "gradient_accumulation_steps", "max_length", "packing", "padding_free", "seed", "shuffle", "lora",
    ];

    private static void CheckSameRun(string folder, JsonObject? saved, SftConfig config)
    {
        if (saved is null) return;
        var now = JsonNode.Parse(config.ToJson())!.AsObject();
        var changed = RunDefiningFields
            .Where(f => !JsonNode.DeepEquals(saved[f], now[f]))
            .Select(f => $"{f}: {saved[f]?.ToJsonString() ?? "null"} -> {now[f]?.ToJsonString() ?? "null"}")
            .ToList();
        if (changed.Count > 0)
            throw new InvalidOperationException(
                $"{folder} belongs to a run with different settings ({string.Join("; ", changed)}); resuming would not continue that run. " +
                "Use another output_dir, delete the old checkpoints, or restore the settings.");
    }

    internal static TrainerState Load(string folder, LlamaForCausalLM model, Optimizer optimizer, LrScheduler scheduler, SftConfig config)
    {
        var statePath = Path.Combine(folder, "trainer_state.json");
        if (!File.Exists(statePath)) throw new FileNotFoundException($"{folder} is not a complete checkpoint (no trainer_state.json)", statePath);
        var json = JsonNode.Parse(File.ReadAllText(statePath))!.AsObject();
        CheckSameRun(folder, json["config"] as JsonObject, config);
        using (var scope = DisposeScope.Begin())
        {
            if (config.Lora != null) Lora.LoadAdapterWeights(model, folder);
            else
            {
                var weights = SafeTensors.LoadCheckpoint(folder);
                if (model.Config.TieWordEmbeddings) weights.Remove("lm_head.weight");
                model.LoadStateDict(weights);
            }
        }
        using (var opt = new OptimizerStateDict())
        {
            using var scope = DisposeScope.Begin();
            foreach (var (k, t) in SafeTensors.Load(Path.Combine(folder, "optimizer.safetensors")))
                opt.Tensors[k] = t.DetachFromDisposeScope();
            foreach (var (k, v) in json["optimizer_scalars"]!.AsObject()) opt.Scalars[k] = v!.GetValue<double>();
            optimizer.LoadStateDict(opt);
        }
        scheduler.LoadStateDict(json["scheduler"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>()));
        return new TrainerState
        {
            GlobalStep = json["global_step"]!.GetValue<long>(),
            Epoch = json["epoch"]!.GetValue<int>(),
            StepInEpoch = json["step_in_epoch"]!.GetValue<int>(),
            TokensSeen = json["tokens_seen"]!.GetValue<long>(),
            BestEvalLoss = json["best_eval_loss"]?.GetValue<double>(),
            LogHistory = json["log_history"]!.AsArray()
                .Select(o => o!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value?.GetValue<double>() ?? double.NaN)).ToList(),
        };
    }
}
