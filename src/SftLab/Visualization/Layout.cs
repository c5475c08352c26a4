using System.Text.Json.Serialization;

namespace SftLab.Visualization;

/// <summary>
/// Everything of a figure that is not data: title, axes, legend, size, annotations, shapes,
/// subplot grid, template (light/dark theme). Null properties are omitted (plotly's default).
/// </summary>
public sealed class Layout
{
    /// <summary>The figure title.</summary>
    public Title? Title { get; set; }

    /// <summary>The first x axis (<c>xaxis</c>); further ones via <see cref="GetXAxis"/>.</summary>
    [JsonPropertyName("xaxis")]
    public Axis? XAxis { get; set; }

    /// <summary>The first y axis (<c>yaxis</c>); further ones via <see cref="GetYAxis"/>.</summary>
    [JsonPropertyName("yaxis")]
    public Axis? YAxis { get; set; }

    /// <summary>Width in pixels; unset, the figure fills its container.</summary>
    public int? Width { get; set; }

    /// <summary>Height in pixels (plotly's default is 450).</summary>
    public int? Height { get; set; }

    /// <summary>Whether plotly resizes the figure with its container (default true).</summary>
    public bool? AutoSize { get; set; }

    /// <summary>Margins around the plot area in pixels.</summary>
    public Margin? Margin { get; set; }

    /// <summary>Whether the legend is shown (by default only with two or more traces).</summary>
    public bool? ShowLegend { get; set; }

    /// <summary>Legend position and style.</summary>
    public Legend? Legend { get; set; }

    /// <summary>Texts placed on the figure (labels, subplot titles).</summary>
    public List<Annotation>? Annotations { get; set; }

    /// <summary>Lines and rectangles drawn on the figure (an "epoch boundary" marker, a max-length line).</summary>
    public List<Shape>? Shapes { get; set; }

    /// <summary>A grid of subplots: trace axes "x2"/"y2"… are placed in its cells.</summary>
    public Grid? Grid { get; set; }

    /// <summary>Default styles (a theme); see <see cref="Visualization.Template.Light"/> and <see cref="Visualization.Template.Dark"/>.</summary>
    public Template? Template { get; set; }

    /// <summary>The global font.</summary>
    public Font? Font { get; set; }

    /// <summary>Background color of the whole figure.</summary>
    [JsonPropertyName("paper_bgcolor")]
    public string? PaperBgColor { get; set; }

    /// <summary>Background color of the plot area.</summary>
    [JsonPropertyName("plot_bgcolor")]
    public string? PlotBgColor { get; set; }

    /// <summary>The colors given to traces in order.</summary>
    public Values? ColorWay { get; set; }

    /// <summary>"group" (bars side by side), "stack", "overlay", "relative".</summary>
    public string? BarMode { get; set; }

    /// <summary>Gap between bars of adjacent locations, 0 to 1.</summary>
    public double? BarGap { get; set; }

    /// <summary>"closest", "x", "x unified", "y", false.</summary>
    public object? HoverMode { get; set; }

    /// <summary>
    /// Any other plotly layout attribute, written as-is; also holds the extra axes
    /// ("xaxis2", "yaxis3"…) created by <see cref="GetXAxis"/> and <see cref="GetYAxis"/>.
    /// </summary>
    [JsonExtensionData]
    public Dictionary<string, object?>? Extra { get; set; }

    /// <summary>The x axis with this number (1 is <see cref="XAxis"/>), created when missing.</summary>
    public Axis GetXAxis(int number) => GetAxis("xaxis", number);

    /// <summary>The y axis with this number (1 is <see cref="YAxis"/>), created when missing.</summary>
    public Axis GetYAxis(int number) => GetAxis("yaxis", number);

    private Axis GetAxis(string prefix, int number)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(number, 1);
        if (number == 1)
        {
            return prefix == "xaxis" ? XAxis ??= new Axis() : YAxis ??= new Axis();
        }
        Extra ??= new Dictionary<string, object?>();
        var key = prefix + number;
        if (Extra.TryGetValue(key, out var existing) && existing is Axis axis) return axis;
        axis = new Axis();
        Extra[key] = axis;
        return axis;
    }
}

/// <summary>An axis: title, range, scale (linear, log, date, category), ticks and grid.</summary>
public sealed class Axis
{
    /// <summary>The axis title, e.g. "step".</summary>
    public Title? Title { get; set; }

    /// <summary>"linear", "log", "date", "category", or "-" (plotly guesses from the data).</summary>
    public string? Type { get; set; }

    /// <summary>
    /// [min, max]. On a log axis the range is in log10 units (<c>[-4, 0]</c> shows 1e-4 to 1);
    /// on a date axis, date strings.
    /// </summary>
    public object[]? Range { get; set; }

