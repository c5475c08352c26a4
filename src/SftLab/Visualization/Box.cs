namespace SftLab.Visualization;

/// <summary>A box plot (plotly's <c>box</c> trace): median, quartiles and whiskers of the raw values.</summary>
public sealed class Box : Trace
{
    /// <inheritdoc/>
    public override string Type => "box";

    /// <summary>The raw values (a vertical box); NaN values are ignored.</summary>
    public Values? Y { get; set; }

    /// <summary>The raw values of a horizontal box, or the category of each y value when both are set.</summary>
    public Values? X { get; set; }

    /// <summary>Per-point texts shown on hover (and on the chart for some modes).</summary>
    public Values? Text { get; set; }

    /// <summary>Per-point texts shown on hover only.</summary>
    public Values? HoverText { get; set; }

    /// <summary>"outliers" (default), "all", "suspectedoutliers", or false.</summary>
    public object? BoxPoints { get; set; }

    /// <summary>true draws the mean; "sd" draws the mean and standard deviation.</summary>
    public object? BoxMean { get; set; }

    /// <summary>Marker style of the points.</summary>
    public Marker? Marker { get; set; }

    /// <summary>The box outline.</summary>
    public Line? Line { get; set; }

    internal override void Validate(string where) => CheckSameLength(where, "x", X, "y", Y);
}
