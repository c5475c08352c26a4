using System.Text.Json.Serialization;
using SftLab.Interactive;
using SftLab.IO;

namespace SftLab.Visualization;

/// <summary>
/// A plotly figure: data (traces), layout and config. Build one with <see cref="Chart"/>
/// (<c>Chart.Line(steps, loss, name: "train").WithTitle("Loss")</c>), show it in a notebook by
/// making it a cell's value (it renders through <see cref="ToHtml"/>), save it with
/// <see cref="SaveHtml"/> or <see cref="SavePng"/>.
/// </summary>
/// <remarks>
/// The fluent methods (<c>With…</c>, <c>Add…</c>, <see cref="Combine"/>) change this figure and
/// return it, so calls chain. Everything is plain mutable objects: <c>fig.Layout.XAxis!.Range = [0, 10]</c> works too.
/// </remarks>
public sealed class Figure : IHtmlDisplay
{
    /// <summary>Creates an empty figure.</summary>
    public Figure() { }

    /// <summary>Creates a figure holding these traces.</summary>
    public Figure(params IEnumerable<Trace> traces) => Data.AddRange(traces);

    /// <summary>The traces, drawn in order (later ones on top).</summary>
    [JsonPropertyName("data")]
    public List<Trace> Data { get; } = [];

    /// <summary>Title, axes, legend, size…</summary>
    [JsonPropertyName("layout")]
    public Layout Layout { get; set; } = new();

    /// <summary>Toolbar and interaction options; null leaves plotly's defaults.</summary>
    [JsonPropertyName("config")]
    public Config? Config { get; set; }

    /// <summary>Adds a trace.</summary>
    public Figure Add(Trace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        Data.Add(trace);
        return this;
    }

    /// <summary>Adds the traces of other figures to this one (this figure's layout is kept).</summary>
    public Figure Combine(params IEnumerable<Figure> others)
    {
        foreach (var other in others)
        {
            ArgumentNullException.ThrowIfNull(other);
            if (!ReferenceEquals(other, this)) Data.AddRange(other.Data);
        }
        return this;
    }

    /// <summary>Sets the title.</summary>
    public Figure WithTitle(string title)
    {
        Layout.Title = new Title(title);
        return this;
    }

    /// <summary>Sets the x axis: its title, scale type ("linear", "log", "date", "category") and range.</summary>
    /// <param name="title">The axis title.</param>
    /// <param name="type">"linear", "log", "date", "category".</param>
    /// <param name="min">Lower end of the range (log10 units on a log axis).</param>
    /// <param name="max">Upper end of the range.</param>
    /// <param name="subplot">Which subplot's axis (1 = the first).</param>
    public Figure WithXAxis(string? title = null, string? type = null, double? min = null, double? max = null, int subplot = 1)
    {
        ConfigureAxis(Layout.GetXAxis(subplot), title, type, min, max);
        return this;
    }

    /// <summary>Sets the y axis: its title, scale type ("linear", "log", "date", "category") and range.</summary>
    /// <param name="title">The axis title.</param>
    /// <param name="type">"linear", "log", "date", "category".</param>
    /// <param name="min">Lower end of the range (log10 units on a log axis).</param>
    /// <param name="max">Upper end of the range.</param>
    /// <param name="subplot">Which subplot's axis (1 = the first).</param>
    public Figure WithYAxis(string? title = null, string? type = null, double? min = null, double? max = null, int subplot = 1)
    {
        ConfigureAxis(Layout.GetYAxis(subplot), title, type, min, max);
        return this;
    }

    private static void ConfigureAxis(Axis axis, string? title, string? type, double? min, double? max)
    {
        if (title is not null) axis.Title = new Title(title);
        if (type is not null) axis.Type = type;
        if (min is not null || max is not null)
        {
            if (min is null || max is null) throw new ArgumentException("give both min and max for an axis range");
            axis.Range = [min.Value, max.Value];
        }
    }

    /// <summary>Sets the size in pixels (null keeps plotly's default: container width, 450 high).</summary>
    public Figure WithSize(int? width, int? height)
    {
        if (width is <= 0 || height is <= 0) throw new ArgumentOutOfRangeException(nameof(width), "sizes must be positive");
        Layout.Width = width;
        Layout.Height = height;
        return this;
    }

    /// <summary>Applies a theme, e.g. <see cref="Template.Dark"/>.</summary>
    public Figure WithTemplate(Template template)
    {
        Layout.Template = template;
        return this;
    }

    /// <summary>Shows or hides the legend; "h" puts it horizontally above the plot.</summary>
    public Figure WithLegend(bool show = true, string? orientation = null)
    {
        Layout.ShowLegend = show;
        if (orientation == "h")
        {
            Layout.Legend = new Legend { Orientation = "h", X = 0, Y = 1.02, XAnchor = "left", YAnchor = "bottom" };
        }
        else if (orientation is not null)
        {
            Layout.Legend = new Legend { Orientation = orientation };
        }
        return this;
    }

    /// <summary>Changes the layout in place: <c>fig.WithLayout(l => l.BarMode = "stack")</c>.</summary>
    public Figure WithLayout(Action<Layout> configure)
    {
        configure(Layout);
        return this;
    }

    /// <summary>Changes the config in place: <c>fig.WithConfig(c => c.DisplayModeBar = false)</c>.</summary>
    public Figure WithConfig(Action<Config> configure)
    {
        Config ??= new Config();
        configure(Config);
        return this;
    }

    /// <summary>Adds a text annotation.</summary>
    public Figure AddAnnotation(Annotation annotation)
    {
        (Layout.Annotations ??= []).Add(annotation);
        return this;
    }

