using SftLab.Evaluation;

namespace SftLab.Tests.Evaluation;

/// <summary>
/// BLEU against sacreBLEU's published test values (its test_bleu.py and test_sentence_bleu.py,
/// including the README example) and against nltk's implementation on random corpora.
/// </summary>
public class BleuTests
{
    // sacreBLEU's README example, as in its test_bleu.py (two reference streams, transposed here to
    // one list of references per hypothesis).
    private static readonly string[] Hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
    private static readonly IReadOnlyList<string>[] Refs =
    [
        ["The dog bit the man.", "The dog had bit the man."],
        ["It was not unexpected.", "No one was surprised."],
        ["The man bit him first.", "The man had bitten the dog."],
    ];

    [Fact]
    public void CorpusBleuMatchesSacreBleuReadmeExample()
    {
        // test_corpus_bleu_cases: default settings (13a) give 48.530827, with or without smoothing.
        Assert.Equal(48.530827, Metrics.CorpusBleu(Hyps, Refs).Score, 6);
        Assert.Equal(48.530827, Metrics.CorpusBleu(Hyps, Refs, new BleuOptions { Smoothing = BleuSmoothing.Exp }).Score, 6);
        // tokenize='none' gives 49.1919566.
        Assert.Equal(49.1919566, Metrics.CorpusBleu(Hyps, Refs, new BleuOptions { Tokenizer = BleuTokenizer.None }).Score, 6);
        // Empty hypotheses are kept (and score 0).
        Assert.Equal(0.0, Metrics.CorpusBleu(["", "", ""], Refs).Score);
    }

    [Fact]
    public void CorpusBleuStatisticsOfTheReadmeExample()
    {
        // 13a tokens: "The dog bit the man ." (6), "It wasn't surprising ." (4), "The man had just bitten him ." (7).
        var s = Metrics.CorpusBleu(Hyps, Refs);
        Assert.Equal(17, s.HypothesisLength);
        // Closest reference lengths: 6 (both refs are 6 and 7 -> 6), 5 (refs 5, 5), 7 (refs 6, 7 -> 7) = 18.
        Assert.Equal(18, s.ReferenceLength);
        Assert.Equal(Math.Exp(1 - 18.0 / 17), s.BrevityPenalty, 12);
        Assert.StartsWith("BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)", s.ToString());
    }

    // test_sentence_bleu.py: a Romanian sentence with diacritics (one with a cedilla, one with a comma below).
    private const string RoRef = "producţia de zahăr brut se exprimă în zahăr alb;";
    private const string RoSys = "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;";

    [Theory]
    [InlineData(BleuSmoothing.Exp, null, BleuTokenizer.Tokenizer13a, 8.493)]
    [InlineData(BleuSmoothing.None, null, BleuTokenizer.Tokenizer13a, 0.0)]
    [InlineData(BleuSmoothing.Floor, null, BleuTokenizer.Tokenizer13a, 4.51688)]
    [InlineData(BleuSmoothing.Floor, 0.1, BleuTokenizer.Tokenizer13a, 4.51688)]
    [InlineData(BleuSmoothing.Floor, 0.5, BleuTokenizer.Tokenizer13a, 10.10)]
    [InlineData(BleuSmoothing.AddK, null, BleuTokenizer.Tokenizer13a, 14.882)]
    [InlineData(BleuSmoothing.AddK, 1.0, BleuTokenizer.Tokenizer13a, 14.882)]
    [InlineData(BleuSmoothing.AddK, 2.0, BleuTokenizer.Tokenizer13a, 21.389)]
    [InlineData(BleuSmoothing.Exp, null, BleuTokenizer.None, 7.347)]
    public void SentenceBleuMatchesSacreBleuTests(BleuSmoothing smoothing, double? value, BleuTokenizer tokenizer, double expected)
    {
        var options = new BleuOptions { Smoothing = smoothing, SmoothValue = value, Tokenizer = tokenizer, EffectiveOrder = true };
        Assert.True(Math.Abs(Metrics.Bleu(RoSys, RoRef, options).Score - expected) < 1e-3, $"{Metrics.Bleu(RoSys, RoRef, options).Score} vs {expected}");
    }

    [Theory]
    [InlineData(BleuSmoothing.Exp)]
    [InlineData(BleuSmoothing.None)]
    [InlineData(BleuSmoothing.Floor)]
    [InlineData(BleuSmoothing.AddK)]
    public void NoMatchAtAllIsZeroWhateverTheSmoothing(BleuSmoothing smoothing)
    {
        // sacreBLEU issue #141 case from test_sentence_bleu.py.
        Assert.Equal(0.0, Metrics.Bleu("this is a cat", "okay thanks", new BleuOptions { Smoothing = smoothing, EffectiveOrder = true }).Score);
    }

