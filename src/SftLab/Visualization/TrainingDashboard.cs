namespace SftLab.Visualization;

/// <summary>
/// The training dashboard: four panels against the optimizer step — loss (train and eval),
/// learning rate, gradient norm and tokens per second — with dotted lines at epoch boundaries.
/// It is live: show it in a notebook cell, call <see cref="Log"/> from the training loop, and
/// the chart redraws in place (throttled, see <see cref="LiveFigure"/>).
/// </summary>
/// <example>
/// <code>
/// var dash = new TrainingDashboard();
/// display(dash);
/// for (var step = 1; step &lt;= steps; step++)
/// {
///     ...
///     dash.Log(step, loss: loss, learningRate: lr, gradNorm: norm, tokensPerSecond: tps);
///     if (step % 50 == 0) dash.LogEval(step, evalLoss);
/// }
/// dash.Complete();
/// </code>
/// </example>
public sealed class TrainingDashboard : ILiveView, IDisposable
{
    private readonly Lock gate = new();
    private readonly LiveFigure live;
    private readonly List<double> steps = [], loss = [], learningRate = [], gradNorm = [], tokensPerSecond = [];
    private readonly List<double> evalSteps = [], evalLoss = [];
    private readonly List<(double Step, string Label)> epochs = [];

    /// <summary>Creates an empty dashboard.</summary>
    /// <param name="title">The title above the panels.</param>
    /// <param name="logLoss">Draw the loss on a log scale (useful when it falls by orders of magnitude).</param>
    /// <param name="template">A theme (default <see cref="Template.Light"/>).</param>
    /// <param name="minInterval">The shortest time between two redraws (default 0.5 s).</param>
    public TrainingDashboard(string title = "Training", bool logLoss = false, Template? template = null, TimeSpan? minInterval = null)
    {
        Title = title;
        LogLoss = logLoss;
        Template = template ?? Template.Light();
        live = new LiveFigure(Build(), minInterval);
        live.Changed += (_, e) => Changed?.Invoke(this, e);
    }

    /// <inheritdoc/>
    public event EventHandler? Changed;

    /// <summary>The title above the panels.</summary>
    public string Title { get; }

    /// <summary>Whether the loss panel uses a log scale.</summary>
    public bool LogLoss { get; }

    /// <summary>The theme.</summary>
    public Template Template { get; }

    /// <summary>The number of training steps logged.</summary>
    public int Count
    {
        get
        {
            lock (gate) return steps.Count;
        }
    }

    /// <summary>
    /// Records one training step. Leave out what you do not measure (null): that panel shows a gap.
    /// </summary>
    public void Log(double step, double? loss = null, double? learningRate = null, double? gradNorm = null, double? tokensPerSecond = null)
    {
        lock (gate)
        {
            steps.Add(step);
            this.loss.Add(loss ?? double.NaN);
            this.learningRate.Add(learningRate ?? double.NaN);
            this.gradNorm.Add(gradNorm ?? double.NaN);
            this.tokensPerSecond.Add(tokensPerSecond ?? double.NaN);
        }
        Refresh();
    }

    /// <summary>Records an evaluation loss at <paramref name="step"/>.</summary>
    public void LogEval(double step, double evalLoss)
    {
        lock (gate)
        {
            evalSteps.Add(step);
            this.evalLoss.Add(evalLoss);
        }
        Refresh();
    }

    /// <summary>Marks the end of an epoch at <paramref name="step"/> with a dotted line in every panel.</summary>
    public void MarkEpoch(double step, string? label = null)
    {
        lock (gate) epochs.Add((step, label ?? $"epoch {epochs.Count + 1}"));
        Refresh();
    }

    /// <summary>Delivers the last update now (call it when training ends).</summary>
    public void Complete() => live.Flush();

    /// <summary>A snapshot of the dashboard as a figure (2×2 subplots).</summary>
    public Figure ToFigure()
    {
        lock (gate) return Build();
    }

    private void Refresh()
    {
        Figure next;
        lock (gate) next = Build();
        live.Update(next);
    }

    private Figure Build()
    {
        var colors = Template.Layout?.ColorWay is { IsNumeric: false } c ? c : Values.Of(Template.LightColors);
        string Color(int i) => (string)colors[i % colors.Count]!;
        var lossPanel = Chart.Line(steps, loss, name: "train loss", color: Color(0));
        if (evalSteps.Count > 0)
        {
            lossPanel.Combine(Chart.Line(evalSteps, evalLoss, name: "eval loss", color: Color(1), markers: true));
        }
        lossPanel.WithYAxis("loss", type: LogLoss ? "log" : null);
        var lrPanel = Chart.Line(steps, learningRate, name: "learning rate", color: Color(2));
        lrPanel.Layout.GetYAxis(1).TickFormat = ".2~e";
        lrPanel.Layout.GetYAxis(1).Title = "lr";
        var gradPanel = Chart.Line(steps, gradNorm, name: "grad norm", color: Color(3)).WithXAxis("step").WithYAxis("‖g‖");
        var speedPanel = Chart.Line(steps, tokensPerSecond, name: "tokens/s", color: Color(4)).WithXAxis("step").WithYAxis("tokens/s");
        speedPanel.Layout.GetYAxis(1).TickFormat = "~s";
        speedPanel.Layout.GetYAxis(1).RangeMode = "tozero";
        var panels = new[] { lossPanel, lrPanel, gradPanel, speedPanel };
        foreach (var (step, label) in epochs)
        {
            foreach (var panel in panels) panel.AddVerticalLine(step, panel == lossPanel ? label : null, color: "#9aa0a6", dash: "dot");
        }
        var figure = Chart.Subplots(2, 2, panels, ["Loss", "Learning rate", "Gradient norm", "Throughput"]);
        figure.Layout.Template = Template;
        figure.Layout.Title = new Title(Title) { X = 0.01, XAnchor = "left" };
        figure.Layout.Height = 620;
        figure.Layout.Margin = new Margin { Top = 90, Left = 70, Right = 30, Bottom = 60 };
        figure.Layout.Legend = new Legend { Orientation = "h", X = 1, XAnchor = "right", Y = 1.08, YAnchor = "bottom" };
        figure.Layout.HoverMode = "x unified";
        figure.Layout.Grid!.YGap = 0.22;
        figure.Layout.Grid.XGap = 0.14;
        foreach (var trace in figure.Data) trace.HoverTemplate = "%{y:.4g}";
        return figure;
    }

    /// <summary>The notebook HTML of the current state.</summary>
    public string ToHtml() => live.ToHtml();

    /// <summary>Saves the current state as a standalone HTML page.</summary>
    public void SaveHtml(string path, bool embedPlotly = true) => ToFigure().SaveHtml(path, embedPlotly);

    /// <summary>Saves the current state as a PNG.</summary>
    public void SavePng(string path, int width = 1000, int height = 620, double scale = 1) => ToFigure().SavePng(path, width, height, scale);

    /// <summary>Delivers the last update and stops the redraw timer.</summary>
    public void Dispose() => live.Dispose();
}