    /// <summary>Adds a shape (line, rectangle).</summary>
    public Figure AddShape(Shape shape)
    {
        (Layout.Shapes ??= []).Add(shape);
        return this;
    }

    /// <summary>
    /// Draws a vertical line across the whole plot at data coordinate <paramref name="x"/>, with an
    /// optional label at its top left: an epoch boundary, a max_length limit.
    /// </summary>
    /// <param name="x">Where the line is, in data coordinates.</param>
    /// <param name="label">A text at the top of the line, or null.</param>
    /// <param name="color">Color of the line and its label.</param>
    /// <param name="dash">"dash", "dot", "solid"…</param>
    /// <param name="subplot">Which subplot (1 = the first).</param>
    /// <param name="labelOnRight">Put the label right of the line instead of left.</param>
    public Figure AddVerticalLine(double x, string? label = null, string color = "#888888", string dash = "dash", int subplot = 1,
        bool labelOnRight = false)
    {
        var (xRef, yRef) = Refs(subplot);
        AddShape(new Shape
        {
            Type = "line", X0 = x, X1 = x, XRef = xRef, Y0 = 0, Y1 = 1, YRef = yRef + " domain",
            Line = new Line { Color = color, Width = 1.5, Dash = dash },
        });
        if (label is not null)
        {
            AddAnnotation(new Annotation
            {
                Text = label, X = x, XRef = xRef, Y = 1, YRef = yRef + " domain", XAnchor = labelOnRight ? "left" : "right",
                YAnchor = "top", ShowArrow = false, XShift = labelOnRight ? 4 : -4, Font = new Font { Color = color, Size = 11 },
            });
        }
        return this;
    }

    /// <summary>Draws a horizontal line across the whole plot at data coordinate <paramref name="y"/>, with an optional label.</summary>
    public Figure AddHorizontalLine(double y, string? label = null, string color = "#888888", string dash = "dash", int subplot = 1)
    {
        var (xRef, yRef) = Refs(subplot);
        AddShape(new Shape
        {
            Type = "line", Y0 = y, Y1 = y, YRef = yRef, X0 = 0, X1 = 1, XRef = xRef + " domain",
            Line = new Line { Color = color, Width = 1.5, Dash = dash },
        });
        if (label is not null)
        {
            AddAnnotation(new Annotation
            {
                Text = label, Y = y, YRef = yRef, X = 1, XRef = xRef + " domain", XAnchor = "right", YAnchor = "bottom",
                ShowArrow = false, Font = new Font { Color = color, Size = 11 },
            });
        }
        return this;
    }

    private static (string X, string Y) Refs(int subplot)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(subplot, 1);
        return subplot == 1 ? ("x", "y") : ($"x{subplot}", $"y{subplot}");
    }

    /// <summary>
    /// Checks what plotly would draw wrongly without an error: x and y of different lengths,
    /// ragged heatmap rows, table columns of different lengths. Throws <see cref="FigureException"/>
    /// naming the trace (<c>data[1] (scatter "eval")</c>) and the field.
    /// </summary>
    public void Validate()
    {
        for (var i = 0; i < Data.Count; i++)
        {
            if (Data[i] is null) throw new FigureException($"data[{i}] is null.");
            Data[i].Validate(Data[i].Describe(i));
        }
    }

    /// <summary>
    /// The figure as plotly JSON: <c>{"data": [...], "layout": {...}}</c> (and <c>"config"</c> when set).
    /// Validates first (see <see cref="Validate"/>).
    /// </summary>
    public string ToJson(bool indented = false)
    {
        Validate();
        return FigureJson.Serialize(this, indented, "");
    }

    /// <summary>
    /// An HTML fragment for a notebook output: a div with a unique id and a script that draws the
    /// figure into it. plotly.js travels with the first figure of the process (see
    /// <see cref="PlotlyJs.NotebookMode"/>); later figures wait for it, with no network.
    /// </summary>
    public string ToHtml() => FigureHtml.Fragment(this);

    /// <summary>A standalone HTML page that draws the figure offline.</summary>
    /// <param name="plotlyScriptSrc">null embeds plotly.js in the page; otherwise the src of a &lt;script&gt; that loads it (e.g. "plotly.min.js").</param>
    public string ToStandaloneHtml(string? plotlyScriptSrc = null) => FigureHtml.Page(this, plotlyScriptSrc);

    /// <summary>
    /// Writes a standalone HTML page that works offline. With <paramref name="embedPlotly"/> (default)
    /// plotly.js (~4.6 MB) is inside the page; otherwise plotly.min.js is copied beside it.
    /// </summary>
    public void SaveHtml(string path, bool embedPlotly = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        if (!embedPlotly)
        {
            var target = Path.Combine(dir, PlotlyJs.FileName);
            var source = PlotlyJs.Locate();
            if (!File.Exists(target) || new FileInfo(target).Length != new FileInfo(source).Length) File.Copy(source, target, overwrite: true);
        }
        AtomicFile.WriteAllText(full, ToStandaloneHtml(embedPlotly ? null : PlotlyJs.FileName));
    }

    /// <summary>
    /// Renders the figure to a PNG through headless Chromium (Debian's <c>chromium</c>), using
    /// plotly's own image export and waiting for it to finish. The image is
    /// <c>width × scale</c> by <c>height × scale</c> pixels; width and height default to the layout's, else 900×500.
    /// Starts a browser for this one call (~1–2 s); use <see cref="PngRenderer"/> to render many.
    /// </summary>
    public void SavePng(string path, int? width = null, int? height = null, double scale = 1)
    {
        using var renderer = new PngRenderer();
        renderer.Save(this, path, width, height, scale);
    }

    /// <summary>The JSON of the figure (indented).</summary>
    public override string ToString() => ToJson(indented: true);
}
