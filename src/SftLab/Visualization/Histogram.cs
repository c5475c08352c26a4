namespace SftLab.Visualization;

/// <summary>A histogram (plotly's <c>histogram</c> trace): plotly counts the raw values into bins.</summary>
public sealed class Histogram : Trace
{
    /// <inheritdoc/>
    public override string Type => "histogram";

    /// <summary>The raw values to bin (vertical bars); NaN values are not counted.</summary>
    public Values? X { get; set; }

    /// <summary>The raw values to bin horizontally (instead of <see cref="X"/>).</summary>
    public Values? Y { get; set; }

    /// <summary>Per-point texts shown on hover (and on the chart for some modes).</summary>
    public Values? Text { get; set; }

    /// <summary>Per-point texts shown on hover only.</summary>
    public Values? HoverText { get; set; }

    /// <summary>The largest number of bins plotly may choose (it picks "nice" bin edges).</summary>
    public int? NBinsX { get; set; }

    /// <summary>Explicit bins: start, end and size.</summary>
    public Bins? XBins { get; set; }

    /// <summary>"" (counts), "percent", "probability", "density", "probability density".</summary>
    public string? HistNorm { get; set; }

    /// <summary>Bar colors and outline.</summary>
    public Marker? Marker { get; set; }

    internal override void Validate(string where)
    {
        if (X is not null && Y is not null)
        {
            throw new FigureException($"{where}: set x or y, not both (a histogram bins one of them).");
        }
    }
}

/// <summary>Histogram bin edges.</summary>
public sealed class Bins
{
    /// <summary>The left edge of the first bin.</summary>
    public double? Start { get; set; }

    /// <summary>The right edge of the last bin.</summary>
    public double? End { get; set; }

    /// <summary>The width of each bin.</summary>
    public double? Size { get; set; }
}
