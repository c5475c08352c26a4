using System.Globalization;
using System.Runtime.CompilerServices;

namespace SftLab.Tokenization;

/// <summary>Fast per-code-point classes used by the pre-tokenizers (a table for the BMP).</summary>
internal static class UnicodeInfo
{
    public const byte Letter = 1;        // \p{L}
    public const byte Number = 2;        // \p{N}
    public const byte Mark = 4;          // \p{M}
    public const byte Space = 8;         // White_Space (what \s means in Oniguruma/Rust/fancy-regex)
    public const byte UpperLike = 16;    // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] (o200k)
    public const byte LowerLike = 32;    // [\p{Ll}\p{Lm}\p{Lo}\p{M}] (o200k)
    public const byte Punct = 64;        // \p{P} or ASCII punctuation (Rust's is_punctuation)
    public const byte DecimalDigit = 128; // \p{Nd}

    private static readonly byte[] Bmp = BuildBmp();

    private static byte[] BuildBmp()
    {
        var t = new byte[65536];
        for (var cp = 0; cp < 65536; cp++)
            t[cp] = cp is >= 0xD800 and <= 0xDFFF ? (byte)0 : Compute(cp);
        return t;
    }

    public static bool IsWhiteSpace(int cp) => cp is (>= 0x09 and <= 0x0D) or 0x20 or 0x85 or 0xA0 or 0x1680
        or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;

    private static byte Compute(int cp)
    {
        var cat = CharUnicodeInfo.GetUnicodeCategory(cp);
        byte f = 0;
        switch (cat)
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
                f |= Letter | UpperLike; break;
            case UnicodeCategory.LowercaseLetter:
                f |= Letter | LowerLike; break;
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
                f |= Letter | UpperLike | LowerLike; break;
            case UnicodeCategory.NonSpacingMark:
            case UnicodeCategory.SpacingCombiningMark:
            case UnicodeCategory.EnclosingMark:
                f |= Mark | UpperLike | LowerLike; break;
            case UnicodeCategory.DecimalDigitNumber:
                f |= Number | DecimalDigit; break;
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
                f |= Number; break;
            case UnicodeCategory.ConnectorPunctuation:
            case UnicodeCategory.DashPunctuation:
            case UnicodeCategory.OpenPunctuation:
            case UnicodeCategory.ClosePunctuation:
            case UnicodeCategory.InitialQuotePunctuation:
            case UnicodeCategory.FinalQuotePunctuation:
            case UnicodeCategory.OtherPunctuation:
                f |= Punct; break;
        }
        if (cp < 128 && char.IsAsciiLetterOrDigit((char)cp) == false && cp > 32 && cp < 127) f |= Punct;
        if (IsWhiteSpace(cp)) f |= Space;
        return f;
    }

    /// <summary>Classes of the code point starting at <paramref name="i"/>; <paramref name="len"/> is 1 or 2 chars.
    /// A lone surrogate is its own code point (category Cs: no class), as in JavaScript's 'u' mode.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte At(ReadOnlySpan<char> s, int i, out int len)
    {
        var c = s[i];
        if (!char.IsHighSurrogate(c) || i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
        {
            len = 1;
            return Bmp[c];
        }
        len = 2;
        return Compute(char.ConvertToUtf32(c, s[i + 1]));
    }

    /// <summary>The code point at <paramref name="i"/> (a lone surrogate is returned as itself).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CodePoint(ReadOnlySpan<char> s, int i, out int len)
    {
        var c = s[i];
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            len = 2;
            return char.ConvertToUtf32(c, s[i + 1]);
        }
        len = 1;
        return c;
    }

    public static byte Of(int cp) => cp < 65536 ? Bmp[cp] : Compute(cp);

    /// <summary>UTF-8 bytes of one code point (a lone surrogate becomes U+FFFD, as TextEncoder and Rust do).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Utf8(int cp, Span<byte> dst)
    {
        if (cp < 0x80) { dst[0] = (byte)cp; return 1; }
        if (cp < 0x800) { dst[0] = (byte)(0xC0 | (cp >> 6)); dst[1] = (byte)(0x80 | (cp & 0x3F)); return 2; }
        if (cp is >= 0xD800 and <= 0xDFFF) cp = 0xFFFD;
        if (cp < 0x10000)
        {
            dst[0] = (byte)(0xE0 | (cp >> 12)); dst[1] = (byte)(0x80 | ((cp >> 6) & 0x3F)); dst[2] = (byte)(0x80 | (cp & 0x3F));
            return 3;
        }
        dst[0] = (byte)(0xF0 | (cp >> 18)); dst[1] = (byte)(0x80 | ((cp >> 12) & 0x3F));
        dst[2] = (byte)(0x80 | ((cp >> 6) & 0x3F)); dst[3] = (byte)(0x80 | (cp & 0x3F));
        return 4;
    }

    /// <summary>Rust's char::is_numeric (any \p{N}).</summary>
    public static bool IsNumeric(int cp) => (Of(cp) & Number) != 0;
}

/// <summary>
/// GPT-2's byte-level alphabet: every byte 0..255 is shown as one printable char, so any text can be
/// written with 256 base tokens (a space becomes 'Ġ', a newline 'Ċ').
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = Build();
    private static readonly short[] CharToByte = BuildReverse();

    private static char[] Build()
    {
        var map = new char[256];
        var n = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + n++);
        }
        return map;
    }

    private static short[] BuildReverse()
    {
        var r = new short[512];
        Array.Fill(r, (short)-1);
        for (var b = 0; b < 256; b++) r[ByteToChar[b]] = (short)b;
        return r;
    }

    /// <summary>The char that stands for byte <paramref name="b"/>.</summary>
    public static char ToChar(byte b) => ByteToChar[b];

    /// <summary>The byte a char stands for, or -1 if the char is not in the alphabet.</summary>
    public static int ToByte(char c) => c < 512 ? CharToByte[c] : -1;

    /// <summary>Maps bytes to their alphabet chars (e.g. UTF-8 of " hi" becomes "Ġhi").</summary>
    public static string FromBytes(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (dst, src) =>
        {
            for (var i = 0; i < src.Length; i++) dst[i] = ByteToChar[src[i]];
        });
    }

    /// <summary>The 256 chars of the alphabet, in byte order.</summary>
    public static IReadOnlyList<char> Chars => ByteToChar;
}
