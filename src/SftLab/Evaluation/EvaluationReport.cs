using System.Globalization;
using System.Text;

namespace SftLab.Evaluation;

/// <summary>One test question as a method answered it: the input to <see cref="EvaluationReport.Create"/>.</summary>
/// <param name="Id">The question's id (used to pair methods in <see cref="EvaluationReport.Compare"/>).</param>
/// <param name="Prediction">The method's full output.</param>
public sealed record EvaluationExample(string Id, string Prediction)
{
    /// <summary>Reference outputs the full prediction is compared with (ROUGE-L, BLEU). Empty: those metrics are skipped for this example.</summary>
    public IReadOnlyList<string> References { get; init; } = [];

    /// <summary>Acceptable short answers (exact match, token F1). Empty: those metrics are skipped for this example.</summary>
    public IReadOnlyList<string> Answers { get; init; } = [];

    /// <summary>The short answer to score against <see cref="Answers"/>. When null it is the format
    /// check's answer group if the output passed a regex check that has one, else the whole prediction.</summary>
    public string? PredictedAnswer { get; init; }

    /// <summary>How long the answer took, in milliseconds.</summary>
    public double? LatencyMs { get; init; }

    /// <summary>How many tokens the prompt had (few-shot examples and retrieved passages make it longer).</summary>
    public int? PromptTokens { get; init; }

    /// <summary>The model's natural-log probability of each reference token, for perplexity.</summary>
    public IReadOnlyList<double>? ReferenceLogProbs { get; init; }
}

/// <summary>Settings of <see cref="EvaluationReport.Create"/>.</summary>
public sealed record EvaluationOptions
{
    /// <summary>The format every output should follow (null: format compliance is not measured).</summary>
    public FormatCheck? Format { get; init; }

    /// <summary>The answer normalization for exact match and token F1.</summary>
    public AnswerNormalization Normalization { get; init; } = AnswerNormalization.Squad;

    /// <summary>Porter stemming in ROUGE-L.</summary>
    public bool RougeStemming { get; init; }

    /// <summary>Options of the corpus BLEU.</summary>
    public BleuOptions CorpusBleu { get; init; } = BleuOptions.Corpus;

    /// <summary>Options of the per-example sentence BLEU.</summary>
    public BleuOptions SentenceBleu { get; init; } = BleuOptions.Sentence;

    /// <summary>Bootstrap resamples for every interval.</summary>
    public int Resamples { get; init; } = Bootstrap.DefaultResamples;

    /// <summary>The bootstrap's seed.</summary>
    public int Seed { get; init; }

    /// <summary>The confidence level of the intervals.</summary>
    public double Confidence { get; init; } = 0.95;
}

/// <summary>The scores of one example, kept so that a person can look at the failures behind a number.</summary>
public sealed record ExampleScores(
    string Id,
    string Prediction,
    string? Answer,
    double? ExactMatch,
    double? TokenF1,
    double? RougeL,
    double? SentenceBleu,
    bool? FormatPassed,
    IReadOnlyList<FormatViolation> FormatViolations,
    double? Perplexity,
    double? LatencyMs,
    int? PromptTokens);

/// <summary>
/// One method's results on a test set: every metric per example (<see cref="Examples"/>) and
/// aggregated with a bootstrap confidence interval (<see cref="Metrics"/>), plus the cost side
/// (latency and prompt tokens as mean, p50, p95). Metric keys are the constants of this class.
/// Means are over the examples that have what a metric needs (answers, references, log-probs).
/// </summary>
public sealed class EvaluationReport
{
    /// <summary>Mean exact match (0–1).</summary>
    public const string ExactMatchKey = "exact_match";
    /// <summary>Mean token F1 (0–1).</summary>
    public const string TokenF1Key = "token_f1";
    /// <summary>Mean ROUGE-L F (0–1).</summary>
    public const string RougeLKey = "rouge_l";
    /// <summary>Mean sentence BLEU (0–100).</summary>
    public const string SentenceBleuKey = "sentence_bleu";
    /// <summary>Corpus BLEU (0–100), its interval by resampling examples.</summary>
    public const string CorpusBleuKey = "bleu";
    /// <summary>Format compliance rate (0–1).</summary>
    public const string FormatKey = "format";
    /// <summary>Token-weighted perplexity of the references, its interval by resampling examples.</summary>
    public const string PerplexityKey = "perplexity";
    /// <summary>Mean latency in milliseconds.</summary>
    public const string LatencyKey = "latency_ms";
    /// <summary>Mean prompt tokens.</summary>
    public const string PromptTokensKey = "prompt_tokens";

    /// <summary>The method's name (e.g. "few-shot k=4").</summary>
    public string Method { get; }

    /// <summary>Per-example scores, in input order.</summary>
    public IReadOnlyList<ExampleScores> Examples { get; }

