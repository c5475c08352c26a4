namespace SftLab.Evaluation;

/// <summary>Precision, recall and their harmonic mean (F1), as ROUGE reports them; all in [0, 1].</summary>
/// <param name="Precision">Of what the prediction said, the fraction that is in the reference.</param>
/// <param name="Recall">Of what the reference said, the fraction the prediction covered.</param>
/// <param name="F">2·P·R / (P + R), or 0 when both are 0.</param>
public readonly record struct PrecisionRecallF(double Precision, double Recall, double F)
{
    internal static PrecisionRecallF From(double precision, double recall) =>
        new(precision, recall, precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0);
}

/// <summary>
/// Text-similarity metrics for model outputs, one example at a time. Arguments are always
/// (prediction, reference). Every metric here compares surface text: none knows whether the
/// prediction is true, only whether it uses the reference's words, so read low and high scores
/// together with a few of the examples behind them.
/// </summary>
public static partial class Metrics
{
    /// <summary>
    /// Exact match (EM): 1 when the prediction equals the reference after normalization (by
    /// default SQuAD's: lowercase, no punctuation, no "a/an/the", single spaces — see
    /// <see cref="AnswerNormalization.Squad"/>), else 0. Rewards getting a short answer exactly
    /// right ("Retail" = "retail."). Misses partial credit and paraphrase: "the retail team" vs
    /// "Retail" scores 0. Use it for short factual answers, not for sentences.
    /// </summary>
    public static double ExactMatch(string prediction, string reference, AnswerNormalization normalization = AnswerNormalization.Squad)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(reference);
        return TextNormalization.NormalizeAnswer(prediction, normalization) == TextNormalization.NormalizeAnswer(reference, normalization) ? 1 : 0;
    }

    /// <summary>Exact match against several acceptable answers: the best (as SQuAD does).</summary>
    public static double ExactMatch(string prediction, IEnumerable<string> references, AnswerNormalization normalization = AnswerNormalization.Squad) =>
        MaxOver(references, r => ExactMatch(prediction, r, normalization));

    /// <summary>
    /// Token F1 (SQuAD's definition): normalize both texts as in <see cref="ExactMatch(string, string, AnswerNormalization)"/>,
    /// split into words, count the words they share (with multiplicity), then
    /// precision = shared / prediction words, recall = shared / reference words, F1 = 2PR/(P+R).
    /// If either side has no words, F1 is 1 when both are empty and 0 otherwise. Gives partial
    /// credit ("Retail team" vs "Retail" = 0.67); ignores word order, so "dog bites man" = "man bites dog".
    /// </summary>
    public static double TokenF1(string prediction, string reference, AnswerNormalization normalization = AnswerNormalization.Squad)
    {
        var pred = TextNormalization.AnswerTokens(prediction, normalization);
        var gold = TextNormalization.AnswerTokens(reference, normalization);
        if (pred.Length == 0 || gold.Length == 0) return pred.Length == gold.Length ? 1 : 0;
        var shared = SharedCount(pred, gold);
        if (shared == 0) return 0;
        var precision = (double)shared / pred.Length;
        var recall = (double)shared / gold.Length;
        return 2 * precision * recall / (precision + recall);
    }

    /// <summary>Token F1 against several acceptable answers: the best.</summary>
    public static double TokenF1(string prediction, IEnumerable<string> references, AnswerNormalization normalization = AnswerNormalization.Squad) =>
        MaxOver(references, r => TokenF1(prediction, r, normalization));

    /// <summary>
    /// ROUGE-L as the rouge-score package computes it (its "rougeL", the one Hugging Face
    /// <c>evaluate</c> reports): tokenize both texts (<see cref="TextNormalization.RougeTokens"/>:
    /// lowercase, split on anything but ASCII letters and digits, optional Porter stemming), find
    /// the longest common subsequence (LCS: the longest run of words appearing in both in the same
    /// order, not necessarily adjacent), then precision = LCS / prediction words, recall =
    /// LCS / reference words, F = 2PR/(P+R). Newlines are ignored (sentence-level ROUGE-L). An empty
    /// side scores 0. Rewards sentence-level word order and coverage; misses meaning (a negation
    /// costs one word) and synonyms. Common summaries report F.
    /// </summary>
    /// <param name="prediction">The model's output.</param>
    /// <param name="reference">The reference text.</param>
    /// <param name="usePorterStemmer">Stem words longer than three letters (rouge-score's <c>use_stemmer</c>; off by default, as there).</param>
    public static PrecisionRecallF RougeL(string prediction, string reference, bool usePorterStemmer = false)
    {
        var pred = TextNormalization.RougeTokens(prediction, usePorterStemmer);
        var gold = TextNormalization.RougeTokens(reference, usePorterStemmer);
        if (pred.Length == 0 || gold.Length == 0) return default;
        var lcs = LcsLength(gold, pred);
        return PrecisionRecallF.From((double)lcs / pred.Length, (double)lcs / gold.Length);
    }

    /// <summary>ROUGE-L against several references: the one with the best F (rouge-score's <c>score_multi</c>).</summary>
    public static PrecisionRecallF RougeL(string prediction, IEnumerable<string> references, bool usePorterStemmer = false) =>
        MaxBy(references, r => RougeL(prediction, r, usePorterStemmer));

    /// <summary>
    /// ROUGE-N as rouge-score computes it ("rouge1", "rouge2"): the overlap of word n-grams
    /// (each counted at most as often as it occurs on the other side) divided by the prediction's
    /// n-gram count (precision) and the reference's (recall). ROUGE-1 is bag-of-words overlap;
    /// ROUGE-2 adds a little word order.
    /// </summary>
    public static PrecisionRecallF RougeN(string prediction, string reference, int n, bool usePorterStemmer = false)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "ROUGE-N needs n >= 1");
        var pred = NGramCounts(TextNormalization.RougeTokens(prediction, usePorterStemmer), n);
        var gold = NGramCounts(TextNormalization.RougeTokens(reference, usePorterStemmer), n);
        long overlap = 0;
        foreach (var (gram, count) in gold)
            if (pred.TryGetValue(gram, out var p)) overlap += Math.Min(count, p);
        var predTotal = pred.Values.Sum();
        var goldTotal = gold.Values.Sum();
        return PrecisionRecallF.From((double)overlap / Math.Max(predTotal, 1), (double)overlap / Math.Max(goldTotal, 1));
    }

    /// <summary>The length of the longest common subsequence of two token sequences (O(n·m) time, O(m) memory).</summary>
    public static int LcsLength(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count == 0 || b.Count == 0) return 0;
        var prev = new int[b.Count + 1];
        var cur = new int[b.Count + 1];
        for (var i = 1; i <= a.Count; i++)
        {
            var ai = a[i - 1];
            for (var j = 1; j <= b.Count; j++)
                cur[j] = string.Equals(ai, b[j - 1], StringComparison.Ordinal) ? prev[j - 1] + 1 : Math.Max(prev[j], cur[j - 1]);
            (prev, cur) = (cur, prev);
        }
        return prev[b.Count];
    }

    internal static int SharedCount(IEnumerable<string> a, IEnumerable<string> b)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in a) counts[t] = counts.GetValueOrDefault(t) + 1;
        var shared = 0;
        foreach (var t in b)
            if (counts.TryGetValue(t, out var c) && c > 0) { shared++; counts[t] = c - 1; }
        return shared;
    }

    internal static Dictionary<string, int> NGramCounts(IReadOnlyList<string> tokens, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i + n <= tokens.Count; i++)
        {
            // Tokens never contain U+0001, so joining with it keys each n-gram uniquely.
            var key = n == 1 ? tokens[i] : string.Join('\u0001', tokens.Skip(i).Take(n));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts;
    }

    private static double MaxOver(IEnumerable<string> references, Func<string, double> score)
    {
        ArgumentNullException.ThrowIfNull(references);
        var best = double.NegativeInfinity;
        foreach (var r in references) best = Math.Max(best, score(r ?? throw new ArgumentException("a reference is null", nameof(references))));
        return double.IsNegativeInfinity(best) ? throw new ArgumentException("at least one reference is needed", nameof(references)) : best;
    }

    private static PrecisionRecallF MaxBy(IEnumerable<string> references, Func<string, PrecisionRecallF> score)
    {
        ArgumentNullException.ThrowIfNull(references);
        PrecisionRecallF? best = null;
        foreach (var r in references)
        {
            var s = score(r ?? throw new ArgumentException("a reference is null", nameof(references)));
            if (best is null || s.F > best.Value.F) best = s;
        }
        return best ?? throw new ArgumentException("at least one reference is needed", nameof(references));
    }
}
