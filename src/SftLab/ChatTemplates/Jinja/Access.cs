using System.Globalization;
using System.Text;

namespace SftLab.ChatTemplates;

/// <summary>
/// Attribute and item access, the sandbox boundary: a template can read dict keys, list items, string
/// characters, namespace and loop attributes, and call a fixed list of non-mutating str/dict/list methods.
/// Nothing else (no .NET member, no underscore attribute, no list.append) is reachable.
/// </summary>
internal static class Access
{
    private static readonly HashSet<string> StrMethods =
    [
        "capitalize", "casefold", "center", "count", "endswith", "find", "format", "index", "isalnum", "isalpha", "isdigit",
        "islower", "isnumeric", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "partition", "removeprefix",
        "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith",
        "strip", "swapcase", "title", "upper", "zfill",
    ];
    private static readonly HashSet<string> DictMethods = ["items", "keys", "values", "get", "copy"];
    private static readonly HashSet<string> DictUnsafe = ["clear", "pop", "popitem", "setdefault", "update", "fromkeys"];
    private static readonly HashSet<string> ListMethods = ["index", "count", "copy"];
    private static readonly HashSet<string> ListUnsafe = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"];

    private static string ObjName(object? o) => $"'{PyOps.TypeName(o)} object'";

    public static object? GetAttr(object? obj, string attr)
    {
        if (obj is Undefined u) throw new TemplateRuntimeException(u.Hint);
        if (attr.StartsWith('_'))
            return new Undefined($"access to attribute '{attr}' of '{PyOps.TypeName(obj)}' object is unsafe.", true);
        switch (obj)
        {
            case PyDict d:
                if (DictMethods.Contains(attr)) return new BoundMethod(obj, attr);
                if (DictUnsafe.Contains(attr)) return new Undefined($"access to attribute '{attr}' of 'dict' object is unsafe.", true);
                return d.TryGetValue(attr, out var v) ? v : new Undefined($"{ObjName(obj)} has no attribute '{attr}'");
            case string or TaggedString:
                if (StrMethods.Contains(attr)) return new BoundMethod(obj, attr);
                break;
            case List<object?>:
                if (ListMethods.Contains(attr)) return new BoundMethod(obj, attr);
                if (ListUnsafe.Contains(attr)) return new Undefined($"access to attribute '{attr}' of 'list' object is unsafe.", true);
                break;
            case PyTuple:
                if (attr is "index" or "count") return new BoundMethod(obj, attr);
                break;
            case Namespace ns:
                return ns.Attributes.TryGetValue(attr, out var nv) ? nv : new Undefined($"'Namespace object' has no attribute '{attr}'");
            case LoopContext lc:
                return LoopAttr(lc, attr);
            case double dd when attr is "real": return dd;
            case long ll when attr is "real" or "numerator": return ll;
        }
        return new Undefined($"{ObjName(obj)} has no attribute '{attr}'");
    }

    private static object? LoopAttr(LoopContext lc, string attr) => attr switch
    {
        "index" => (long)lc.Index0 + 1,
        "index0" => (long)lc.Index0,
        "revindex" => (long)(lc.Length - lc.Index0),
        "revindex0" => (long)(lc.Length - lc.Index0 - 1),
        "first" => lc.Index0 == 0,
        "last" => lc.Index0 == lc.Length - 1,
        "length" => (long)lc.Length,
        "depth" => (long)lc.Depth,
        "depth0" => (long)lc.Depth - 1,
        "previtem" => lc.Index0 > 0 ? lc.Items[lc.Index0 - 1] : new Undefined("there is no previous item"),
        "nextitem" => lc.Index0 < lc.Length - 1 ? lc.Items[lc.Index0 + 1] : new Undefined("there is no next item"),
        "cycle" => new BuiltinFunction("cycle", (_, args, _, _) =>
            args.Count == 0 ? throw new TemplateRuntimeException("no items for cycling given") : args[lc.Index0 % args.Count]),
        "changed" => new BuiltinFunction("changed", (_, args, _, _) =>
        {
            var key = new PyTuple(args.ToArray());
            if (lc.LastChanged is PyTuple prev && PyOps.Eq(prev, key)) return false;
            lc.LastChanged = key;
            return true;
        }),
        _ => new Undefined($"'LoopContext object' has no attribute '{attr}'"),
    };