    /// <summary>Each measured metric with its interval, by key.</summary>
    public IReadOnlyDictionary<string, ConfidenceInterval> Metrics { get; }

    /// <summary>The corpus BLEU with its n-gram statistics (null without references).</summary>
    public BleuScore? CorpusBleu { get; }

    /// <summary>Perplexity overall and per example (null without log-probs).</summary>
    public PerplexityResult? Perplexity { get; }

    /// <summary>Latency in milliseconds: mean, p50, p95 (null when not recorded).</summary>
    public CostSummary? Latency { get; }

    /// <summary>Prompt tokens per answer: mean, p50, p95 (null when not recorded).</summary>
    public CostSummary? PromptTokens { get; }

    private EvaluationReport(string method, IReadOnlyList<ExampleScores> examples, IReadOnlyDictionary<string, ConfidenceInterval> metrics,
        BleuScore? corpusBleu, PerplexityResult? perplexity, CostSummary? latency, CostSummary? promptTokens)
    {
        Method = method;
        Examples = examples;
        Metrics = metrics;
        CorpusBleu = corpusBleu;
        Perplexity = perplexity;
        Latency = latency;
        PromptTokens = promptTokens;
    }

    /// <summary>Scores every example with every metric that applies and aggregates them.</summary>
    /// <exception cref="ArgumentException">No examples, a null or duplicate id, or bad log-probs (the message names the example).</exception>
    public static EvaluationReport Create(string method, IEnumerable<EvaluationExample> examples, EvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(examples);
        options ??= new EvaluationOptions();
        var list = examples.ToList();
        if (list.Count == 0) throw new ArgumentException("no examples to evaluate", nameof(examples));
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var scores = new List<ExampleScores>(list.Count);
        var bleuStats = new List<BleuStatistics>();
        var logProbs = new List<IReadOnlyList<double>>();
        for (var i = 0; i < list.Count; i++)
        {
            var e = list[i] ?? throw new ArgumentException($"example {i} is null", nameof(examples));
            if (e.Id is null || e.Prediction is null) throw new ArgumentException($"example {i} has a null {(e.Id is null ? "Id" : "Prediction")}", nameof(examples));
            if (!ids.Add(e.Id)) throw new ArgumentException($"example {i}: the id \"{e.Id}\" is used twice", nameof(examples));
            var format = options.Format?.Check(e.Prediction);
            var answer = e.PredictedAnswer ?? format?.Answer ?? e.Prediction;
            double? em = null, f1 = null, rouge = null, bleu = null, ppl = null;
            if (e.Answers.Count > 0)
            {
                em = Evaluation.Metrics.ExactMatch(answer, e.Answers, options.Normalization);
                f1 = Evaluation.Metrics.TokenF1(answer, e.Answers, options.Normalization);
            }
            if (e.References.Count > 0)
            {
                rouge = Evaluation.Metrics.RougeL(e.Prediction, e.References, options.RougeStemming).F;
                bleu = Evaluation.Metrics.Bleu(e.Prediction, e.References, options.SentenceBleu).Score;
                bleuStats.Add(BleuStatistics.Of(e.Prediction, e.References, options.CorpusBleu, i));
            }
            if (e.ReferenceLogProbs is { } lp)
            {
                try { ppl = Evaluation.Metrics.Perplexity(lp); }
                catch (ArgumentException x) { throw new ArgumentException($"example {i} ({e.Id}): {x.Message}", nameof(examples), x); }
                logProbs.Add(lp);
            }
            scores.Add(new ExampleScores(e.Id, e.Prediction, e.Answers.Count > 0 ? answer : null, em, f1, rouge, bleu,
                format?.Passed, format?.Violations ?? [], ppl, e.LatencyMs, e.PromptTokens));
        }

        var metrics = new Dictionary<string, ConfidenceInterval>(StringComparer.Ordinal);
        void Mean(string key, IEnumerable<double?> values)
        {
            var present = values.Where(v => v.HasValue).Select(v => v!.Value).ToList();
            if (present.Count > 0) metrics[key] = Bootstrap.MeanCI(present, options.Resamples, options.Seed, options.Confidence);
        }
        Mean(ExactMatchKey, scores.Select(s => s.ExactMatch));
        Mean(TokenF1Key, scores.Select(s => s.TokenF1));
        Mean(RougeLKey, scores.Select(s => s.RougeL));
        Mean(SentenceBleuKey, scores.Select(s => s.SentenceBleu));
        Mean(FormatKey, scores.Select(s => s.FormatPassed is { } p ? (p ? 1.0 : 0.0) : (double?)null));
        Mean(LatencyKey, scores.Select(s => s.LatencyMs));
        Mean(PromptTokensKey, scores.Select(s => (double?)s.PromptTokens));

        BleuScore? corpus = null;
        if (bleuStats.Count > 0)
        {
            static BleuStatistics Sum(IReadOnlyList<BleuStatistics> items, int order)
            {
                var total = new BleuStatistics(order);
                foreach (var s in items) total.Add(s);
                return total;
            }
            var order = options.CorpusBleu.MaxNGramOrder;
            corpus = Sum(bleuStats, order).Score(options.CorpusBleu);
            metrics[CorpusBleuKey] = Bootstrap.CI(bleuStats, s => Sum(s, order).Score(options.CorpusBleu).Score, options.Resamples, options.Seed, options.Confidence);
        }
        PerplexityResult? perplexity = null;
        if (logProbs.Count > 0)
        {
            perplexity = Evaluation.Metrics.CorpusPerplexity(logProbs);
            var sums = logProbs.Select(lp => (Nll: -lp.Sum(), Count: lp.Count)).ToList();
            metrics[PerplexityKey] = Bootstrap.CI(sums, s => Math.Exp(s.Sum(x => x.Nll) / s.Sum(x => x.Count)), options.Resamples, options.Seed, options.Confidence)
                with { Estimate = perplexity.Perplexity };
        }
        var latencies = scores.Where(s => s.LatencyMs.HasValue).Select(s => s.LatencyMs!.Value).ToList();
        var prompts = scores.Where(s => s.PromptTokens.HasValue).Select(s => (double)s.PromptTokens!.Value).ToList();
        return new EvaluationReport(method, scores, metrics, corpus, perplexity,
            latencies.Count > 0 ? Evaluation.Metrics.SummarizeCost(latencies) : null,
            prompts.Count > 0 ? Evaluation.Metrics.SummarizeCost(prompts) : null);
    }

