using System.Globalization;
using System.Text;

namespace SftLab.Tokenization;

/// <summary>A tokenizer.json normalizer: rewrites the text before it is split (Unicode forms, lowercase, ...).</summary>
internal abstract class Normalizer
{
    public abstract NormalizedString Normalize(NormalizedString s);

    public string NormalizeText(string text) => Normalize(new NormalizedString(text, 0)).Text;

    public static Normalizer? FromJson(JsonNav? node)
    {
        if (node is not { } n) return null;
        var type = n.Type();
        switch (type)
        {
            case "Sequence":
                return new SequenceNormalizer(n.Required("normalizers").Items().Select(x => FromJson(x)).Where(x => x != null).ToArray()!);
            case "NFC": return new UnicodeNormalizer(NormalizationForm.FormC);
            case "NFD": return new UnicodeNormalizer(NormalizationForm.FormD);
            case "NFKC": return new UnicodeNormalizer(NormalizationForm.FormKC);
            case "NFKD": return new UnicodeNormalizer(NormalizationForm.FormKD);
            case "Lowercase": return new LowercaseNormalizer();
            case "Prepend": return new PrependNormalizer(n.Required("prepend").String());
            case "Append": return new AppendNormalizer(n.Required("append").String());
            case "Replace": return new ReplaceNormalizer(Patterns.FromJson(n.Required("pattern")), n.Required("content").String());
            case "Strip": return new StripNormalizer(n.OptBool("strip_left", true), n.OptBool("strip_right", true));
            case "StripAccents": return new StripAccentsNormalizer();
            case "BertNormalizer":
                return new BertNormalizer(n.OptBool("clean_text", true), n.OptBool("handle_chinese_chars", true),
                    n.Optional("strip_accents")?.Bool(), n.OptBool("lowercase", true));
            case "Precompiled": return new PrecompiledNormalizer();
            case "ByteLevel": return new ByteLevelNormalizer();
            default: throw n.Required("type").Error($"unknown normalizer type \"{type}\"");
        }
    }

    /// <summary>Rebuilds <paramref name="s"/> by mapping each code point to a replacement string; unchanged code points keep their alignment.</summary>
    protected static NormalizedString MapCodePoints(NormalizedString s, Func<int, string?> map)
    {
        var t = s.Text;
        var b = new NormalizedString.Builder(t.Length + 8, s.AnchorBefore(0));
        var changed = false;
        for (var i = 0; i < t.Length;)
        {
            var cp = UnicodeInfo.CodePoint(t, i, out var len);
            var r = map(cp);
            var os = s.OrigStart(i);
            var oe = s.OrigEnd(i + len - 1);
            if (r == null) { b.AppendFrom(s, i, i + len); }
            else { b.Append(r, os, oe); changed = true; }
            i += len;
        }
        return changed ? b.Build() : s;
    }
}

internal sealed class SequenceNormalizer(Normalizer[] items) : Normalizer
{
    public override NormalizedString Normalize(NormalizedString s)
    {
        foreach (var n in items) s = n.Normalize(s);
        return s;
    }
}

/// <summary>NFC/NFD/NFKC/NFKD. Alignment is kept per segment (a base char and its marks).</summary>
internal sealed class UnicodeNormalizer(NormalizationForm form) : Normalizer
{
    public override NormalizedString Normalize(NormalizedString s)
    {
        var t = s.Text;
        if (t.Length == 0) return s;
        // Lone surrogates make string.Normalize throw; keep such strings' segments untouched.
        if (IsWellFormed(t) && t.IsNormalized(form)) return s;
        var whole = NormalizeSafe(t);
        var b = new NormalizedString.Builder(whole.Length, s.AnchorBefore(0));
        var segStart = 0;
        for (var i = 1; i <= t.Length; i++)
        {
            if (i < t.Length && !IsSegmentBoundary(t, i)) continue;
            var seg = t[segStart..i];
            var norm = NormalizeSafe(seg);
            var os = s.OrigStart(segStart);
            var oe = s.OrigEnd(i - 1);
            if (norm == seg) b.AppendFrom(s, segStart, i);
            else
            {
                // Chars shared at the start and end keep their own alignment; the changed middle maps
                // to the changed original range.
                var pre = 0;
                while (pre < norm.Length && pre < seg.Length && norm[pre] == seg[pre]) pre++;
                var suf = 0;
                while (suf < norm.Length - pre && suf < seg.Length - pre && norm[^(suf + 1)] == seg[^(suf + 1)]) suf++;
                b.AppendFrom(s, segStart, segStart + pre);
                var midEnd = i - suf;
                if (norm.Length - pre - suf > 0)
                {
                    var ms = segStart + pre < midEnd ? s.OrigStart(segStart + pre) : os;
                    var me = segStart + pre < midEnd ? s.OrigEnd(midEnd - 1) : oe;
                    b.Append(norm.AsSpan(pre, norm.Length - pre - suf), ms, me);
                }
                b.AppendFrom(s, midEnd, i);
            }
            segStart = i;
        }
        var built = b.Build();
        // Segments normalize independently except in rare cases (e.g. Hangul jamo runs); then fall back
        // to coarse alignment where every char maps to the whole input range.
        if (built.Text == whole) return built;
        var (ws, we) = (s.OrigStart(0), s.OrigEnd(t.Length - 1));
        var starts = new int[whole.Length];
        var ends = new int[whole.Length];
        Array.Fill(starts, ws);
        Array.Fill(ends, we);
        return new NormalizedString(whole, starts, ends, ws);
    }

