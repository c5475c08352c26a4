using SftLab.Visualization;

namespace SftLab.Training;

/// <summary>
/// A trainer callback that keeps a <see cref="TrainingDashboard"/> up to date: display the
/// <see cref="Dashboard"/> in a notebook to watch it live, or let <see cref="OnTrainEnd"/> write
/// <c>report.html</c> (offline, plotly.js embedded) into the output folder.
/// </summary>
public sealed class DashboardCallback : ITrainerCallback, IDisposable
{
    /// <summary>The live dashboard (loss and eval loss, learning rate, grad norm, tokens/s vs step).</summary>
    public TrainingDashboard Dashboard { get; }

    /// <summary>Write report.html to the trainer's output folder at the end.</summary>
    public bool WriteReport { get; init; } = true;

    public DashboardCallback(string title = "Training") => Dashboard = new TrainingDashboard(title);

    public void OnLog(SftTrainer trainer, IReadOnlyDictionary<string, double> m) =>
        Dashboard.Log(m["step"], m.GetValueOrDefault("loss", double.NaN), m.GetValueOrDefault("learning_rate", double.NaN),
            m.GetValueOrDefault("grad_norm", double.NaN), m.GetValueOrDefault("tokens_per_second", double.NaN));

    public void OnEvaluate(SftTrainer trainer, IReadOnlyDictionary<string, double> m) => Dashboard.LogEval(m["step"], m["eval_loss"]);

    public void OnTrainEnd(SftTrainer trainer)
    {
        Dashboard.Complete();
        if (WriteReport) Dashboard.SaveHtml(Path.Combine(trainer.Config.OutputDir, "report.html"));
    }

    public void Dispose() => Dashboard.Dispose();
}