    public static object? GetItem(object? obj, object? key)
    {
        if (obj is Undefined u) throw new TemplateRuntimeException(u.Hint);
        if (key is TaggedString tk) key = tk.Value;
        switch (obj)
        {
            case PyDict d:
                if (key is not null && d.TryGetValue(key, out var v)) return v;
                if (key is List<object?> or PyDict) throw new TemplateRuntimeException($"unhashable type: '{PyOps.TypeName(key)}'");
                break;
            case List<object?> l when PyOps.IsInt(key):
            {
                var i = PyOps.ToLong(key!);
                if (i < 0) i += l.Count;
                if (i >= 0 && i < l.Count) return l[(int)i];
                return new Undefined($"'list object' has no element {PyOps.Str(key)}");
            }
            case PyTuple t when PyOps.IsInt(key):
            {
                var i = PyOps.ToLong(key!);
                if (i < 0) i += t.Items.Length;
                if (i >= 0 && i < t.Items.Length) return t.Items[(int)i];
                return new Undefined($"'tuple object' has no element {PyOps.Str(key)}");
            }
            case string or TaggedString when PyOps.IsInt(key):
            {
                var r = Tags.Index(obj, PyOps.ToLong(key!), out var ok);
                return ok ? r : new Undefined($"'str object' has no element {PyOps.Str(key)}");
            }
            case Namespace or LoopContext when key is string ks:
                return GetAttr(obj, ks);
        }
        if (key is string s && obj is not PyDict) return GetAttr(obj, s);
        if (key is string s2 && obj is PyDict && (DictMethods.Contains(s2) || s2.StartsWith('_'))) return GetAttr(obj, s2);
        return new Undefined($"{ObjName(obj)} has no element {PyOps.Repr(key)}");
    }

    public static object? Slice(object? obj, long? start, long? stop, long? step)
    {
        switch (obj)
        {
            case string or TaggedString: return Tags.Slice(obj, start, stop, step);
            case List<object?> l: return Tags.SliceIndices(l.Count, start, stop, step).Select(i => l[i]).ToList();
            case PyTuple t: return new PyTuple(Tags.SliceIndices(t.Items.Length, start, stop, step).Select(i => t.Items[i]).ToArray());
            case Undefined u: throw new TemplateRuntimeException(u.Hint);
            default: throw new TemplateRuntimeException($"'{PyOps.TypeName(obj)}' object is not subscriptable");
        }
    }
}

/// <summary>A method of a str, dict or list value, bound to it (what <c>message.content.strip</c> evaluates to).</summary>
internal sealed class BoundMethod(object target, string name) : ICallable
{
    public string Describe => $"<built-in method {name} of {PyOps.TypeName(target)} object>";

    public object? Call(Interpreter interp, List<object?> args, List<KeyValuePair<string, object?>> kwargs, Node at) => target switch
    {
        string or TaggedString => StrMethod(target, name, new Args(args, kwargs, name)),
        PyDict d => DictMethod(d, name, new Args(args, kwargs, name)),
        List<object?> l => SeqMethod(l, name, new Args(args, kwargs, name)),
        PyTuple t => SeqMethod([.. t.Items], name, new Args(args, kwargs, name)),
        _ => throw new TemplateRuntimeException($"cannot call {name}"),
    };

    private static object? SeqMethod(List<object?> l, string name, Args a)
    {
        switch (name)
        {
            case "index":
            {
                var x = a.Get(0, "value");
                for (var i = 0; i < l.Count; i++) if (PyOps.Eq(l[i], x)) return (long)i;
                throw new TemplateRuntimeException($"{PyOps.Repr(x)} is not in list");
            }
            case "count":
            {
                var x = a.Get(0, "value");
                return (long)l.Count(y => PyOps.Eq(y, x));
            }
            default: return new List<object?>(l);
        }
    }

