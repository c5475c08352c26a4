using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SftLab.ChatTemplates;

/// <summary>Jinja's global functions, filters and tests (plus transformers' raise_exception, strftime_now and tojson).</summary>
internal sealed partial class Interpreter
{
    public Dictionary<string, object?> Globals { get; } = new(StringComparer.Ordinal);

    /// <summary>Installs range, dict, namespace, raise_exception and strftime_now.</summary>
    public void InstallGlobals(Func<DateTime> now)
    {
        Globals["range"] = new BuiltinFunction("range", (ip, args, _, _) =>
        {
            var n = args.Select(a => PyOps.IsInt(a) ? PyOps.ToLong(a!) : throw new TemplateRuntimeException($"'{PyOps.TypeName(a)}' object cannot be interpreted as an integer")).ToArray();
            long start = 0, stop, step = 1;
            switch (n.Length)
            {
                case 1: stop = n[0]; break;
                case 2: start = n[0]; stop = n[1]; break;
                case 3: start = n[0]; stop = n[1]; step = n[2]; break;
                default: throw new TemplateRuntimeException($"range expected 1 to 3 arguments, got {n.Length}");
            }
            if (step == 0) throw new TemplateRuntimeException("range() arg 3 must not be zero");
            var count = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0) : (start > stop ? (start - stop - step - 1) / -step : 0);
            if (count > ip.Limits.MaxRange) throw new TemplateLimitException($"range too big: {count} items (the sandbox allows {ip.Limits.MaxRange})");
            var list = new List<object?>((int)count);
            for (long i = 0; i < count; i++) list.Add(start + i * step);
            return list;
        });
        Globals["dict"] = new BuiltinFunction("dict", (_, args, kwargs, _) =>
        {
            var d = new PyDict();
            if (args.Count > 0)
                foreach (var item in PyOps.Iterate(args[0] is PyDict src ? new List<object?>(src.Select(kv => (object?)new PyTuple([kv.Key, kv.Value]))) : args[0]))
                {
                    var pair = PyOps.Iterate(item);
                    if (pair.Count != 2) throw new TemplateRuntimeException("dictionary update sequence element has wrong length");
                    d[pair[0] is TaggedString t ? t.Value : pair[0]!] = pair[1];
                }
            foreach (var (k, v) in kwargs) d[k] = v;
            return d;
        });
        Globals["namespace"] = new BuiltinFunction("namespace", (_, args, kwargs, _) =>
        {
            var ns = new Namespace();
            foreach (var a in args)
                if (a is PyDict d) foreach (var kv in d) ns.Attributes[PyOps.Str(kv.Key)] = kv.Value;
            foreach (var (k, v) in kwargs) ns.Attributes[k] = v;
            return ns;
        });
        Globals["raise_exception"] = new BuiltinFunction("raise_exception", (_, args, _, at) =>
            throw new TemplateRaisedException(args.Count > 0 ? PyOps.Str(args[0]) : "", _name, at.Line, at.Column));
        Globals["strftime_now"] = new BuiltinFunction("strftime_now", (_, args, _, _) =>
            Strftime(now(), args.Count > 0 ? PyOps.Str(args[0]) : throw new TemplateRuntimeException("strftime_now() missing required argument 'format'")));
    }

    /// <summary>Python's datetime.strftime for the directives chat templates use (C locale).</summary>
    public static string Strftime(DateTime t, string format)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            var c = format[++i];
            var ci = CultureInfo.InvariantCulture;
            sb.Append(c switch
            {
                'd' => t.Day.ToString("00", ci),
                '-' when i + 1 < format.Length => format[++i] switch
                {
                    'd' => t.Day.ToString(ci),
                    'm' => t.Month.ToString(ci),
                    'H' => t.Hour.ToString(ci),
                    'I' => (t.Hour % 12 == 0 ? 12 : t.Hour % 12).ToString(ci),
                    'M' => t.Minute.ToString(ci),
                    'j' => t.DayOfYear.ToString(ci),
                    var o => "%-" + o,
                },
                'm' => t.Month.ToString("00", ci),
                'Y' => t.Year.ToString("0000", ci),
                'y' => (t.Year % 100).ToString("00", ci),
                'H' => t.Hour.ToString("00", ci),
                'I' => (t.Hour % 12 == 0 ? 12 : t.Hour % 12).ToString("00", ci),
                'M' => t.Minute.ToString("00", ci),
                'S' => t.Second.ToString("00", ci),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'B' => ci.DateTimeFormat.GetMonthName(t.Month),
                'b' or 'h' => ci.DateTimeFormat.GetAbbreviatedMonthName(t.Month),
                'A' => ci.DateTimeFormat.GetDayName(t.DayOfWeek),
                'a' => ci.DateTimeFormat.GetAbbreviatedDayName(t.DayOfWeek),
                'j' => t.DayOfYear.ToString("000", ci),
                'f' => (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", ci),
                'w' => ((int)t.DayOfWeek).ToString(ci),
                '%' => "%",
                _ => "%" + c,
            });
        }
        return sb.ToString();
    }

    // ---- filters --------------------------------------------------------------------------------

    private static readonly HashSet<string> FilterNames =
    [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape", "first", "float",
        "forceescape", "format", "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min",
        "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum",
        "title", "tojson", "trim", "truncate", "unique", "upper", "wordcount",
    ];

    public object? ApplyFilter(FilterCall fc, object? value, Frame frame)
    {
        var args = fc.Args.Select(a => Eval(a, frame)).ToList();
        var kwargs = fc.Kwargs.Select(k => new KeyValuePair<string, object?>(k.Name, Eval(k.Value, frame))).ToList();
        var at = new ConstExpr(null, fc.Line, fc.Column);
        try
        {
            return CallFilter(fc.Name, value, args, kwargs, at);
        }
        catch (TemplateException ex) when (ex.Line == 0)
        {
            if (ex is TemplateLimitException) throw new TemplateLimitException(ex.Reason, _name, fc.Line, fc.Column);
            throw new TemplateRuntimeException(ex.Reason, _name, fc.Line, fc.Column, ex);
        }
    }

    private static object? Need(object? v)
    {
        if (v is Undefined u) throw new TemplateRuntimeException(u.Hint);
        return v;
    }

    private object? CallFilter(string name, object? value, List<object?> positional, List<KeyValuePair<string, object?>> kwargs, Node at)
    {
        if (!FilterNames.Contains(name)) throw new TemplateRuntimeException($"no filter named '{name}'");
        var a = new Args(positional, kwargs, name);
        switch (name)
        {
            case "trim":
            {
                var chars = a.Get(0, "chars", null);
                return Tags.Strip(Tags.AsStr(value), chars is null ? null : PyOps.Str(chars), true, true);
            }
            case "length" or "count": return PyOps.Len(value);
            case "upper": return Tags.Map(Tags.AsStr(value), s => s.ToUpperInvariant());
            case "lower": return Tags.Map(Tags.AsStr(value), s => s.ToLowerInvariant());
            case "capitalize": return Tags.Map(Tags.AsStr(value), s => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant());
            case "title": return Tags.Map(Tags.AsStr(value), JinjaTitle);
            case "string": return Tags.AsStr(value);
            case "safe": return Tags.AsStr(value);
            case "e" or "escape" or "forceescape":
                return Tags.Map(Tags.AsStr(value), s => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;"));
            case "replace":
            {
                var count = a.Get(2, "count", null);
                var nw = a.Get(1, "new");
                return Tags.Replace(Tags.AsStr(value), Tags.AsStr(a.Get(0, "old")), Tags.AsStr(nw), count is null ? -1 : PyOps.ToLong(count));
            }
            case "default" or "d":
            {
                var dflt = a.Get(0, "default_value", "");
                var boolean = PyOps.Truthy(a.Get(1, "boolean", false));
                return value is Undefined || (boolean && !PyOps.Truthy(value)) ? dflt : value;
            }
            case "first":
            {
                var items = PyOps.Iterate(Need(value));
                return items.Count > 0 ? items[0] : new Undefined("No first item, sequence was empty.");
            }
            case "last":
            {
                var items = PyOps.Iterate(Need(value));
                return items.Count > 0 ? items[^1] : new Undefined("No last item, sequence was empty.");
            }
            case "list": return new List<object?>(PyOps.Iterate(value));
            case "items":
                if (value is Undefined) return new List<object?>();
                if (value is not PyDict dict) throw new TemplateRuntimeException("Can only get item pairs from a mapping.");
                return dict.Select(kv => (object?)new PyTuple([kv.Key, kv.Value])).ToList();
            case "join":
            {
                var sep = a.Get(0, "d", "");
                var attribute = a.Get(1, "attribute", null);
                var items = PyOps.Iterate(value);
                if (attribute is not null) items = items.Select(x => GetAttribute(x, attribute)).ToList();
                return Tags.Join(Tags.AsStr(sep), items.Select(Tags.AsStr).ToList<object?>());
            }
            case "int":
            {
                var dflt = a.Get(0, "default", 0L);
                var b = a.Long(1, "base", 10);
                return ToInt(value, dflt, (int)b);
            }
            case "float":
            {
                var dflt = a.Get(0, "default", 0.0);
                return ToFloat(value, dflt);
            }
            case "abs":
                return Need(value) switch
                {
                    long l => (object)Math.Abs(l),
                    double dd => Math.Abs(dd),
                    bool bb => bb ? 1L : 0L,
                    var o => throw new TemplateRuntimeException($"bad operand type for abs(): '{PyOps.TypeName(o)}'"),
                };
            case "round":
            {
                var precision = (int)a.Long(0, "precision", 0);
                var method = PyOps.Str(a.Get(1, "method", "common"));
                var x = PyOps.ToDouble(Need(value) is var v && PyOps.IsNumber(v) ? v! : throw new TemplateRuntimeException("round() requires a number"));
                if (method == "common")
                {
                    if (PyOps.IsInt(value) && precision >= 0) return PyOps.ToLong(value!) is var li ? (object)li : null;
                    return Math.Round(x, Math.Clamp(precision, 0, 15), MidpointRounding.ToEven);
                }
                var scale = Math.Pow(10, precision);
                return method switch
                {
                    "ceil" => Math.Ceiling(x * scale) / scale,
                    "floor" => Math.Floor(x * scale) / scale,
                    _ => throw new TemplateRuntimeException("method must be common, ceil or floor"),
                };
            }
            case "indent": return Indent(value, a);
            case "tojson":
            {
                var indent = a.Get(0, "indent", null);
                var ensureAscii = PyOps.Truthy(a.Get(-1, "ensure_ascii", false));
                var sortKeys = PyOps.Truthy(a.Get(-1, "sort_keys", false));
                var separators = a.Get(-1, "separators", null);
                var ind = indent switch
                {
                    null => null,
                    long l => new string(' ', (int)Math.Max(0, l)),
                    string s => s,
                    _ => throw new TemplateRuntimeException("tojson indent must be an integer or a string"),
                };
                string itemSep = ind is null ? ", " : ",", keySep = ": ";
                if (separators is not null)
                {
                    var parts = PyOps.Iterate(separators);
                    if (parts.Count != 2) throw new TemplateRuntimeException("separators must be a pair of strings");
                    itemSep = PyOps.Str(parts[0]);
                    keySep = PyOps.Str(parts[1]);
                }
                var json = Format.Json(value, ind, itemSep, keySep, sortKeys, ensureAscii);
                var tag = Tracking ? Tags.Find(value) : 0;
                return tag == 0 ? json : TaggedString.Uniform(json, tag);
            }
            case "map": return MapFilter(value, a, at);
            case "select" or "reject": return SelectFilter(value, a, name == "select", false, at);
            case "selectattr" or "rejectattr": return SelectFilter(value, a, name == "selectattr", true, at);
            case "attr":
            {
                // Jinja's attr filter looks up attributes only, never items: on a dict only its methods are attributes.
                var attrName = PyOps.Str(a.Get(0, "name"));
                if (value is PyDict && !attrName.StartsWith('_')) return new Undefined($"'dict object' has no attribute '{attrName}'");
                return Access.GetAttr(value, attrName);
            }
            case "reverse":
                if (PyOps.IsString(value)) return Tags.Slice(value!, null, null, -1);
                return Enumerable.Reverse(PyOps.Iterate(Need(value))).ToList();
            case "sum":
            {
                var attribute = a.Get(0, "attribute", null);
                object? acc = a.Get(1, "start", 0L);
                foreach (var x in PyOps.Iterate(value))
                    acc = PyOps.Binary("+", acc, attribute is null ? x : GetAttribute(x, attribute), Limits.MaxOutputLength);
                return acc;
            }
            case "min" or "max":
            {
                var cs = PyOps.Truthy(a.Get(0, "case_sensitive", false));
                var attribute = a.Get(1, "attribute", null);
                var items = PyOps.Iterate(value);
                if (items.Count == 0) return new Undefined($"No aggregated item, sequence was empty.");
                var best = items[0];
                foreach (var x in items.Skip(1))
                {
                    var c = PyOps.Compare(SortKey(x, cs, attribute), SortKey(best, cs, attribute), "<");
                    if (name == "min" ? c < 0 : c > 0) best = x;
                }
                return best;
            }
            case "sort":
            {
                var reverse = PyOps.Truthy(a.Get(0, "reverse", false));
                var cs = PyOps.Truthy(a.Get(1, "case_sensitive", false));
                var attribute = a.Get(2, "attribute", null);
                var items = PyOps.Iterate(value);
                var keyed = items.Select((x, i) => (Key: SortKey(x, cs, attribute), Item: x, Index: i)).ToList();
                keyed.Sort((p, q) =>
                {
                    var c = PyOps.Compare(p.Key, q.Key, "<");
                    if (reverse) c = -c;
                    return c != 0 ? c : p.Index.CompareTo(q.Index);
                });
                return keyed.Select(k => k.Item).ToList();
            }
            case "unique":
            {
                var cs = PyOps.Truthy(a.Get(0, "case_sensitive", false));
                var attribute = a.Get(1, "attribute", null);
                var seen = new List<object?>();
                var result = new List<object?>();
                foreach (var x in PyOps.Iterate(value))
                {
                    var k = SortKey(x, cs, attribute);
                    if (seen.Any(s => PyOps.Eq(s, k))) continue;
                    seen.Add(k);
                    result.Add(x);
                }
                return result;
            }
            case "dictsort":
            {
                if (value is not PyDict sd) throw new TemplateRuntimeException("You can only sort by either 'key' or 'value'");
                var cs = PyOps.Truthy(a.Get(0, "case_sensitive", false));
                var by = PyOps.Str(a.Get(1, "by", "key"));
                var reverse = PyOps.Truthy(a.Get(2, "reverse", false));
                var pos = by == "key" ? 0 : by == "value" ? 1 : throw new TemplateRuntimeException("You can only sort by either 'key' or 'value'");
                var pairs = sd.Select(kv => new PyTuple([kv.Key, kv.Value])).ToList();
                var sorted = pairs.Select((p, i) => (p, i)).ToList();
                sorted.Sort((x, y) =>
                {
                    var c = PyOps.Compare(SortKey(x.p.Items[pos], cs, null), SortKey(y.p.Items[pos], cs, null), "<");
                    if (reverse) c = -c;
                    return c != 0 ? c : x.i.CompareTo(y.i);
                });
                return sorted.Select(x => (object?)x.p).ToList();
            }
            case "center":
            {
                var width = a.Long(0, "width", 80);
                return BoundMethod.StrMethod(Tags.AsStr(value), "center", new Args([width], [], "center"));
            }
            case "wordcount": return (long)Regex.Matches(PyOps.Str(value), @"\w+").Count;
            case "batch":
            {
                var size = a.Long(0, "linecount", 1);
                if (size <= 0) throw new TemplateRuntimeException("batch size must be positive");
                var hasFill = a.Has(1, "fill_with");
                var fill = a.Get(1, "fill_with", null);
                var items = PyOps.Iterate(value);
                var result = new List<object?>();
                for (var i = 0; i < items.Count; i += (int)size)
                {
                    var chunk = items.Skip(i).Take((int)size).ToList();
                    if (hasFill && fill is not null) while (chunk.Count < size) chunk.Add(fill);
                    result.Add(chunk);
                }
                return result;
            }
            case "format":
            {
                if (kwargs.Count > 0)
                {
                    var d = new PyDict();
                    foreach (var (k, v) in kwargs) d[k] = v;
                    return Format.Percent(PyOps.Str(value), d);
                }
                return Format.Percent(PyOps.Str(value), new PyTuple(positional.ToArray()));
            }
            case "truncate":
            {
                var s = PyOps.Str(value);
                var length = a.Long(0, "length", 255);
                var killwords = PyOps.Truthy(a.Get(1, "killwords", false));
                var end = PyOps.Str(a.Get(2, "end", "..."));
                var leeway = a.Long(3, "leeway", 5);
                if (s.Length <= length + leeway) return Tags.AsStr(value);
                if (killwords) return s[..(int)Math.Max(0, length - end.Length)] + end;
                var cut = s[..(int)Math.Max(0, length - end.Length)];
                var sp = cut.LastIndexOf(' ');
                return (sp >= 0 ? cut[..sp] : cut) + end;
            }
        }
        throw new TemplateRuntimeException($"no filter named '{name}'");
    }

    private static string JinjaTitle(string s)
    {
        var parts = Regex.Split(s, @"([-\s\(\{\[\<]+)");
        var sb = new StringBuilder();
        foreach (var p in parts)
            if (p.Length > 0) sb.Append(char.ToUpperInvariant(p[0])).Append(p[1..].ToLowerInvariant());
        return sb.ToString();
    }

    private static object? ToInt(object? value, object? dflt, int b)
    {
        switch (value)
        {
            case long l: return l;
            case bool bo: return bo ? 1L : 0L;
            case double d: return double.IsFinite(d) && Math.Abs(d) < 9.2e18 ? (long)Math.Truncate(d) : dflt;
            case string or TaggedString:
            {
                var s = PyOps.S(value).Trim().Replace("_", "");
                try
                {
                    if (b == 10 && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var r)) return r;
                    if (b == 16) return Convert.ToInt64(s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? s[2..] : s, 16);
                    if (b is 2 or 8) return Convert.ToInt64(s.Length > 2 && s[0] == '0' && char.IsLetter(s[1]) ? s[2..] : s, b);
                }
                catch (Exception e) when (e is FormatException or OverflowException or ArgumentException) { }
                var f = ToFloat(value, null);
                return f is double fd && double.IsFinite(fd) ? (long)Math.Truncate(fd) : dflt;
            }
            default: return dflt;
        }
    }

    private static object? ToFloat(object? value, object? dflt)
    {
        switch (value)
        {
            case double d: return d;
            case long l: return (double)l;
            case bool b: return b ? 1.0 : 0.0;
            case string or TaggedString:
            {
                var s = PyOps.S(value).Trim().Replace("_", "");
                var low = s.ToLowerInvariant().TrimStart('+');
                if (low is "inf" or "infinity") return double.PositiveInfinity;
                if (low is "-inf" or "-infinity") return double.NegativeInfinity;
                if (low is "nan" or "-nan") return double.NaN;
                if (s.Length > 0 && (char.IsAsciiDigit(s[^1]) || s[^1] == '.') &&
                    double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var r)) return r;
                return dflt;
            }
            default: return dflt;
        }
    }

    private object? Indent(object? value, Args a)
    {
        var width = a.Get(0, "width", 4L);
        var first = PyOps.Truthy(a.Get(1, "first", false));
        var blank = PyOps.Truthy(a.Get(2, "blank", false));
        var indention = width is string ws ? ws : PyOps.IsInt(width) ? new string(' ', (int)Math.Max(0, PyOps.ToLong(width!))) : throw new TemplateRuntimeException("indent width must be an integer or a string");
        var s = Tags.Concat(Tags.AsStr(value), "\n");
        var lines = BoundMethod.SplitLines(s, false);
        object rv;
        if (blank)
            rv = Tags.Join("\n" + indention, lines);
        else
        {
            rv = lines.Count > 0 ? lines[0]! : "";
            if (lines.Count > 1)
            {
                var rest = lines.Skip(1).Select(l => PyOps.S(l!).Length > 0 ? Tags.Concat(indention, l!) : l).ToList();
                rv = Tags.Concat(Tags.Concat(rv, "\n"), Tags.Join("\n", rest));
            }
        }
        if (first) rv = Tags.Concat(indention, rv);
        return rv;
    }

    private static object? SortKey(object? x, bool caseSensitive, object? attribute)
    {
        if (attribute is not null) x = GetAttribute(x, attribute);
        if (!caseSensitive && PyOps.IsString(x)) return PyOps.S(x!).ToLowerInvariant();
        if (x is TaggedString t) return t.Value;
        return x;
    }

    /// <summary>Jinja's environment.getitem for a dotted attribute path ("a.b" or "0.name").</summary>
    private static object? GetAttribute(object? x, object? attribute)
    {
        if (PyOps.IsInt(attribute)) return Access.GetItem(x, attribute);
        foreach (var part in PyOps.Str(attribute).Split('.'))
            x = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var idx) ? Access.GetItem(x, idx) : Access.GetItem(x, part);
        return x;
    }

    private object? MapFilter(object? value, Args a, Node at)
    {
        var items = PyOps.Iterate(value);
        if (a.Count == 0 && a.Kwargs.Any(k => k.Key == "attribute"))
        {
            var attribute = a.Get(-1, "attribute");
            var hasDefault = a.Kwargs.Any(k => k.Key == "default");
            var dflt = a.Get(-1, "default", null);
            return items.Select(x =>
            {
                var r = GetAttribute(x, attribute);
                return r is Undefined && hasDefault ? dflt : r;
            }).ToList();
        }
        if (a.Count == 0) throw new TemplateRuntimeException("map requires a filter name or attribute=");
        var filter = PyOps.Str(a.All[0]);
        var rest = a.All.Skip(1).ToList();
        return items.Select(x => CallFilter(filter, x, rest, a.Kwargs, at)).ToList();
    }

    private object? SelectFilter(object? value, Args a, bool select, bool byAttr, Node at)
    {
        var items = PyOps.Iterate(value);
        var off = 0;
        object? attribute = null;
        if (byAttr)
        {
            if (a.Count == 0) throw new TemplateRuntimeException("Missing parameter for attribute name");
            attribute = a.All[0];
            off = 1;
        }
        string? test = a.Count > off ? PyOps.Str(a.All[off]) : null;
        var testArgs = a.All.Skip(off + 1).ToList();
        var result = new List<object?>();
        foreach (var x in items)
        {
            var probe = byAttr ? GetAttribute(x, attribute) : x;
            var ok = test is null ? PyOps.Truthy(probe) : RunTest(test, probe, testArgs, at);
            if (ok == select) result.Add(x);
        }
        return result;
    }

    // ---- tests ----------------------------------------------------------------------------------

    public bool RunTest(string name, object? value, List<object?> args, Node at)
    {
        object? Arg0() => args.Count > 0 ? args[0] : throw Error($"the test '{name}' needs an argument", at);
        switch (name)
        {
            case "defined": return value is not Undefined;
            case "undefined": return value is Undefined;
            case "none": return value is null;
            case "boolean": return value is bool;
            case "true": return value is true;
            case "false": return value is false;
            case "string": return PyOps.IsString(value);
            case "number": return value is long or double or bool;
            case "integer": return value is long;
            case "float": return value is double;
            case "mapping": return value is PyDict;
            case "iterable": return value is string or TaggedString or List<object?> or PyTuple or PyDict or Undefined or Namespace;
            case "sequence": return value is string or TaggedString or List<object?> or PyTuple or PyDict;
            case "callable": return value is ICallable;
            case "odd": return PyOps.IsInt(Need(value)) ? (PyOps.ToLong(value!) & 1) == 1 : throw new TemplateRuntimeException("odd test requires an integer");
            case "even": return PyOps.IsInt(Need(value)) ? (PyOps.ToLong(value!) & 1) == 0 : throw new TemplateRuntimeException("even test requires an integer");
            case "divisibleby":
            {
                var n = Arg0();
                return PyOps.Eq(PyOps.Binary("%", value, n, long.MaxValue), 0L);
            }
            case "lower": return PyOps.Str(value) is var s && s == s.ToLowerInvariant() && s.Any(char.IsLetter);
            case "upper": return PyOps.Str(value) is var u && u == u.ToUpperInvariant() && u.Any(char.IsLetter);
            case "eq" or "equalto" or "==": return PyOps.Eq(value, Arg0());
            case "ne" or "!=": return !PyOps.Eq(value, Arg0());
            case "lt" or "lessthan" or "<": return PyOps.CompareOp("<", value, Arg0());
            case "le" or "<=": return PyOps.CompareOp("<=", value, Arg0());
            case "gt" or "greaterthan" or ">": return PyOps.CompareOp(">", value, Arg0());
            case "ge" or ">=": return PyOps.CompareOp(">=", value, Arg0());
            case "in": return PyOps.Contains(Arg0(), value);
            case "sameas":
            {
                var o = Arg0();
                return value is null || value is bool ? PyOps.Eq(value, o) && (o is null || o is bool) && value?.GetType() == o?.GetType() : ReferenceEquals(value, o) || (value is long l && o is long m && l == m);
            }
            case "escaped": return false;
            case "filter": return FilterNames.Contains(PyOps.Str(value));
            case "test": return TestNames.Contains(PyOps.Str(value));
            default: throw Error($"no test named '{name}'", at);
        }
    }

    private static readonly HashSet<string> TestNames =
    [
        "defined", "undefined", "none", "boolean", "true", "false", "string", "number", "integer", "float", "mapping", "iterable",
        "sequence", "callable", "odd", "even", "divisibleby", "lower", "upper", "eq", "equalto", "==", "ne", "!=", "lt", "lessthan",
        "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in", "sameas", "escaped", "filter", "test",
    ];
}
