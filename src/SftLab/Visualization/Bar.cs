using System.Text.Json.Serialization;

namespace SftLab.Visualization;

/// <summary>Bars (plotly's <c>bar</c> trace): one bar per x category, or per y when horizontal.</summary>
public sealed class Bar : Trace
{
    /// <inheritdoc/>
    public override string Type => "bar";

    /// <summary>The x values (categories for vertical bars).</summary>
    public Values? X { get; set; }

    /// <summary>The y values (bar heights for vertical bars); NaN leaves the bar out.</summary>
    public Values? Y { get; set; }

    /// <summary>Per-point texts shown on hover (and on the chart for some modes).</summary>
    public Values? Text { get; set; }

    /// <summary>Per-point texts shown on hover only.</summary>
    public Values? HoverText { get; set; }

    /// <summary>"v" (vertical, default) or "h" (horizontal: categories on y).</summary>
    public string? Orientation { get; set; }

    /// <summary>Bar colors and outline.</summary>
    public Marker? Marker { get; set; }

    /// <summary>Error bars on the bar values (vertical bars).</summary>
    [JsonPropertyName("error_y")]
    public ErrorBars? ErrorY { get; set; }

    /// <summary>Error bars on the bar values (horizontal bars).</summary>
    [JsonPropertyName("error_x")]
    public ErrorBars? ErrorX { get; set; }

    /// <summary>"inside", "outside", "auto", "none": where <see cref="Text"/> is drawn.</summary>
    public string? TextPosition { get; set; }

    /// <summary>d3-format template of the bar labels, e.g. "%{y:.2f}".</summary>
    public string? TextTemplate { get; set; }

    internal override void Validate(string where)
    {
        CheckSameLength(where, "x", X, "y", Y);
        var values = Orientation == "h" ? X : Y;
        CheckSameLength(where, Orientation == "h" ? "x" : "y", values, "text", Text);
        CheckSameLength(where, "y", Y, "error_y.array", ErrorY?.Array);
        CheckSameLength(where, "y", Y, "error_y.arrayminus", ErrorY?.ArrayMinus);
        CheckSameLength(where, "x", X, "error_x.array", ErrorX?.Array);
    }
}