    private static object? DictMethod(PyDict d, string name, Args a)
    {
        switch (name)
        {
            case "items": return d.Select(kv => (object?)new PyTuple([kv.Key, kv.Value])).ToList();
            case "keys": return d.Keys.ToList<object?>();
            case "values": return d.Values.ToList();
            case "copy":
            {
                var c = new PyDict();
                foreach (var kv in d) c[kv.Key] = kv.Value;
                return c;
            }
            default:
            {
                var key = a.Get(0, "key");
                if (key is TaggedString t) key = t.Value;
                return key is not null && d.TryGetValue(key, out var v) ? v : a.Get(1, "default", null);
            }
        }
    }

    private static string? OptChars(object? v) => v is null ? null : PyOps.IsString(v) ? PyOps.S(v) : throw new TemplateRuntimeException("strip arg must be None or str");

    private static bool AffixTest(string s, object? arg, bool starts, long? start, long? end)
    {
        var sub = s;
        if (start is not null || end is not null)
        {
            var idx = Tags.SliceIndices(s.Length, start, end, 1);
            sub = idx.Count == 0 ? "" : s.Substring(idx[0], idx.Count);
        }
        var options = arg is PyTuple t ? t.Items.Select(x => PyOps.S(x!)).ToArray()
            : PyOps.IsString(arg) ? [PyOps.S(arg!)]
            : throw new TemplateRuntimeException($"{(starts ? "startswith" : "endswith")} first arg must be str or a tuple of str, not {PyOps.TypeName(arg)}");
        return options.Any(o => starts ? sub.StartsWith(o, StringComparison.Ordinal) : sub.EndsWith(o, StringComparison.Ordinal));
    }

