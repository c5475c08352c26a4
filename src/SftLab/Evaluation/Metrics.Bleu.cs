using System.Globalization;

namespace SftLab.Evaluation;

/// <summary>How BLEU avoids a score of zero when some n-gram order has no match (sacreBLEU's smooth_method).</summary>
public enum BleuSmoothing
{
    /// <summary>No smoothing: one order without a match makes BLEU 0.</summary>
    None,
    /// <summary>"floor": a zero match count becomes <see cref="BleuOptions.SmoothValue"/> (default 0.1).</summary>
    Floor,
    /// <summary>"add-k": add k (default 1) to the match and total counts of orders 2 and up (Lin and Och 2004; add-one for k = 1).</summary>
    AddK,
    /// <summary>"exp": the k-th order without a match gets precision 1 / (2^k · total) (the NIST / mteval-v13a smoothing).</summary>
    Exp,
}

/// <summary>How BLEU splits text into words.</summary>
public enum BleuTokenizer
{
    /// <summary>sacreBLEU's default "13a" tokenizer (<see cref="TextNormalization.Bleu13aTokens"/>).</summary>
    Tokenizer13a,
    /// <summary>"none": split on whitespace only (the text is already tokenized).</summary>
    None,
}

/// <summary>Options of <see cref="Metrics.Bleu(string, IReadOnlyList{string}, BleuOptions?)"/> and
/// <see cref="Metrics.CorpusBleu"/>; the names follow sacreBLEU's <c>BLEU(...)</c> arguments.</summary>
public sealed record BleuOptions
{
    /// <summary>How zero-match orders are handled.</summary>
    public BleuSmoothing Smoothing { get; init; } = BleuSmoothing.None;

    /// <summary>The value for <see cref="BleuSmoothing.Floor"/> (default 0.1) or <see cref="BleuSmoothing.AddK"/> (default 1); null takes the default.</summary>
    public double? SmoothValue { get; init; }

    /// <summary>The tokenizer; 13a by default.</summary>
    public BleuTokenizer Tokenizer { get; init; } = BleuTokenizer.Tokenizer13a;

    /// <summary>Lowercase before tokenizing (case-insensitive BLEU).</summary>
    public bool Lowercase { get; init; }

    /// <summary>The largest n-gram order (4 in standard BLEU).</summary>
    public int MaxNGramOrder { get; init; } = 4;

    /// <summary>Average only over the orders the hypothesis is long enough to have (sacreBLEU's
    /// <c>effective_order</c>): a 2-word sentence is scored on unigrams and bigrams only.</summary>
    public bool EffectiveOrder { get; init; }

    /// <summary>sacreBLEU's <c>corpus_bleu</c> settings, except that smoothing is off (sacreBLEU's
    /// default is exp; the two differ only when a whole corpus has no match at some order).</summary>
    public static BleuOptions Corpus { get; } = new();

    /// <summary>sacreBLEU's <c>sentence_bleu</c> defaults: 13a, exp smoothing, effective order.</summary>
    public static BleuOptions Sentence { get; } = new() { Smoothing = BleuSmoothing.Exp, EffectiveOrder = true };
}

/// <summary>
/// A BLEU score with the statistics behind it, in sacreBLEU's layout: <see cref="Score"/> is on a
/// 0–100 scale, as BLEU is always reported.
/// </summary>
public sealed record BleuScore(
    double Score,
    IReadOnlyList<double> Counts,
    IReadOnlyList<double> Totals,
    IReadOnlyList<double> Precisions,
    double BrevityPenalty,
    int HypothesisLength,
    int ReferenceLength)
{
    /// <summary>Hypothesis length / reference length (below 1 means the output is too short and the brevity penalty applies).</summary>
    public double Ratio => ReferenceLength > 0 ? (double)HypothesisLength / ReferenceLength : 0;

    /// <summary>sacreBLEU's one-line format: <c>BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)</c>.</summary>
    public override string ToString()
    {
        var ci = CultureInfo.InvariantCulture;
        var precisions = string.Join('/', Precisions.Select(p => p.ToString("F1", ci)));
        return string.Create(ci, $"BLEU = {Score:F2} {precisions} (BP = {BrevityPenalty:F3} ratio = {Ratio:F3} hyp_len = {HypothesisLength} ref_len = {ReferenceLength})");
    }
}