    /// <summary>true (fit the data), false, or "reversed" (flip the axis, e.g. rows top-down).</summary>
    public object? AutoRange { get; set; }

    /// <summary>"normal", "tozero" (include 0), "nonnegative".</summary>
    public string? RangeMode { get; set; }

    /// <summary>Whether grid lines are drawn.</summary>
    public bool? ShowGrid { get; set; }

    /// <summary>Grid line color.</summary>
    public string? GridColor { get; set; }

    /// <summary>Whether the zero line is drawn.</summary>
    public bool? ZeroLine { get; set; }

    /// <summary>Color of the zero line.</summary>
    public string? ZeroLineColor { get; set; }

    /// <summary>Whether the axis line is drawn.</summary>
    public bool? ShowLine { get; set; }

    /// <summary>Color of the axis line.</summary>
    public string? LineColor { get; set; }

    /// <summary>Whether tick labels are drawn.</summary>
    public bool? ShowTickLabels { get; set; }

    /// <summary>d3-format of tick labels: ".2f", ".1e", "~s" (SI), ".0%".</summary>
    public string? TickFormat { get; set; }

    /// <summary>"auto", "linear", "array" (use <see cref="TickVals"/>).</summary>
    public string? TickMode { get; set; }

    /// <summary>Tick positions (with <see cref="TickMode"/> = "array").</summary>
    public Values? TickVals { get; set; }

    /// <summary>Tick labels for <see cref="TickVals"/>.</summary>
    public Values? TickText { get; set; }

    /// <summary>Tick label angle in degrees, e.g. -45.</summary>
    public double? TickAngle { get; set; }

    /// <summary>Tick label font.</summary>
    public Font? TickFont { get; set; }

    /// <summary>The step between ticks (a number, or e.g. "M1" on date axes).</summary>
    public object? DTick { get; set; }

    /// <summary>The part of the figure [start, end] (0–1) this axis spans.</summary>
    public double[]? Domain { get; set; }

    /// <summary>The other axis this one is attached to ("x2", "y"…), or "free".</summary>
    public string? Anchor { get; set; }

    /// <summary>Another axis ("x", "y2"…) whose range this one shares when zooming.</summary>
    public string? Matches { get; set; }

    /// <summary>Another axis drawn over this one (a second y axis on the right).</summary>
    public string? Overlaying { get; set; }

    /// <summary>"left", "right", "top", "bottom".</summary>
    public string? Side { get; set; }

    /// <summary>Locks this axis's scale to another ("x") — square heatmap cells.</summary>
    public string? ScaleAnchor { get; set; }

    /// <summary>The ratio of the locked scales.</summary>
    public double? ScaleRatio { get; set; }

    /// <summary>Whether margins grow to fit long tick labels.</summary>
    public bool? Automargin { get; set; }

    /// <summary>Whether the axis is drawn at all.</summary>
    public bool? Visible { get; set; }

    /// <summary>Any other plotly axis attribute, written as-is.</summary>
    [JsonExtensionData]
    public Dictionary<string, object?>? Extra { get; set; }
}

/// <summary>Margins in pixels.</summary>
public sealed class Margin
{
    /// <summary>Left.</summary>
    [JsonPropertyName("l")] public int? Left { get; set; }
    /// <summary>Right.</summary>
    [JsonPropertyName("r")] public int? Right { get; set; }
    /// <summary>Top.</summary>
    [JsonPropertyName("t")] public int? Top { get; set; }
    /// <summary>Bottom.</summary>
    [JsonPropertyName("b")] public int? Bottom { get; set; }
    /// <summary>Padding between the plot area and the axis lines.</summary>
    [JsonPropertyName("pad")] public int? Pad { get; set; }
}

/// <summary>Legend placement.</summary>
public sealed class Legend
{
    /// <summary>"v" (vertical) or "h" (horizontal).</summary>
    public string? Orientation { get; set; }
    /// <summary>Position in paper coordinates (0–1; may be outside).</summary>
    public double? X { get; set; }
    /// <summary>Position in paper coordinates (0–1; may be outside).</summary>
    public double? Y { get; set; }
    /// <summary>"left", "center", "right", "auto".</summary>
    public string? XAnchor { get; set; }
    /// <summary>"top", "middle", "bottom", "auto".</summary>
    public string? YAnchor { get; set; }
    /// <summary>Legend title.</summary>
    public Title? Title { get; set; }
    /// <summary>Background color.</summary>
    public string? BgColor { get; set; }
    /// <summary>Legend font.</summary>
    public Font? Font { get; set; }
}