    private string NormalizeSafe(string x)
    {
        if (IsWellFormed(x)) return x.Normalize(form);
        var sb = new StringBuilder();
        var run = 0;
        for (var i = 0; i < x.Length; i++)
        {
            if (char.IsSurrogate(x[i]) && !(char.IsHighSurrogate(x[i]) && i + 1 < x.Length && char.IsLowSurrogate(x[i + 1])) && !(char.IsLowSurrogate(x[i]) && i > 0 && char.IsHighSurrogate(x[i - 1])))
            {
                sb.Append(x.AsSpan(run, i - run).ToString().Normalize(form)).Append(x[i]);
                run = i + 1;
            }
        }
        sb.Append(x[run..].Normalize(form));
        return sb.ToString();
    }

    private static bool IsWellFormed(string x)
    {
        for (var i = 0; i < x.Length; i++)
        {
            if (!char.IsSurrogate(x[i])) continue;
            if (char.IsHighSurrogate(x[i]) && i + 1 < x.Length && char.IsLowSurrogate(x[i + 1])) { i++; continue; }
            return false;
        }
        return true;
    }

    private static bool IsSegmentBoundary(string t, int i)
    {
        var c = t[i];
        if (char.IsLowSurrogate(c)) return false;
        var cp = UnicodeInfo.CodePoint(t, i, out _);
        if ((UnicodeInfo.Of(cp) & UnicodeInfo.Mark) != 0) return false;
        if (cp is >= 0x1100 and <= 0x11FF or >= 0xA960 and <= 0xA97F or >= 0xD7B0 and <= 0xD7FF) return false; // Hangul jamo
        if (cp is 0x3099 or 0x309A) return false;
        return true;
    }
}

internal sealed class LowercaseNormalizer : Normalizer
{
    public override NormalizedString Normalize(NormalizedString s)
    {
        var t = s.Text;
        var any = false;
        foreach (var c in t) if (char.ToLowerInvariant(c) != c) { any = true; break; }
        if (!any) return s;
        return MapCodePoints(s, cp =>
        {
            if (cp == 0x130) return "i\u0307";
            if (cp < 65536)
            {
                var l = char.ToLowerInvariant((char)cp);
                return l == cp ? null : l.ToString();
            }
            var str = char.ConvertFromUtf32(cp);
            var low = str.ToLowerInvariant();
            return low == str ? null : low;
        });
    }
}

internal sealed class PrependNormalizer(string prepend) : Normalizer
{
    public override NormalizedString Normalize(NormalizedString s)
    {
        if (s.Text.Length == 0) return s;
        var b = new NormalizedString.Builder(s.Text.Length + prepend.Length, s.AnchorBefore(0));
        b.Append(prepend, s.OrigStart(0), s.OrigEnd(0));
        b.AppendFrom(s, 0, s.Text.Length);
        return b.Build();
    }
}

internal sealed class AppendNormalizer(string append) : Normalizer
{
    public override NormalizedString Normalize(NormalizedString s)
    {
        if (s.Text.Length == 0) return s;
        var b = new NormalizedString.Builder(s.Text.Length + append.Length, s.AnchorBefore(0));
        b.AppendFrom(s, 0, s.Text.Length);
        var last = s.Text.Length - 1;
        b.Append(append, s.OrigStart(last), s.OrigEnd(last));
        return b.Build();
    }
}

internal sealed class ReplaceNormalizer(PatternMatcher pattern, string content) : Normalizer
{
    public override NormalizedString Normalize(NormalizedString s) => Apply(s, pattern, content);

