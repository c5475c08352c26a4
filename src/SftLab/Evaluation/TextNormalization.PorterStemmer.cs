namespace SftLab.Evaluation;

/// <summary>
/// The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", 1980) with the
/// extensions NLTK applies by default (<c>PorterStemmer()</c>, mode NLTK_EXTENSIONS) — the stemmer
/// rouge-score uses when stemming is on. Stemming maps inflected forms to a shared stem
/// ("jumps", "jumped", "jumping" → "jump"), so a metric stops punishing a different word ending.
/// It works on lowercase ASCII words; other characters are simply treated as consonants.
/// <para>The extensions over the 1980 paper: a small table of irregular forms ("dying" → "die",
/// "skies" → "sky"), words of one or two letters are left alone, "-ies"/"-ied" on four-letter
/// words become "-ie" ("dies" → "die"), step 1c turns a final y into i only after a consonant that
/// is not the first letter, and step 2 has the rules bli→ble, alli→al (then step 2 again),
/// fulli→ful and logi→log.</para>
/// </summary>
public static class PorterStemmer
{
    private static readonly Dictionary<string, string> Irregular = new(StringComparer.Ordinal)
    {
        ["sky"] = "sky", ["skies"] = "sky",
        ["dying"] = "die", ["lying"] = "lie", ["tying"] = "tie",
        ["news"] = "news",
        ["innings"] = "inning", ["inning"] = "inning",
        ["outings"] = "outing", ["outing"] = "outing",
        ["cannings"] = "canning", ["canning"] = "canning",
        ["howe"] = "howe",
        ["proceed"] = "proceed", ["exceed"] = "exceed", ["succeed"] = "succeed",
    };

    /// <summary>Returns the stem of one lowercase word (it is lowercased first if it is not).</summary>
    public static string Stem(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        var lower = word.ToLowerInvariant();
        if (Irregular.TryGetValue(lower, out var irregular)) return irregular;
        if (lower.Length <= 2) return lower;
        var w = Step1a(lower);
        w = Step1b(w);
        w = Step1c(w);
        w = Step2(w);
        w = Step3(w);
        w = Step4(w);
        w = Step5a(w);
        w = Step5b(w);
        return w;
    }

    // ---- the word's shape ------------------------------------------------------------------

    // A consonant is a letter other than a, e, i, o, u, and other than a y that follows a consonant.
    private static bool IsConsonant(string w, int i)
    {
        var c = w[i];
        if (c is 'a' or 'e' or 'i' or 'o' or 'u') return false;
        if (c == 'y') return i == 0 || !IsConsonant(w, i - 1);
        return true;
    }

    // m, the number of vowel-consonant transitions: a stem has the form [C](VC){m}[V].
    private static int Measure(string stem)
    {
        var m = 0;
        for (var i = 1; i < stem.Length; i++)
            if (IsConsonant(stem, i) && !IsConsonant(stem, i - 1)) m++;
        return m;
    }

    private static bool HasVowel(string stem)
    {
        for (var i = 0; i < stem.Length; i++)
            if (!IsConsonant(stem, i)) return true;
        return false;
    }

    private static bool EndsDoubleConsonant(string w) =>
        w.Length >= 2 && w[^1] == w[^2] && IsConsonant(w, w.Length - 1);

    // *o: ends consonant-vowel-consonant with the last not w, x or y; NLTK adds two-letter vowel-consonant stems.
    private static bool EndsCvc(string w) =>
        (w.Length >= 3 && IsConsonant(w, w.Length - 3) && !IsConsonant(w, w.Length - 2) && IsConsonant(w, w.Length - 1)
            && w[^1] is not ('w' or 'x' or 'y'))
        || (w.Length == 2 && !IsConsonant(w, 0) && IsConsonant(w, 1));

    private static bool PositiveMeasure(string stem) => Measure(stem) > 0;

    private static bool MeasureAboveOne(string stem) => Measure(stem) > 1;

    /// <summary>One suffix rule: when the word ends with <c>Suffix</c>, replace it if the condition holds on the rest.</summary>
    private readonly record struct Rule(string Suffix, string Replacement, Func<string, bool>? Condition);

    // The first rule whose suffix matches decides: it applies if its condition holds, and otherwise the word is unchanged.
    private static string ApplyFirst(string word, ReadOnlySpan<Rule> rules)
    {
        foreach (var rule in rules)
        {
            if (!word.EndsWith(rule.Suffix, StringComparison.Ordinal)) continue;
            var stem = word[..^rule.Suffix.Length];
            return rule.Condition is null || rule.Condition(stem) ? stem + rule.Replacement : word;
        }
        return word;
    }

    // ---- the steps -------------------------------------------------------------------------

    // Plurals: caresses → caress, ponies → poni, cats → cat (and, NLTK, dies → die).
    private static string Step1a(string w)
    {
        if (w.Length == 4 && w.EndsWith("ies", StringComparison.Ordinal)) return w[..^3] + "ie";
        return ApplyFirst(w, [new("sses", "ss", null), new("ies", "i", null), new("ss", "ss", null), new("s", "", null)]);
    }

