using System.Text.Json.Nodes;
using SftLab.Tokenization;

namespace SftLab.Tests.Tokenization;

/// <summary>
/// The two ways a split pattern runs: the hand-written matchers for the well-known patterns (fast
/// path) and .NET Regex on the translated Oniguruma pattern (general path). Both are checked against
/// the references, and against each other.
/// </summary>
public sealed class RegexPathTests
{
    public static TheoryData<string> KnownPatterns => new([
        KnownPatternMatcher.Gpt2Pattern, KnownPatternMatcher.Cl100kPattern,
        KnownPatternMatcher.Cl100kPattern.Replace(@"\p{N}{1,3}", @"\p{N}"), KnownPatternMatcher.O200kPattern]);

    [Theory]
    [MemberData(nameof(KnownPatterns))]
    public void FastMatcherAndDotNetRegexSplitTheSame(string pattern)
    {
        var fast = KnownPatternMatcher.TryCreate(pattern);
        Assert.NotNull(fast);
        var general = new RegexMatcher(RegexTranslator.Compile(pattern), pattern);
        var data = TokenizerOracle.Get();
        var a = new List<(int, int)>();
        var b = new List<(int, int)>();
        var texts = data.Docs.Concat(data.Edges.Select(e => e.Text)).ToList();
        foreach (var t in texts)
        {
            a.Clear();
            b.Clear();
            fast!.FindAll(t, a);
            general.FindAll(t, b);
            if (a.SequenceEqual(b)) continue;
            var i = 0;
            while (i < Math.Min(a.Count, b.Count) && a[i] == b[i]) i++;
            string Show(List<(int S, int E)> l) => i < l.Count ? System.Text.Json.JsonSerializer.Serialize(t[l[i].S..l[i].E]) : "(end)";
            Assert.Fail($"piece {i} differs in {System.Text.Json.JsonSerializer.Serialize(t[..Math.Min(60, t.Length)])}: fast {Show(a)}, regex {Show(b)}");
        }
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    public void GeneralRegexPathMatchesReferenceOnCorpus(string name)
    {
        // Wrapping the pattern in a group keeps its meaning but makes it unknown to the fast path.
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TokenizerOracle.HfFolder(name), "tokenizer.json")))!.AsObject();
        var split = json["pre_tokenizer"]!["pretokenizers"]![0]!;
        var pattern = (string)split["pattern"]!["Regex"]!;
        split["pattern"]!["Regex"] = "(?:" + pattern + ")";
        Assert.Null(KnownPatternMatcher.TryCreate("(?:" + pattern + ")"));
        var path = ReferenceEncoder.WriteVariant(name + "-general-regex", "tokenizer.json", json);
        var tok = Tokenizer.FromFile(path);
        AssertCorpusMatches(tok, name, addSpecialTokens: true);
    }

    [Theory]
    [InlineData("cl100k_base", KnownPatternMatcher.Cl100kPattern)]
    [InlineData("o200k_base", KnownPatternMatcher.O200kPattern)]
    public void GeneralRegexPathMatchesTiktokenOnCorpus(string name, string pattern)
    {
        var tok = Tokenizer.FromTiktoken(TokenizerOracle.TiktokenFile(name), pattern: "(?:" + pattern + ")");
        AssertCorpusMatches(tok, name, addSpecialTokens: false);
    }

    private static void AssertCorpusMatches(Tokenizer tok, string name, bool addSpecialTokens)
    {
        var data = TokenizerOracle.Get();
        var expected = data.CorpusIds(name);
        for (var i = 0; i < data.Docs.Length; i++)
        {
            var diff = TokenizerOracle.FirstDifference(expected[i], tok.EncodeToIds(data.Docs[i], addSpecialTokens), tok.IdToToken);
            Assert.True(diff == null, $"document {i}: {diff}");
        }
    }

    [Theory]
    [InlineData(@"\p{L}++", @"(?>\p{L}+)")]
    [InlineData(@"a{,3}", @"a{0,3}")]
    [InlineData(@"(?i:ab)", @"(?:[aA][bB])")]
    [InlineData(@"\x{41}", @"\u0041")]
    [InlineData(@"[[:digit:]x]", @"[\p{Nd}x]")]
    [InlineData(@"\h+", @"[0-9A-Fa-f]+")]
    public void TranslatesOnigurumaSyntax(string oniguruma, string dotnet) => Assert.Equal(dotnet, RegexTranslator.Translate(oniguruma));

    [Fact]
    public void PossessiveQuantifierDoesNotGiveBack()
    {
        // "a++a" can never match (the a++ keeps every 'a'); a plain "a+a" would.
        var m = new RegexMatcher(RegexTranslator.Compile("a++a"), "a++a");
        var found = new List<(int, int)>();
        m.FindAll("aaaa", found);
        Assert.Empty(found);
        var plain = new RegexMatcher(RegexTranslator.Compile("a+a"), "a+a");
        plain.FindAll("aaaa", found);
        Assert.Equal([(0, 4)], found);
    }

    [Fact]
    public void CategoriesMatchCodePointsOutsideTheBmp()
    {
        var m = new RegexMatcher(RegexTranslator.Compile(@"\p{L}+|\p{N}+"), "");
        var found = new List<(int, int)>();
        const string text = "x\U0001D400\U0001D401 \U0001D7D9"; // math bold A, B; double-struck 1
        m.FindAll(text, found);
        Assert.Equal([(0, 5), (6, 8)], found);
    }
}
