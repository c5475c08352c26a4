using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SftLab.Evaluation;

/// <summary>How <see cref="Metrics.ExactMatch(string, string, AnswerNormalization)"/> and
/// <see cref="Metrics.TokenF1(string, string, AnswerNormalization)"/> clean answers before comparing them.</summary>
public enum AnswerNormalization
{
    /// <summary>
    /// Exactly the SQuAD evaluation script (v1.1 and v2.0): lowercase, delete the ASCII punctuation
    /// characters <c>!"#$%&amp;'()*+,-./:;&lt;=&gt;?@[\]^_`{|}~</c>, replace the whole words "a", "an", "the"
    /// by a space, then collapse runs of whitespace to one space and trim. Non-ASCII punctuation
    /// (curly quotes, «», ¿, the ideographic full stop) is kept, as in the official script.
    /// </summary>
    Squad,

    /// <summary>Like <see cref="Squad"/>, but every Unicode punctuation character (categories P*) is
    /// deleted too, so “Retail” matches Retail. Not comparable with published SQuAD numbers.</summary>
    SquadUnicode,

    /// <summary>No cleaning except collapsing whitespace: a strict, case-sensitive comparison.</summary>
    WhitespaceOnly,
}

/// <summary>
/// The text clean-ups and tokenizers the metrics use, public so a notebook can show exactly what a
/// metric compared. Each one follows a published implementation (named in its doc) so scores are
/// comparable with numbers computed elsewhere.
/// </summary>
public static partial class TextNormalization
{
    private const string AsciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /// <summary>
    /// SQuAD's answer normalization (see <see cref="AnswerNormalization.Squad"/>):
    /// <c>"The  Cat's hat!"</c> becomes <c>"cats hat"</c>. Lowercasing is .NET's invariant
    /// (Unicode simple) case mapping; Python's <c>str.lower</c> differs only for a handful of
    /// characters such as a word-final capital sigma.
    /// </summary>
    public static string NormalizeAnswer(string text, AnswerNormalization mode = AnswerNormalization.Squad)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (mode == AnswerNormalization.WhitespaceOnly) return string.Join(' ', SplitWhitespace(text));
        var lower = text.ToLowerInvariant();
        var sb = new StringBuilder(lower.Length);
        foreach (var c in lower)
        {
            if (AsciiPunctuation.Contains(c)) continue;
            if (mode == AnswerNormalization.SquadUnicode && char.IsPunctuation(c)) continue;
            sb.Append(c);
        }
        var noArticles = Articles().Replace(sb.ToString(), " ");
        return string.Join(' ', SplitWhitespace(noArticles));
    }

    /// <summary>The tokens SQuAD's token F1 counts: the normalized answer split on whitespace.</summary>
    public static string[] AnswerTokens(string text, AnswerNormalization mode = AnswerNormalization.Squad) =>
        SplitWhitespace(NormalizeAnswer(text, mode));

    /// <summary>
    /// The tokenizer of Google's rouge-score package (the one Hugging Face <c>evaluate</c> wraps):
    /// lowercase, replace every run of characters other than ASCII a–z and 0–9 by a space, split,
    /// and, when <paramref name="usePorterStemmer"/> is true, stem the tokens longer than three
    /// letters with <see cref="PorterStemmer"/>. Because only ASCII letters and digits survive,
    /// text in other scripts (Greek, Chinese, accented letters) yields few or no tokens, exactly
    /// as in rouge-score; pass <paramref name="asciiOnly"/> = false to keep every Unicode letter and digit.
    /// </summary>
    public static string[] RougeTokens(string text, bool usePorterStemmer = false, bool asciiOnly = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lower = text.ToLowerInvariant();
        var tokens = new List<string>();
        var sb = new StringBuilder();
        void Flush()
        {
            if (sb.Length == 0) return;
            var token = sb.ToString();
            sb.Clear();
            if (usePorterStemmer && token.Length > 3) token = PorterStemmer.Stem(token);
            tokens.Add(token);
        }
        for (var i = 0; i < lower.Length; i++)
        {
            var c = lower[i];
            bool keep;
            if (asciiOnly) keep = c is >= 'a' and <= 'z' or >= '0' and <= '9';
            else if (char.IsHighSurrogate(c) && i + 1 < lower.Length && char.IsLowSurrogate(lower[i + 1]))
            {
                var cat = CharUnicodeInfo.GetUnicodeCategory(lower, i);
                if (IsLetterOrDigit(cat)) { sb.Append(c).Append(lower[i + 1]); i++; continue; }
                Flush();
                i++;
                continue;
            }
            else keep = char.IsLetterOrDigit(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;
            if (keep) sb.Append(c);
            else Flush();
        }
        Flush();
        return tokens.ToArray();
    }

    private static bool IsLetterOrDigit(UnicodeCategory cat) => cat is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
        or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber;

    /// <summary>
    /// sacreBLEU's default tokenizer "13a" (a port of the tokenization inside mteval-v13a.pl, the
    /// WMT scoring script), returning the tokens. It removes <c>&lt;skipped&gt;</c>, joins
    /// lines broken by "-\n", turns other newlines into spaces, un-escapes
    /// <c>&amp;quot; &amp;amp; &amp;lt; &amp;gt;</c>, puts spaces around ASCII symbols and
    /// punctuation (<c>{|}~ [\]^_` !"#$%&amp; ()*+ :;&lt;=&gt;?@ /</c>), splits "." and "," off
    /// unless they sit between digits (so 3.14 and 1,000 stay whole), splits "-" after a digit,
    /// and splits on whitespace. Letters of every script pass through untouched.
    /// </summary>
    public static string[] Bleu13aTokens(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        line = line.Replace("<skipped>", "").Replace("-\n", "").Replace("\n", " ");
        if (line.Contains('&'))
            line = line.Replace("&quot;", "\"").Replace("&amp;", "&").Replace("&lt;", "<").Replace("&gt;", ">");
        line = " " + line + " ";
        line = Bleu13aSymbols().Replace(line, " $1 ");
        line = Bleu13aPeriodCommaAfterNonDigit().Replace(line, "$1 $2 ");
        line = Bleu13aPeriodCommaBeforeNonDigit().Replace(line, " $1 $2");
        line = Bleu13aDashAfterDigit().Replace(line, "$1 $2 ");
        return SplitWhitespace(line);
    }

    /// <summary>
    /// Splits on whitespace the way Python's <c>str.split()</c> does (which the reference metric
    /// scripts use): runs of Unicode whitespace, including the ASCII separators U+001C–U+001F,
    /// separate tokens; leading and trailing whitespace yields no empty tokens.
    /// </summary>
    public static string[] SplitWhitespace(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>();
        var start = -1;
        for (var i = 0; i < text.Length; i++)
        {
            if (IsPythonWhitespace(text[i]))
            {
                if (start >= 0) { tokens.Add(text[start..i]); start = -1; }
            }
            else if (start < 0) start = i;
        }
        if (start >= 0) tokens.Add(text[start..]);
        return tokens.ToArray();
    }

    /// <summary>True for the characters Python's <c>str.isspace()</c> accepts.</summary>
    public static bool IsPythonWhitespace(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';

    [GeneratedRegex(@"\b(a|an|the)\b", RegexOptions.CultureInvariant)]
    private static partial Regex Articles();

    // The character class is the one of mteval-v13a: the ASCII ranges {-~, [-`, space-&, (-+, :-@ and '/'.
    [GeneratedRegex(@"([\{-\~\[-\` -\&\(-\+\:-\@\/])", RegexOptions.CultureInvariant)]
    private static partial Regex Bleu13aSymbols();

    [GeneratedRegex(@"([^0-9])([\.,])", RegexOptions.CultureInvariant)]
    private static partial Regex Bleu13aPeriodCommaAfterNonDigit();

    [GeneratedRegex(@"([\.,])([^0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex Bleu13aPeriodCommaBeforeNonDigit();

    [GeneratedRegex(@"([0-9])(-)", RegexOptions.CultureInvariant)]
    private static partial Regex Bleu13aDashAfterDigit();
}
