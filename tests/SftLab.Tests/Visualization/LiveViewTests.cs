using System.Diagnostics;
using System.Text.Json;
using SftLab.Visualization;

namespace SftLab.Tests.Visualization;

/// <summary>Live figures and the training dashboard: throttled change events, the latest state delivered last.</summary>
public sealed class LiveViewTests
{
    [Fact]
    public void EveryUpdateNotifiesWithoutThrottling()
    {
        using var live = new LiveFigure(minInterval: TimeSpan.Zero);
        var seen = 0;
        live.Changed += (_, _) => Interlocked.Increment(ref seen);
        for (var i = 0; i < 5; i++) live.Update(Chart.Line(new[] { i }));
        Assert.Equal(5, seen);
    }

    [Fact]
    public void RapidUpdatesAreCoalescedAndTheLastOneIsDelivered()
    {
        var interval = TimeSpan.FromMilliseconds(200);
        using var live = new LiveFigure(minInterval: interval);
        var observed = new List<int>();
        var last = new ManualResetEventSlim();
        live.Changed += (sender, _) =>
        {
            var count = ((LiveFigure)sender!).Figure.Data.Count;
            lock (observed) observed.Add(count);
            if (count == 50) last.Set();
        };
        var clock = Stopwatch.StartNew();
        for (var i = 1; i <= 50; i++) live.Update(f => f.Add(new Scatter { Y = new[] { i } }));
        var elapsed = clock.Elapsed;
        Assert.True(last.Wait(TimeSpan.FromSeconds(10)), "the last update was never delivered");
        lock (observed)
        {
            Assert.Equal(1, observed[0]);              // the first update notifies at once
            Assert.Equal(50, observed[^1]);            // the trailing event carries the final state
            Assert.InRange(observed.Count, 2, 2 + (int)(elapsed / interval));
        }
    }

    [Fact]
    public void FlushDeliversAWaitingUpdateAtOnce()
    {
        using var live = new LiveFigure(minInterval: TimeSpan.FromHours(1));
        var seen = 0;
        live.Changed += (_, _) => seen++;
        live.Update(new Figure());
        live.Update(new Figure());
        Assert.Equal(1, seen);
        live.Flush();
        Assert.Equal(2, seen);
        live.Flush();
        Assert.Equal(2, seen);
    }

    [Fact]
    public void DashboardRecordsEveryMetricWithGapsForMissingOnes()
    {
        using var dash = new TrainingDashboard(minInterval: TimeSpan.Zero);
        var changes = 0;
        dash.Changed += (_, _) => changes++;
        dash.Log(1, loss: 2.0, learningRate: 1e-4, gradNorm: 1.5, tokensPerSecond: 900);
        dash.Log(2, loss: 1.5, learningRate: 2e-4);
        dash.LogEval(2, 1.7);
        dash.MarkEpoch(2);
        Assert.Equal(4, changes);
        Assert.Equal(2, dash.Count);
        using var doc = JsonDocument.Parse(dash.ToFigure().ToJson());
        var traces = doc.RootElement.GetProperty("data").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        Assert.Equal("[2,1.5]", traces["train loss"].GetProperty("y").GetRawText());
        Assert.Equal("[1.5,null]", traces["grad norm"].GetProperty("y").GetRawText());
        Assert.Equal("[1.7]", traces["eval loss"].GetProperty("y").GetRawText());
        Assert.Equal("x3", traces["grad norm"].GetProperty("xaxis").GetString());
        // The epoch line is drawn in all four panels.
        Assert.Equal(4, doc.RootElement.GetProperty("layout").GetProperty("shapes").GetArrayLength());
    }
}

/// <summary>Process-wide notebook state (which output carries plotly.js): run alone.</summary>
[Collection(SftLab.Tests.Torch.SerialCollection.Name)]
public sealed class NotebookSessionTests
{
    private static bool Carries(string html) => html.Contains("<script type=\"text/x-sftlab-plotly\"", StringComparison.Ordinal);

    [Fact]
    public void OnlyTheFirstOutputCarriesPlotlyAndALiveCarrierKeepsCarryingIt()
    {
        var mode = PlotlyJs.NotebookMode;
        try
        {
            PlotlyJs.NotebookMode = NotebookPlotlyMode.OncePerSession;
            PlotlyJs.ResetNotebookSession();
            using var live = new LiveFigure(Chart.Line(new[] { 1, 2 }));
            var first = live.ToHtml();
            Assert.True(Carries(first));
            Assert.Contains(PlotlyJs.Source[..2000], first);
            Assert.False(Carries(Chart.Line(new[] { 3 }).ToHtml()));
            live.Update(f => f.Add(new Scatter { Y = new[] { 5 } }));
            Assert.True(Carries(live.ToHtml()), "a re-rendered carrier must still carry plotly.js (the saved notebook keeps only the last rendering)");

            PlotlyJs.ResetNotebookSession();
            Assert.True(Carries(Chart.Line(new[] { 3 }).ToHtml()));
            PlotlyJs.NotebookMode = NotebookPlotlyMode.Never;
            PlotlyJs.ResetNotebookSession();
            Assert.False(Carries(Chart.Line(new[] { 3 }).ToHtml()));
            PlotlyJs.NotebookMode = NotebookPlotlyMode.Always;
            Assert.True(Carries(Chart.Line(new[] { 3 }).ToHtml()) && Carries(Chart.Line(new[] { 3 }).ToHtml()));
        }
        finally
        {
            PlotlyJs.NotebookMode = mode;
            PlotlyJs.ResetNotebookSession();
        }
    }
}
