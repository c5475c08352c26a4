namespace SftLab.Evaluation;

/// <summary>The spread of a cost measure (latency, prompt tokens) over examples.</summary>
/// <param name="Count">How many values.</param>
/// <param name="Mean">The average.</param>
/// <param name="P50">The median: half of the examples cost less.</param>
/// <param name="P95">95% of the examples cost at most this much: the slow tail a user notices.</param>
/// <param name="Min">The smallest value.</param>
/// <param name="Max">The largest value.</param>
/// <param name="Total">The sum (e.g. all prompt tokens paid for).</param>
public sealed record CostSummary(int Count, double Mean, double P50, double P95, double Min, double Max, double Total);

public static partial class Metrics
{
    /// <summary>
    /// Summarizes a cost measure per example — milliseconds per answer, prompt tokens per answer
    /// (the price of few-shot examples and retrieved documents) — as mean, median (p50) and p95.
    /// The mean hides the tail; p95 shows it. Percentiles interpolate linearly between the sorted
    /// values, as NumPy's <c>percentile</c> does by default.
    /// </summary>
    public static CostSummary SummarizeCost(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.ToArray();
        if (sorted.Length == 0) throw new ArgumentException("no values to summarize", nameof(values));
        for (var i = 0; i < sorted.Length; i++)
            if (!double.IsFinite(sorted[i])) throw new ArgumentException($"value {i} is {sorted[i]}; costs must be finite numbers", nameof(values));
        Array.Sort(sorted);
        return new CostSummary(sorted.Length, sorted.Average(), PercentileOfSorted(sorted, 50), PercentileOfSorted(sorted, 95), sorted[0], sorted[^1], sorted.Sum());
    }

    /// <summary>
    /// The <paramref name="percent"/>-th percentile (0–100) with linear interpolation between
    /// the two nearest ranks (NumPy's default "linear" method, Hyndman–Fan type 7).
    /// </summary>
    public static double Percentile(IEnumerable<double> values, double percent)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.ToArray();
        if (sorted.Length == 0) throw new ArgumentException("no values", nameof(values));
        if (sorted.Any(double.IsNaN)) throw new ArgumentException("a value is NaN", nameof(values));
        Array.Sort(sorted);
        return PercentileOfSorted(sorted, percent);
    }

    internal static double PercentileOfSorted(ReadOnlySpan<double> sorted, double percent)
    {
        if (percent is < 0 or > 100 || double.IsNaN(percent)) throw new ArgumentOutOfRangeException(nameof(percent), percent, "a percentile is between 0 and 100");
        var position = percent / 100 * (sorted.Length - 1);
        var lo = (int)Math.Floor(position);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        var frac = position - lo;
        var diff = sorted[hi] - sorted[lo];
        // NumPy's lerp: from the nearer end, so the result stays within [a, b] in floating point.
        return frac >= 0.5 ? sorted[hi] - diff * (1 - frac) : sorted[lo] + diff * frac;
    }
}
