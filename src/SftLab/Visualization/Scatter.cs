using System.Text.Json.Serialization;

namespace SftLab.Visualization;

/// <summary>A line and/or point series (plotly's <c>scatter</c> trace): loss against step, say.</summary>
public sealed class Scatter : Trace
{
    /// <inheritdoc/>
    public override string Type => "scatter";

    /// <summary>The x values (numbers, category strings or dates).</summary>
    public Values? X { get; set; }

    /// <summary>The y values; NaN or infinity is a gap in the line.</summary>
    public Values? Y { get; set; }

    /// <summary>Per-point texts shown on hover (and on the chart for some modes).</summary>
    public Values? Text { get; set; }

    /// <summary>Per-point texts shown on hover only.</summary>
    public Values? HoverText { get; set; }

    /// <summary>"lines", "markers", "lines+markers", "text", "lines+text"…</summary>
    public string? Mode { get; set; }

    /// <summary>Line style.</summary>
    public Line? Line { get; set; }

    /// <summary>Marker (point) style.</summary>
    public Marker? Marker { get; set; }

    /// <summary>"none", "tozeroy", "tonexty"… fills the area under or between lines.</summary>
    public string? Fill { get; set; }

    /// <summary>The fill color.</summary>
    public string? FillColor { get; set; }

    /// <summary>Whether a gap (NaN) is bridged by the line instead of breaking it.</summary>
    public bool? ConnectGaps { get; set; }

    /// <summary>Where <see cref="Text"/> is drawn when <see cref="Mode"/> includes "text": "top center"…</summary>
    public string? TextPosition { get; set; }

    /// <summary>Error bars in y.</summary>
    [JsonPropertyName("error_y")]
    public ErrorBars? ErrorY { get; set; }

    internal override void Validate(string where)
    {
        CheckSameLength(where, "x", X, "y", Y);
        CheckSameLength(where, "y", Y, "text", Text);
        CheckSameLength(where, "y", Y, "error_y.array", ErrorY?.Array);
    }
}
