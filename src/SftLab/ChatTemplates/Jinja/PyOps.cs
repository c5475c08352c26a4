using System.Globalization;
using System.Text;

namespace SftLab.ChatTemplates;

/// <summary>Python's semantics for the values templates use: truthiness, str() and repr(), ==, ordering, arithmetic.</summary>
internal static class PyOps
{
    public static bool IsString(object? v) => v is string or TaggedString;
    public static string S(object v) => v is TaggedString t ? t.Value : (string)v;
    public static bool IsNumber(object? v) => v is long or double or bool;
    public static bool IsInt(object? v) => v is long or bool;
    public static long ToLong(object v) => v switch { long l => l, bool b => b ? 1 : 0, _ => throw new InvalidCastException() };
    public static double ToDouble(object v) => v switch { long l => l, double d => d, bool b => b ? 1 : 0, _ => throw new InvalidCastException() };

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string or TaggedString => "str",
        List<object?> => "list",
        PyTuple => "tuple",
        PyDict => "dict",
        Namespace => "Namespace",
        LoopContext => "LoopContext",
        Macro => "Macro",
        ICallable => "function",
        _ => v.GetType().Name,
    };

    public static bool Truthy(object? v) => v switch
    {
        null => false,
        Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        TaggedString t => t.Value.Length > 0,
        List<object?> l => l.Count > 0,
        PyTuple t => t.Items.Length > 0,
        PyDict d => d.Count > 0,
        _ => true,
    };

    public static string Str(object? v) => v switch
    {
        string s => s,
        TaggedString t => t.Value,
        null => "None",
        Undefined => "",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        _ => Repr(v),
    };

    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        Repr(v, sb, 0);
        return sb.ToString();
    }

    private static void Repr(object? v, StringBuilder sb, int depth)
    {
        if (depth > 100) throw new TemplateRuntimeException("value is nested too deeply to print");
        switch (v)
        {
            case string or TaggedString:
                StrRepr(S(v), sb);
                break;
            case List<object?> list:
                sb.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Repr(list[i], sb, depth + 1);
                }
                sb.Append(']');
                break;
            case PyTuple t:
                sb.Append('(');
                for (var i = 0; i < t.Items.Length; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Repr(t.Items[i], sb, depth + 1);
                }
                if (t.Items.Length == 1) sb.Append(',');
                sb.Append(')');
                break;
            case PyDict d:
                sb.Append('{');
                var first = true;
                foreach (var kv in d)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    Repr(kv.Key, sb, depth + 1);
                    sb.Append(": ");
                    Repr(kv.Value, sb, depth + 1);
                }
                sb.Append('}');
                break;
            case Namespace ns:
                sb.Append("<Namespace {");
                var f = true;
                foreach (var kv in ns.Attributes)
                {
                    if (!f) sb.Append(", ");
                    f = false;
                    StrRepr(kv.Key, sb);
                    sb.Append(": ");
                    Repr(kv.Value, sb, depth + 1);
                }
                sb.Append("}>");
                break;
            case Undefined:
                sb.Append("Undefined");
                break;
            case LoopContext lc:
                sb.Append("<LoopContext ").Append(lc.Index0 + 1).Append('/').Append(lc.Length).Append('>');
                break;
            case Macro m:
                sb.Append("<Macro '").Append(m.Name).Append("'>");
                break;
            case ICallable c:
                sb.Append(c.Describe);
                break;
            default:
                sb.Append(Str(v));
                break;
        }
    }

    /// <summary>Python's repr of a str: single quotes unless the text has a ' and no ".</summary>
    public static void StrRepr(string s, StringBuilder sb)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(quote);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == quote) sb.Append('\\').Append(c);
                    else if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                    {
                        var cp = char.ConvertToUtf32(c, s[i + 1]);
                        if (IsPrintable(cp)) sb.Append(c).Append(s[i + 1]);
                        else sb.Append("\\U").Append(cp.ToString("x8", CultureInfo.InvariantCulture));
                        i++;
                    }
                    else if (char.IsSurrogate(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else if (c >= 0x80 && !IsPrintable(c)) sb.Append(c <= 0xff ? "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture) : "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append(quote);
    }

    private static bool IsPrintable(int cp)
    {
        if (cp == ' ') return true;
        var cat = CharUnicodeInfo.GetUnicodeCategory(cp);
        return cat is not (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator);
    }

    /// <summary>Python's repr of a float: the shortest digits that round-trip, "1.0" for integral values, exponent form below 1e-4 and from 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        var r = d.ToString("E16", CultureInfo.InvariantCulture);
        // Find the shortest round-trip digits via "R".
        var shortest = d.ToString("R", CultureInfo.InvariantCulture);
        var neg = shortest.StartsWith('-');
        if (neg) shortest = shortest[1..];
        string digits;
        int exp; // value = 0.d1d2... * 10^exp  -> we use decimal point position
        var ePos = shortest.IndexOfAny(['E', 'e']);
        var mant = ePos >= 0 ? shortest[..ePos] : shortest;
        var e10 = ePos >= 0 ? int.Parse(shortest[(ePos + 1)..], CultureInfo.InvariantCulture) : 0;
        var dot = mant.IndexOf('.');
        var intPart = dot >= 0 ? mant[..dot] : mant;
        var fracPart = dot >= 0 ? mant[(dot + 1)..] : "";
        digits = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - digits.Length;
        exp = intPart.Length + e10 - leadingZeros; // position of decimal point relative to digits start
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        _ = r;
        var sciExp = exp - 1;
        string body;
        if (sciExp < -4 || sciExp >= 16)
        {
            body = digits[..1] + (digits.Length > 1 ? "." + digits[1..] : "") + "e" + (sciExp < 0 ? "-" : "+") + Math.Abs(sciExp).ToString("00", CultureInfo.InvariantCulture);
        }
        else if (exp <= 0)
            body = "0." + new string('0', -exp) + digits;
        else if (exp >= digits.Length)
            body = digits + new string('0', exp - digits.Length) + ".0";
        else
            body = digits[..exp] + "." + digits[exp..];
        return neg ? "-" + body : body;
    }

    // ---- equality and ordering ----------------------------------------------------------------

    public static bool Eq(object? a, object? b)
    {
        if (a is TaggedString ta) a = ta.Value;
        if (b is TaggedString tb) b = tb.Value;
        switch (a)
        {
            case null: return b is null;
            case string sa: return b is string sb && string.Equals(sa, sb, StringComparison.Ordinal);
            case long or double or bool when IsNumber(b):
                if (IsInt(a) && IsInt(b)) return ToLong(a) == ToLong(b!);
                return ToDouble(a) == ToDouble(b!);
            case List<object?> la:
                if (b is not List<object?> lb || la.Count != lb.Count) return false;
                for (var i = 0; i < la.Count; i++) if (!Eq(la[i], lb[i])) return false;
                return true;
            case PyTuple xa:
                if (b is not PyTuple xb || xa.Items.Length != xb.Items.Length) return false;
                for (var i = 0; i < xa.Items.Length; i++) if (!Eq(xa.Items[i], xb.Items[i])) return false;
                return true;
            case PyDict da:
                if (b is not PyDict db || da.Count != db.Count) return false;
                foreach (var kv in da)
                    if (!db.TryGetValue(kv.Key, out var v) || !Eq(kv.Value, v)) return false;
                return true;
            case Undefined: return b is Undefined;
            default: return ReferenceEquals(a, b);
        }
    }

    /// <summary>Python ordering: numbers with numbers, str with str (by code point), sequences lexicographically.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (a is TaggedString ta) a = ta.Value;
        if (b is TaggedString tb) b = tb.Value;
        if (IsNumber(a) && IsNumber(b))
        {
            if (IsInt(a) && IsInt(b)) return ToLong(a!).CompareTo(ToLong(b!));
            var x = ToDouble(a!);
            var y = ToDouble(b!);
            return x < y ? -1 : x > y ? 1 : x == y ? 0 : throw new NaNCompare();
        }
        if (a is string sa && b is string sb) return CompareCodePoints(sa, sb);
        if (a is List<object?> la && b is List<object?> lb) return CompareSeq(la, lb, op);
        if (a is PyTuple xa && b is PyTuple xb) return CompareSeq(xa.Items, xb.Items, op);
        throw new TemplateRuntimeException($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    internal sealed class NaNCompare : Exception;

    private static int CompareSeq(IReadOnlyList<object?> a, IReadOnlyList<object?> b, string op)
    {
        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            if (Eq(a[i], b[i])) continue;
            return Compare(a[i], b[i], op);
        }
        return a.Count.CompareTo(b.Count);
    }

    public static int CompareCodePoints(string a, string b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            var x = a[i];
            var y = b[i];
            if (x == y) continue;
            // Surrogates (U+D800-DFFF in UTF-16) stand for code points above U+FFFF: order them after the rest of the BMP.
            var kx = char.IsSurrogate(x) ? x + 0x10000 : x;
            var ky = char.IsSurrogate(y) ? y + 0x10000 : y;
            return kx.CompareTo(ky);
        }
        return a.Length.CompareTo(b.Length);
    }

    public static bool CompareOp(string op, object? a, object? b)
    {
        switch (op)
        {
            case "==": return Eq(a, b);
            case "!=": return !Eq(a, b);
            case "in": return Contains(b, a);
            case "notin": return !Contains(b, a);
        }
        try
        {
            var c = Compare(a, b, op);
            return op switch { "<" => c < 0, "<=" => c <= 0, ">" => c > 0, ">=" => c >= 0, _ => throw new InvalidOperationException(op) };
        }
        catch (NaNCompare)
        {
            return false;
        }
    }

    public static bool Contains(object? container, object? item)
    {
        switch (container)
        {
            case string or TaggedString:
                if (!IsString(item)) throw new TemplateRuntimeException($"'in <string>' requires string as left operand, not {TypeName(item)}");
                return S(container).Contains(S(item!), StringComparison.Ordinal);
            case List<object?> l: return l.Any(x => Eq(x, item));
            case PyTuple t: return t.Items.Any(x => Eq(x, item));
            case PyDict d: return item is not null && d.ContainsKey(item is TaggedString ts ? ts.Value : item);
            case Undefined u: throw new TemplateRuntimeException(u.Hint);
            default: throw new TemplateRuntimeException($"argument of type '{TypeName(container)}' is not iterable");
        }
    }

    // ---- arithmetic -----------------------------------------------------------------------------

    public static object? Binary(string op, object? a, object? b, long maxLength)
    {
        if (a is Undefined ua) throw new TemplateRuntimeException(ua.Hint);
        if (b is Undefined ub) throw new TemplateRuntimeException(ub.Hint);
        switch (op)
        {
            case "+":
                if (IsString(a) && IsString(b)) return Tags.Concat(a!, b!, maxLength);
                if (a is List<object?> la && b is List<object?> lb) return new List<object?>(la.Concat(lb));
                if (a is PyTuple ta && b is PyTuple tb) return new PyTuple([.. ta.Items, .. tb.Items]);
                break;
            case "*":
                if (IsString(a) && IsInt(b)) return Tags.Repeat(a!, ToLong(b!), maxLength);
                if (IsInt(a) && IsString(b)) return Tags.Repeat(b!, ToLong(a!), maxLength);
                if (a is List<object?> l1 && IsInt(b)) return Repeat(l1, ToLong(b!), maxLength);
                if (IsInt(a) && b is List<object?> l2) return Repeat(l2, ToLong(a!), maxLength);
                break;
            case "%":
                if (IsString(a)) return Format.Percent(S(a!), b);
                break;
        }
        if (!IsNumber(a) || !IsNumber(b))
            throw new TemplateRuntimeException($"unsupported operand type(s) for {op}: '{TypeName(a)}' and '{TypeName(b)}'");
        var ints = IsInt(a) && IsInt(b);
        if (ints)
        {
            var x = ToLong(a!);
            var y = ToLong(b!);
            try
            {
                checked
                {
                    switch (op)
                    {
                        case "+": return x + y;
                        case "-": return x - y;
                        case "*": return x * y;
                        case "/":
                            if (y == 0) throw new TemplateRuntimeException("division by zero");
                            return (double)x / y;
                        case "//":
                            if (y == 0) throw new TemplateRuntimeException("integer division or modulo by zero");
                            return FloorDiv(x, y);
                        case "%":
                            if (y == 0) throw new TemplateRuntimeException("integer division or modulo by zero");
                            var m = x % y;
                            return m != 0 && (m < 0) != (y < 0) ? m + y : m;
                        case "**":
                            if (y < 0) return Math.Pow(x, y);
                            long r = 1;
                            for (long i = 0; i < y; i++)
                            {
                                r *= x;
                                if (i > 64 && (x == 0 || x == 1)) break;
                            }
                            return r;
                    }
                }
            }
            catch (OverflowException)
            {
                throw new TemplateRuntimeException($"integer overflow in {op}");
            }
        }
        var fx = ToDouble(a!);
        var fy = ToDouble(b!);
        switch (op)
        {
            case "+": return fx + fy;
            case "-": return fx - fy;
            case "*": return fx * fy;
            case "/":
                if (fy == 0) throw new TemplateRuntimeException("float division by zero");
                return fx / fy;
            case "//":
                if (fy == 0) throw new TemplateRuntimeException("float floor division by zero");
                return Math.Floor(fx / fy);
            case "%":
                if (fy == 0) throw new TemplateRuntimeException("float modulo");
                var fm = Math.IEEERemainder(0, 1) * 0 + fx % fy;
                return fm != 0 && (fm < 0) != (fy < 0) ? fm + fy : fm;
            case "**": return Math.Pow(fx, fy);
        }
        throw new TemplateRuntimeException($"unknown operator {op}");
    }

    private static long FloorDiv(long x, long y)
    {
        var q = x / y;
        return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
    }

    private static List<object?> Repeat(List<object?> l, long n, long maxLength)
    {
        if (n <= 0) return [];
        if (l.Count * n > maxLength) throw new TemplateLimitException("list repetition is too large");
        var r = new List<object?>();
        for (var i = 0; i < n; i++) r.AddRange(l);
        return r;
    }

    /// <summary>Python's len().</summary>
    public static long Len(object? v) => v switch
    {
        string s => s.Length == 0 ? 0 : new StringInfoLen(s).Count,
        TaggedString t => new StringInfoLen(t.Value).Count,
        List<object?> l => l.Count,
        PyTuple t => t.Items.Length,
        PyDict d => d.Count,
        Undefined => 0,
        Namespace n => n.Attributes.Count,
        _ => throw new TemplateRuntimeException($"object of type '{TypeName(v)}' has no len()"),
    };

    /// <summary>Length in code points (Python counts code points, .NET strings count UTF-16 units).</summary>
    private readonly struct StringInfoLen(string s)
    {
        public int Count
        {
            get
            {
                var n = s.Length;
                foreach (var c in s) if (char.IsLowSurrogate(c)) n--;
                return n;
            }
        }
    }

    /// <summary>Python iteration: items of a list/tuple, keys of a dict, characters of a string.</summary>
    public static List<object?> Iterate(object? v) => v switch
    {
        List<object?> l => l,
        PyTuple t => [.. t.Items],
        PyDict d => [.. d.Keys],
        string or TaggedString => Tags.Chars(v!),
        Undefined => [],
        Namespace n => [.. n.Attributes.Keys],
        _ => throw new TemplateRuntimeException($"'{TypeName(v)}' object is not iterable"),
    };
}
