using System.Text.Json;
using System.Text.Json.Serialization;
using SftLab.Models;

namespace SftLab.Training;

/// <summary>
/// Every knob of a supervised fine-tuning run, one documented field each, with TRL's
/// <c>SFTConfig</c> names (in .NET casing) and defaults where TRL has them. Serialized as JSON
/// with TRL's snake_case names, so a config file reads like a TRL one.
/// </summary>
public sealed record SftConfig
{
    /// <summary>Folder for checkpoints, metrics.jsonl and the final model.</summary>
    public string OutputDir { get; init; } = "output";

    // ---- optimisation ----

    /// <summary>Peak learning rate of AdamW. TRL's SFT default is 2e-5 for full fine-tuning of real models; LoRA and tiny models like 1e-4 to 1e-3.</summary>
    public double LearningRate { get; init; } = 2e-5;
    /// <summary>Schedule after warmup: linear (to 0), cosine, constant, constant_with_warmup.</summary>
    public string LrSchedulerType { get; init; } = "linear";
    /// <summary>Fraction of the total steps spent warming the learning rate up from 0 (used when <see cref="WarmupSteps"/> is 0).</summary>
    public double WarmupRatio { get; init; }
    /// <summary>Warmup steps (overrides <see cref="WarmupRatio"/> when &gt; 0).</summary>
    public int WarmupSteps { get; init; }
    /// <summary>Passes over the training set (ignored when <see cref="MaxSteps"/> &gt; 0).</summary>
    public double NumTrainEpochs { get; init; } = 3;
    /// <summary>Total optimizer steps; −1 = derive from the epochs.</summary>
    public int MaxSteps { get; init; } = -1;
    /// <summary>Examples (or packed rows) per micro-batch.</summary>
    public int PerDeviceTrainBatchSize { get; init; } = 8;
    /// <summary>Examples per evaluation batch.</summary>
    public int PerDeviceEvalBatchSize { get; init; } = 8;
    /// <summary>Micro-batches whose gradients add up before one optimizer step (a larger effective batch in the same memory).</summary>
    public int GradientAccumulationSteps { get; init; } = 1;
    /// <summary>AdamW's decoupled weight decay; never applied to biases and norm weights.</summary>
    public double WeightDecay { get; init; }
    /// <summary>AdamW β1.</summary>
    public double AdamBeta1 { get; init; } = 0.9;
    /// <summary>AdamW β2.</summary>
    public double AdamBeta2 { get; init; } = 0.999;
    /// <summary>AdamW ε.</summary>
    public double AdamEpsilon { get; init; } = 1e-8;
    /// <summary>Clip the global gradient norm to this (0 = no clipping).</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    // ---- data ----

    /// <summary>Longest sequence in tokens; longer examples are truncated (see <see cref="TruncationMode"/>).</summary>
    public int MaxLength { get; init; } = 1024;
    /// <summary>Which end to keep when truncating: keep_start or keep_end.</summary>
    public string TruncationMode { get; init; } = "keep_start";
    /// <summary>Pack several examples into each row of <see cref="MaxLength"/> tokens (no padding; documents kept apart by position ids).</summary>
    public bool Packing { get; init; }
    /// <summary>Concatenate a micro-batch into one row without padding (position ids separate the examples).</summary>
    public bool PaddingFree { get; init; }
    /// <summary>For prompt-completion data: train only on the completion (null = yes when the data has completions).</summary>
    public bool? CompletionOnlyLoss { get; init; }
    /// <summary>For conversations: train only on the assistant's turns (content and end-of-turn token).</summary>
    public bool AssistantOnlyLoss { get; init; }
    /// <summary>Shuffle the training examples each epoch (by <see cref="Seed"/> and the epoch number).</summary>
    public bool Shuffle { get; init; } = true;

    // ---- evaluation, logging, checkpoints ----

    /// <summary>Evaluate every this many steps (0 = only at the end, when an eval set is given).</summary>
    public int EvalSteps { get; init; }
    /// <summary>Log metrics every this many steps.</summary>
    public int LoggingSteps { get; init; } = 10;
    /// <summary>Save a checkpoint every this many steps (0 = only at the end).</summary>
    public int SaveSteps { get; init; }
    /// <summary>Keep at most this many checkpoints (oldest deleted first; null = all).</summary>
    public int? SaveTotalLimit { get; init; }
    /// <summary>A checkpoint folder to continue from exactly, or "latest" for the newest one in <see cref="OutputDir"/>.</summary>
    public string? ResumeFromCheckpoint { get; init; }

    // ---- model and hardware ----

    /// <summary>Seed for initialisation, shuffling and dropout.</summary>
    public ulong Seed { get; init; } = 42;
    /// <summary>Weights' dtype: float32, bfloat16 or float16 (AdamW state follows the weights).</summary>
    [JsonPropertyName("dtype")]
    public string DType { get; init; } = "float32";
    /// <summary>cpu, cuda, cuda:N or auto.</summary>
    public string Device { get; init; } = "auto";
    /// <summary>LoRA adapters instead of full fine-tuning (null = full).</summary>
    public LoraConfig? Lora { get; init; }
    /// <summary>Recompute each decoder layer's activations in the backward pass instead of keeping them: much less memory, one more forward pass per step.</summary>
    public bool GradientCheckpointing { get; init; }

    /// <summary>JSON options with TRL's snake_case names.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads a config file; unknown fields are refused by name.</summary>
    public static SftConfig Load(string path)
    {
        try
        {
            return (JsonSerializer.Deserialize<SftConfig>(File.ReadAllText(path), JsonOptions) ?? throw new InvalidDataException($"{path}: empty config"))
                .Validate(path);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>The config as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Checks every value; throws naming the field.</summary>
    public SftConfig Validate(string source = "config")
    {
        void Check(bool ok, string field, string what)
        {
            if (!ok) throw new ArgumentException($"{source}: {field} {what}");
        }
        Check(LearningRate > 0, "learning_rate", "must be > 0");
        Check(Torch.LrSchedules.Names.Contains(LrSchedulerType), "lr_scheduler_type", $"must be one of {string.Join(", ", Torch.LrSchedules.Names)} (got '{LrSchedulerType}')");
        Check(WarmupRatio is >= 0 and < 1, "warmup_ratio", "must be in [0, 1)");
        Check(WarmupSteps >= 0, "warmup_steps", "must be >= 0");
        Check(MaxSteps > 0 || NumTrainEpochs > 0, "num_train_epochs", "must be > 0 when max_steps is not set");
        Check(PerDeviceTrainBatchSize > 0, "per_device_train_batch_size", "must be > 0");
        Check(PerDeviceEvalBatchSize > 0, "per_device_eval_batch_size", "must be > 0");
        Check(GradientAccumulationSteps > 0, "gradient_accumulation_steps", "must be > 0");
        Check(WeightDecay >= 0, "weight_decay", "must be >= 0");
        Check(MaxGradNorm >= 0, "max_grad_norm", "must be >= 0");
        Check(MaxLength > 1, "max_length", "must be > 1");
        Check(TruncationMode is "keep_start" or "keep_end", "truncation_mode", "must be keep_start or keep_end");
        Check(!(Packing && PaddingFree), "packing", "and padding_free cannot both be on");
        Check(LoggingSteps > 0, "logging_steps", "must be > 0");
        Check(EvalSteps >= 0 && SaveSteps >= 0, "eval_steps/save_steps", "must be >= 0");
        Check(SaveTotalLimit is null or > 0, "save_total_limit", "must be > 0");
        _ = Torch.DTypes.Parse(DType);
        _ = Torch.Device.Parse(Device);
        return this;
    }
}
