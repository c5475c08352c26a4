using System.Text.RegularExpressions;
using SftLab.Evaluation;

namespace SftLab.Tests.Evaluation;

/// <summary>
/// ROUGE against rouge-score's own test values and README example, hand-computed cases, js-rouge
/// (npm) on random token sequences, and nltk's Porter stemmer on thousands of words.
/// </summary>
public class RougeTests
{
    [Fact]
    public void RougeScorePackageTestValues()
    {
        // rouge_scorer_test.py (arguments there are (target, prediction); ours are (prediction, reference)).
        var r = Metrics.RougeL("testing one", "testing one two");          // testRougeLConsecutive
        Assert.Equal(1, r.Precision, 12);
        Assert.Equal(2.0 / 3, r.Recall, 12);
        Assert.Equal(4.0 / 5, r.F, 12);
        r = Metrics.RougeL("testing two", "testing one two");              // testRougeLNonConsecutive
        AssertPrf(r, 1, 2.0 / 3, 4.0 / 5);
        AssertPrf(Metrics.RougeN("testing", "testing one two", 1), 1, 1.0 / 3, 0.5);          // testRouge1
        AssertPrf(Metrics.RougeN("testing one", "testing one two", 2), 1, 0.5, 2.0 / 3);      // testRouge2
        Assert.Equal(default, Metrics.RougeL("", "testing one two"));      // testRougeEmpty
        Assert.Equal(0, Metrics.RougeN("", "testing one two", 2).F);
        Assert.Equal(0, Metrics.RougeL("/", "w1 w2 w3").F);                // all non-word characters
    }

    private static void AssertPrf(PrecisionRecallF actual, double p, double r, double f)
    {
        Assert.Equal(p, actual.Precision, 12);
        Assert.Equal(r, actual.Recall, 12);
        Assert.Equal(f, actual.F, 12);
    }

    [Fact]
    public void ReadmeExampleByHand()
    {
        // rouge-score's README: target "The quick brown fox jumps over the lazy dog" (9 tokens),
        // prediction "The quick brown dog jumps on the log." (8 tokens). The LCS is
        // "the quick brown jumps the" (5), so P = 5/8, R = 5/9, F = 2·(5/8)(5/9)/(5/8 + 5/9) = 10/17.
        var r = Metrics.RougeL("The quick brown dog jumps on the log.", "The quick brown fox jumps over the lazy dog");
        Assert.Equal(0.625, r.Precision, 12);
        Assert.Equal(5.0 / 9, r.Recall, 12);
        Assert.Equal(10.0 / 17, r.F, 12);
        // ROUGE-1: shared unigrams the×2, quick, brown, dog, jumps = 6 → P = 6/8, R = 6/9.
        var r1 = Metrics.RougeN("The quick brown dog jumps on the log.", "The quick brown fox jumps over the lazy dog", 1);
        AssertPrf(r1, 0.75, 6.0 / 9, 2 * 0.75 * (6.0 / 9) / (0.75 + 6.0 / 9));
    }

    [Fact]
    public void LcsByHand()
    {
        // rouge_scorer_test testLcsTable: LCS of [1,2,3,4,5] and [2,5,3,4] is [2,3,4].
        Assert.Equal(3, Metrics.LcsLength(["1", "2", "3", "4", "5"], ["2", "5", "3", "4"]));
        Assert.Equal(0, Metrics.LcsLength(["1", "2", "3", "4", "5"], ["8", "9"]));
        Assert.Equal(0, Metrics.LcsLength([], ["a"]));
        // Word order matters: a reversed sentence shares one word in order.
        Assert.Equal(1.0 / 3, Metrics.RougeL("c b a", "a b c").F, 12);
    }

    [Fact]
    public void TokenizationFollowsRougeScore()
    {
        // Lowercase, anything but ASCII a-z0-9 separates, and non-ASCII letters are dropped.
        Assert.Equal(["it", "s", "a", "test", "42"], TextNormalization.RougeTokens("It's a TEST -- 42!"));
        Assert.Equal(["caf", "na", "ve"], TextNormalization.RougeTokens("Café naïve"));
        Assert.Empty(TextNormalization.RougeTokens("日本語 ... !!!"));
        Assert.Equal(["café", "naïve", "日本語"], TextNormalization.RougeTokens("Café naïve 日本語", asciiOnly: false));
        // Stemming applies only to tokens longer than 3 characters.
        Assert.Equal(["jump", "the", "dog", "cat"], TextNormalization.RougeTokens("jumps the dogs cats", usePorterStemmer: true));
        // With stemming, inflections match: "jumped" vs "jumping".
        Assert.Equal(0.5, Metrics.RougeL("he jumped", "he jumping").F, 12);
        Assert.Equal(1.0, Metrics.RougeL("he jumped", "he jumping", usePorterStemmer: true).F, 12);
    }

