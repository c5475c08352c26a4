using SftLab.Evaluation;

namespace SftLab.Tests.Evaluation;

/// <summary>Perplexity against python3-torch's cross-entropy; cost percentiles against NumPy.</summary>
public class PerplexityAndCostTests
{
    [Fact]
    public void PerplexityByHand()
    {
        // Every token at probability 1/2: mean NLL = ln 2, perplexity = 2.
        Assert.Equal(2, Metrics.Perplexity([Math.Log(0.5), Math.Log(0.5), Math.Log(0.5)]), 12);
        // Uniform over 50 tokens: perplexity 50. Certainty: 1.
        Assert.Equal(50, Metrics.Perplexity([Math.Log(1.0 / 50)]), 9);
        Assert.Equal(1, Metrics.Perplexity([0.0, 0.0]));
        // Token-weighted corpus value: (1 token at 1/2) + (3 tokens at 1/8): exp((ln2 + 3 ln8) / 4) = exp(10 ln2 / 4) = 2^2.5.
        var r = Metrics.CorpusPerplexity([[Math.Log(0.5)], [Math.Log(0.125), Math.Log(0.125), Math.Log(0.125)]]);
        Assert.Equal(Math.Pow(2, 2.5), r.Perplexity, 9);
        Assert.Equal([2.0, 8.0], r.PerExample.Select(x => Math.Round(x, 9)));
        Assert.Equal(4, r.TokenCount);
    }

    [Fact]
    public void PerplexityMatchesTorchCrossEntropy()
    {
        var rng = new Random(3);
        const int vocab = 11;
        var lengths = new[] { 1, 5, 17, 3 };
        var logits = lengths.Select(n => Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, vocab).Select(_ => rng.NextDouble() * 6 - 3).ToArray()).ToArray()).ToArray();
        var targets = lengths.Select(n => Enumerable.Range(0, n).Select(_ => rng.Next(vocab)).ToArray()).ToArray();
        var torch = MetricsOracle.Py(new { op = "perplexity", logits, targets });
        var logProbs = torch["log_probs"]!.AsArray().Select(a => (IReadOnlyList<double>)a!.AsArray().Select(x => x!.GetValue<double>()).ToList()).ToList();
        var ours = Metrics.CorpusPerplexity(logProbs);
        Assert.Equal(torch["corpus"]!.GetValue<double>(), ours.Perplexity, 10);
        var perExample = torch["per_example"]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
        for (var i = 0; i < perExample.Length; i++) Assert.Equal(perExample[i], ours.PerExample[i], 10);
    }

    [Fact]
    public void PerplexityRejectsWhatIsNotALogProbability()
    {
        Assert.Contains("token 1 has log-probability 0.3", Assert.Throws<ArgumentException>(() => Metrics.Perplexity([-1, 0.3])).Message);
        Assert.Contains("at least one token", Assert.Throws<ArgumentException>(() => Metrics.Perplexity([])).Message);
        Assert.Contains("example 1", Assert.Throws<ArgumentException>(() => Metrics.CorpusPerplexity([[-1.0], [double.NaN]])).Message);
    }

    [Fact]
    public void CostSummaryByHand()
    {
        // Sorted 1,2,3,4,10: p50 = 3; p95 sits at position 0.95·4 = 3.8, i.e. 4 + 0.8·(10 − 4) = 8.8.
        var s = Metrics.SummarizeCost([10, 2, 1, 4, 3]);
        Assert.Equal((5, 4.0, 3.0, 1.0, 10.0, 20.0), (s.Count, s.Mean, s.P50, s.Min, s.Max, s.Total));
        Assert.Equal(8.8, s.P95, 12);
        Assert.Equal(7, Metrics.SummarizeCost([7]).P95);
        Assert.Throws<ArgumentException>(() => Metrics.SummarizeCost([]));
        Assert.Throws<ArgumentException>(() => Metrics.SummarizeCost([1, double.NaN]));
    }

    [Fact]
    public void PercentilesMatchNumpy()
    {
        var rng = new Random(9);
        double[] qs = [0, 2.5, 5, 25, 50, 75, 90, 95, 97.5, 99, 100];
        foreach (var n in new[] { 1, 2, 7, 100, 1001 })
        {
            // Latency-like values with ties.
            var values = Enumerable.Range(0, n).Select(_ => Math.Round(rng.NextDouble() * 500, rng.Next(0, 3))).ToArray();
            var expected = MetricsOracle.Py(new { op = "percentile", values, q = qs }).AsArray().Select(x => x!.GetValue<double>()).ToArray();
            for (var i = 0; i < qs.Length; i++)
                Assert.Equal(expected[i], Metrics.Percentile(values, qs[i]));
        }
    }
}
