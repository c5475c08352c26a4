using System.Text.Json;

namespace SftLab.Training;

/// <summary>Hooks into <see cref="SftTrainer.Train"/>. Every method has an empty default: override what you need.</summary>
public interface ITrainerCallback
{
    void OnTrainBegin(SftTrainer trainer) { }
    /// <summary>After each logging step: loss, mean_token_accuracy, entropy, learning_rate, grad_norm, num_tokens, tokens_per_second, epoch, step.</summary>
    void OnLog(SftTrainer trainer, IReadOnlyDictionary<string, double> metrics) { }
    /// <summary>After an evaluation: eval_loss, eval_perplexity, eval_mean_token_accuracy, step.</summary>
    void OnEvaluate(SftTrainer trainer, IReadOnlyDictionary<string, double> metrics) { }
    void OnSave(SftTrainer trainer, string checkpointFolder) { }
    void OnStepEnd(SftTrainer trainer) { }
    void OnTrainEnd(SftTrainer trainer) { }
}

/// <summary>Appends every log and evaluation record to a JSONL file (one object per line).</summary>
public sealed class MetricsLogCallback : ITrainerCallback
{
    private readonly string _path;

    public MetricsLogCallback(string path) => _path = path;

    private void Append(IReadOnlyDictionary<string, double> metrics)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
        var clean = metrics.ToDictionary(kv => kv.Key, kv => double.IsFinite(kv.Value) ? (double?)kv.Value : null);
        File.AppendAllText(_path, JsonSerializer.Serialize(clean) + "\n");
    }

    public void OnLog(SftTrainer trainer, IReadOnlyDictionary<string, double> metrics) => Append(metrics);
    public void OnEvaluate(SftTrainer trainer, IReadOnlyDictionary<string, double> metrics) => Append(metrics);
}

/// <summary>Stops training when the evaluation loss has not improved by <paramref name="threshold"/> for <paramref name="patience"/> evaluations.</summary>
public sealed class EarlyStoppingCallback(int patience = 3, double threshold = 0) : ITrainerCallback
{
    private int _bad;

    public void OnEvaluate(SftTrainer trainer, IReadOnlyDictionary<string, double> metrics)
    {
        var loss = metrics["eval_loss"];
        var best = trainer.State.BestEvalLoss;
        if (best is null || loss < best - threshold)
        {
            trainer.State.BestEvalLoss = loss;
            _bad = 0;
        }
        else if (++_bad >= patience)
        {
            trainer.State.ShouldStop = true;
        }
    }
}

/// <summary>Calls a delegate on every log and evaluation (handy in notebooks: update a chart, print a line).</summary>
public sealed class DelegateCallback(Action<IReadOnlyDictionary<string, double>> onMetrics) : ITrainerCallback
{
    public void OnLog(SftTrainer trainer, IReadOnlyDictionary<string, double> metrics) => onMetrics(metrics);
    public void OnEvaluate(SftTrainer trainer, IReadOnlyDictionary<string, double> metrics) => onMetrics(metrics);
}