public static partial class Metrics
{
    /// <summary>
    /// Sentence BLEU of one prediction against one or more references, computed as sacreBLEU's
    /// <c>sentence_bleu</c> does by default (13a tokenizer, exp smoothing, effective order; change
    /// them with <paramref name="options"/>, e.g. <c>Smoothing = BleuSmoothing.AddK</c> for add-one).
    /// BLEU is the geometric mean of the 1- to 4-gram precisions (what fraction of the prediction's
    /// n-grams occur in a reference), times a brevity penalty exp(1 − ref/hyp) for predictions
    /// shorter than the reference. Scale 0–100. It rewards exact word overlap with the reference
    /// and was designed for whole corpora: on one short sentence it is noisy and smoothing
    /// decides much of the value. It misses synonyms, paraphrase and meaning.
    /// </summary>
    public static BleuScore Bleu(string prediction, IReadOnlyList<string> references, BleuOptions? options = null)
    {
        options ??= BleuOptions.Sentence;
        var stats = BleuStatistics.Of(prediction, references, options);
        return stats.Score(options);
    }

    /// <summary>Sentence BLEU against a single reference.</summary>
    public static BleuScore Bleu(string prediction, string reference, BleuOptions? options = null) =>
        Bleu(prediction, [reference], options);

    /// <summary>
    /// Corpus BLEU as sacreBLEU's <c>corpus_bleu</c> computes it: n-gram matches and lengths are
    /// summed over all examples first, and BLEU is computed once from the sums (so it is not the
    /// mean of sentence BLEUs). Defaults: 13a tokenizer, no smoothing, full order 4
    /// (<see cref="BleuOptions.Corpus"/>). For each prediction the closest reference length counts
    /// (the shorter one on a tie), and an n-gram's matches are clipped at its largest count in any
    /// one reference.
    /// </summary>
    /// <param name="predictions">One output per example.</param>
    /// <param name="references">For each example, its references (one or more). Note that sacreBLEU
    /// takes references the other way round, as streams (one list per reference set).</param>
    /// <param name="options">Tokenizer, smoothing, order.</param>
    public static BleuScore CorpusBleu(IReadOnlyList<string> predictions, IReadOnlyList<IReadOnlyList<string>> references, BleuOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(references);
        if (predictions.Count != references.Count)
            throw new ArgumentException($"{predictions.Count} predictions but {references.Count} reference lists: give one list of references per prediction", nameof(references));
        options ??= BleuOptions.Corpus;
        var total = new BleuStatistics(options.MaxNGramOrder);
        for (var i = 0; i < predictions.Count; i++)
        {
            if (predictions[i] is null) throw new ArgumentException($"predictions[{i}] is null", nameof(predictions));
            total.Add(BleuStatistics.Of(predictions[i], references[i], options, i));
        }
        return total.Score(options);
    }

    /// <summary>
    /// BLEU from its sufficient statistics (sacreBLEU's <c>compute_bleu</c>): matched and total
    /// n-gram counts per order, hypothesis and reference length. Useful to check a computation by hand.
    /// </summary>
    public static BleuScore BleuFromStatistics(IReadOnlyList<double> counts, IReadOnlyList<double> totals, int hypothesisLength, int referenceLength, BleuOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(totals);
        options ??= BleuOptions.Corpus;
        if (counts.Count != options.MaxNGramOrder || totals.Count != options.MaxNGramOrder)
            throw new ArgumentException($"counts and totals need {options.MaxNGramOrder} entries (one per n-gram order), got {counts.Count} and {totals.Count}");
        return BleuStatistics.Compute(counts.ToArray(), totals.ToArray(), hypothesisLength, referenceLength, options);
    }
}

/// <summary>BLEU's sufficient statistics for one example or a sum of examples; summing then scoring gives corpus BLEU.</summary>
internal sealed class BleuStatistics(int order)
{
    public readonly double[] Counts = new double[order];
    public readonly double[] Totals = new double[order];
    public int HypothesisLength;
    public int ReferenceLength;

    public void Add(BleuStatistics other)
    {
        for (var n = 0; n < Counts.Length; n++) { Counts[n] += other.Counts[n]; Totals[n] += other.Totals[n]; }
        HypothesisLength += other.HypothesisLength;
        ReferenceLength += other.ReferenceLength;
    }

    public BleuScore Score(BleuOptions options) =>
        Compute((double[])Counts.Clone(), (double[])Totals.Clone(), HypothesisLength, ReferenceLength, options);

