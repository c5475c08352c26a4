using System.Text;

namespace SftLab.ChatTemplates;

/// <summary>
/// String operations that keep each character's provenance tag (see <see cref="TaggedString"/>). On plain
/// strings they are the ordinary operations; characters keep the tag of the input character they came from,
/// and characters a template adds carry none. Indexes count code points, as Python does.
/// </summary>
internal static class Tags
{
    public static (string S, int[]? T, int Owner) View(object v) => v switch
    {
        TaggedString t => (t.Value, t.Tags, t.Owner),
        string s => (s, null, 0),
        _ => (PyOps.Str(v), null, 0),
    };

    private static int[] TagsOf(string s, int[]? t) => t ?? new int[s.Length];

    public static object Concat(object a, object b, long max = long.MaxValue)
    {
        var (sa, ta, _) = View(a);
        var (sb, tb, _) = View(b);
        if ((long)sa.Length + sb.Length > max) throw new TemplateLimitException($"string is longer than the limit of {max} characters");
        var s = sa + sb;
        if (a is not TaggedString && b is not TaggedString) return s;
        var t = new int[s.Length];
        TagsOf(sa, ta).CopyTo(t, 0);
        TagsOf(sb, tb).CopyTo(t, sa.Length);
        var anchors = new List<(int, int)>();
        if (a is TaggedString x) anchors.AddRange(x.Anchors);
        if (b is TaggedString y) foreach (var (p, g) in y.Anchors) anchors.Add((p + sa.Length, g));
        return TaggedString.Make(s, t, 0, anchors.ToArray());
    }

    public static object Repeat(object a, long n, long max)
    {
        var (s, t, o) = View(a);
        if (n <= 0) return "";
        if (s.Length * n > max) throw new TemplateLimitException($"string is longer than the limit of {max} characters");
        var sb = new StringBuilder();
        for (var i = 0; i < n; i++) sb.Append(s);
        if (t is null) return sb.ToString();
        var tags = new int[sb.Length];
        for (var i = 0; i < n; i++) t.CopyTo(tags, i * s.Length);
        return TaggedString.Make(sb.ToString(), tags, o);
    }

    public static object Sub(object v, int start, int length)
    {
        var (s, t, o) = View(v);
        var r = s.Substring(start, length);
        if (v is not TaggedString ts) return r;
        var anchors = ts.Anchors.Where(x => x.Pos >= start && x.Pos <= start + length).Select(x => (x.Pos - start, x.Tag)).ToArray();
        return TaggedString.Make(r, t!.AsSpan(start, length).ToArray(), o, anchors);
    }

    public static object Join(object sep, IReadOnlyList<object?> parts)
    {
        if (parts.Count == 0) return "";
        object acc = AsStr(parts[0]);
        for (var i = 1; i < parts.Count; i++)
            acc = Concat(Concat(acc, sep), AsStr(parts[i]));
        return acc;
    }

    /// <summary>str(v), keeping tags when v is a string.</summary>
    public static object AsStr(object? v) => v is string or TaggedString ? v : PyOps.Str(v);

    /// <summary>UTF-16 offsets where each code point starts (plus the end); null when the string has no surrogate pairs.</summary>
    public static int[]? CodePoints(string s)
    {
        var has = false;
        foreach (var c in s)
            if (char.IsSurrogate(c)) { has = true; break; }
        if (!has) return null;
        var starts = new List<int>();
        for (var i = 0; i < s.Length; i++)
        {
            starts.Add(i);
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
        }
        starts.Add(s.Length);
        return starts.ToArray();
    }

    public static List<object?> Chars(object v)
    {
        var (s, _, _) = View(v);
        var cps = CodePoints(s);
        var n = cps is null ? s.Length : cps.Length - 1;
        var list = new List<object?>(n);
        for (var i = 0; i < n; i++)
        {
            var a = cps is null ? i : cps[i];
            var b = cps is null ? i + 1 : cps[i + 1];
            list.Add(Sub(v, a, b - a));
        }
        return list;
    }

    public static object Index(object v, long index, out bool ok)
    {
        var (s, _, _) = View(v);
        var cps = CodePoints(s);
        var n = cps is null ? s.Length : cps.Length - 1;
        if (index < 0) index += n;
        ok = index >= 0 && index < n;
        if (!ok) return "";
        var a = cps is null ? (int)index : cps[index];
        var b = cps is null ? (int)index + 1 : cps[index + 1];
        return Sub(v, a, b - a);
    }

