using System.Text.Json.Serialization;

namespace SftLab.Visualization;

/// <summary>
/// One series of a figure (plotly's "trace"): a line, a set of bars, a heatmap… Every property
/// left null is omitted from the JSON, so plotly uses its default. JSON names are the property
/// names in lower case (<c>ShowLegend</c> → <c>showlegend</c>) unless marked otherwise.
/// </summary>
[JsonDerivedType(typeof(Scatter))]
[JsonDerivedType(typeof(Bar))]
[JsonDerivedType(typeof(Histogram))]
[JsonDerivedType(typeof(Heatmap))]
[JsonDerivedType(typeof(Box))]
[JsonDerivedType(typeof(Table))]
public abstract class Trace
{
    /// <summary>The plotly trace type: "scatter", "bar", "histogram", "heatmap", "box", "table".</summary>
    [JsonPropertyOrder(-10)]
    public abstract string Type { get; }

    /// <summary>The name shown in the legend and on hover.</summary>
    [JsonPropertyOrder(-9)]
    public string? Name { get; set; }

    /// <summary>Whether this trace has a legend entry.</summary>
    public bool? ShowLegend { get; set; }

    /// <summary>Traces with the same group toggle together when a legend entry is clicked.</summary>
    public string? LegendGroup { get; set; }

    /// <summary>true, false, or "legendonly" (hidden until clicked in the legend).</summary>
    public object? Visible { get; set; }

    /// <summary>Opacity of the whole trace, 0 to 1.</summary>
    public double? Opacity { get; set; }

    /// <summary>The x axis this trace is drawn on: "x" (default), "x2", "x3"… (subplots).</summary>
    [JsonPropertyName("xaxis")]
    public string? XAxis { get; set; }

    /// <summary>The y axis this trace is drawn on: "y" (default), "y2", "y3"… (subplots).</summary>
    [JsonPropertyName("yaxis")]
    public string? YAxis { get; set; }

    /// <summary>
    /// What the hover label shows, e.g. <c>"x: %{x}&lt;br&gt;loss: %{y:.3f}&lt;extra&gt;&lt;/extra&gt;"</c>
    /// (d3-format after the colon; <c>&lt;extra&gt;&lt;/extra&gt;</c> hides the trace name box).
    /// </summary>
    public string? HoverTemplate { get; set; }

    /// <summary>"x+y", "text", "none", "skip"… which fields the default hover label shows.</summary>
    public string? HoverInfo { get; set; }

    /// <summary>Extra per-point data, available to <see cref="HoverTemplate"/> as <c>%{customdata}</c>.</summary>
    public Values? CustomData { get; set; }

    /// <summary>
    /// Any other plotly attribute of this trace, written as-is (escape hatch for what this model
    /// does not cover). Keys are plotly's attribute names; values are serialized by their type.
    /// </summary>
    [JsonExtensionData]
    public Dictionary<string, object?>? Extra { get; set; }

    /// <summary>Checks this trace's arrays; throws <see cref="FigureException"/> naming the trace and field.</summary>
    internal virtual void Validate(string where) { }

    internal static void CheckSameLength(string where, string nameA, Values? a, string nameB, Values? b)
    {
        if (a is not null && b is not null && a.Count != b.Count)
        {
            throw new FigureException(
                $"{where}: {nameA} has {a.Count} values but {nameB} has {b.Count}; give both the same length " +
                "(plotly would silently drop the extra points).");
        }
    }

    internal Trace ShallowCopy() => (Trace)MemberwiseClone();

    internal string Describe(int index) =>
        Name is null ? $"data[{index}] ({Type})" : $"data[{index}] ({Type} \"{Name}\")";
}

/// <summary>Line style of a scatter trace or the outline of markers/shapes.</summary>
public sealed class Line
{
    /// <summary>A CSS color: "#1f77b4", "rgba(0,0,0,0.5)", "red".</summary>
    public string? Color { get; set; }

    /// <summary>Width in pixels.</summary>
    public double? Width { get; set; }

    /// <summary>"solid", "dot", "dash", "longdash", "dashdot".</summary>
    public string? Dash { get; set; }

