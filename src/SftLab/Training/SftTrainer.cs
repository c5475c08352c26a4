using System.Diagnostics;
using SftLab.Data;
using SftLab.Models;
using SftLab.Torch;
using F = SftLab.Torch.Functional;

namespace SftLab.Training;

/// <summary>
/// Supervised fine-tuning of a <see cref="LlamaForCausalLM"/> on tokenized examples. The loop in
/// <see cref="Train"/> is plain code meant to be read (and copied into a notebook to change):
/// for each optimizer step it runs <see cref="SftConfig.GradientAccumulationSteps"/> micro-batches,
/// sums the token losses, divides once by the number of label tokens of the whole step (so k
/// micro-batches equal one batch k times larger — the transformers#34191 bug avoided), clips the
/// gradient norm, steps AdamW and the schedule, and logs, evaluates and checkpoints on schedule.
/// </summary>
public sealed class SftTrainer : IDisposable
{
    private readonly IReadOnlyList<TokenizedExample> _train;
    private readonly IReadOnlyList<TokenizedExample>? _eval;
    private readonly IBatcher _batcher;
    private readonly Device _device;
    private AdamW? _optimizer;
    private LrScheduler? _scheduler;

    /// <summary>The model being trained (LoRA adapters are attached when the config asks).</summary>
    public LlamaForCausalLM Model { get; }

    /// <summary>The settings.</summary>
    public SftConfig Config { get; }

    /// <summary>Progress: step, epoch, tokens seen, metrics history.</summary>
    public TrainerState State { get; private set; } = new();

    /// <summary>Observers of the run: console progress, live charts, early stopping, the metrics log.</summary>
    public List<ITrainerCallback> Callbacks { get; } = new();

    /// <summary>Optimizer steps of the whole run.</summary>
    public long TotalSteps { get; }

    /// <summary>Micro-batches in one epoch.</summary>
    public int BatchesPerEpoch { get; }

    /// <param name="model">The model; its weights are updated in place.</param>
    /// <param name="config">The settings (validated).</param>
    /// <param name="train">Training examples (labels −100 where no loss should count).</param>
    /// <param name="eval">Optional validation examples.</param>
    /// <param name="batcher">How examples become micro-batches (default: padding with the model's pad/eos id).</param>
    public SftTrainer(LlamaForCausalLM model, SftConfig config, IReadOnlyList<TokenizedExample> train,
        IReadOnlyList<TokenizedExample>? eval = null, IBatcher? batcher = null)
    {
        Config = config.Validate();
        if (train.Count == 0) throw new ArgumentException("the training set is empty");
        for (var i = 0; i < train.Count; i++) train[i].Validate($"training example {i}");
        Model = model;
        _train = train;
        _eval = eval;
        var pad = model.Config.PadTokenId ?? (model.Config.EosTokenIds.Count > 0 ? model.Config.EosTokenIds[0] : 0);
        _batcher = batcher ?? new PaddedBatcher(pad);
        _device = Device.Parse(config.Device);
        if (model.Device != _device || model.DType != DTypes.Parse(config.DType)) model.To(_device, DTypes.Parse(config.DType));
        if (config.Lora is { } lora) Lora.Apply(model, lora, config.Seed);
        model.GradientCheckpointing = config.GradientCheckpointing;
        BatchesPerEpoch = _batcher.Plan(train, config.PerDeviceTrainBatchSize).Count;
        var stepsPerEpoch = Math.Max(1, BatchesPerEpoch / config.GradientAccumulationSteps);
        TotalSteps = config.MaxSteps > 0 ? config.MaxSteps : (long)Math.Ceiling(config.NumTrainEpochs * stepsPerEpoch);
        Callbacks.Add(new MetricsLogCallback(Path.Combine(config.OutputDir, "metrics.jsonl")));
    }