    /// <summary>Python slice indices (start, stop, step) resolved against a length.</summary>
    public static List<int> SliceIndices(int n, long? start, long? stop, long? step)
    {
        var st = step ?? 1;
        if (st == 0) throw new TemplateRuntimeException("slice step cannot be zero");
        long lo, hi;
        if (st > 0)
        {
            lo = start is null ? 0 : start < 0 ? Math.Max(0, start.Value + n) : Math.Min(start.Value, n);
            hi = stop is null ? n : stop < 0 ? Math.Max(0, stop.Value + n) : Math.Min(stop.Value, n);
        }
        else
        {
            lo = start is null ? n - 1 : start < 0 ? Math.Max(-1, start.Value + n) : Math.Min(start.Value, n - 1);
            hi = stop is null ? -1 : stop < 0 ? Math.Max(-1, stop.Value + n) : Math.Min(stop.Value, n - 1);
        }
        var idx = new List<int>();
        if (st > 0) for (var i = lo; i < hi; i += st) idx.Add((int)i);
        else for (var i = lo; i > hi; i += st) idx.Add((int)i);
        return idx;
    }

    public static object Slice(object v, long? start, long? stop, long? step)
    {
        var (s, t, o) = View(v);
        var cps = CodePoints(s);
        var n = cps is null ? s.Length : cps.Length - 1;
        var idx = SliceIndices(n, start, stop, step);
        if ((step ?? 1) == 1 && cps is null)
            return idx.Count == 0 ? TaggedString.Make("", null, o) : Sub(v, idx[0], idx.Count);
        var sb = new StringBuilder();
        var tags = t is null ? null : new List<int>();
        foreach (var i in idx)
        {
            var a = cps is null ? i : cps[i];
            var b = cps is null ? i + 1 : cps[i + 1];
            sb.Append(s, a, b - a);
            if (tags is not null) for (var k = a; k < b; k++) tags.Add(t![k]);
        }
        return TaggedString.Make(sb.ToString(), tags?.ToArray(), o);
    }

    private static bool IsPyWhite(char c) => char.IsWhiteSpace(c) || c is '\x1c' or '\x1d' or '\x1e' or '\x1f';

    public static object Strip(object v, string? chars, bool left, bool right)
    {
        var (s, _, o) = View(v);
        var a = 0;
        var b = s.Length;
        Func<char, bool> strip = chars is null ? IsPyWhite : chars.Contains;
        if (left) while (a < b && strip(s[a])) a++;
        if (right) while (b > a && strip(s[b - 1])) b--;
        if (a == 0 && b == s.Length) return v;
        var r = Sub(v, a, b - a);
        return r is string rs && rs.Length == 0 && o != 0 ? TaggedString.Make("", null, o) : r;
    }

    public static List<object?> Split(object v, string? sep, long maxSplit, bool fromRight = false)
    {
        var (s, _, o) = View(v);
        var parts = new List<(int Start, int Length)>();
        if (sep is null)
        {
            // Whitespace split: runs of whitespace separate, empty strings are dropped.
            var ranges = new List<(int, int)>();
            var i = 0;
            while (i < s.Length)
            {
                while (i < s.Length && IsPyWhite(s[i])) i++;
                if (i >= s.Length) break;
                var st = i;
                while (i < s.Length && !IsPyWhite(s[i])) i++;
                ranges.Add((st, i - st));
            }
            if (maxSplit >= 0 && ranges.Count > maxSplit + 1)
            {
                if (!fromRight)
                {
                    var keep = ranges.Take((int)maxSplit).ToList();
                    var restStart = ranges[(int)maxSplit].Item1;
                    var end = s.Length;
                    while (end > restStart && IsPyWhite(s[end - 1])) end--;
                    keep.Add((restStart, end - restStart));
                    ranges = keep;
                }
                else
                {
                    var tail = ranges.Skip(ranges.Count - (int)maxSplit).ToList();
                    var restEnd = ranges[ranges.Count - (int)maxSplit - 1];
                    var st = 0;
                    while (st < s.Length && IsPyWhite(s[st])) st++;
                    ranges = [(st, restEnd.Item1 + restEnd.Item2 - st), .. tail];
                }
            }
            parts.AddRange(ranges);
        }
        else
        {
            if (sep.Length == 0) throw new TemplateRuntimeException("empty separator");
            if (!fromRight)
            {
                var start = 0;
                var count = 0;
                while (maxSplit < 0 || count < maxSplit)
                {
                    var k = s.IndexOf(sep, start, StringComparison.Ordinal);
                    if (k < 0) break;
                    parts.Add((start, k - start));
                    start = k + sep.Length;
                    count++;
                }
                parts.Add((start, s.Length - start));
            }
            else
            {
                var end = s.Length;
                var count = 0;
                var rev = new List<(int, int)>();
                while (maxSplit < 0 || count < maxSplit)
                {
                    if (end < sep.Length) break;
                    var k = s.LastIndexOf(sep, end - 1, end, StringComparison.Ordinal);
                    if (k < 0 || k + sep.Length > end) break;
                    rev.Add((k + sep.Length, end - k - sep.Length));
                    end = k;
                    count++;
                }
                rev.Add((0, end));
                rev.Reverse();
                parts.AddRange(rev);
            }
        }
        return parts.Select(p => p.Length == 0 && o != 0 ? TaggedString.Make("", null, o) : Sub(v, p.Start, p.Length)).ToList<object?>();
    }

