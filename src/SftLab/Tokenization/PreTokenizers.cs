namespace SftLab.Tokenization;

/// <summary>A piece of text being pre-tokenized: chars [Start, End) of a normalized string.</summary>
internal readonly record struct Split(NormalizedString Str, int Start, int End)
{
    public ReadOnlySpan<char> Span => Str.Text.AsSpan(Start, End - Start);
    public int Length => End - Start;
}

/// <summary>How a split pre-tokenizer treats the matches of its pattern (the Hugging Face names).</summary>
internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

/// <summary>Pattern construction from tokenizer.json's {"String": ...} / {"Regex": ...}.</summary>
internal static class Patterns
{
    public static PatternMatcher FromJson(JsonNav n)
    {
        if (n.Optional("String") is { } s) return new LiteralMatcher(s.String());
        if (n.Optional("Regex") is { } r) return Regex(r);
        throw n.Error("expected a pattern object {\"String\": ...} or {\"Regex\": ...}");
    }

    public static PatternMatcher Regex(JsonNav r)
    {
        var src = r.String();
        if (KnownPatternMatcher.TryCreate(src) is { } known) return known;
        try
        {
            return new RegexMatcher(RegexTranslator.Compile(src), src);
        }
        catch (ArgumentException e)
        {
            throw r.Error($"invalid regex: {e.Message}", e);
        }
    }

    public static SplitBehavior Behavior(JsonNav n)
    {
        var s = n.String();
        return s.ToLowerInvariant() switch
        {
            "removed" => SplitBehavior.Removed,
            "isolated" => SplitBehavior.Isolated,
            "mergedwithprevious" or "merged_with_previous" => SplitBehavior.MergedWithPrevious,
            "mergedwithnext" or "merged_with_next" => SplitBehavior.MergedWithNext,
            "contiguous" => SplitBehavior.Contiguous,
            _ => throw n.Error($"unknown split behavior \"{s}\" (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)"),
        };
    }

    /// <summary>Cuts <paramref name="split"/> at the given matches (relative to the split) according to <paramref name="behavior"/>.</summary>
    public static void Apply(Split split, List<(int Start, int End)> matches, SplitBehavior behavior, bool invert, List<Split> output)
    {
        var n = split.Length;
        var b = split.Start;
        if (matches.Count == 0)
        {
            // No delimiter: the whole split is content (or, inverted, the whole split is a delimiter).
            if (n > 0 && !(invert && behavior == SplitBehavior.Removed)) output.Add(split);
            return;
        }
        // Build segments (start, end, isDelimiter) covering the split.
        var segs = new List<(int S, int E, bool D)>(matches.Count * 2 + 1);
        var prev = 0;
        foreach (var (ms, me) in matches)
        {
            if (ms > prev) segs.Add((prev, ms, invert));
            if (me > ms) segs.Add((ms, me, !invert));
            prev = me;
        }
        if (prev < n) segs.Add((prev, n, invert));
        void Emit(int s, int e)
        {
            if (e > s) output.Add(new Split(split.Str, b + s, b + e));
        }
        switch (behavior)
        {
            case SplitBehavior.Removed:
                foreach (var (s, e, d) in segs) if (!d) Emit(s, e);
                break;
            case SplitBehavior.Isolated:
                foreach (var (s, e, _) in segs) Emit(s, e);
                break;
            case SplitBehavior.Contiguous:
                {
                    var i = 0;
                    while (i < segs.Count)
                    {
                        var j = i;
                        if (segs[i].D) while (j + 1 < segs.Count && segs[j + 1].D) j++;
                        Emit(segs[i].S, segs[j].E);
                        i = j + 1;
                    }
                    break;
                }
            case SplitBehavior.MergedWithPrevious:
                {
                    var start = 0;
                    foreach (var (s, e, d) in segs)
                        if (d) { Emit(start, e); start = e; }
                    Emit(start, n);
                    break;
                }
            case SplitBehavior.MergedWithNext:
                {
                    var start = 0;
                    foreach (var (s, e, d) in segs)
                        if (d) { Emit(start, s); start = s; }
                    Emit(start, n);
                    break;
                }
        }
    }
}

