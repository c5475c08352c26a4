using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using static SftLab.Tokenization.UnicodeInfo;

namespace SftLab.Tokenization;

/// <summary>Finds the matches of a split pattern inside a span.</summary>
internal abstract class PatternMatcher
{
    /// <summary>Appends each match as (start, end) relative to <paramref name="text"/>.</summary>
    public abstract void FindAll(ReadOnlySpan<char> text, List<(int Start, int End)> matches);

    /// <summary>A human-readable name for diagnostics.</summary>
    public abstract string Describe();
}

/// <summary>Matches a literal string.</summary>
internal sealed class LiteralMatcher(string literal) : PatternMatcher
{
    public override void FindAll(ReadOnlySpan<char> text, List<(int, int)> matches)
    {
        if (literal.Length == 0) return;
        var i = 0;
        while (i <= text.Length - literal.Length)
        {
            var k = text[i..].IndexOf(literal.AsSpan(), StringComparison.Ordinal);
            if (k < 0) break;
            matches.Add((i + k, i + k + literal.Length));
            i += k + literal.Length;
        }
    }

    public override string Describe() => $"literal \"{literal}\"";
}

/// <summary>
/// The general path: a .NET regex translated from Oniguruma syntax. .NET regexes see UTF-16 chars,
/// so a code point outside the BMP (an emoji, 𝐀, CJK extension B) would be two "surrogate" chars
/// that <c>\p{L}</c> never matches. When the text has such code points, the regex runs on a copy
/// where each is replaced by one BMP stand-in char of the same Unicode category, and the match
/// positions are mapped back: category classes then behave as on code points (as in Oniguruma).
/// </summary>
internal sealed class RegexMatcher(Regex regex, string source) : PatternMatcher
{
    private static readonly char[] StandIns = BuildStandIns();

    private static char[] BuildStandIns()
    {
        var table = new char[32];
        for (var c = 0xFFFD; c > 0; c--)
        {
            if (c is >= 0xD800 and <= 0xDFFF) continue;
            var cat = (int)System.Globalization.CharUnicodeInfo.GetUnicodeCategory((char)c);
            if (table[cat] == 0 && !UnicodeInfo.IsWhiteSpace(c)) table[cat] = (char)c;
        }
        return table;
    }

    public override void FindAll(ReadOnlySpan<char> text, List<(int, int)> matches)
    {
        if (text.IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            foreach (var m in regex.EnumerateMatches(text))
                if (m.Length > 0) matches.Add((m.Index, m.Index + m.Length));
            return;
        }
        var sub = new char[text.Length];
        var map = new int[text.Length + 1];
        var k = 0;
        for (var i = 0; i < text.Length;)
        {
            var cp = UnicodeInfo.CodePoint(text, i, out var len);
            map[k] = i;
            sub[k++] = len == 2 ? StandIns[(int)System.Globalization.CharUnicodeInfo.GetUnicodeCategory(cp)] : text[i];
            i += len;
        }
        map[k] = text.Length;
        foreach (var m in regex.EnumerateMatches(sub.AsSpan(0, k)))
            if (m.Length > 0) matches.Add((map[m.Index], map[m.Index + m.Length]));
    }

    public override string Describe() => $"regex {source}";
}

/// <summary>
/// Hand-written matchers for the split patterns of GPT-2, cl100k/Llama-3, Qwen2/3 and o200k: the
/// fast path. Each reproduces exactly what the backtracking regex does (leftmost alternative
/// first, greedy quantifiers, the <c>\s+(?!\S)</c> give-back), over code points, with the
/// contractions case-folded on ASCII only (as the reference implementations do). These patterns
/// match every char, so a match always starts where the previous one ended.
/// </summary>
internal sealed class KnownPatternMatcher : PatternMatcher
{
    public enum Kind { Gpt2, Cl100k, Qwen, O200k }

    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    public const string Cl100kPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string O200kPattern = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string TiktokenContractions = "'s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D";