    private void CreateOptimizer()
    {
        var groups = ParamGroups.WithNoDecay(Model, Config.WeightDecay);
        _optimizer = new AdamW(groups, Config.LearningRate, (Config.AdamBeta1, Config.AdamBeta2), Config.AdamEpsilon, Config.WeightDecay);
        var warmup = Config.WarmupSteps > 0 ? Config.WarmupSteps : (long)Math.Ceiling(Config.WarmupRatio * TotalSteps);
        _scheduler = LrScheduler.Create(Config.LrSchedulerType, _optimizer, warmup, TotalSteps);
    }

    /// <summary>The examples of an epoch in training order: shuffled by (seed, epoch), so a resumed run sees the same order.</summary>
    private IReadOnlyList<TokenizedExample> EpochOrder(int epoch)
    {
        if (!Config.Shuffle) return _train;
        var order = Enumerable.Range(0, _train.Count).ToArray();
        new Random(unchecked((int)Config.Seed * 31 + epoch)).Shuffle(order);
        return order.Select(i => _train[i]).ToList();
    }

    /// <summary>Runs the training loop to <see cref="TotalSteps"/> (or until a callback stops it, or <paramref name="cancel"/>).</summary>
    public TrainerState Train(CancellationToken cancel = default)
    {
        CreateOptimizer();
        if (Config.ResumeFromCheckpoint is { } resume)
        {
            var folder = resume == "latest" ? Checkpoints.Latest(Config.OutputDir) : resume;
            if (folder != null) State = Checkpoints.Load(folder, Model, _optimizer!, _scheduler!, Config);
        }
        Model.Train();
        foreach (var c in Callbacks) c.OnTrainBegin(this);
        var clock = Stopwatch.StartNew();
        long tokensAtStart = State.TokensSeen;
        var k = Config.GradientAccumulationSteps;
        var parameters = Model.Parameters().Where(p => p.RequiresGrad).ToList();

        while (State.GlobalStep < TotalSteps && !State.ShouldStop)
        {
            var batches = _batcher.Plan(EpochOrder(State.Epoch), Config.PerDeviceTrainBatchSize);
            var stepsThisEpoch = Math.Max(1, batches.Count / k);
            for (var s = State.StepInEpoch; s < stepsThisEpoch && State.GlobalStep < TotalSteps && !State.ShouldStop; s++)
            {
                cancel.ThrowIfCancellationRequested();
                var micro = batches.Skip(s * k).Take(k).ToList();
                // Dropout draws from the default generator: seeding it by step makes a resumed run identical.
                TorchRuntime.ManualSeed(Config.Seed + (ulong)State.GlobalStep);
                var logging = (State.GlobalStep + 1) % Config.LoggingSteps == 0 || State.GlobalStep + 1 == TotalSteps;
                var stats = TrainStep(micro, parameters, withMetrics: logging);
                State.GlobalStep++;
                State.StepInEpoch = s + 1;
                State.TokensSeen += micro.Sum(b => b.RealTokens);
                if (!double.IsFinite(stats.Loss))
                    throw new TrainingDivergedException(State.GlobalStep, stats.Loss, Checkpoints.Latest(Config.OutputDir));

                if (State.GlobalStep % Config.LoggingSteps == 0 || State.GlobalStep == TotalSteps)
                {
                    var elapsed = clock.Elapsed.TotalSeconds;
                    var metrics = new Dictionary<string, double>
                    {
                        ["loss"] = stats.Loss,
                        ["mean_token_accuracy"] = stats.Accuracy,
                        ["entropy"] = stats.Entropy,
                        ["learning_rate"] = stats.LearningRate,
                        ["grad_norm"] = stats.GradNorm,
                        ["num_tokens"] = State.TokensSeen,
                        ["tokens_per_second"] = elapsed > 0 ? (State.TokensSeen - tokensAtStart) / elapsed : 0,
                        ["epoch"] = State.Epoch + (double)(s + 1) / stepsThisEpoch,
                    };
                    Log(metrics);
                }
                if (_eval is { Count: > 0 } && Config.EvalSteps > 0 && State.GlobalStep % Config.EvalSteps == 0) RunEvaluation();
                if (Config.SaveSteps > 0 && State.GlobalStep % Config.SaveSteps == 0) Save();
                foreach (var c in Callbacks) c.OnStepEnd(this);
            }
            if (State.StepInEpoch >= stepsThisEpoch)
            {
                State.Epoch++;
                State.StepInEpoch = 0;
            }
        }
        if (_eval is { Count: > 0 } && (Config.EvalSteps == 0 || State.GlobalStep % Config.EvalSteps != 0)) RunEvaluation();
        Save();
        foreach (var c in Callbacks) c.OnTrainEnd(this);
        return State;
    }