    public static NormalizedString Apply(NormalizedString s, PatternMatcher pattern, string content)
    {
        var matches = new List<(int Start, int End)>();
        pattern.FindAll(s.Text, matches);
        if (matches.Count == 0) return s;
        var b = new NormalizedString.Builder(s.Text.Length, s.AnchorBefore(0));
        var prev = 0;
        foreach (var (ms, me) in matches)
        {
            b.AppendFrom(s, prev, ms);
            var (os, oe) = s.ToOriginal(ms, me);
            b.Append(content, os, oe);
            prev = me;
        }
        b.AppendFrom(s, prev, s.Text.Length);
        return b.Build();
    }
}

internal sealed class StripNormalizer(bool left, bool right) : Normalizer
{
    public override NormalizedString Normalize(NormalizedString s)
    {
        var t = s.Text;
        int a = 0, e = t.Length;
        if (left) while (a < e && UnicodeInfo.IsWhiteSpace(t[a])) a++;
        if (right) while (e > a && UnicodeInfo.IsWhiteSpace(t[e - 1])) e--;
        return a == 0 && e == t.Length ? s : s.Slice(a, e);
    }
}

internal sealed class StripAccentsNormalizer : Normalizer
{
    public override NormalizedString Normalize(NormalizedString s)
    {
        var t = s.Text;
        var b = new NormalizedString.Builder(t.Length, s.AnchorBefore(0));
        var changed = false;
        for (var i = 0; i < t.Length; i++)
        {
            if (!char.IsSurrogate(t[i]) && (UnicodeInfo.Of(t[i]) & UnicodeInfo.Mark) != 0) { changed = true; continue; }
            b.AppendFrom(s, i, i + 1);
        }
        return changed ? b.Build() : s;
    }
}

/// <summary>BERT's normalizer: clean control chars, space out CJK, strip accents, lowercase.</summary>
internal sealed class BertNormalizer(bool cleanText, bool chinese, bool? stripAccents, bool lowercase) : Normalizer
{
    private static readonly UnicodeNormalizer Nfd = new(NormalizationForm.FormD);

    public override NormalizedString Normalize(NormalizedString s)
    {
        if (cleanText)
            s = MapCodePoints(s, cp =>
            {
                if (cp is 0 or 0xFFFD) return "";
                if (cp is '\t' or '\n' or '\r') return " ";
                var cat = CharUnicodeInfo.GetUnicodeCategory(cp);
                if (cat is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate) return "";
                if (UnicodeInfo.IsWhiteSpace(cp)) return cp == ' ' ? null : " ";
                return null;
            });
        if (chinese)
            s = MapCodePoints(s, cp => IsChinese(cp) ? " " + char.ConvertFromUtf32(cp) + " " : null);
        if (stripAccents ?? lowercase)
            s = new StripAccentsNormalizer().Normalize(Nfd.Normalize(s));
        if (lowercase) s = new LowercaseNormalizer().Normalize(s);
        return s;
    }

    private static bool IsChinese(int cp) => cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
        or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}

/// <summary>
/// SentencePiece's precompiled charsmap, approximated the way the JavaScript reference does it:
/// drop control chars, map the whitespace family to a space, then NFKC. (The exact double-array
/// trie of the charsmap is not decoded.)
/// </summary>
internal sealed class PrecompiledNormalizer : Normalizer
{
    private static readonly UnicodeNormalizer Nfkc = new(NormalizationForm.FormKC);

    public override NormalizedString Normalize(NormalizedString s)
    {
        s = MapCodePoints(s, cp =>
        {
            if (cp is >= 1 and <= 8 or 0x0B or >= 0x0E and <= 0x1F or 0x7F or 0x8F or 0x9F) return "";
            if (cp is 0x09 or 0x0A or 0x0C or 0x0D or 0xA0 or 0x1680 or >= 0x2000 and <= 0x200F or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x2581 or 0x3000 or 0xFEFF or 0xFFFD)
                return " ";
            return null;
        });
        return Nfkc.Normalize(s);
    }
}

/// <summary>Maps every byte of the UTF-8 text to its byte-level alphabet char.</summary>
internal sealed class ByteLevelNormalizer : Normalizer
{
    public override NormalizedString Normalize(NormalizedString s)
    {
        var buf = new byte[4];
        return MapCodePoints(s, cp =>
        {
            var n = UnicodeInfo.Utf8(cp, buf);
            var chars = new char[n];
            for (var k = 0; k < n; k++) chars[k] = ByteLevelAlphabet.ToChar(buf[k]);
            var r = new string(chars);
            return r.Length == 1 && r[0] == cp ? null : r;
        });
    }
}