    private static readonly Dictionary<string, Kind> Known = new(StringComparer.Ordinal)
    {
        [Gpt2Pattern] = Kind.Gpt2,
        [Cl100kPattern] = Kind.Cl100k,
        [Cl100kPattern.Replace(@"\p{N}{1,3}", @"\p{N}")] = Kind.Qwen,
        [Cl100kPattern.Replace("(?i:'s|'t|'re|'ve|'m|'ll|'d)", "(" + TiktokenContractions + ")")] = Kind.Cl100k,
        [O200kPattern] = Kind.O200k,
        [O200kPattern.Replace("(?i:'s|'t|'re|'ve|'m|'ll|'d)", "(" + TiktokenContractions + ")")] = Kind.O200k,
    };

    private readonly Kind _kind;

    public KnownPatternMatcher(Kind kind) => _kind = kind;

    /// <summary>The fast matcher for <paramref name="pattern"/>, or null when it is not a known pattern.</summary>
    public static KnownPatternMatcher? TryCreate(string pattern) =>
        Known.TryGetValue(pattern, out var k) ? new KnownPatternMatcher(k) : null;

    public Kind PatternKind => _kind;

    public override string Describe() => $"built-in {_kind} pattern";

    public override void FindAll(ReadOnlySpan<char> text, List<(int, int)> matches)
    {
        var i = 0;
        while (i < text.Length)
        {
            var e = MatchAt(text, i);
            matches.Add((i, e));
            i = e;
        }
    }