/// <summary>A tokenizer.json pre-tokenizer: cuts text into words before the model sees them.</summary>
internal abstract class PreTokenizer
{
    /// <summary>Appends the pre-tokens of every input split to <paramref name="output"/>.</summary>
    public abstract void PreTokenize(List<Split> input, List<Split> output, int sectionIndex);

    public static PreTokenizer? FromJson(JsonNav? node)
    {
        if (node is not { } n) return null;
        var type = n.Type();
        switch (type)
        {
            case "Sequence":
                return new SequencePreTokenizer(n.Required("pretokenizers").Items().Select(x => FromJson(x)).Where(x => x != null).ToArray()!);
            case "ByteLevel":
                return new ByteLevelPreTokenizer(n.OptBool("add_prefix_space", true), n.OptBool("use_regex", true));
            case "Split":
                return new SplitPreTokenizer(Patterns.FromJson(n.Required("pattern")), Patterns.Behavior(n.Required("behavior")), n.OptBool("invert", false));
            case "Metaspace":
                {
                    var rep = n.OptString("replacement", "\u2581");
                    if (rep.Length != 1) throw n.Required("replacement").Error("the Metaspace replacement must be one char");
                    string scheme;
                    if (n.Optional("prepend_scheme") is { } ps) scheme = ps.String();
                    else scheme = n.OptBool("add_prefix_space", true) ? "always" : "never";
                    if (scheme is not ("always" or "first" or "never")) throw n.Required("prepend_scheme").Error($"unknown prepend_scheme \"{scheme}\"");
                    return new MetaspacePreTokenizer(rep[0], scheme, n.OptBool("split", true));
                }
            case "Digits":
                return new CharClassPreTokenizer(cp => UnicodeInfo.IsNumeric(cp), n.OptBool("individual_digits", false) ? SplitBehavior.Isolated : SplitBehavior.Contiguous, individual: n.OptBool("individual_digits", false));
            case "Punctuation":
                return new CharClassPreTokenizer(cp => (UnicodeInfo.Of(cp) & UnicodeInfo.Punct) != 0,
                    n.Optional("behavior") is { } pb ? Patterns.Behavior(pb) : SplitBehavior.Isolated, individual: true);
            case "Whitespace":
                return new WhitespacePreTokenizer();
            case "WhitespaceSplit":
                return new CharClassPreTokenizer(UnicodeInfo.IsWhiteSpace, SplitBehavior.Removed, individual: false);
            case "BertPreTokenizer":
                return new SequencePreTokenizer([
                    new CharClassPreTokenizer(UnicodeInfo.IsWhiteSpace, SplitBehavior.Removed, individual: false),
                    new CharClassPreTokenizer(cp => (UnicodeInfo.Of(cp) & UnicodeInfo.Punct) != 0, SplitBehavior.Isolated, individual: true)]);
            case "CharDelimiterSplit":
                {
                    var d = n.Required("delimiter").String();
                    if (d.Length != 1) throw n.Required("delimiter").Error("the delimiter must be one char");
                    return new CharClassPreTokenizer(cp => cp == d[0], SplitBehavior.Removed, individual: true);
                }
            case "FixedLength":
                return new FixedLengthPreTokenizer(n.OptInt("length", 5));
            default:
                throw n.Required("type").Error($"unknown pre-tokenizer type \"{type}\"");
        }
    }
}

internal sealed class SequencePreTokenizer(PreTokenizer[] items) : PreTokenizer
{
    public PreTokenizer[] Items => items;

    public override void PreTokenize(List<Split> input, List<Split> output, int sectionIndex)
    {
        if (items.Length == 0) { output.AddRange(input); return; }
        var cur = input;
        for (var i = 0; i < items.Length; i++)
        {
            var next = i == items.Length - 1 ? output : new List<Split>(cur.Count * 2);
            items[i].PreTokenize(cur, next, sectionIndex);
            cur = next;
        }
    }
}

/// <summary>Split by a pattern (literal or regex) with a behavior; the Llama-3/Qwen split.</summary>
internal sealed class SplitPreTokenizer(PatternMatcher pattern, SplitBehavior behavior, bool invert) : PreTokenizer
{
    [ThreadStatic] private static List<(int, int)>? t_matches;

