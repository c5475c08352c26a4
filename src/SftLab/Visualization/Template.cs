namespace SftLab.Visualization;

/// <summary>
/// Default styles for a figure (plotly's <c>layout.template</c>): colors of the background,
/// grid, text and traces. SftLab ships <see cref="Light"/> and <see cref="Dark"/>.
/// </summary>
public sealed class Template
{
    /// <summary>Layout defaults: every attribute set here applies unless the figure sets it.</summary>
    public Layout? Layout { get; set; }

    /// <summary>The color palette of traces in the light theme (d3's category10).</summary>
    public static readonly IReadOnlyList<string> LightColors =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>The color palette of traces in the dark theme (brighter, for a dark background).</summary>
    public static readonly IReadOnlyList<string> DarkColors =
        ["#4ea8f0", "#ffa94d", "#5fd35f", "#ff6b6b", "#c39bf0", "#d9a47a", "#f5a3d9", "#bdbdbd", "#e0e05a", "#4fdde8"];

    /// <summary>A light theme: white paper, pale plot area, grey grid.</summary>
    public static Template Light() => Make("#ffffff", "#f7f8fa", "#1f2328", "#dfe3e8", "#b8bfc7", LightColors);

    /// <summary>A dark theme matching VS Code's dark editor background.</summary>
    public static Template Dark() => Make("#1e1e1e", "#252526", "#d4d4d4", "#3c3c3c", "#5a5a5a", DarkColors);

    private static Template Make(string paper, string plot, string text, string grid, string zero, IReadOnlyList<string> colors)
    {
        Axis AxisStyle() => new() { GridColor = grid, ZeroLineColor = zero, LineColor = zero, Automargin = true };
        return new Template
        {
            Layout = new Layout
            {
                PaperBgColor = paper,
                PlotBgColor = plot,
                Font = new Font { Color = text, Family = "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif", Size = 13 },
                ColorWay = Values.Of(colors),
                XAxis = AxisStyle(),
                YAxis = AxisStyle(),
            },
        };
    }
}