    /// <summary>End of the match that starts at <paramref name="i"/> (always &gt; i).</summary>
    public int MatchAt(ReadOnlySpan<char> s, int i) => _kind switch
    {
        Kind.Gpt2 => Gpt2(s, i),
        Kind.Cl100k => Cl100k(s, i, 3),
        Kind.Qwen => Cl100k(s, i, 1),
        _ => O200k(s, i),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Contraction(ReadOnlySpan<char> s, int i, bool ignoreCase)
    {
        // s[i] == '\''; returns the match length (0 if none) of 's|'t|'re|'ve|'m|'ll|'d.
        if (i + 1 >= s.Length) return 0;
        int a = s[i + 1];
        if (ignoreCase && a is >= 'A' and <= 'Z') a |= 0x20;
        if (a is 's' or 't' or 'm' or 'd') return 2;
        if (i + 2 >= s.Length || a is not ('r' or 'v' or 'l')) return 0;
        int b = s[i + 2];
        if (ignoreCase && b is >= 'A' and <= 'Z') b |= 0x20;
        return (a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l') ? 3 : 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Run(ReadOnlySpan<char> s, int i, byte cls)
    {
        while (i < s.Length)
        {
            if ((At(s, i, out var l) & cls) == 0) break;
            i += l;
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int OtherRun(ReadOnlySpan<char> s, int i)
    {
        while (i < s.Length)
        {
            if ((At(s, i, out var l) & (Letter | Number | Space)) != 0) break;
            i += l;
        }
        return i;
    }

    private static bool IsOther(ReadOnlySpan<char> s, int i) => i < s.Length && (At(s, i, out _) & (Letter | Number | Space)) == 0;

    /// <summary>The whitespace tail shared by all patterns: \s*[\r\n]+ (optional), \s+(?!\S), \s+.</summary>
    private static int Whitespace(ReadOnlySpan<char> s, int i, bool newlineRule)
    {
        var end = i;
        while (end < s.Length && IsWhiteSpace(s[end])) end++;
        if (newlineRule)
            for (var k = end - 1; k >= i; k--)
                if (s[k] is '\r' or '\n') return k + 1;
        if (end == s.Length) return end;
        return end - 1 > i ? end - 1 : end;
    }

    private static int Gpt2(ReadOnlySpan<char> s, int i)
    {
        var c = s[i];
        if (c == '\'')
        {
            var m = Contraction(s, i, ignoreCase: false);
            if (m > 0) return i + m;
        }
        var j = i;
        if (c == ' ' && i + 1 < s.Length) j = i + 1;
        var f = At(s, j, out _);
        if ((f & Letter) != 0) return Run(s, j, Letter);
        if ((f & Number) != 0) return Run(s, j, Number);
        if ((f & Space) == 0) return OtherRun(s, j);
        // j == i + 1 with a space at j, or c itself is whitespace
        f = At(s, i, out _);
        if ((f & Letter) != 0) return Run(s, i, Letter);
        if ((f & Number) != 0) return Run(s, i, Number);
        if ((f & Space) == 0) return OtherRun(s, i);
        return Whitespace(s, i, newlineRule: false);
    }

    private static int Cl100k(ReadOnlySpan<char> s, int i, int maxDigits)
    {
        var c = s[i];
        if (c == '\'')
        {
            var m = Contraction(s, i, ignoreCase: true);
            if (m > 0) return i + m;
        }
        var f = At(s, i, out var len);
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if ((f & Letter) != 0) return Run(s, i, Letter);
        if (c != '\r' && c != '\n' && (f & Number) == 0 && i + len < s.Length && (At(s, i + len, out _) & Letter) != 0)
            return Run(s, i + len, Letter);
        // \p{N}{1,3}
        if ((f & Number) != 0)
        {
            var j = i + len;
            for (var k = 1; k < maxDigits && j < s.Length; k++)
            {
                if ((At(s, j, out var l) & Number) == 0) break;
                j += l;
            }
            return j;
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        var p = c == ' ' && IsOther(s, i + 1) ? i + 1 : i;
        if ((f & Space) == 0 || p != i)
        {
            var j = OtherRun(s, p);
            while (j < s.Length && s[j] is '\r' or '\n') j++;
            return j;
        }
        return Whitespace(s, i, newlineRule: true);
    }

    private static int O200k(ReadOnlySpan<char> s, int i)
    {
        var c = s[i];
        var f = At(s, i, out var len);
        var prefixOk = c != '\r' && c != '\n' && (f & (Letter | Number)) == 0;
        // alternative 1: prefix? [UP]* [LO]+ contraction?
        for (var pass = 0; pass < 2; pass++)
        {
            if (pass == 0 && !prefixOk) continue;
            var j = pass == 0 ? i + len : i;
            var k = j;
            var lastLo = -1;
            while (k < s.Length)
            {
                var g = At(s, k, out var l);
                if ((g & UpperLike) == 0) break;
                if ((g & LowerLike) != 0) lastLo = k;
                k += l;
            }
            int start;
            if (k < s.Length && (At(s, k, out _) & LowerLike) != 0) start = k;
            else if (lastLo >= 0) start = lastLo;
            else continue;
            var e = Run(s, start, LowerLike);
            return e < s.Length && s[e] == '\'' ? e + Contraction(s, e, ignoreCase: true) : e;
        }
        // alternative 2: prefix? [UP]+ [LO]* contraction?
        for (var pass = 0; pass < 2; pass++)
        {
            if (pass == 0 && !prefixOk) continue;
            var j = pass == 0 ? i + len : i;
            var k = Run(s, j, UpperLike);
            if (k == j) continue;
            var e = Run(s, k, LowerLike);
            return e < s.Length && s[e] == '\'' ? e + Contraction(s, e, ignoreCase: true) : e;
        }
        if ((f & Number) != 0)
        {
            var j = i + len;
            for (var k = 1; k < 3 && j < s.Length; k++)
            {
                if ((At(s, j, out var l) & Number) == 0) break;
                j += l;
            }
            return j;
        }
        var p = c == ' ' && IsOther(s, i + 1) ? i + 1 : i;
        if ((f & Space) == 0 || p != i)
        {
            var j = OtherRun(s, p);
            while (j < s.Length && s[j] is '\r' or '\n' or '/') j++;
            return j;
        }
        return Whitespace(s, i, newlineRule: true);
    }
}