    public static string[] Tokenize(string text, BleuOptions options)
    {
        // sacreBLEU strips trailing whitespace before tokenizing.
        var s = text.TrimEnd();
        while (s.Length > 0 && TextNormalization.IsPythonWhitespace(s[^1])) s = s[..^1];
        if (options.Lowercase) s = s.ToLowerInvariant();
        return options.Tokenizer == BleuTokenizer.Tokenizer13a ? TextNormalization.Bleu13aTokens(s) : TextNormalization.SplitWhitespace(s);
    }

    public static BleuStatistics Of(string prediction, IReadOnlyList<string> references, BleuOptions options, int? example = null)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(references);
        var where = example is { } e ? $"example {e}: " : "";
        if (references.Count == 0) throw new ArgumentException($"{where}at least one reference is needed", nameof(references));
        if (options.MaxNGramOrder < 1) throw new ArgumentException($"MaxNGramOrder must be >= 1, not {options.MaxNGramOrder}");
        var order = options.MaxNGramOrder;
        // For each n-gram, its largest count in any one reference; and the reference lengths.
        var refMax = new Dictionary<string, int>(StringComparer.Ordinal);
        var refLengths = new List<int>(references.Count);
        for (var r = 0; r < references.Count; r++)
        {
            var tokens = Tokenize(references[r] ?? throw new ArgumentException($"{where}reference {r} is null", nameof(references)), options);
            refLengths.Add(tokens.Length);
            for (var n = 1; n <= order; n++)
                foreach (var (gram, count) in Metrics.NGramCounts(tokens, n))
                    if (count > refMax.GetValueOrDefault(gram)) refMax[gram] = count;
        }
        var hyp = Tokenize(prediction, options);
        var stats = new BleuStatistics(order) { HypothesisLength = hyp.Length, ReferenceLength = ClosestReferenceLength(hyp.Length, refLengths) };
        for (var n = 1; n <= order; n++)
            foreach (var (gram, count) in Metrics.NGramCounts(hyp, n))
            {
                stats.Totals[n - 1] += count;
                if (refMax.TryGetValue(gram, out var max)) stats.Counts[n - 1] += Math.Min(count, max);
            }
        return stats;
    }

    // The reference length closest to the hypothesis length; on a tie, the shorter.
    private static int ClosestReferenceLength(int hypLength, List<int> refLengths)
    {
        var best = refLengths[0];
        foreach (var len in refLengths)
        {
            var d = Math.Abs(hypLength - len);
            var bd = Math.Abs(hypLength - best);
            if (d < bd || (d == bd && len < best)) best = len;
        }
        return best;
    }

    // sacreBLEU's compute_bleu, including its conventions: log(0) counts as -9999999999, so a
    // zero precision gives a score of (practically) 0; with no match at all the score is 0.
    public static BleuScore Compute(double[] counts, double[] totals, int hypLength, int refLength, BleuOptions options)
    {
        var order = counts.Length;
        var smoothValue = options.SmoothValue ?? options.Smoothing switch { BleuSmoothing.Floor => 0.1, BleuSmoothing.AddK => 1.0, _ => 0.0 };
        var bp = hypLength < refLength ? (hypLength > 0 ? Math.Exp(1 - (double)refLength / hypLength) : 0.0) : 1.0;
        var precisions = new double[order];
        if (counts.All(c => c == 0))
            return new BleuScore(0, counts, totals, precisions, bp, hypLength, refLength);
        var smoothExp = 1.0;
        var effectiveOrder = order;
        for (var n = 1; n <= order; n++)
        {
            if (options.Smoothing == BleuSmoothing.AddK && n > 1)
            {
                counts[n - 1] += smoothValue;
                totals[n - 1] += smoothValue;
            }
            if (totals[n - 1] == 0) break;
            if (options.EffectiveOrder) effectiveOrder = n;
            if (counts[n - 1] == 0)
            {
                if (options.Smoothing == BleuSmoothing.Exp)
                {
                    smoothExp *= 2;
                    precisions[n - 1] = 100.0 / (smoothExp * totals[n - 1]);
                }
                else if (options.Smoothing == BleuSmoothing.Floor)
                    precisions[n - 1] = 100.0 * smoothValue / totals[n - 1];
            }
            else precisions[n - 1] = 100.0 * counts[n - 1] / totals[n - 1];
        }
        var logSum = 0.0;
        for (var n = 0; n < effectiveOrder; n++) logSum += precisions[n] > 0 ? Math.Log(precisions[n]) : -9999999999.0;
        var score = bp * Math.Exp(logSum / effectiveOrder);
        return new BleuScore(score, counts, totals, precisions, bp, hypLength, refLength);
    }
}