    [Fact]
    public void MultipleReferencesTakeTheBestF()
    {
        var best = Metrics.RougeL("a b c", ["x y z", "a b c d"]);
        Assert.Equal(Metrics.RougeL("a b c", "a b c d"), best);
        Assert.Throws<ArgumentException>(() => Metrics.RougeL("a", Array.Empty<string>()));
    }

    [Fact]
    public void LcsFMeasureMatchesJsRouge()
    {
        // Random token sequences over a small vocabulary, so the LCS is non-trivial.
        var rng = new Random(5);
        string[] vocab = ["a", "b", "c", "d", "e", "f"];
        var pairs = new List<string[]>();
        for (var i = 0; i < 300; i++)
        {
            string Seq() => string.Join(' ', Enumerable.Range(0, rng.Next(1, 25)).Select(_ => vocab[rng.Next(vocab.Length)]));
            pairs.Add([Seq(), Seq()]);
        }
        var expected = MetricsOracle.Node(new { op = "rougeL", pairs }).AsArray().Select(x => x!.GetValue<double>()).ToArray();
        for (var i = 0; i < pairs.Count; i++)
            Assert.True(Math.Abs(expected[i] - Metrics.RougeL(pairs[i][0], pairs[i][1]).F) < 1e-12, $"pair {i}: js-rouge {expected[i]}, ours {Metrics.RougeL(pairs[i][0], pairs[i][1]).F}");
    }

    [Fact]
    public void PorterStemmerMatchesNltk()
    {
        // Real words (from the shipped knowledge base and the paper's examples) plus synthetic words
        // that end in every suffix the rules know, so each rule and its conditions are exercised.
        var root = Oracles.PythonOracle.RepoRoot;
        var words = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in new[] { "datasets/knowledge-base/documents.jsonl", "datasets/general/validation.jsonl" })
            foreach (Match m in Regex.Matches(File.ReadAllText(Path.Combine(root, file)).ToLowerInvariant(), "[a-z]+"))
                words.Add(m.Value);
        string[] examples =
        [
            "caresses", "ponies", "ties", "caress", "cats", "feed", "agreed", "plastered", "bled", "motoring", "sing",
            "conflated", "troubled", "sized", "hopping", "tanned", "falling", "hissing", "fizzed", "failing", "filing",
            "happy", "sky", "relational", "conditional", "rational", "valenci", "hesitanci", "digitizer", "conformabli",
            "radicalli", "differentli", "vileli", "analogousli", "vietnamization", "predication", "operator", "feudalism",
            "decisiveness", "hopefulness", "callousness", "formaliti", "sensitiviti", "sensibiliti", "triplicate",
            "formative", "formalize", "electriciti", "electrical", "hopeful", "goodness", "revival", "allowance",
            "inference", "airliner", "gyroscopic", "adjustable", "defensible", "irritant", "replacement", "adjustment",
            "dependent", "adoption", "homologou", "communism", "activate", "angulariti", "homologous", "effective",
            "bowdlerize", "probate", "rate", "cease", "controll", "roll", "dying", "lying", "tying", "news", "innings",
            "outings", "cannings", "howe", "proceed", "exceed", "succeed", "dies", "died", "spied", "enjoy", "fly",
            "generically", "archaeology", "geology", "theology", "fully", "hopefully", "tionally", "a", "as", "is",
            "oed", "y", "yy", "eed", "ied", "ing", "ed", "s", "ss", "sses", "bli", "logi", "alli", "fulli",
        ];
        words.UnionWith(examples);
        string[] stems = ["b", "tr", "rel", "cond", "hop", "form", "gen", "sens", "ad", "oc", "mat", "ble", "y", "ee"];
        string[] suffixes =
        [
            "sses", "ies", "ss", "s", "eed", "ed", "ing", "ied", "at", "bl", "iz", "y", "ational", "tional", "enci", "anci",
            "izer", "bli", "abli", "alli", "entli", "eli", "ousli", "ization", "ation", "ator", "alism", "iveness", "fulness",
            "ousness", "aliti", "iviti", "biliti", "fulli", "logi", "icate", "ative", "alize", "iciti", "ical", "ful", "ness",
            "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "sion", "tion", "ion", "ou", "ism",
            "ate", "iti", "ous", "ive", "ize", "e", "ll", "atedly", "izations", "fulnesses",
        ];
        foreach (var s in stems)
            foreach (var x in suffixes)
                words.Add(s + x);
        var list = words.ToList();
        Assert.True(list.Count > 1500, $"only {list.Count} words");
        var expected = MetricsOracle.Py(new { op = "porter", words = list }).AsArray().Select(x => x!.GetValue<string>()).ToArray();
        var mismatches = list.Select((w, i) => (w, nltk: expected[i], ours: PorterStemmer.Stem(w))).Where(t => t.nltk != t.ours).Take(20).ToList();
        Assert.True(mismatches.Count == 0, "stems differ from nltk: " + string.Join(", ", mismatches.Select(m => $"{m.w}: nltk {m.nltk}, ours {m.ours}")));
    }
}
