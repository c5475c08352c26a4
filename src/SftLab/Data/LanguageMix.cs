namespace SftLab.Data;

/// <summary>
/// A crude guess of a text's writing system and, for Latin-script text, its language — good enough to spot
/// that 3% of an "English" dataset is Chinese, not to label text. The script is the one most letters belong
/// to (by Unicode block); the language of Latin-script text is the one whose most frequent function words
/// ("the", "and", "der", "und", "le", "et"...) occur most often, when at least two occur.
/// </summary>
public static class LanguageMix
{
    private static readonly (string Code, HashSet<string> Words)[] StopWords =
    [
        ("en", ["the", "and", "is", "of", "to", "in", "you", "it", "that", "for", "with", "are", "this", "what", "was", "have"]),
        ("de", ["der", "die", "und", "das", "ist", "nicht", "ich", "sie", "mit", "den", "ein", "eine", "zu", "auf", "für", "wie"]),
        ("fr", ["le", "la", "les", "et", "est", "une", "des", "du", "que", "pour", "dans", "pas", "je", "vous", "qui", "sur"]),
        ("es", ["el", "los", "las", "y", "es", "una", "que", "del", "por", "para", "con", "no", "se", "lo", "como", "qué"]),
        ("it", ["il", "di", "che", "è", "della", "per", "una", "sono", "gli", "non", "con", "del", "anche", "come", "questo", "nel"]),
        ("pt", ["o", "os", "e", "é", "um", "uma", "que", "não", "com", "para", "do", "da", "em", "se", "você", "mais"]),
        ("nl", ["de", "het", "een", "en", "is", "niet", "van", "dat", "ik", "je", "met", "voor", "zijn", "wat", "ook", "maar"]),
    ];

    /// <summary>The script most of the text's letters are written in (Latin, Cyrillic, Greek, Arabic, Hebrew, Han, Kana, Hangul, Devanagari, Thai, other), or "none" when it has no letters.</summary>
    public static string Script(string text)
    {
        var counts = new Dictionary<string, int>();
        foreach (var c in text)
        {
            if (!char.IsLetter(c)) continue;
            var s = ScriptOf(c);
            counts[s] = counts.GetValueOrDefault(s) + 1;
        }
        return counts.Count == 0 ? "none" : counts.MaxBy(kv => kv.Value).Key;
    }

    /// <summary>
    /// A crude language label: an ISO 639-1 code (en, de, fr, es, it, pt, nl) for Latin-script text whose function
    /// words say so, "Latin (other)" when they do not, else the script's name (Kana and Hangul imply Japanese and Korean).
    /// </summary>
    public static string Guess(string text)
    {
        var script = Script(text);
        if (script != "Latin") return script;
        var scores = new int[StopWords.Length];
        foreach (var w in Deduplicator.Words(text))
            for (var l = 0; l < StopWords.Length; l++)
                if (StopWords[l].Words.Contains(w)) scores[l]++;
        var best = 0;
        for (var l = 1; l < scores.Length; l++) if (scores[l] > scores[best]) best = l;
        return scores[best] >= 2 ? StopWords[best].Code : "Latin (other)";
    }

    private static string ScriptOf(char c) => c switch
    {
        <= '\u024F' => "Latin",
        >= '\u1E00' and <= '\u1EFF' => "Latin",
        >= '\u0370' and <= '\u03FF' or >= '\u1F00' and <= '\u1FFF' => "Greek",
        >= '\u0400' and <= '\u052F' => "Cyrillic",
        >= '\u0590' and <= '\u05FF' => "Hebrew",
        >= '\u0600' and <= '\u06FF' or >= '\u0750' and <= '\u077F' => "Arabic",
        >= '\u0900' and <= '\u097F' => "Devanagari",
        >= '\u0E00' and <= '\u0E7F' => "Thai",
        >= '\u3040' and <= '\u30FF' => "Kana",
        >= '\uAC00' and <= '\uD7AF' or >= '\u1100' and <= '\u11FF' => "Hangul",
        >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF' => "Han",
        _ => "other",
    };
}
