using SftLab.Evaluation;

namespace SftLab.Tests.Evaluation;

/// <summary>
/// The percentile bootstrap: its ends are NumPy's percentiles of the resampled statistics, it is
/// reproducible by seed, its coverage is near the nominal 95% on simulated data with a known
/// mean, and the paired version is narrower than an unpaired one when the methods are correlated.
/// </summary>
public class BootstrapTests
{
    [Fact]
    public void IntervalEndsAreNumpyPercentilesOfTheResampledMeans()
    {
        var rng = new Random(1);
        var values = Enumerable.Range(0, 60).Select(_ => (double)(rng.NextDouble() < 0.4 ? 1 : 0)).ToList();
        var ci = Bootstrap.MeanCI(values, resamples: 2000, seed: 42);
        var means = Bootstrap.ResampleMeans(values, resamples: 2000, seed: 42);
        var ends = MetricsOracle.Py(new { op = "percentile", values = means, q = new[] { 2.5, 97.5 } }).AsArray().Select(x => x!.GetValue<double>()).ToArray();
        Assert.Equal(ends[0], ci.Lower, 12);
        Assert.Equal(ends[1], ci.Upper, 12);
        Assert.Equal(values.Average(), ci.Estimate, 12);
        Assert.True(ci.Lower < ci.Estimate && ci.Estimate < ci.Upper);
        // Each resampled mean is a mean of 60 values drawn from the data: a multiple of 1/60 within [0, 1].
        Assert.All(means, m => Assert.Equal(Math.Round(m * 60), m * 60, 9));
    }

    [Fact]
    public void SameSeedSameIntervalOtherSeedOtherInterval()
    {
        var values = Enumerable.Range(0, 50).Select(i => Math.Sin(i) * 3).ToList();
        Assert.Equal(Bootstrap.MeanCI(values, 500, seed: 7), Bootstrap.MeanCI(values, 500, seed: 7));
        Assert.NotEqual(Bootstrap.MeanCI(values, 500, seed: 7).Lower, Bootstrap.MeanCI(values, 500, seed: 8).Lower);
    }

    [Fact]
    public void WidthMatchesTheStandardErrorOfTheMean()
    {
        // For a mean of n values the bootstrap interval is about ±1.96 · sd / √n.
        var rng = new Random(2);
        var values = Enumerable.Range(0, 400).Select(_ => rng.NextDouble() * 10).ToList();
        var mean = values.Average();
        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count);
        var ci = Bootstrap.MeanCI(values, 4000, seed: 3);
        var expectedHalf = 1.96 * sd / Math.Sqrt(values.Count);
        Assert.InRange(ci.HalfWidth, expectedHalf * 0.9, expectedHalf * 1.1);
    }

    [Fact]
    public void CoverageIsNearNinetyFivePercent()
    {
        // 300 simulated test sets of 100 Bernoulli(0.3) answers: the true mean 0.3 should fall inside
        // about 95% of the intervals. (Deterministic seeds; a wrong percentile or resampling breaks it.)
        var covered = 0;
        const int trials = 300;
        for (var t = 0; t < trials; t++)
        {
            var rng = new Random(1000 + t);
            var values = Enumerable.Range(0, 100).Select(_ => rng.NextDouble() < 0.3 ? 1.0 : 0.0).ToList();
            if (Bootstrap.MeanCI(values, 400, seed: t).Contains(0.3)) covered++;
        }
        Assert.InRange(covered / (double)trials, 0.90, 0.985);
    }

    [Fact]
    public void PairedDifferenceIsNarrowerThanUnpairedForCorrelatedMethods()
    {
        // Method B = method A plus a small improvement on some questions; question difficulty varies a lot.
        var rng = new Random(4);
        var a = new List<double>();
        var b = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            var difficulty = rng.NextDouble();
            a.Add(difficulty);
            b.Add(difficulty + (rng.NextDouble() < 0.3 ? 0.1 : 0));
        }
        var paired = Bootstrap.PairedDifference(b, a, 2000, seed: 5);
        Assert.Equal(b.Average() - a.Average(), paired.Difference.Estimate, 12);
        Assert.True(paired.Difference.Lower > 0, $"B is better on every changed question; the paired interval {paired.Difference} should exclude 0");
        Assert.True(paired.ProbabilityABetter > 0.99);
        Assert.Equal(200, paired.WinsA + paired.WinsB + paired.Ties);
        Assert.Equal(0, paired.WinsB);
        // An unpaired comparison (independent resamples of each method) is far wider.
        var ia = Bootstrap.ResampleMeans(a, 2000, seed: 6);
        var ib = Bootstrap.ResampleMeans(b, 2000, seed: 7);
        var unpaired = ib.Zip(ia, (x, y) => x - y).ToArray();
        var unpairedWidth = Metrics.Percentile(unpaired, 97.5) - Metrics.Percentile(unpaired, 2.5);
        Assert.True(paired.Difference.Upper - paired.Difference.Lower < unpairedWidth / 3,
            $"paired width {paired.Difference.Upper - paired.Difference.Lower}, unpaired {unpairedWidth}");
        // Identical methods: difference exactly 0 with a zero-width interval.
        var same = Bootstrap.PairedDifference(a, a, 500);
        Assert.Equal((0.0, 0.0, 0.0, 0.5), (same.Difference.Lower, same.Difference.Upper, same.Difference.Estimate, same.ProbabilityABetter));
    }

    [Fact]
    public void GenericStatisticEqualsMeanCIForTheMean()
    {
        var values = Enumerable.Range(0, 30).Select(i => (double)(i % 7)).ToList();
        var generic = Bootstrap.CI(values, s => s.Average(), 800, seed: 9);
        var mean = Bootstrap.MeanCI(values, 800, seed: 9);
        Assert.Equal(mean.Lower, generic.Lower, 12);
        Assert.Equal(mean.Upper, generic.Upper, 12);
    }

    [Fact]
    public void BadInputIsRejected()
    {
        Assert.Throws<ArgumentException>(() => Bootstrap.MeanCI([]));
        Assert.Contains("values[1] is NaN", Assert.Throws<ArgumentException>(() => Bootstrap.MeanCI([1, double.NaN])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Bootstrap.MeanCI([1, 2], resamples: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bootstrap.MeanCI([1, 2], confidence: 1.0));
        Assert.Contains("a has 2 values, b has 1", Assert.Throws<ArgumentException>(() => Bootstrap.PairedDifference([1, 2], [1])).Message);
    }
}