    // -eed, -ed, -ing: agreed → agree, plastered → plaster, hopping → hop, filing → file.
    private static string Step1b(string w)
    {
        if (w.EndsWith("ied", StringComparison.Ordinal)) return w.Length == 4 ? w[..^3] + "ie" : w[..^3] + "i";
        if (w.EndsWith("eed", StringComparison.Ordinal))
        {
            var s = w[..^3];
            return Measure(s) > 0 ? s + "ee" : w;
        }
        string? stem = null;
        if (w.EndsWith("ed", StringComparison.Ordinal) && HasVowel(w[..^2])) stem = w[..^2];
        else if (w.EndsWith("ing", StringComparison.Ordinal) && HasVowel(w[..^3])) stem = w[..^3];
        if (stem is null) return w;
        if (stem.EndsWith("at", StringComparison.Ordinal) || stem.EndsWith("bl", StringComparison.Ordinal) || stem.EndsWith("iz", StringComparison.Ordinal))
            return stem + "e";
        if (EndsDoubleConsonant(stem))
            return stem[^1] is 'l' or 's' or 'z' ? stem : stem[..^1];
        return Measure(stem) == 1 && EndsCvc(stem) ? stem + "e" : stem;
    }

    // Final y → i after a consonant that is not the word's first letter: happy → happi, enjoy stays.
    private static string Step1c(string w) =>
        w.Length > 2 && w[^1] == 'y' && IsConsonant(w, w.Length - 2) ? w[..^1] + "i" : w;

    private static readonly Rule[] Step2Rules =
    [
        new("ational", "ate", PositiveMeasure), new("tional", "tion", PositiveMeasure),
        new("enci", "ence", PositiveMeasure), new("anci", "ance", PositiveMeasure),
        new("izer", "ize", PositiveMeasure), new("bli", "ble", PositiveMeasure),
        new("alli", "al", PositiveMeasure), new("entli", "ent", PositiveMeasure),
        new("eli", "e", PositiveMeasure), new("ousli", "ous", PositiveMeasure),
        new("ization", "ize", PositiveMeasure), new("ation", "ate", PositiveMeasure),
        new("ator", "ate", PositiveMeasure), new("alism", "al", PositiveMeasure),
        new("iveness", "ive", PositiveMeasure), new("fulness", "ful", PositiveMeasure),
        new("ousness", "ous", PositiveMeasure), new("aliti", "al", PositiveMeasure),
        new("iviti", "ive", PositiveMeasure), new("biliti", "ble", PositiveMeasure),
        new("fulli", "ful", PositiveMeasure),
        // logi → log keeps the l with the stem, so the measure is taken on "...l".
        new("logi", "log", stem => PositiveMeasure(stem + "l")),
    ];

    // Double suffixes to single ones: relational → relate, hopefulness → hopeful.
    private static string Step2(string w)
    {
        if (w.EndsWith("alli", StringComparison.Ordinal) && PositiveMeasure(w[..^4]))
            return Step2(w[..^4] + "al");
        return ApplyFirst(w, Step2Rules);
    }

    private static readonly Rule[] Step3Rules =
    [
        new("icate", "ic", PositiveMeasure), new("ative", "", PositiveMeasure), new("alize", "al", PositiveMeasure),
        new("iciti", "ic", PositiveMeasure), new("ical", "ic", PositiveMeasure), new("ful", "", PositiveMeasure),
        new("ness", "", PositiveMeasure),
    ];

    // -ic-, -ful, -ness: electrical → electric, goodness → good.
    private static string Step3(string w) => ApplyFirst(w, Step3Rules);

    private static readonly Rule[] Step4Rules =
    [
        new("al", "", MeasureAboveOne), new("ance", "", MeasureAboveOne), new("ence", "", MeasureAboveOne),
        new("er", "", MeasureAboveOne), new("ic", "", MeasureAboveOne), new("able", "", MeasureAboveOne),
        new("ible", "", MeasureAboveOne), new("ant", "", MeasureAboveOne), new("ement", "", MeasureAboveOne),
        new("ment", "", MeasureAboveOne), new("ent", "", MeasureAboveOne),
        new("ion", "", stem => MeasureAboveOne(stem) && stem[^1] is 's' or 't'),
        new("ou", "", MeasureAboveOne), new("ism", "", MeasureAboveOne), new("ate", "", MeasureAboveOne),
        new("iti", "", MeasureAboveOne), new("ous", "", MeasureAboveOne), new("ive", "", MeasureAboveOne),
        new("ize", "", MeasureAboveOne),
    ];

    // Strip the remaining suffixes from long stems: adjustment → adjust, adoption → adopt.
    private static string Step4(string w) => ApplyFirst(w, Step4Rules);

    // A final e goes when m > 1, or m = 1 and the stem does not end cvc: probate → probat, cease → ceas.
    private static string Step5a(string w)
    {
        if (!w.EndsWith('e')) return w;
        var stem = w[..^1];
        var m = Measure(stem);
        return m > 1 || (m == 1 && !EndsCvc(stem)) ? stem : w;
    }

    // -ll → -l when m > 1: controll → control, roll stays.
    private static string Step5b(string w) =>
        w.EndsWith("ll", StringComparison.Ordinal) && Measure(w[..^1]) > 1 ? w[..^1] : w;
}