    public override void PreTokenize(List<Split> input, List<Split> output, int sectionIndex)
    {
        var matches = t_matches ??= new List<(int, int)>(256);
        foreach (var sp in input)
        {
            matches.Clear();
            pattern.FindAll(sp.Span, matches);
            if (!invert && behavior == SplitBehavior.Isolated && pattern is KnownPatternMatcher)
            {
                foreach (var (s, e) in matches) output.Add(new Split(sp.Str, sp.Start + s, sp.Start + e));
                continue;
            }
            Patterns.Apply(sp, matches, behavior, invert, output);
        }
    }
}

/// <summary>
/// GPT-2's byte-level pre-tokenizer: optional prefix space, the GPT-2 split pattern, then every
/// byte shown as a printable char. When it is the last pre-tokenizer, the byte mapping is done by
/// the model directly on the UTF-8 bytes (<see cref="DeferMapping"/>), which avoids building strings.
/// </summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : PreTokenizer
{
    private static readonly KnownPatternMatcher Gpt2 = new(KnownPatternMatcher.Kind.Gpt2);
    [ThreadStatic] private static List<(int, int)>? t_matches;

    public bool AddPrefixSpace => addPrefixSpace;
    public bool UseRegex => useRegex;

    /// <summary>True when the model maps bytes itself (set by the tokenizer when this is the last step).</summary>
    public bool DeferMapping { get; set; }

    public override void PreTokenize(List<Split> input, List<Split> output, int sectionIndex)
    {
        var matches = t_matches ??= new List<(int, int)>(256);
        foreach (var original in input)
        {
            var sp = original;
            if (addPrefixSpace && (sp.Length == 0 || sp.Str.Text[sp.Start] != ' '))
            {
                var b = new NormalizedString.Builder(sp.Length + 1, sp.Str.AnchorBefore(sp.Start));
                var anchor = sp.Str.AnchorBefore(sp.Start);
                if (sp.Length > 0) b.Append(' ', sp.Str.OrigStart(sp.Start), sp.Str.OrigEnd(sp.Start));
                else b.Append(' ', anchor, anchor);
                b.AppendFrom(sp.Str, sp.Start, sp.End);
                var ns = b.Build();
                sp = new Split(ns, 0, ns.Text.Length);
            }
            if (!useRegex)
            {
                Emit(sp, output);
                continue;
            }
            matches.Clear();
            Gpt2.FindAll(sp.Span, matches);
            foreach (var (s, e) in matches) Emit(new Split(sp.Str, sp.Start + s, sp.Start + e), output);
        }
    }

    private void Emit(Split sp, List<Split> output)
    {
        if (sp.Length == 0) return;
        if (DeferMapping) { output.Add(sp); return; }
        // Materialize: each UTF-8 byte becomes one alphabet char aligned to its source char.
        var t = sp.Str.Text;
        var b = new NormalizedString.Builder(sp.Length * 2, sp.Str.AnchorBefore(sp.Start));
        Span<byte> buf = stackalloc byte[4];
        for (var i = sp.Start; i < sp.End;)
        {
            var cp = UnicodeInfo.CodePoint(t, i, out var len);
            var n = UnicodeInfo.Utf8(cp, buf);
            var os = sp.Str.OrigStart(i);
            var oe = sp.Str.OrigEnd(i + len - 1);
            for (var k = 0; k < n; k++) b.Append(ByteLevelAlphabet.ToChar(buf[k]), os, oe);
            i += len;
        }
        var ns = b.Build();
        output.Add(new Split(ns, 0, ns.Text.Length));
    }
}

/// <summary>SentencePiece-style: spaces become '▁', a '▁' is prepended, and words split before each '▁'.</summary>
internal sealed class MetaspacePreTokenizer(char replacement, string prependScheme, bool split) : PreTokenizer
{
    public char Replacement => replacement;
    public string PrependScheme => prependScheme;