    public static object? StrMethod(object v, string name, Args a)
    {
        var s = PyOps.S(v);
        switch (name)
        {
            case "strip": return Tags.Strip(v, OptChars(a.Get(0, "chars", null)), true, true);
            case "lstrip": return Tags.Strip(v, OptChars(a.Get(0, "chars", null)), true, false);
            case "rstrip": return Tags.Strip(v, OptChars(a.Get(0, "chars", null)), false, true);
            case "split": return Tags.Split(v, OptChars(a.Get(0, "sep", null)), a.Long(1, "maxsplit", -1));
            case "rsplit": return Tags.Split(v, OptChars(a.Get(0, "sep", null)), a.Long(1, "maxsplit", -1), fromRight: true);
            case "startswith": return AffixTest(s, a.Get(0, "prefix"), true, a.OptLong(1, "start"), a.OptLong(2, "end"));
            case "endswith": return AffixTest(s, a.Get(0, "suffix"), false, a.OptLong(1, "start"), a.OptLong(2, "end"));
            case "upper": return Tags.Map(v, x => x.ToUpperInvariant());
            case "lower": return Tags.Map(v, x => x.ToLowerInvariant());
            case "casefold": return Tags.Map(v, x => x.ToLowerInvariant());
            case "swapcase": return Tags.Map(v, x => new string(x.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)).ToArray()));
            case "title": return Tags.Map(v, PyTitle);
            case "capitalize": return Tags.Map(v, x => x.Length == 0 ? x : char.ToUpperInvariant(x[0]) + x[1..].ToLowerInvariant());
            case "replace": return Tags.Replace(v, a.Str(0, "old"), a.Get(1, "new") is { } nv && PyOps.IsString(nv) ? nv : throw new TemplateRuntimeException("replace() argument 2 must be str"), a.Long(2, "count", -1));
            case "find": return (long)Find(s, a.Str(0, "sub"), a.OptLong(1, "start"), a.OptLong(2, "end"), false);
            case "rfind": return (long)Find(s, a.Str(0, "sub"), a.OptLong(1, "start"), a.OptLong(2, "end"), true);
            case "index" or "rindex":
            {
                var r = Find(s, a.Str(0, "sub"), a.OptLong(1, "start"), a.OptLong(2, "end"), name == "rindex");
                return r < 0 ? throw new TemplateRuntimeException("substring not found") : (long)r;
            }
            case "count":
            {
                var sub = a.Str(0, "x");
                if (sub.Length == 0) return PyOps.Len(s) + 1;
                long n = 0;
                for (var i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
                return n;
            }
            case "join":
                return Tags.Join(v, PyOps.Iterate(a.Get(0, "iterable")).Select(x => PyOps.IsString(x) ? x : throw new TemplateRuntimeException($"sequence item: expected str instance, {PyOps.TypeName(x)} found")).ToList());
            case "isdigit" or "isnumeric": return s.Length > 0 && s.All(char.IsDigit);
            case "isalpha": return s.Length > 0 && s.All(char.IsLetter);
            case "isalnum": return s.Length > 0 && s.All(char.IsLetterOrDigit);
            case "isspace": return s.Length > 0 && s.All(char.IsWhiteSpace);
            case "islower": return s.Any(char.IsLetter) && !s.Any(char.IsUpper);
            case "isupper": return s.Any(char.IsLetter) && !s.Any(char.IsLower);
            case "istitle": return s.Length > 0 && PyTitle(s) == s && s.Any(char.IsLetter);
            case "removeprefix":
            {
                var p = a.Str(0, "prefix");
                return p.Length > 0 && s.StartsWith(p, StringComparison.Ordinal) ? Tags.Sub(v, p.Length, s.Length - p.Length) : v;
            }
            case "removesuffix":
            {
                var p = a.Str(0, "suffix");
                return p.Length > 0 && s.EndsWith(p, StringComparison.Ordinal) ? Tags.Sub(v, 0, s.Length - p.Length) : v;
            }
            case "splitlines":
            {
                var keep = PyOps.Truthy(a.Get(0, "keepends", false));
                return SplitLines(v, keep);
            }
            case "partition" or "rpartition":
            {
                var sep = a.Str(0, "sep");
                var k = name == "partition" ? s.IndexOf(sep, StringComparison.Ordinal) : s.LastIndexOf(sep, StringComparison.Ordinal);
                if (k < 0) return name == "partition" ? new PyTuple([v, "", ""]) : new PyTuple(["", "", v]);
                return new PyTuple([Tags.Sub(v, 0, k), Tags.Sub(v, k, sep.Length), Tags.Sub(v, k + sep.Length, s.Length - k - sep.Length)]);
            }
            case "center" or "ljust" or "rjust":
            {
                var width = (int)a.Long(0, "width", 0);
                var fill = a.Get(1, "fillchar", " ") is { } f ? PyOps.S(f) : " ";
                var len = (int)PyOps.Len(s);
                if (width <= len) return v;
                var total = width - len;
                var left = name == "ljust" ? 0 : name == "rjust" ? total : total / 2 + (total & width & 1);
                return Tags.Concat(Tags.Concat(string.Concat(Enumerable.Repeat(fill, left)), v), string.Concat(Enumerable.Repeat(fill, total - left)));
            }
            case "zfill":
            {
                var width = (int)a.Long(0, "width", 0);
                if (s.Length >= width) return v;
                var sign = s.StartsWith('-') || s.StartsWith('+') ? s[..1] : "";
                return sign + new string('0', width - s.Length) + s[sign.Length..];
            }
            case "format": return StrFormat(s, a);
        }
        throw new TemplateRuntimeException($"'str' object has no attribute '{name}'");
    }

    public static List<object?> SplitLines(object v, bool keepEnds)
    {
        var s = PyOps.S(v);
        var result = new List<object?>();
        var start = 0;
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            var brk = c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029';
            if (!brk) { i++; continue; }
            var eol = i + (c == '\r' && i + 1 < s.Length && s[i + 1] == '\n' ? 2 : 1);
            result.Add(Tags.Sub(v, start, (keepEnds ? eol : i) - start));
            start = i = eol;
        }
        if (start < s.Length) result.Add(Tags.Sub(v, start, s.Length - start));
        return result;
    }

    private static int Find(string s, string sub, long? start, long? end, bool last)
    {
        var idx = Tags.SliceIndices(s.Length, start, end, 1);
        var a = idx.Count == 0 ? Math.Min(s.Length, (int)Math.Max(0, start ?? 0)) : idx[0];
        var len = idx.Count;
        if (len < sub.Length) return sub.Length == 0 && len == 0 && a <= s.Length ? a : -1;
        var k = last ? s.LastIndexOf(sub, a + len - 1 < 0 ? 0 : a + len - 1, len, StringComparison.Ordinal) : s.IndexOf(sub, a, len, StringComparison.Ordinal);
        if (last && sub.Length == 0) return a + len;
        return k;
    }

    public static string PyTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        var prevCased = false;
        foreach (var c in s)
        {
            if (char.IsLetter(c))
            {
                sb.Append(prevCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
                prevCased = true;
            }
            else
            {
                sb.Append(c);
                prevCased = false;
            }
        }
        return sb.ToString();
    }

    /// <summary>str.format with {} / {0} / {name} fields (no format specs, no attribute lookups: the sandbox's formatter).</summary>
    private static string StrFormat(string f, Args a)
    {
        var sb = new StringBuilder();
        var auto = 0;
        for (var i = 0; i < f.Length; i++)
        {
            var c = f[i];
            if (c == '{')
            {
                if (i + 1 < f.Length && f[i + 1] == '{') { sb.Append('{'); i++; continue; }
                var close = f.IndexOf('}', i);
                if (close < 0) throw new TemplateRuntimeException("Single '{' encountered in format string");
                var field = f[(i + 1)..close];
                var colon = field.IndexOf(':');
                if (colon >= 0) field = field[..colon];
                object? value;
                if (field.Length == 0) value = a.Positional(auto++);
                else if (int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var idx)) value = a.Positional(idx);
                else value = a.Keyword(field);
                sb.Append(PyOps.Str(value));
                i = close;
            }
            else if (c == '}')
            {
                if (i + 1 < f.Length && f[i + 1] == '}') i++;
                sb.Append('}');
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>Positional and keyword arguments of a call, read Python-style by position or name.</summary>
internal sealed class Args(List<object?> positional, List<KeyValuePair<string, object?>> kwargs, string function)
{
    public int Count => positional.Count;
    public List<object?> All => positional;
    public List<KeyValuePair<string, object?>> Kwargs => kwargs;

    public bool Has(int index, string name) => index < positional.Count || kwargs.Any(k => k.Key == name);

    public object? Get(int index, string name)
    {
        if (index >= 0 && index < positional.Count) return positional[index];
        foreach (var kv in kwargs) if (kv.Key == name) return kv.Value;
        throw new TemplateRuntimeException($"{function}() missing required argument '{name}' (pos {index + 1})");
    }

    public object? Get(int index, string name, object? fallback)
    {
        if (index >= 0 && index < positional.Count) return positional[index];
        foreach (var kv in kwargs) if (kv.Key == name) return kv.Value;
        return fallback;
    }

    public string Str(int index, string name)
    {
        var v = Get(index, name);
        return PyOps.IsString(v) ? PyOps.S(v!) : throw new TemplateRuntimeException($"{function}() argument '{name}' must be str, not {PyOps.TypeName(v)}");
    }

    public long Long(int index, string name, long fallback)
    {
        var v = Get(index, name, fallback);
        if (v is null) return fallback;
        return PyOps.IsInt(v) ? PyOps.ToLong(v) : throw new TemplateRuntimeException($"{function}() argument '{name}' must be an integer, not {PyOps.TypeName(v)}");
    }

    public long? OptLong(int index, string name)
    {
        var v = Get(index, name, null);
        if (v is null) return null;
        return PyOps.IsInt(v) ? PyOps.ToLong(v) : throw new TemplateRuntimeException($"{function}() argument '{name}' must be an integer, not {PyOps.TypeName(v)}");
    }

    public object? Positional(int i) => i < positional.Count ? positional[i] : throw new TemplateRuntimeException($"Replacement index {i} out of range for positional args tuple");

    public object? Keyword(string name)
    {
        foreach (var kv in kwargs) if (kv.Key == name) return kv.Value;
        throw new TemplateRuntimeException($"KeyError: '{name}'");
    }
}