    /// <summary>"linear", "spline", "hv" (steps)…</summary>
    public string? Shape { get; set; }
}

/// <summary>Marker style: the points of a scatter, the bars of a bar chart.</summary>
public sealed class Marker
{
    /// <summary>A CSS color string, or a <see cref="Values"/> of per-point colors (strings) or numbers (mapped through <see cref="ColorScale"/>).</summary>
    public object? Color { get; set; }

    /// <summary>Size in pixels, a number or per-point <see cref="Values"/>.</summary>
    public object? Size { get; set; }

    /// <summary>"circle", "square", "diamond", "x"…</summary>
    public string? Symbol { get; set; }

    /// <summary>Opacity 0 to 1.</summary>
    public double? Opacity { get; set; }

    /// <summary>A named scale ("Viridis", "Blues") or a list of [fraction, color] pairs, used when <see cref="Color"/> holds numbers.</summary>
    public object? ColorScale { get; set; }

    /// <summary>Whether a color bar is shown for numeric colors.</summary>
    public bool? ShowScale { get; set; }

    /// <summary>Outline of each marker or bar.</summary>
    public Line? Line { get; set; }
}

/// <summary>Error bars (<c>error_y</c>/<c>error_x</c>): plus/minus values drawn around each point.</summary>
public sealed class ErrorBars
{
    /// <summary>"data" (the arrays below), "percent", "constant" or "sqrt".</summary>
    public string? Type { get; set; } = "data";

    /// <summary>The error of each point (upwards; also downwards unless <see cref="ArrayMinus"/> is set).</summary>
    public Values? Array { get; set; }

    /// <summary>The downward error of each point, for asymmetric bars.</summary>
    public Values? ArrayMinus { get; set; }

    /// <summary>Whether the bars are symmetric.</summary>
    public bool? Symmetric { get; set; }

    /// <summary>Whether the bars are drawn.</summary>
    public bool? Visible { get; set; } = true;

    /// <summary>Color of the bars.</summary>
    public string? Color { get; set; }

    /// <summary>Thickness in pixels.</summary>
    public double? Thickness { get; set; }

    /// <summary>Width of the cross-bar ends in pixels.</summary>
    public double? Width { get; set; }
}

/// <summary>A font: family, size, color.</summary>
public sealed class Font
{
    /// <summary>CSS font family, e.g. "Menlo, monospace".</summary>
    public string? Family { get; set; }

    /// <summary>Size in pixels.</summary>
    public double? Size { get; set; }

    /// <summary>A CSS color.</summary>
    public string? Color { get; set; }
}

/// <summary>The color bar beside a heatmap or colored markers.</summary>
public sealed class ColorBar
{
    /// <summary>The title of the color bar.</summary>
    public Title? Title { get; set; }

    /// <summary>Thickness in pixels.</summary>
    public double? Thickness { get; set; }

    /// <summary>Tick label format (d3-format), e.g. ".2f".</summary>
    public string? TickFormat { get; set; }
}

/// <summary>A title: of the figure, an axis or a color bar (plotly.js 3+ needs an object, not a bare string).</summary>
public sealed class Title
{
    /// <summary>Creates a title.</summary>
    public Title() { }

    /// <summary>Creates a title with its text.</summary>
    public Title(string text) => Text = text;

    /// <summary>The text; may contain plotly's small HTML subset (&lt;b&gt;, &lt;br&gt;, &lt;sub&gt;).</summary>
    public string? Text { get; set; }

    /// <summary>Font of the title.</summary>
    public Font? Font { get; set; }

    /// <summary>Horizontal position (0–1, paper coordinates) of a figure title.</summary>
    public double? X { get; set; }

    /// <summary>"left", "center", "right", "auto".</summary>
    public string? XAnchor { get; set; }

    /// <summary>Converts a string to a title.</summary>
    public static implicit operator Title(string text) => new(text);
}

/// <summary>A problem in a figure that plotly would draw wrongly or not at all: names the trace and field.</summary>
public sealed class FigureException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FigureException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public FigureException(string message, Exception inner) : base(message, inner) { }
}