    public override void PreTokenize(List<Split> input, List<Split> output, int sectionIndex)
    {
        for (var idx = 0; idx < input.Count; idx++)
        {
            var sp = input[idx];
            var t = sp.Str.Text;
            var b = new NormalizedString.Builder(sp.Length + 1, sp.Str.AnchorBefore(sp.Start));
            var prepend = prependScheme == "always" || (prependScheme == "first" && sectionIndex == 0 && idx == 0 && sp.Str.OrigStart(sp.Start) == 0);
            if (prepend && sp.Length > 0 && t[sp.Start] != replacement && t[sp.Start] != ' ')
                b.Append(replacement, sp.Str.OrigStart(sp.Start), sp.Str.OrigEnd(sp.Start));
            for (var i = sp.Start; i < sp.End; i++)
                b.Append(t[i] == ' ' ? replacement : t[i], sp.Str.OrigStart(i), sp.Str.OrigEnd(i));
            var ns = b.Build();
            var whole = new Split(ns, 0, ns.Text.Length);
            if (!split) { if (whole.Length > 0) output.Add(whole); continue; }
            var matches = new List<(int, int)>();
            for (var i = 0; i < ns.Text.Length; i++) if (ns.Text[i] == replacement) matches.Add((i, i + 1));
            Patterns.Apply(whole, matches, SplitBehavior.MergedWithNext, false, output);
        }
    }
}

/// <summary>Splits on code points of a class (digits, punctuation, whitespace, a delimiter).</summary>
internal sealed class CharClassPreTokenizer(Func<int, bool> isMember, SplitBehavior behavior, bool individual) : PreTokenizer
{
    public override void PreTokenize(List<Split> input, List<Split> output, int sectionIndex)
    {
        var matches = new List<(int, int)>();
        foreach (var sp in input)
        {
            matches.Clear();
            var s = sp.Span;
            for (var i = 0; i < s.Length;)
            {
                var cp = UnicodeInfo.CodePoint(s, i, out var len);
                if (!isMember(cp)) { i += len; continue; }
                var start = i;
                i += len;
                if (!individual)
                    while (i < s.Length)
                    {
                        var c2 = UnicodeInfo.CodePoint(s, i, out var l2);
                        if (!isMember(c2)) break;
                        i += l2;
                    }
                matches.Add((start, i));
            }
            Patterns.Apply(sp, matches, behavior, false, output);
        }
    }
}

/// <summary>Hugging Face's Whitespace pre-tokenizer: keeps runs of word chars and runs of other non-space chars.</summary>
internal sealed class WhitespacePreTokenizer : PreTokenizer
{
    private static bool IsWord(int cp)
    {
        var f = UnicodeInfo.Of(cp);
        if ((f & (UnicodeInfo.Letter | UnicodeInfo.Mark | UnicodeInfo.DecimalDigit)) != 0) return true;
        return System.Globalization.CharUnicodeInfo.GetUnicodeCategory(cp) is System.Globalization.UnicodeCategory.ConnectorPunctuation or System.Globalization.UnicodeCategory.LetterNumber;
    }

    public override void PreTokenize(List<Split> input, List<Split> output, int sectionIndex)
    {
        foreach (var sp in input)
        {
            var s = sp.Span;
            var i = 0;
            while (i < s.Length)
            {
                var cp = UnicodeInfo.CodePoint(s, i, out var len);
                if (UnicodeInfo.IsWhiteSpace(cp)) { i += len; continue; }
                var word = IsWord(cp);
                var start = i;
                i += len;
                while (i < s.Length)
                {
                    var c2 = UnicodeInfo.CodePoint(s, i, out var l2);
                    if (UnicodeInfo.IsWhiteSpace(c2) || IsWord(c2) != word) break;
                    i += l2;
                }
                output.Add(new Split(sp.Str, sp.Start + start, sp.Start + i));
            }
        }
    }
}

internal sealed class FixedLengthPreTokenizer(int length) : PreTokenizer
{
    public override void PreTokenize(List<Split> input, List<Split> output, int sectionIndex)
    {
        foreach (var sp in input)
        {
            var s = sp.Span;
            var i = 0;
            while (i < s.Length)
            {
                var start = i;
                for (var k = 0; k < length && i < s.Length; k++) { UnicodeInfo.CodePoint(s, i, out var l); i += l; }
                output.Add(new Split(sp.Str, sp.Start + start, sp.Start + i));
            }
        }
    }
}
