using System.Globalization;
using System.Text;

namespace SftLab.Retrieval;

/// <summary>
/// Turns text into the terms BM25 counts: lowercase (invariant culture), split on every character
/// that is not a Unicode letter or digit (so "Fernhollow's" gives "fernhollow" and "s", and
/// "e-mail" gives "e" and "mail"), and optionally drop common English stop words. Queries and
/// passages must go through the same tokenizer; <see cref="Bm25Index"/> does that for you.
/// </summary>
public sealed class Bm25Tokenizer
{
    /// <summary>A small list of English function words (articles, pronouns, auxiliaries, prepositions,
    /// conjunctions, question words) that carry little meaning for search.</summary>
    public static IReadOnlySet<string> EnglishStopWords { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "a", "an", "the", "and", "or", "but", "if", "then", "else", "of", "at", "by", "for", "with", "about",
        "to", "from", "in", "on", "into", "onto", "over", "under", "as", "than", "so", "not", "no", "nor",
        "is", "am", "are", "was", "were", "be", "been", "being", "do", "does", "did", "has", "have", "had",
        "having", "will", "would", "shall", "should", "can", "could", "may", "might", "must",
        "i", "me", "my", "we", "our", "us", "you", "your", "he", "him", "his", "she", "her", "it", "its",
        "they", "them", "their", "this", "that", "these", "those", "there", "here",
        "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "s", "t",
    };

    private readonly IReadOnlySet<string>? _stopWords;

    /// <summary>Lowercase and split; no stop words removed.</summary>
    public static Bm25Tokenizer Default { get; } = new();

    /// <summary>Lowercase, split, and drop <see cref="EnglishStopWords"/>.</summary>
    public static Bm25Tokenizer English { get; } = new(EnglishStopWords);

    /// <summary>A tokenizer that drops the given (lowercase) stop words, or none when null.</summary>
    public Bm25Tokenizer(IEnumerable<string>? stopWords = null) =>
        _stopWords = stopWords is null ? null : new HashSet<string>(stopWords.Select(w => w.ToLowerInvariant()), StringComparer.Ordinal);

    /// <summary>True when this tokenizer drops stop words.</summary>
    public bool RemovesStopWords => _stopWords is { Count: > 0 };

    /// <summary>The terms of <paramref name="text"/>, in order, with repeats.</summary>
    public List<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new List<string>();
        var sb = new StringBuilder();
        void Flush()
        {
            if (sb.Length == 0) return;
            var term = sb.ToString();
            sb.Clear();
            if (_stopWords is null || !_stopWords.Contains(term)) terms.Add(term);
        }
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var cat = CharUnicodeInfo.GetUnicodeCategory(text, i);
                if (cat is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                    or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber)
                    sb.Append(c).Append(text[i + 1]);
                else Flush();
                i++;
                continue;
            }
            if (char.IsLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
            else Flush();
        }
        Flush();
        return terms;
    }
}