    public static object Replace(object v, object oldV, object newV, long count)
    {
        var (s, t, o) = View(v);
        var old = PyOps.S(oldV);
        if (t is null && newV is string ns) return ReplacePlain(s, old, ns, count);
        var pieces = new List<object>();
        if (old.Length == 0)
        {
            var chars = Chars(v);
            var n = 0;
            foreach (var c in chars)
            {
                if (count < 0 || n < count) { pieces.Add(newV); n++; }
                pieces.Add(c!);
            }
            if (count < 0 || n < count) pieces.Add(newV);
        }
        else
        {
            var start = 0;
            var n = 0;
            while (count < 0 || n < count)
            {
                var k = s.IndexOf(old, start, StringComparison.Ordinal);
                if (k < 0) break;
                pieces.Add(Sub(v, start, k - start));
                pieces.Add(newV);
                start = k + old.Length;
                n++;
            }
            pieces.Add(Sub(v, start, s.Length - start));
        }
        object acc = TaggedString.Make("", null, o);
        foreach (var p in pieces) acc = Concat(acc, p);
        return acc;
    }

    private static string ReplacePlain(string s, string old, string nw, long count)
    {
        if (count < 0 && old.Length > 0) return s.Replace(old, nw, StringComparison.Ordinal);
        var sb = new StringBuilder();
        if (old.Length == 0)
        {
            var n = 0;
            foreach (var c in Chars(s))
            {
                if (count < 0 || n < count) { sb.Append(nw); n++; }
                sb.Append((string)c!);
            }
            if (count < 0 || n < count) sb.Append(nw);
            return sb.ToString();
        }
        var start = 0;
        var done = 0;
        while (done < count)
        {
            var k = s.IndexOf(old, start, StringComparison.Ordinal);
            if (k < 0) break;
            sb.Append(s, start, k - start).Append(nw);
            start = k + old.Length;
            done++;
        }
        sb.Append(s, start, s.Length - start);
        return sb.ToString();
    }

    /// <summary>A per-character transform (upper, lower...): tags are kept when the length is unchanged, else the whole result carries the string's tag.</summary>
    public static object Map(object v, Func<string, string> f)
    {
        var (s, t, o) = View(v);
        var r = f(s);
        if (t is null) return o != 0 && r.Length == 0 ? TaggedString.Make("", null, o) : r;
        if (r.Length == s.Length) return TaggedString.Make(r, (int[])t.Clone(), o);
        return TaggedString.Uniform(r, o);
    }

    /// <summary>The single tag a value derived from several values should carry (the first non-zero tag found inside it), for operations that do not keep per-character tags.</summary>
    public static int Find(object? v, int depth = 0)
    {
        if (depth > 50) return 0;
        switch (v)
        {
            case TaggedString t: return t.Owner;
            case List<object?> l:
                foreach (var x in l) { var f = Find(x, depth + 1); if (f != 0) return f; }
                return 0;
            case PyTuple tu:
                foreach (var x in tu.Items) { var f = Find(x, depth + 1); if (f != 0) return f; }
                return 0;
            case PyDict d:
                foreach (var kv in d)
                {
                    var f = Find(kv.Key, depth + 1);
                    if (f == 0) f = Find(kv.Value, depth + 1);
                    if (f != 0) return f;
                }
                return 0;
            default: return 0;
        }
    }
}
