using System.Globalization;

namespace SftLab.Evaluation;

/// <summary>
/// A statistic with its bootstrap confidence interval: "the metric is <see cref="Estimate"/>, and
/// with <see cref="Confidence"/> (e.g. 95%) confidence the value on the whole population of
/// such examples lies in [<see cref="Lower"/>, <see cref="Upper"/>]".
/// </summary>
/// <param name="Estimate">The statistic on the actual examples.</param>
/// <param name="Lower">The lower end of the interval.</param>
/// <param name="Upper">The upper end of the interval.</param>
/// <param name="Confidence">The confidence level, e.g. 0.95.</param>
/// <param name="Resamples">How many bootstrap resamples the interval rests on.</param>
/// <param name="Count">How many examples.</param>
public sealed record ConfidenceInterval(double Estimate, double Lower, double Upper, double Confidence, int Resamples, int Count)
{
    /// <summary>True when <paramref name="value"/> lies inside the interval (ends included).</summary>
    public bool Contains(double value) => value >= Lower && value <= Upper;

    /// <summary>Half the interval's width: the "±" to quote.</summary>
    public double HalfWidth => (Upper - Lower) / 2;

    /// <summary><c>0.420 [0.380, 0.460]</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Estimate:F3} [{Lower:F3}, {Upper:F3}]");
}

/// <summary>
/// Two methods scored on the same examples, compared by a paired bootstrap (Koehn 2004).
/// </summary>
/// <param name="A">Method A's mean with its interval.</param>
/// <param name="B">Method B's mean with its interval.</param>
/// <param name="Difference">mean(A) − mean(B) with its interval; when the interval excludes 0 the
/// difference is unlikely to be luck of the example draw (at that confidence).</param>
/// <param name="WinsA">Examples where A scored higher than B.</param>
/// <param name="WinsB">Examples where B scored higher than A.</param>
/// <param name="Ties">Examples where they scored the same.</param>
/// <param name="ProbabilityABetter">The share of resamples in which A's mean beat B's (ties count half):
/// near 1 or 0 the ranking is stable, near 0.5 the data cannot tell them apart. Not a p-value.</param>
public sealed record PairedComparison(ConfidenceInterval A, ConfidenceInterval B, ConfidenceInterval Difference, int WinsA, int WinsB, int Ties, double ProbabilityABetter);

/// <summary>
/// Bootstrap confidence intervals. A test set is a sample; scored on another sample of the same
/// size, a method would get a somewhat different number. The bootstrap estimates how different:
/// draw the same number of examples <em>with replacement</em> from your examples, recompute the
/// metric, repeat (1,000 times by default), and read the middle 95% of the recomputed values
/// (the <em>percentile</em> bootstrap). Two methods whose intervals overlap a lot may not really
/// differ; compare them with <see cref="PairedDifference"/>, which resamples the same examples for
/// both and so cancels the luck of which questions were easy. The random draws come from a seeded
/// generator, so the same seed always gives the same interval.
/// </summary>
public static class Bootstrap
{
    /// <summary>The default number of resamples.</summary>
    public const int DefaultResamples = 1000;

    /// <summary>
    /// The mean of <paramref name="values"/> (e.g. per-example exact match, 0 or 1) with its
    /// percentile-bootstrap confidence interval.
    /// </summary>
    /// <param name="values">One value per example.</param>
    /// <param name="resamples">How many resamples (1,000 is plenty for a 95% interval; more makes the ends steadier).</param>
    /// <param name="seed">The random seed; the same seed gives the same interval.</param>
    /// <param name="confidence">The confidence level, between 0 and 1.</param>
    public static ConfidenceInterval MeanCI(IReadOnlyList<double> values, int resamples = DefaultResamples, int seed = 0, double confidence = 0.95)
    {
        Validate(values, nameof(values), resamples, confidence);
        var means = ResampleMeans(values, resamples, seed);
        return Interval(Mean(values), means, confidence, values.Count);
    }

