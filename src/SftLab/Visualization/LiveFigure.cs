using SftLab.Interactive;

namespace SftLab.Visualization;

/// <summary>
/// A view that changes while a cell runs (training curves). A notebook kernel that displays an
/// <see cref="ILiveView"/> subscribes to <see cref="Changed"/> and re-renders the same output in
/// place with <see cref="IHtmlDisplay.ToHtml"/> (Jupyter's <c>update_display_data</c>); without a
/// kernel, nothing listens and the view simply holds the latest state (save it at the end).
/// </summary>
public interface ILiveView : IHtmlDisplay
{
    /// <summary>
    /// Raised after the view changed, at most once per its minimum interval (changes in between
    /// are coalesced into one later event). May be raised on any thread.
    /// </summary>
    event EventHandler? Changed;
}

/// <summary>
/// A figure that can be updated in place while code runs: <c>var live = new LiveFigure(fig);</c>,
/// make it a cell's output (or <c>display(live)</c>), then <c>live.Update(f =&gt; …)</c> from the
/// training loop. Updates are throttled: <see cref="Changed"/> fires at most once per
/// <see cref="MinInterval"/>, and the last update is always delivered (a trailing event, or
/// <see cref="Flush"/>).
/// </summary>
/// <remarks>
/// Kernel contract: subscribe to <see cref="Changed"/> and answer each event by re-rendering the
/// display with <see cref="ToHtml"/>. If this figure's first rendering carried plotly.js into the
/// page (<see cref="PlotlyJs.NotebookMode"/>), every later rendering carries it too, so the saved
/// notebook keeps the library even though the output was replaced.
/// </remarks>
public sealed class LiveFigure : ILiveView, IDisposable
{
    private readonly Lock gate = new();
    private readonly Timer timer;
    private Figure figure;
    private bool? carriesLibrary;
    private long lastRaised = long.MinValue / 2;
    private bool pending;
    private bool timerArmed;

    /// <summary>Creates a live figure showing <paramref name="initial"/> (an empty figure when null).</summary>
    /// <param name="initial">The first state.</param>
    /// <param name="minInterval">The shortest time between two <see cref="Changed"/> events (default 0.5 s).</param>
    public LiveFigure(Figure? initial = null, TimeSpan? minInterval = null)
    {
        figure = initial ?? new Figure();
        MinInterval = minInterval ?? TimeSpan.FromMilliseconds(500);
        if (MinInterval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(minInterval));
        timer = new Timer(_ => OnTimer());
    }

    /// <inheritdoc/>
    public event EventHandler? Changed;

    /// <summary>The shortest time between two <see cref="Changed"/> events.</summary>
    public TimeSpan MinInterval { get; }

    /// <summary>How many <see cref="Changed"/> events were raised (for tests and diagnostics).</summary>
    public int ChangedCount { get; private set; }

    /// <summary>The current figure. Change it through <see cref="Update(Action{Figure})"/> so the display follows.</summary>
    public Figure Figure
    {
        get
        {
            lock (gate) return figure;
        }
    }

    /// <summary>Replaces the figure and notifies (throttled).</summary>
    public void Update(Figure next)
    {
        ArgumentNullException.ThrowIfNull(next);
        lock (gate) figure = next;
        Notify();
    }

    /// <summary>Changes the figure in place (under this object's lock) and notifies (throttled).</summary>
    public void Update(Action<Figure> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (gate) change(figure);
        Notify();
    }

    /// <summary>Raises <see cref="Changed"/> now if an update is still waiting for its throttled event.</summary>
    public void Flush()
    {
        lock (gate)
        {
            if (!pending) return;
            pending = false;
        }
        Raise();
    }

    private void Notify()
    {
        var raiseNow = false;
        lock (gate)
        {
            var now = Environment.TickCount64;
            var wait = lastRaised + (long)MinInterval.TotalMilliseconds - now;
            if (wait <= 0 && !timerArmed)
            {
                lastRaised = now;
                pending = false;
                raiseNow = true;
            }
            else
            {
                pending = true;
                if (!timerArmed)
                {
                    timerArmed = true;
                    timer.Change(Math.Max(1, wait), Timeout.Infinite);
                }
            }
        }
        if (raiseNow) Raise();
    }

    private void OnTimer()
    {
        lock (gate)
        {
            timerArmed = false;
            if (!pending) return;
            pending = false;
            lastRaised = Environment.TickCount64;
        }
        Raise();
    }

    private void Raise()
    {
        lock (gate) ChangedCount++;
        Changed?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>The notebook HTML of the current figure (see <see cref="Figure.ToHtml"/>).</summary>
    public string ToHtml()
    {
        lock (gate)
        {
            carriesLibrary ??= PlotlyJs.TakeNotebookCarrier();
            return FigureHtml.Fragment(figure, carriesLibrary.Value);
        }
    }

    /// <summary>Saves the current figure as a standalone HTML page.</summary>
    public void SaveHtml(string path, bool embedPlotly = true)
    {
        lock (gate) figure.SaveHtml(path, embedPlotly);
    }

    /// <summary>Saves the current figure as a PNG.</summary>
    public void SavePng(string path, int? width = null, int? height = null, double scale = 1)
    {
        lock (gate) figure.SavePng(path, width, height, scale);
    }

    /// <summary>Delivers a waiting update and stops the timer.</summary>
    public void Dispose()
    {
        Flush();
        timer.Dispose();
    }
}
