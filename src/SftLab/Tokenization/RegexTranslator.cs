using System.Text;
using System.Text.RegularExpressions;

namespace SftLab.Tokenization;

/// <summary>
/// Translates the Oniguruma / fancy-regex syntax used in tokenizer.json into .NET regex syntax:
/// possessive quantifiers (<c>a++</c>) become atomic groups, <c>(?i:...)</c> folds ASCII letters
/// (as the reference implementations do), <c>\x{HHHH}</c>, <c>\h</c>, <c>{,n}</c>, POSIX brackets and
/// a few Unicode scripts are rewritten. Code points outside the BMP are handled by
/// <see cref="RegexMatcher"/> (stand-in chars of the same category); a literal astral char written
/// in a pattern is the one thing that does not match.
/// </summary>
internal static class RegexTranslator
{
    private static readonly Dictionary<string, string> Scripts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Han"] = @"\p{IsCJKUnifiedIdeographs}\p{IsCJKUnifiedIdeographsExtensionA}\p{IsCJKCompatibilityIdeographs}\p{IsCJKRadicalsSupplement}\p{IsKangxiRadicals}",
        ["Hiragana"] = @"\p{IsHiragana}",
        ["Katakana"] = @"\p{IsKatakana}\p{IsKatakanaPhoneticExtensions}",
        ["Hangul"] = @"\p{IsHangulSyllables}\p{IsHangulJamo}\p{IsHangulCompatibilityJamo}",
        ["Greek"] = @"\p{IsGreekandCoptic}\p{IsGreekExtended}",
        ["Cyrillic"] = @"\p{IsCyrillic}\p{IsCyrillicSupplement}",
        ["Arabic"] = @"\p{IsArabic}\p{IsArabicPresentationForms-A}\p{IsArabicPresentationForms-B}",
        ["Hebrew"] = @"\p{IsHebrew}",
        ["Thai"] = @"\p{IsThai}",
        ["Devanagari"] = @"\p{IsDevanagari}",
        ["Alphabetic"] = @"\p{L}\p{Nl}\p{Mn}\p{Mc}",
        ["White_Space"] = @"\s",
        ["Alpha"] = @"\p{L}\p{Nl}\p{Mn}\p{Mc}",
        ["Digit"] = @"\p{Nd}",
        ["Word"] = @"\w",
    };

    private static readonly Dictionary<string, string> Posix = new(StringComparer.Ordinal)
    {
        ["alpha"] = @"\p{L}\p{Nl}\p{Mn}\p{Mc}", ["alnum"] = @"\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}", ["digit"] = @"\p{Nd}",
        ["lower"] = @"\p{Ll}", ["upper"] = @"\p{Lu}", ["space"] = @"\s", ["blank"] = @"\t\p{Zs}",
        ["punct"] = @"\p{P}\p{S}", ["cntrl"] = @"\p{Cc}", ["word"] = @"\w", ["xdigit"] = "0-9A-Fa-f",
        ["print"] = @"\P{C}", ["graph"] = @"^\s\p{C}",
    };

    /// <summary>Compiles an Oniguruma pattern as a .NET regex; a bad pattern throws <see cref="ArgumentException"/>.</summary>
    public static Regex Compile(string pattern)
    {
        var translated = Translate(pattern);
        return new Regex(translated, RegexOptions.Compiled | RegexOptions.CultureInvariant | RegexOptions.Multiline, TimeSpan.FromSeconds(30));
    }

    public static string Translate(string p)
    {
        var o = new StringBuilder(p.Length + 16);
        var atomStart = -1;              // output index where the last atom began
        var lastWasQuantifier = false;
        var fold = false;
        var groups = new Stack<(int Start, bool Fold)>();
        var i = 0;
        void Atom(string text)
        {
            atomStart = o.Length;
            o.Append(text);
            lastWasQuantifier = false;
        }
        while (i < p.Length)
        {
            var c = p[i];
            if (c == '\\')
            {
                if (i + 1 >= p.Length) throw new ArgumentException("pattern ends with a backslash");
                var n = p[i + 1];
                if ((n is 'p' or 'P') && i + 2 < p.Length && p[i + 2] == '{')
                {
                    var close = p.IndexOf('}', i + 3);
                    if (close < 0) throw new ArgumentException($"unterminated \\{n}{{ at {i}");
                    Atom(Property(n, p[(i + 3)..close], inClass: false));
                    i = close + 1;
                    continue;
                }
                if (n == 'x' && i + 2 < p.Length && p[i + 2] == '{')
                {
                    var close = p.IndexOf('}', i + 3);
                    if (close < 0) throw new ArgumentException($"unterminated \\x{{ at {i}");
                    Atom(CodePointEscape(p[(i + 3)..close], fold));
                    i = close + 1;
                    continue;
                }
                i += 2;
                switch (n)
                {
                    case 'h': Atom("[0-9A-Fa-f]"); break;
                    case 'H': Atom("[^0-9A-Fa-f]"); break;
                    case 'K' or 'R' or 'X' or 'y' or 'Y' or 'O' or 'N':
                        throw new ArgumentException($"the Oniguruma escape \\{n} is not supported");
                    default:
                        Atom("\\" + n);
                        break;
                }
                continue;
            }
            switch (c)
            {
                case '[':
                    {
                        var (cls, end) = CharClass(p, i, fold);
                        Atom(cls);
                        i = end;
                        continue;
                    }
                case '(':
                    {
                        var foldGroup = false;
                        string prefix;
                        if (string.CompareOrdinal(p, i, "(?i:", 0, 4) == 0) { prefix = "(?:"; foldGroup = true; i += 4; }
                        else if (string.CompareOrdinal(p, i, "(?i)", 0, 4) == 0) { fold = true; i += 4; continue; }
                        else if (string.CompareOrdinal(p, i, "(?-i:", 0, 5) == 0) { prefix = "(?:"; i += 5; }
                        else if (string.CompareOrdinal(p, i, "(?#", 0, 3) == 0)
                        {
                            var close = p.IndexOf(')', i);
                            if (close < 0) throw new ArgumentException("unterminated comment group");
                            i = close + 1;
                            continue;
                        }
                        else
                        {
                            var m = Regex.Match(p[i..], @"^\(\?(?:<[=!]|<[A-Za-z_][A-Za-z0-9_]*>|'[A-Za-z_][A-Za-z0-9_]*'|[:=!>])");
                            prefix = m.Success ? m.Value : "(";
                            i += prefix.Length;
                        }
                        groups.Push((o.Length, fold));
                        if (foldGroup) fold = true;
                        o.Append(prefix);
                        lastWasQuantifier = false;
                        continue;
                    }
                case ')':
                    {
                        if (groups.Count == 0) throw new ArgumentException($"unbalanced ')' at {i}");
                        var (start, f) = groups.Pop();
                        o.Append(')');
                        atomStart = start;
                        fold = f;
                        lastWasQuantifier = false;
                        i++;
                        continue;
                    }
                case '|':
                    o.Append('|');
                    atomStart = -1;
                    lastWasQuantifier = false;
                    i++;
                    continue;
                case '{':
                    {
                        var m = Regex.Match(p[i..], @"^\{(\d+(?:,\d*)?|,\d+)\}");
                        if (!m.Success || atomStart < 0) { Atom(@"\{"); i++; continue; }
                        var body = m.Groups[1].Value;
                        if (body.StartsWith(',')) body = "0" + body;
                        o.Append('{').Append(body).Append('}');
                        i += m.Length;
                        lastWasQuantifier = true;
                        if (i < p.Length && p[i] == '?') { o.Append('?'); i++; }
                        else if (i < p.Length && p[i] == '+') { Possessive(); i++; }
                        continue;
                    }
                case '*' or '+' or '?':
                    if (lastWasQuantifier && c == '+') { Possessive(); i++; continue; }
                    if (lastWasQuantifier && c == '?') { o.Append('?'); lastWasQuantifier = false; i++; continue; }
                    if (atomStart < 0) throw new ArgumentException($"quantifier '{c}' at {i} follows nothing");
                    o.Append(c);
                    lastWasQuantifier = true;
                    i++;
                    continue;
                default:
                    Atom(fold && char.IsAsciiLetter(c) ? $"[{char.ToLowerInvariant(c)}{char.ToUpperInvariant(c)}]" : c.ToString());
                    i++;
                    continue;
            }
        }
        if (groups.Count > 0) throw new ArgumentException("unbalanced '(': missing ')'");
        return o.ToString();

        void Possessive()
        {
            // atom + quantifier already in the output: wrap both in an atomic group.
            if (atomStart < 0) throw new ArgumentException("possessive quantifier follows nothing");
            o.Insert(atomStart, "(?>");
            o.Append(')');
            lastWasQuantifier = true;
        }
    }

    private static string CodePointEscape(string hex, bool fold)
    {
        if (!int.TryParse(hex, System.Globalization.NumberStyles.HexNumber, null, out var cp) || cp > 0x10FFFF)
            throw new ArgumentException($"bad code point escape \\x{{{hex}}}");
        if (fold && cp < 128 && char.IsAsciiLetter((char)cp)) return $"[{char.ToLowerInvariant((char)cp)}{char.ToUpperInvariant((char)cp)}]";
        var s = char.ConvertFromUtf32(cp);
        return s.Length == 1 ? $"\\u{cp:X4}" : $"(?:\\u{(int)s[0]:X4}\\u{(int)s[1]:X4})";
    }

    private static string Property(char kind, string name, bool inClass)
    {
        var negated = kind == 'P';
        if (name.StartsWith('^')) { negated = !negated; name = name[1..]; }
        name = name.Replace("Script=", "", StringComparison.Ordinal).Replace("sc=", "", StringComparison.Ordinal);
        if (Scripts.TryGetValue(name, out var set))
        {
            if (inClass && !negated) return set;
            return negated ? $"[^{set}]" : $"[{set}]";
        }
        return $"\\{(negated ? 'P' : 'p')}{{{name}}}";
    }

    private static (string Class, int End) CharClass(string p, int start, bool fold)
    {
        var o = new StringBuilder("[");
        var i = start + 1;
        if (i < p.Length && p[i] == '^') { o.Append('^'); i++; }
        if (i < p.Length && p[i] == ']') { o.Append(@"\]"); i++; }
        while (i < p.Length && p[i] != ']')
        {
            var c = p[i];
            if (c == '\\')
            {
                if (i + 1 >= p.Length) throw new ArgumentException("unterminated character class");
                var n = p[i + 1];
                if ((n is 'p' or 'P') && i + 2 < p.Length && p[i + 2] == '{')
                {
                    var close = p.IndexOf('}', i + 3);
                    if (close < 0) throw new ArgumentException("unterminated property in a class");
                    var prop = Property(n, p[(i + 3)..close], inClass: true);
                    if (prop.StartsWith('[')) throw new ArgumentException($"negated script \\{n}{{{p[(i + 3)..close]}}} inside a class is not supported");
                    o.Append(prop);
                    i = close + 1;
                    continue;
                }
                if (n == 'x' && i + 2 < p.Length && p[i + 2] == '{')
                {
                    var close = p.IndexOf('}', i + 3);
                    var hex = p[(i + 3)..close];
                    var cp = int.Parse(hex, System.Globalization.NumberStyles.HexNumber);
                    if (cp > 0xFFFF) throw new ArgumentException($"code point \\x{{{hex}}} outside the BMP inside a class is not supported");
                    o.Append($"\\u{cp:X4}");
                    i = close + 1;
                    continue;
                }
                o.Append(n switch { 'h' => "0-9A-Fa-f", _ => "\\" + n });
                i += 2;
                continue;
            }
            if (c == '[' && i + 1 < p.Length && p[i + 1] == ':')
            {
                var close = p.IndexOf(":]", i + 2, StringComparison.Ordinal);
                if (close < 0) throw new ArgumentException("unterminated POSIX bracket");
                var name = p[(i + 2)..close];
                var neg = name.StartsWith('^');
                if (neg) throw new ArgumentException($"negated POSIX class [:{name}:] is not supported");
                if (!Posix.TryGetValue(name, out var frag)) throw new ArgumentException($"unknown POSIX class [:{name}:]");
                o.Append(frag);
                i = close + 2;
                continue;
            }
            if (c == '[') throw new ArgumentException("nested character classes are not supported");
            if (c == '&' && i + 1 < p.Length && p[i + 1] == '&') throw new ArgumentException("class intersection '&&' is not supported");
            if (fold && char.IsAsciiLetter(c))
            {
                // a-z style range under (?i): add the other case of the range too
                if (i + 2 < p.Length && p[i + 1] == '-' && char.IsAsciiLetter(p[i + 2]))
                {
                    var a = p[i]; var b = p[i + 2];
                    o.Append(a).Append('-').Append(b);
                    o.Append(char.IsAsciiLetterLower(a) ? char.ToUpperInvariant(a) : char.ToLowerInvariant(a)).Append('-')
                     .Append(char.IsAsciiLetterLower(b) ? char.ToUpperInvariant(b) : char.ToLowerInvariant(b));
                    i += 3;
                    continue;
                }
                o.Append(char.ToLowerInvariant(c)).Append(char.ToUpperInvariant(c));
                i++;
                continue;
            }
            if (c == '-' && i + 1 < p.Length && p[i + 1] == '[') throw new ArgumentException("class subtraction is not supported");
            o.Append(c);
            i++;
        }
        if (i >= p.Length) throw new ArgumentException($"unterminated character class starting at {start}");
        o.Append(']');
        return (o.ToString(), i + 1);
    }
}