    private void Log(Dictionary<string, double> metrics)
    {
        metrics["step"] = State.GlobalStep;
        State.LogHistory.Add(metrics);
        foreach (var c in Callbacks) c.OnLog(this, metrics);
    }

    private void RunEvaluation()
    {
        var result = Evaluate();
        var metrics = new Dictionary<string, double>
        {
            ["eval_loss"] = result.Loss,
            ["eval_perplexity"] = Math.Exp(result.Loss),
            ["eval_mean_token_accuracy"] = result.Accuracy,
            ["step"] = State.GlobalStep,
        };
        State.LogHistory.Add(metrics);
        foreach (var c in Callbacks) c.OnEvaluate(this, metrics);
    }

    /// <summary>One optimizer step's numbers.</summary>
    public readonly record struct StepStats(double Loss, double Accuracy, double Entropy, double GradNorm, double LearningRate);

    /// <summary>
    /// One optimizer step over the micro-batches: forward, token-summed loss divided by the
    /// step's label-token count, backward (gradients accumulate), clip, AdamW, schedule.
    /// </summary>
    public StepStats TrainStep(IReadOnlyList<Batch> microBatches, IReadOnlyList<Parameter> parameters, bool withMetrics = true)
    {
        _optimizer!.ZeroGrad();
        var (loss, accuracy, entropy) = AccumulateGradients(microBatches, withMetrics);
        var gradNorm = Config.MaxGradNorm > 0 ? F.ClipGradNorm(parameters, Config.MaxGradNorm) : GlobalNorm(parameters);
        var lr = _optimizer.ParamGroups[0].LearningRate;
        _optimizer.Step();
        _scheduler!.Step();
        _optimizer.ZeroGrad();
        return new StepStats(loss, accuracy, entropy, gradNorm, lr);
    }

    /// <summary>
    /// Forward and backward over the micro-batches, adding their gradients into the parameters'
    /// <c>Grad</c>: each micro-batch contributes (its summed token loss) / (label tokens of all of
    /// them). Returns the step's mean loss, token accuracy and entropy.
    /// </summary>
    public (double Loss, double Accuracy, double Entropy) AccumulateGradients(IReadOnlyList<Batch> microBatches, bool withMetrics = true)
    {
        long labelTokens = microBatches.Sum(b => b.LabelTokens);
        if (labelTokens == 0) throw new InvalidOperationException($"step {State.GlobalStep + 1}: no token has a label (is every label −100?)");
        double lossSum = 0, correct = 0, entropySum = 0;
        foreach (var batch in microBatches)
        {
            using var scope = DisposeScope.Begin();
            var (ids, labels, mask, positions) = batch.ToTensors(_device);
            var logits = Model.Forward(ids, mask, positions);
            var (sum, c, h) = TokenLoss(logits, labels, withMetrics);
            (sum / labelTokens).Backward();
            lossSum += sum.ToDouble();
            correct += c;
            entropySum += h;
        }
        return (lossSum / labelTokens, correct / labelTokens, entropySum / labelTokens);
    }

    private static double GlobalNorm(IReadOnlyList<Parameter> parameters) => F.ClipGradNorm(parameters, double.MaxValue);