    [Fact]
    public void SufficientStatisticsMatchSacreBleu()
    {
        // test_case_statistics (tokenize none): counts [4, 2, 1, 0], totals [6, 5, 4, 3].
        var raw = new BleuOptions { Tokenizer = BleuTokenizer.None, Smoothing = BleuSmoothing.Floor, SmoothValue = 0.01, EffectiveOrder = true };
        var s = Metrics.CorpusBleu(["am I am a character sequence"], [["I am a symbol string sequence a a"]], raw);
        Assert.Equal([4.0, 2, 1, 0], s.Counts);
        Assert.Equal([6.0, 5, 4, 3], s.Totals);
        // test_case_offset: floor 0.1 gives 0.1555722182; floor 0 gives 0.
        Assert.Equal(15.55722182, Metrics.CorpusBleu(["am I am a character sequence"], [["I am a symbol string sequence a a"]], raw with { SmoothValue = 0.1 }).Score, 6);
        Assert.Equal(0.0, Metrics.CorpusBleu(["am I am a character sequence"], [["I am a symbol string sequence a a"]], raw with { SmoothValue = 0.0 }).Score, 12);
    }

    [Fact]
    public void ScoreFromStatisticsMatchesSacreBleu()
    {
        // test_case_scoring: counts [9,7,5,3], totals [10,8,6,4], lengths 11/11 -> 0.8375922397.
        Assert.Equal(83.75922397, Metrics.BleuFromStatistics([9, 7, 5, 3], [10, 8, 6, 4], 11, 11).Score, 6);
        // By hand: the geometric mean of 0.9, 0.875, 0.8333, 0.75 with no brevity penalty.
        Assert.Equal(100 * Math.Pow(0.9 * 0.875 * (5.0 / 6) * 0.75, 0.25), Metrics.BleuFromStatistics([9, 7, 5, 3], [10, 8, 6, 4], 11, 11).Score, 9);
    }

    [Theory]
    [InlineData("test", "a test", 0.3678794411714425)]
    [InlineData("a test", "a test", 1.0)]
    [InlineData("a little test", "a test", 0.03218297948685433)]
    public void EffectiveOrderMatchesSacreBleu(string hyp, string reference, double expected)
    {
        // test_case_effective_order via raw_corpus_bleu: tokenize none, floor 0.01, effective order.
        var raw = new BleuOptions { Tokenizer = BleuTokenizer.None, Smoothing = BleuSmoothing.Floor, SmoothValue = 0.01, EffectiveOrder = true };
        Assert.Equal(expected * 100, Metrics.CorpusBleu([hyp], [[reference]], raw).Score, 9);
    }

    [Theory]
    [InlineData("Hello, world!", new[] { "Hello", ",", "world", "!" })]
    [InlineData("It wasn't 3.14 or 1,000.", new[] { "It", "wasn't", "3.14", "or", "1,000", "." })]
    [InlineData("&quot;x&quot; &amp; y&lt;z&gt;", new[] { "\"", "x", "\"", "&", "y", "<", "z", ">" })]
    [InlineData("5-3 e-mail (a/b)", new[] { "5", "-", "3", "e-mail", "(", "a", "/", "b", ")" })]
    [InlineData("line one-\ncontinued\nnext <skipped>", new[] { "line", "onecontinued", "next" })]
    [InlineData("Ça coûte 12€, naïve?", new[] { "Ça", "coûte", "12€", ",", "naïve", "?" })]
    [InlineData("  \t ", new string[0])]
    public void Tokenizer13aByHand(string text, string[] expected)
    {
        Assert.Equal(expected, TextNormalization.Bleu13aTokens(text));
    }

    [Fact]
    public void ClosestReferenceLengthPrefersTheShorterOnATie()
    {
        // Hypothesis of 4 words, references of 3 and 5 words: both 1 away, so ref_len = 3 and no penalty.
        var s = Metrics.CorpusBleu(["a b c d"], [["a b c", "a b c d e"]], new BleuOptions { Tokenizer = BleuTokenizer.None });
        Assert.Equal(3, s.ReferenceLength);
        Assert.Equal(1.0, s.BrevityPenalty);
    }

    [Fact]
    public void BadInputIsRejectedWithAClearMessage()
    {
        var e = Assert.Throws<ArgumentException>(() => Metrics.CorpusBleu(["a", "b"], [["a"]]));
        Assert.Contains("2 predictions but 1 reference lists", e.Message);
        e = Assert.Throws<ArgumentException>(() => Metrics.CorpusBleu(["a"], [[]]));
        Assert.Contains("example 0", e.Message);
        Assert.Throws<ArgumentException>(() => Metrics.BleuFromStatistics([1, 2], [1, 2], 2, 2));
    }

