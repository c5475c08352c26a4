using SftLab.Evaluation;

namespace SftLab.Tests.Evaluation;

/// <summary>Exact match and token F1, by hand from SQuAD's definitions (its evaluation script).</summary>
public class AnswerMetricsTests
{
    [Theory]
    [InlineData("The Cat's hat!", "cats hat")]          // lowercase, ASCII punctuation deleted (not replaced)
    [InlineData("  an   apple\tand a pear ", "apple and pear")] // articles become spaces, whitespace collapses
    [InlineData("Theatre", "theatre")]                  // "the" only as a whole word
    [InlineData("...!?", "")]                           // all punctuation
    [InlineData("", "")]
    [InlineData("“Retail”", "“retail”")]               // curly quotes are not ASCII punctuation: kept, as in SQuAD
    [InlineData("ÉCOLE d'été", "école dété")]           // Unicode letters lowercase; the apostrophe goes
    public void SquadNormalization(string text, string expected) =>
        Assert.Equal(expected, TextNormalization.NormalizeAnswer(text));

    [Fact]
    public void UnicodeAndWhitespaceOnlyModes()
    {
        Assert.Equal("retail", TextNormalization.NormalizeAnswer("“Retail”", AnswerNormalization.SquadUnicode));
        Assert.Equal("The Cat's hat!", TextNormalization.NormalizeAnswer("  The  Cat's\nhat! ", AnswerNormalization.WhitespaceOnly));
        Assert.Equal(0, Metrics.ExactMatch("“Retail”", "Retail"));
        Assert.Equal(1, Metrics.ExactMatch("“Retail”", "Retail", AnswerNormalization.SquadUnicode));
    }

    [Theory]
    [InlineData("Retail.", "retail", 1)]
    [InlineData("the Retail team", "Retail", 0)]
    [InlineData("72 EUR", "72 eur", 1)]
    [InlineData("72EUR", "72 EUR", 0)]
    [InlineData("", "", 1)]
    [InlineData("", "x", 0)]
    [InlineData("!!!", "...", 1)]   // both normalize to empty
    public void ExactMatchByHand(string prediction, string reference, double expected) =>
        Assert.Equal(expected, Metrics.ExactMatch(prediction, reference));

    [Fact]
    public void TokenF1ByHand()
    {
        // pred "retail team" (2 tokens), gold "retail" (1): shared 1, P = 1/2, R = 1, F1 = 2/3.
        Assert.Equal(2.0 / 3, Metrics.TokenF1("the Retail team", "Retail"), 12);
        // pred "a b b c" -> [b, b, c] (the article "a" goes); gold [b, c, c, d]: shared b×1, c×1 = 2;
        // P = 2/3, R = 2/4, F1 = 2·(2/3)(1/2)/(2/3 + 1/2) = 4/7.
        Assert.Equal(4.0 / 7, Metrics.TokenF1("a b b c", "b c c d"), 12);
        // Order is ignored.
        Assert.Equal(1, Metrics.TokenF1("man bites dog", "dog bites man"));
        // Empty sides: 1 if both are empty, else 0 (SQuAD 2.0).
        Assert.Equal(1, Metrics.TokenF1("", "the"));
        Assert.Equal(0, Metrics.TokenF1("", "x"));
        Assert.Equal(0, Metrics.TokenF1("x", "?"));
        Assert.Equal(0, Metrics.TokenF1("cat", "dog"));
    }

    [Fact]
    public void SeveralReferencesTakeTheBest()
    {
        Assert.Equal(1, Metrics.ExactMatch("Lantry", ["Lantry town", "lantry"]));
        // "lantry town hall" vs "lantry town": shared 2, P = 2/3, R = 1, F1 = 0.8; vs "norby": 0.
        Assert.Equal(0.8, Metrics.TokenF1("Lantry town hall", ["Lantry town", "Norby"]), 12);
        Assert.Throws<ArgumentException>(() => Metrics.ExactMatch("a", Array.Empty<string>()));
        Assert.Throws<ArgumentNullException>(() => Metrics.ExactMatch(null!, "a"));
    }
}