    /// <summary>
    /// Summed next-token cross-entropy over label tokens (position i predicts labels[i+1]), plus the
    /// count of correct argmax predictions and the summed entropy of the predicted distributions.
    /// </summary>
    public static (Tensor LossSum, double Correct, double EntropySum) TokenLoss(Tensor logits, Tensor labels, bool withMetrics = true)
    {
        var shape = logits.Shape;
        long b = shape[0], t = shape[1], v = shape[2];
        // Shift the labels, not the logits: position i is scored against labels[i+1], and the last
        // position against nothing (−100). The logits stay a view — no copy of a [tokens × vocab] tensor.
        var ignore = Tensor.Full([b, 1], TokenizedExample.IgnoreIndex, DType.Int64, labels.Device);
        var shiftLabels = Tensor.Cat([labels.Narrow(1, 1, t - 1), ignore], 1).Reshape(-1);
        var flatLogits = logits.Reshape(-1, v);
        if (flatLogits.DType != DType.Float32) flatLogits = flatLogits.To(DType.Float32);
        var loss = F.CrossEntropy(flatLogits, shiftLabels, Reduction.Sum, TokenizedExample.IgnoreIndex);
        if (!withMetrics) return (loss, double.NaN, double.NaN);
        using (Autograd.NoGrad())
        {
            var valid = shiftLabels.Ne(TokenizedExample.IgnoreIndex);
            var correct = flatLogits.Argmax(-1).Eq(shiftLabels).LogicalAnd(valid).To(DType.Float64).Sum().ToDouble();
            var logp = F.LogSoftmax(flatLogits, -1);
            var entropy = -(logp.Exp() * logp).Sum(-1);
            var entropySum = (entropy * valid.To(DType.Float32)).Sum().ToDouble();
            return (loss, correct, entropySum);
        }
    }

    /// <summary>Mean loss and token accuracy over the evaluation set (no gradients, eval mode).</summary>
    public (double Loss, double Accuracy) Evaluate(IReadOnlyList<TokenizedExample>? examples = null)
    {
        examples ??= _eval ?? throw new InvalidOperationException("no evaluation set");
        var wasTraining = Model.Training;
        Model.Eval();
        double lossSum = 0, correct = 0;
        long tokens = 0;
        using (Autograd.NoGrad())
            foreach (var batch in _batcher.Plan(examples, Config.PerDeviceEvalBatchSize))
            {
                using var scope = DisposeScope.Begin();
                var (ids, labels, mask, positions) = batch.ToTensors(_device);
                var (sum, c, _) = TokenLoss(Model.Forward(ids, mask, positions), labels);
                lossSum += sum.ToDouble();
                correct += c;
                tokens += batch.LabelTokens;
            }
        Model.Train(wasTraining);
        return tokens == 0 ? (double.NaN, double.NaN) : (lossSum / tokens, correct / tokens);
    }

    /// <summary>Writes a checkpoint of everything needed to resume exactly (atomically), then prunes old ones.</summary>
    public string Save()
    {
        var folder = Checkpoints.Save(Config.OutputDir, State, Model, _optimizer!, _scheduler!, Config);
        foreach (var c in Callbacks) c.OnSave(this, folder);
        return folder;
    }

    public void Dispose()
    {
        _optimizer?.Dispose();
        foreach (var c in Callbacks) (c as IDisposable)?.Dispose();
    }
}

/// <summary>The loss became NaN or infinite: training stopped, nothing was saved after the last good checkpoint.</summary>
public sealed class TrainingDivergedException(long step, double loss, string? lastCheckpoint)
    : Exception($"the loss became {loss} at step {step}: training stopped. " +
                (lastCheckpoint is null ? "No checkpoint had been saved yet. " : $"The last good checkpoint is {lastCheckpoint}. ") +
                "Try a lower learning_rate, a smaller max_grad_norm, or float32 instead of float16.")
{
    public long Step { get; } = step;
    public string? LastCheckpoint { get; } = lastCheckpoint;
}