    // ---- nltk as an independent implementation, on random token corpora ------------------------

    private static (string[][] Hyps, string[][][] Refs) RandomCorpus(int seed, int count, int minLength, int vocabSize = 6)
    {
        var rng = new Random(seed);
        var vocab = new[] { "the", "cat", "sat", "on", "mat", "a", "dog", "ran", "to", "park", "big", "red" }[..vocabSize];
        string[] Sentence() => Enumerable.Range(0, rng.Next(minLength, minLength + 9)).Select(_ => vocab[rng.Next(vocab.Length)]).ToArray();
        var hyps = new string[count][];
        var refs = new string[count][][];
        for (var i = 0; i < count; i++)
        {
            hyps[i] = Sentence();
            refs[i] = Enumerable.Range(0, rng.Next(1, 4)).Select(_ => Sentence()).ToArray();
        }
        return (hyps, refs);
    }

    private static BleuOptions Pretokenized(BleuSmoothing smoothing) => new() { Tokenizer = BleuTokenizer.None, Smoothing = smoothing };

    [Fact]
    public void CorpusBleuMatchesNltk()
    {
        foreach (var seed in new[] { 1, 2, 3 })
        {
            var (hyps, refs) = RandomCorpus(seed, 40, 4, vocabSize: 5);
            var expected = MetricsOracle.Py(new { op = "bleu", mode = "corpus", smoothing = "none", hyps, refs }).GetValue<double>();
            var ours = Metrics.CorpusBleu(hyps.Select(h => string.Join(' ', h)).ToList(),
                refs.Select(r => (IReadOnlyList<string>)r.Select(x => string.Join(' ', x)).ToList()).ToList(), Pretokenized(BleuSmoothing.None));
            Assert.True(expected > 0.01, $"the random corpus should have matches at every order (nltk BLEU {expected})");
            Assert.Equal(expected * 100, ours.Score, 9);
        }
    }

    [Theory]
    [InlineData("add1", BleuSmoothing.AddK)]
    [InlineData("exp", BleuSmoothing.Exp)]
    [InlineData("none", BleuSmoothing.None)]
    public void SentenceBleuSmoothingMatchesNltk(string nltkSmoothing, BleuSmoothing smoothing)
    {
        // Hypotheses of at least 4 words, so every order has n-grams (nltk and sacreBLEU differ only below that).
        var (hyps, refs) = RandomCorpus(7, 60, 4);
        var expected = MetricsOracle.Py(new { op = "bleu", mode = "sentence", smoothing = nltkSmoothing, hyps, refs }).AsArray().Select(x => x!.GetValue<double>()).ToArray();
        var zeros = 0;
        for (var i = 0; i < hyps.Length; i++)
        {
            var ours = Metrics.Bleu(string.Join(' ', hyps[i]), refs[i].Select(r => string.Join(' ', r)).ToList(), Pretokenized(smoothing)).Score;
            Assert.True(Math.Abs(expected[i] * 100 - ours) < 1e-9, $"sentence {i}: nltk {expected[i] * 100}, ours {ours}");
            if (expected[i] < 1e-9) zeros++;
        }
        // The smoothing only matters if some sentences lack a 4-gram match; make sure the data has such sentences.
        if (smoothing == BleuSmoothing.None) Assert.True(zeros > 0);
    }

    [Fact]
    public void EffectiveOrderMatchesNltkAutoReweighOnShortSentences()
    {
        // For one sentence shorter than 4 words, sacreBLEU's effective order and nltk's auto_reweigh
        // both average over the orders the sentence has.
        var (hyps, refs) = RandomCorpus(11, 30, 2);
        var shortOnes = Enumerable.Range(0, hyps.Length).Where(i => hyps[i].Length is >= 2 and < 4).ToList();
        Assert.NotEmpty(shortOnes);
        var h = shortOnes.Select(i => hyps[i]).ToArray();
        var r = shortOnes.Select(i => refs[i]).ToArray();
        var expected = MetricsOracle.Py(new { op = "bleu", mode = "sentence", smoothing = "none", auto_reweigh = true, hyps = h, refs = r }).AsArray().Select(x => x!.GetValue<double>()).ToArray();
        for (var i = 0; i < h.Length; i++)
        {
            var ours = Metrics.Bleu(string.Join(' ', h[i]), r[i].Select(x => string.Join(' ', x)).ToList(),
                new BleuOptions { Tokenizer = BleuTokenizer.None, EffectiveOrder = true }).Score;
            Assert.True(Math.Abs(expected[i] * 100 - ours) < 1e-9, $"sentence {i} ({string.Join(' ', h[i])}): nltk {expected[i] * 100}, ours {ours}");
        }
    }
}