    /// <summary>The per-example values of a mean-type metric (exact_match, token_f1, rouge_l, sentence_bleu, format, latency_ms, prompt_tokens), by example id; examples without it are left out.</summary>
    public IReadOnlyDictionary<string, double> Values(string metric)
    {
        Func<ExampleScores, double?> pick = metric switch
        {
            ExactMatchKey => s => s.ExactMatch,
            TokenF1Key => s => s.TokenF1,
            RougeLKey => s => s.RougeL,
            SentenceBleuKey => s => s.SentenceBleu,
            FormatKey => s => s.FormatPassed is { } p ? (p ? 1 : 0) : null,
            LatencyKey => s => s.LatencyMs,
            PromptTokensKey => s => s.PromptTokens,
            PerplexityKey => s => s.Perplexity,
            _ => throw new ArgumentException($"unknown per-example metric '{metric}' (known: {ExactMatchKey}, {TokenF1Key}, {RougeLKey}, {SentenceBleuKey}, {FormatKey}, {PerplexityKey}, {LatencyKey}, {PromptTokensKey})", nameof(metric)),
        };
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var s in Examples)
            if (pick(s) is { } v) values[s.Id] = v;
        return values;
    }

    /// <summary>
    /// Compares two methods on one per-example metric with a paired bootstrap, over the example ids
    /// both reports scored (matched by id, in <paramref name="a"/>'s order).
    /// </summary>
    /// <exception cref="ArgumentException">The reports share no example with that metric.</exception>
    public static PairedComparison Compare(EvaluationReport a, EvaluationReport b, string metric, int resamples = Bootstrap.DefaultResamples, int seed = 0, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var va = a.Values(metric);
        var vb = b.Values(metric);
        var shared = a.Examples.Select(e => e.Id).Where(id => va.ContainsKey(id) && vb.ContainsKey(id)).ToList();
        if (shared.Count == 0) throw new ArgumentException($"'{a.Method}' and '{b.Method}' have no example in common with a value for {metric}");
        return Bootstrap.PairedDifference(shared.Select(id => va[id]).ToList(), shared.Select(id => vb[id]).ToList(), resamples, seed, confidence);
    }

    /// <summary>A Markdown table: one row per metric with its estimate and interval, then latency and prompt tokens.</summary>
    public string ToMarkdown()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(ci, $"### {Method} ({Examples.Count} examples)\n\n| metric | value | {Confidence()} interval | n |\n| --- | --- | --- | --- |\n");
        foreach (var (key, v) in Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            sb.Append(ci, $"| {key} | {v.Estimate:G4} | [{v.Lower:G4}, {v.Upper:G4}] | {v.Count} |\n");
        if (Latency is { } l) sb.Append(ci, $"\nlatency (ms): mean {l.Mean:F1}, p50 {l.P50:F1}, p95 {l.P95:F1}\n");
        if (PromptTokens is { } p) sb.Append(ci, $"prompt tokens: mean {p.Mean:F1}, p50 {p.P50:F1}, p95 {p.P95:F1}\n");
        return sb.ToString();
    }

    private string Confidence() =>
        Metrics.Values.FirstOrDefault() is { } first ? string.Create(CultureInfo.InvariantCulture, $"{first.Confidence * 100:G3}%") : "95%";

    /// <inheritdoc/>
    public override string ToString() => ToMarkdown();
}