    /// <summary>
    /// Any statistic of a set of examples with its percentile-bootstrap interval: the statistic is
    /// recomputed on each resample (a list of examples drawn with replacement). Use it for metrics
    /// that are not means of per-example values, such as corpus BLEU or token-weighted perplexity.
    /// </summary>
    public static ConfidenceInterval CI<T>(IReadOnlyList<T> items, Func<IReadOnlyList<T>, double> statistic, int resamples = DefaultResamples, int seed = 0, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(statistic);
        if (items.Count == 0) throw new ArgumentException("the bootstrap needs at least one example", nameof(items));
        ValidateSettings(resamples, confidence);
        var rng = new BootstrapRandom(unchecked((ulong)seed));
        var stats = new double[resamples];
        var sample = new T[items.Count];
        for (var r = 0; r < resamples; r++)
        {
            for (var i = 0; i < sample.Length; i++) sample[i] = items[rng.NextInt(items.Count)];
            stats[r] = statistic(sample);
        }
        return Interval(statistic(items), stats, confidence, items.Count);
    }

    /// <summary>
    /// Paired bootstrap of two methods scored on the same examples (a[i] and b[i] belong to the
    /// same question): each resample draws one set of example indices and uses it for both, so the
    /// interval of the difference reflects only how the methods differ, not which questions were drawn.
    /// </summary>
    public static PairedComparison PairedDifference(IReadOnlyList<double> a, IReadOnlyList<double> b, int resamples = DefaultResamples, int seed = 0, double confidence = 0.95)
    {
        Validate(a, nameof(a), resamples, confidence);
        Validate(b, nameof(b), resamples, confidence);
        if (a.Count != b.Count) throw new ArgumentException($"a paired comparison needs the same examples on both sides: a has {a.Count} values, b has {b.Count}");
        var n = a.Count;
        var rng = new BootstrapRandom(unchecked((ulong)seed));
        var meansA = new double[resamples];
        var meansB = new double[resamples];
        var diffs = new double[resamples];
        double better = 0;
        for (var r = 0; r < resamples; r++)
        {
            double sa = 0, sb = 0;
            for (var i = 0; i < n; i++)
            {
                var k = rng.NextInt(n);
                sa += a[k];
                sb += b[k];
            }
            meansA[r] = sa / n;
            meansB[r] = sb / n;
            diffs[r] = meansA[r] - meansB[r];
            better += diffs[r] > 0 ? 1 : diffs[r] == 0 ? 0.5 : 0;
        }
        int winsA = 0, winsB = 0, ties = 0;
        for (var i = 0; i < n; i++)
        {
            if (a[i] > b[i]) winsA++;
            else if (a[i] < b[i]) winsB++;
            else ties++;
        }
        var meanA = Mean(a);
        var meanB = Mean(b);
        return new PairedComparison(
            Interval(meanA, meansA, confidence, n),
            Interval(meanB, meansB, confidence, n),
            Interval(meanA - meanB, diffs, confidence, n),
            winsA, winsB, ties, better / resamples);
    }

    /// <summary>The resampled means behind <see cref="MeanCI"/> (same seed, same order), for plotting the bootstrap distribution.</summary>
    public static double[] ResampleMeans(IReadOnlyList<double> values, int resamples = DefaultResamples, int seed = 0)
    {
        Validate(values, nameof(values), resamples, 0.95);
        var rng = new BootstrapRandom(unchecked((ulong)seed));
        var n = values.Count;
        var means = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            double sum = 0;
            for (var i = 0; i < n; i++) sum += values[rng.NextInt(n)];
            means[r] = sum / n;
        }
        return means;
    }

    private static ConfidenceInterval Interval(double estimate, double[] stats, double confidence, int count)
    {
        Array.Sort(stats);
        var alpha = 1 - confidence;
        var lower = Metrics.PercentileOfSorted(stats, 100 * alpha / 2);
        var upper = Metrics.PercentileOfSorted(stats, 100 * (1 - alpha / 2));
        return new ConfidenceInterval(estimate, lower, upper, confidence, stats.Length, count);
    }

    private static double Mean(IReadOnlyList<double> values)
    {
        double sum = 0;
        for (var i = 0; i < values.Count; i++) sum += values[i];
        return sum / values.Count;
    }

    private static void Validate(IReadOnlyList<double> values, string name, int resamples, double confidence)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        if (values.Count == 0) throw new ArgumentException("the bootstrap needs at least one value", name);
        for (var i = 0; i < values.Count; i++)
            if (!double.IsFinite(values[i])) throw new ArgumentException($"{name}[{i}] is {values[i]}; every value must be a finite number", name);
        ValidateSettings(resamples, confidence);
    }

    private static void ValidateSettings(int resamples, double confidence)
    {
        if (resamples < 1) throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "at least one resample is needed (1,000 is usual)");
        if (!(confidence is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "the confidence level is between 0 and 1, e.g. 0.95");
    }
}
