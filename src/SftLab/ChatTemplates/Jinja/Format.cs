using System.Globalization;
using System.Text;

namespace SftLab.ChatTemplates;

/// <summary>Python's printf-style <c>'%s' % value</c> formatting (the common conversions) and <c>json.dumps</c>.</summary>
internal static class Format
{
    public static string Percent(string format, object? args)
    {
        var values = args is PyTuple t ? t.Items : [args];
        var dict = args as PyDict;
        var sb = new StringBuilder();
        var ai = 0;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c != '%') { sb.Append(c); continue; }
            if (++i >= format.Length) throw new TemplateRuntimeException("incomplete format");
            if (format[i] == '%') { sb.Append('%'); continue; }
            object? value;
            if (format[i] == '(')
            {
                var close = format.IndexOf(')', i);
                if (close < 0 || dict is null) throw new TemplateRuntimeException("format requires a mapping");
                var key = format[(i + 1)..close];
                value = dict.TryGetValue(key, out var dv) ? dv : throw new TemplateRuntimeException($"KeyError: '{key}'");
                i = close + 1;
            }
            else
            {
                if (ai >= values.Length) throw new TemplateRuntimeException("not enough arguments for format string");
                value = values[ai++];
            }
            var flags = "";
            while (i < format.Length && "-+ 0#".Contains(format[i])) flags += format[i++];
            var width = 0;
            while (i < format.Length && char.IsAsciiDigit(format[i])) width = width * 10 + (format[i++] - '0');
            var precision = -1;
            if (i < format.Length && format[i] == '.')
            {
                i++;
                precision = 0;
                while (i < format.Length && char.IsAsciiDigit(format[i])) precision = precision * 10 + (format[i++] - '0');
            }
            if (i >= format.Length) throw new TemplateRuntimeException("incomplete format");
            var conv = format[i];
            string body = conv switch
            {
                's' => PyOps.Str(value),
                'r' => PyOps.Repr(value),
                'd' or 'i' => PyOps.IsNumber(value) ? ((long)Math.Truncate(PyOps.ToDouble(value!))).ToString(CultureInfo.InvariantCulture)
                    : throw new TemplateRuntimeException($"%{conv} format: a real number is required, not {PyOps.TypeName(value)}"),
                'f' or 'F' => PyOps.IsNumber(value) ? PyOps.ToDouble(value!).ToString("F" + (precision < 0 ? 6 : precision), CultureInfo.InvariantCulture)
                    : throw new TemplateRuntimeException($"%{conv} format: a real number is required, not {PyOps.TypeName(value)}"),
                'x' => PyOps.IsInt(value) ? PyOps.ToLong(value!).ToString("x", CultureInfo.InvariantCulture) : throw new TemplateRuntimeException("%x format: an integer is required"),
                _ => throw new TemplateRuntimeException($"unsupported format character '{conv}'"),
            };
            if (conv == 's' && precision >= 0 && body.Length > precision) body = body[..precision];
            if ((conv is 'd' or 'i' or 'f' or 'F') && flags.Contains('+') && !body.StartsWith('-')) body = "+" + body;
            if (body.Length < width)
                body = flags.Contains('-') ? body.PadRight(width) : flags.Contains('0') && conv != 's' ? PadZero(body, width) : body.PadLeft(width);
            sb.Append(body);
        }
        if (dict is null && ai < values.Length && args is PyTuple) throw new TemplateRuntimeException("not all arguments converted during string formatting");
        return sb.ToString();
    }

    private static string PadZero(string body, int width)
    {
        var sign = body.StartsWith('-') || body.StartsWith('+') ? body[..1] : "";
        return sign + body[sign.Length..].PadLeft(width - sign.Length, '0');
    }

    /// <summary>Python's <c>json.dumps(value, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sortKeys)</c>, the tojson transformers installs.</summary>
    public static string Json(object? value, string? indent, string itemSep, string keySep, bool sortKeys, bool ensureAscii)
    {
        var sb = new StringBuilder();
        WriteJson(value, sb, indent, itemSep, keySep, sortKeys, ensureAscii, 0);
        return sb.ToString();
    }

    private static void NewLine(StringBuilder sb, string? indent, int level)
    {
        if (indent is null) return;
        sb.Append('\n');
        for (var i = 0; i < level; i++) sb.Append(indent);
    }

    private static void WriteJson(object? v, StringBuilder sb, string? indent, string itemSep, string keySep, bool sortKeys, bool ascii, int level)
    {
        if (level > 200) throw new TemplateRuntimeException("tojson: value is nested too deeply");
        switch (v)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyOps.FloatRepr(d));
                break;
            case string or TaggedString: JsonString(PyOps.S(v), sb, ascii); break;
            case List<object?> or PyTuple:
            {
                var items = v is PyTuple t ? (IReadOnlyList<object?>)t.Items : (List<object?>)v;
                if (items.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (var i = 0; i < items.Count; i++)
                {
                    if (i > 0) sb.Append(itemSep);
                    NewLine(sb, indent, level + 1);
                    WriteJson(items[i], sb, indent, itemSep, keySep, sortKeys, ascii, level + 1);
                }
                NewLine(sb, indent, level);
                sb.Append(']');
                break;
            }
            case PyDict d:
            {
                if (d.Count == 0) { sb.Append("{}"); break; }
                IEnumerable<KeyValuePair<object, object?>> entries = d;
                if (sortKeys)
                    entries = d.OrderBy(kv => kv.Key, Comparer<object>.Create((a, b) => PyOps.Compare(a, b, "<")));
                sb.Append('{');
                var first = true;
                foreach (var kv in entries)
                {
                    if (!first) sb.Append(itemSep);
                    first = false;
                    NewLine(sb, indent, level + 1);
                    var key = kv.Key switch
                    {
                        string or TaggedString => PyOps.S(kv.Key),
                        bool b => b ? "true" : "false",
                        null => "null",
                        long or double => PyOps.Str(kv.Key),
                        _ => throw new TemplateRuntimeException($"keys must be str, int, float, bool or None, not {PyOps.TypeName(kv.Key)}"),
                    };
                    JsonString(key, sb, ascii);
                    sb.Append(keySep);
                    WriteJson(kv.Value, sb, indent, itemSep, keySep, sortKeys, ascii, level + 1);
                }
                NewLine(sb, indent, level);
                sb.Append('}');
                break;
            }
            case Undefined u: throw new TemplateRuntimeException($"Object of type Undefined is not JSON serializable ({u.Hint})");
            default: throw new TemplateRuntimeException($"Object of type {PyOps.TypeName(v)} is not JSON serializable");
        }
    }

    public static void JsonString(string s, StringBuilder sb, bool ascii)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || (ascii && c > 0x7f)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