/// <summary>A grid of subplots. With <c>Pattern = "independent"</c>, cell k (row-major) holds axes x{k}/y{k}.</summary>
public sealed class Grid
{
    /// <summary>Number of rows.</summary>
    public int? Rows { get; set; }
    /// <summary>Number of columns.</summary>
    public int? Columns { get; set; }
    /// <summary>"independent" (each cell its own axes) or "coupled" (shared x per column, y per row).</summary>
    public string? Pattern { get; set; }
    /// <summary>"top to bottom" (default) or "bottom to top".</summary>
    public string? RowOrder { get; set; }
    /// <summary>Horizontal gap between cells, as a fraction of a cell.</summary>
    [JsonPropertyName("xgap")] public double? XGap { get; set; }
    /// <summary>Vertical gap between cells, as a fraction of a cell.</summary>
    [JsonPropertyName("ygap")] public double? YGap { get; set; }
}

/// <summary>A text placed on the figure.</summary>
public sealed class Annotation
{
    /// <summary>The text (plotly's small HTML subset: &lt;b&gt;, &lt;br&gt;).</summary>
    public string? Text { get; set; }
    /// <summary>x position, in the units of <see cref="XRef"/>.</summary>
    public object? X { get; set; }
    /// <summary>y position, in the units of <see cref="YRef"/>.</summary>
    public object? Y { get; set; }
    /// <summary>"x" (data of axis x), "x2", "paper" (0–1 of the figure), "x domain" (0–1 of that axis).</summary>
    public string? XRef { get; set; }
    /// <summary>"y", "y2", "paper", "y domain".</summary>
    public string? YRef { get; set; }
    /// <summary>"left", "center", "right", "auto".</summary>
    public string? XAnchor { get; set; }
    /// <summary>"top", "middle", "bottom", "auto".</summary>
    public string? YAnchor { get; set; }
    /// <summary>Whether an arrow points at (x, y).</summary>
    public bool? ShowArrow { get; set; }
    /// <summary>Font of the text.</summary>
    public Font? Font { get; set; }
    /// <summary>Background color behind the text.</summary>
    public string? BgColor { get; set; }
    /// <summary>Angle of the text in degrees.</summary>
    public double? TextAngle { get; set; }
    /// <summary>Shift in pixels.</summary>
    [JsonPropertyName("xshift")] public double? XShift { get; set; }
    /// <summary>Shift in pixels.</summary>
    [JsonPropertyName("yshift")] public double? YShift { get; set; }
}

/// <summary>A line, rectangle or circle drawn on the figure.</summary>
public sealed class Shape
{
    /// <summary>"line", "rect", "circle".</summary>
    public string? Type { get; set; }
    /// <summary>Start x, in the units of <see cref="XRef"/>.</summary>
    public object? X0 { get; set; }
    /// <summary>End x.</summary>
    public object? X1 { get; set; }
    /// <summary>Start y, in the units of <see cref="YRef"/>.</summary>
    public object? Y0 { get; set; }
    /// <summary>End y.</summary>
    public object? Y1 { get; set; }
    /// <summary>"x", "x2", "paper", "x domain"…</summary>
    public string? XRef { get; set; }
    /// <summary>"y", "y2", "paper", "y domain"… ("y domain" with 0 and 1 spans the plot's full height).</summary>
    public string? YRef { get; set; }
    /// <summary>Outline.</summary>
    public Line? Line { get; set; }
    /// <summary>Fill color of a rectangle or circle.</summary>
    public string? FillColor { get; set; }
    /// <summary>Opacity 0 to 1.</summary>
    public double? Opacity { get; set; }
    /// <summary>"above" or "below" the traces.</summary>
    public string? Layer { get; set; }
}

/// <summary>
/// Plotly's per-figure options that are not part of the picture (toolbar, responsiveness). Unlike
/// data and layout, config keys are camelCase in plotly (displayModeBar, staticPlot).
/// </summary>
public sealed class Config
{
    /// <summary>Whether the figure resizes with the window.</summary>
    [JsonPropertyName("responsive")]
    public bool? Responsive { get; set; }
    /// <summary>true, false, or "hover" (the default): the toolbar.</summary>
    [JsonPropertyName("displayModeBar")]
    public object? DisplayModeBar { get; set; }
    /// <summary>Whether the plotly logo is in the toolbar.</summary>
    [JsonPropertyName("displaylogo")]
    public bool? DisplayLogo { get; set; }
    /// <summary>A static image: no hover, zoom or toolbar.</summary>
    [JsonPropertyName("staticPlot")]
    public bool? StaticPlot { get; set; }
    /// <summary>Whether the mouse wheel zooms.</summary>
    [JsonPropertyName("scrollZoom")]
    public bool? ScrollZoom { get; set; }
    /// <summary>Any other plotly config attribute, written as-is.</summary>
    [JsonExtensionData]
    public Dictionary<string, object?>? Extra { get; set; }
}
