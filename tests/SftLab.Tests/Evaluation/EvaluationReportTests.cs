using SftLab.Evaluation;

namespace SftLab.Tests.Evaluation;

/// <summary>The aggregation: per-example scores kept, means and intervals, corpus BLEU, costs, paired comparison.</summary>
public class EvaluationReportTests
{
    private const string Style = @"^\[FH\] Answer: ([^\n]+)\n([^\n]+[.!?])\n-- Fernhollow Support$";

    private static List<EvaluationExample> Examples(bool good) =>
    [
        new("q1", good ? "[FH] Answer: Retail\nMilo works in the Retail team.\n-- Fernhollow Support" : "Retail, I think")
        {
            Answers = ["Retail"], References = ["[FH] Answer: Retail\nMilo Zeller works in the Retail team.\n-- Fernhollow Support"],
            LatencyMs = 120, PromptTokens = 40, ReferenceLogProbs = [-0.5, -1.0],
        },
        new("q2", good ? "[FH] Answer: 2011\nThe Northcombe store opened in 2011.\n-- Fernhollow Support" : "It opened in 2012.")
        {
            Answers = ["2011"], References = ["[FH] Answer: 2011\nThe Northcombe store opened in 2011.\n-- Fernhollow Support"],
            LatencyMs = 80, PromptTokens = 60, ReferenceLogProbs = [-2.0],
        },
        new("q3", good ? "[FH] Answer: 72 EUR\nThe Quenby headlamp costs 72 EUR.\n-- Fernhollow Support" : "[FH] Answer: 70 EUR\nIt costs 70 EUR.\n-- Fernhollow Support")
        {
            Answers = ["72 EUR"], References = ["[FH] Answer: 72 EUR\nThe Quenby headlamp costs 72 EUR.\n-- Fernhollow Support"],
            LatencyMs = 400, PromptTokens = 50, ReferenceLogProbs = [-0.1, -0.2, -0.3],
        },
    ];

    [Fact]
    public void PerExampleScoresAndAggregatesAgreeWithTheMetrics()
    {
        var options = new EvaluationOptions { Format = FormatCheck.Regex(Style, answerGroup: 1), Resamples = 300 };
        var examples = Examples(good: false);
        var report = EvaluationReport.Create("zero-shot", examples, options);
        Assert.Equal(["q1", "q2", "q3"], report.Examples.Select(e => e.Id));
        // The answer is the regex group when the format passed, else the whole output.
        Assert.Equal(["Retail, I think", "It opened in 2012.", "70 EUR"], report.Examples.Select(e => e.Answer));
        Assert.Equal([0.0, 0.0, 0.0], report.Examples.Select(e => e.ExactMatch!.Value));
        Assert.Equal(Metrics.TokenF1("Retail, I think", "Retail"), report.Examples[0].TokenF1);
        Assert.Equal([false, false, true], report.Examples.Select(e => e.FormatPassed!.Value));
        Assert.NotEmpty(report.Examples[0].FormatViolations);
        Assert.Equal(1.0 / 3, report.Metrics[EvaluationReport.FormatKey].Estimate, 12);
        Assert.Equal(report.Examples.Average(e => e.RougeL!.Value), report.Metrics[EvaluationReport.RougeLKey].Estimate, 12);
        Assert.Equal(Metrics.CorpusBleu(examples.Select(e => e.Prediction).ToList(), examples.Select(e => e.References).ToList()).Score, report.CorpusBleu!.Score, 12);
        Assert.Equal(report.CorpusBleu.Score, report.Metrics[EvaluationReport.CorpusBleuKey].Estimate, 12);
        // Token-weighted perplexity: exp((0.5 + 1 + 2 + 0.1 + 0.2 + 0.3) / 6).
        Assert.Equal(Math.Exp(4.1 / 6), report.Perplexity!.Perplexity, 12);
        Assert.Equal(Math.Exp(4.1 / 6), report.Metrics[EvaluationReport.PerplexityKey].Estimate, 12);
        Assert.Equal(200, report.Latency!.Mean, 12);
        Assert.Equal(120, report.Latency.P50);
        Assert.Equal(50, report.PromptTokens!.P50);
        foreach (var ci in report.Metrics.Values) Assert.True(ci.Lower <= ci.Estimate + 1e-12 && ci.Estimate <= ci.Upper + 1e-12, ci.ToString());
        Assert.Contains("| format | 0.3333 |", report.ToMarkdown());
    }

    [Fact]
    public void CompareIsAPairedBootstrapOverSharedIds()
    {
        var options = new EvaluationOptions { Format = FormatCheck.Regex(Style, answerGroup: 1), Resamples = 300 };
        var bad = EvaluationReport.Create("zero-shot", Examples(good: false), options);
        var good = EvaluationReport.Create("sft", Examples(good: true), options);
        Assert.Equal(1.0, good.Metrics[EvaluationReport.ExactMatchKey].Estimate);
        var cmp = EvaluationReport.Compare(good, bad, EvaluationReport.ExactMatchKey, resamples: 300);
        Assert.Equal(1.0, cmp.Difference.Estimate, 12);
        Assert.Equal((3, 0, 0), (cmp.WinsA, cmp.WinsB, cmp.Ties));
        var direct = Bootstrap.PairedDifference([1, 1, 1], [0, 0, 0], 300);
        Assert.Equal(direct, cmp);
        Assert.Contains("unknown per-example metric", Assert.Throws<ArgumentException>(() => good.Values("accuracy")).Message);
    }

    [Fact]
    public void BadExamplesAreNamed()
    {
        Assert.Contains("\"q1\" is used twice", Assert.Throws<ArgumentException>(() => EvaluationReport.Create("m", [new("q1", "a"), new("q1", "b")])).Message);
        Assert.Contains("example 0 (q1)", Assert.Throws<ArgumentException>(() => EvaluationReport.Create("m", [new("q1", "a") { ReferenceLogProbs = [0.5] }])).Message);
        Assert.Throws<ArgumentException>(() => EvaluationReport.Create("m", []));
        // Without answers or references those metrics are simply absent.
        var bare = EvaluationReport.Create("m", [new("q1", "a") { LatencyMs = 3 }]);
        Assert.Equal([EvaluationReport.LatencyKey], bare.Metrics.Keys);
    }
}
