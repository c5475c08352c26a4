namespace SftLab.Evaluation;

/// <summary>Perplexity of a set of texts, overall and per text.</summary>
/// <param name="Perplexity">exp(total NLL / total tokens): every token weighs the same, so long texts weigh more.</param>
/// <param name="MeanNll">The mean negative log-likelihood per token, in nats (the cross-entropy loss a trainer prints).</param>
/// <param name="TokenCount">How many tokens were scored.</param>
/// <param name="PerExample">Each text's own perplexity, exp(its mean NLL), in input order.</param>
public sealed record PerplexityResult(double Perplexity, double MeanNll, long TokenCount, IReadOnlyList<double> PerExample);

public static partial class Metrics
{
    /// <summary>
    /// Perplexity of one text from the model's log-probabilities of its tokens (natural log, one
    /// per predicted token, e.g. from <c>sftlab score</c>): exp(−mean log-prob). It is "how many
    /// tokens the model was choosing between, on average": 1 is certainty, and a model guessing
    /// uniformly over a vocabulary of V tokens scores V. Lower is better. It measures how well the
    /// model predicts the reference wording, not whether its own answers are right, and it is only
    /// comparable between models that share a tokenizer.
    /// </summary>
    /// <exception cref="ArgumentException">No tokens, or a log-probability that is positive or not a number.</exception>
    public static double Perplexity(IReadOnlyList<double> tokenLogProbs)
    {
        var (nll, count) = SumNll(tokenLogProbs, null);
        return Math.Exp(nll / count);
    }

    /// <summary>
    /// Perplexity over many texts: the corpus value exp(Σ NLL / Σ tokens) (token-weighted, as
    /// evaluation loops compute it) and each text's own perplexity for inspection.
    /// </summary>
    public static PerplexityResult CorpusPerplexity(IEnumerable<IReadOnlyList<double>> tokenLogProbsPerExample)
    {
        ArgumentNullException.ThrowIfNull(tokenLogProbsPerExample);
        double total = 0;
        long tokens = 0;
        var per = new List<double>();
        var index = 0;
        foreach (var example in tokenLogProbsPerExample)
        {
            var (nll, count) = SumNll(example, index++);
            total += nll;
            tokens += count;
            per.Add(Math.Exp(nll / count));
        }
        if (tokens == 0) throw new ArgumentException("perplexity needs at least one example", nameof(tokenLogProbsPerExample));
        return new PerplexityResult(Math.Exp(total / tokens), total / tokens, tokens, per);
    }

    private static (double Nll, int Count) SumNll(IReadOnlyList<double> logProbs, int? example)
    {
        var where = example is { } e ? $"example {e}: " : "";
        if (logProbs is null) throw new ArgumentException($"{where}the token log-probabilities are null");
        if (logProbs.Count == 0) throw new ArgumentException($"{where}perplexity needs at least one token log-probability");
        double nll = 0;
        for (var i = 0; i < logProbs.Count; i++)
        {
            var lp = logProbs[i];
            if (double.IsNaN(lp) || lp > 1e-9)
                throw new ArgumentException($"{where}token {i} has log-probability {lp}; log-probabilities are natural logs, <= 0 (did you pass probabilities or negative log-likelihoods?)");
            nll -= Math.Min(lp, 0);
        }
        return (nll, logProbs.Count);
    }
}
