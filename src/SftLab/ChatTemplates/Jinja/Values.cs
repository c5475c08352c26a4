using System.Text;

namespace SftLab.ChatTemplates;

/// <summary>Jinja's undefined value: what a missing variable, key or attribute evaluates to. Printing it gives "";
/// using it in most other ways raises an error carrying <see cref="Hint"/>.</summary>
internal sealed class Undefined(string hint, bool unsafeAccess = false)
{
    public static readonly Undefined Plain = new("value is undefined");
    public string Hint { get; } = hint;
    public bool UnsafeAccess { get; } = unsafeAccess;
}

/// <summary>A string that remembers, per character, which message of the conversation it was copied from
/// (0 = template text). Only exists while a render tracks provenance (for assistant masks).</summary>
internal sealed class TaggedString
{
    public TaggedString(string value, int[] tags, (int Pos, int Tag)[] anchors)
    {
        Value = value;
        Tags = tags;
        Anchors = anchors;
        var owner = 0;
        foreach (var t in tags)
            if (t != 0) { owner = t; break; }
        if (owner == 0 && anchors.Length > 0) owner = anchors[0].Tag;
        Owner = owner;
    }

    public string Value { get; }
    public int[] Tags { get; }
    /// <summary>Places (character offsets) where an empty tagged string was joined in: an empty message still has a position.</summary>
    public (int Pos, int Tag)[] Anchors { get; }
    /// <summary>The first tag found in the string (or its first anchor): the message it came from.</summary>
    public int Owner { get; }
    public override string ToString() => Value;

    private static readonly (int, int)[] NoAnchors = [];

    /// <summary>A string with the given tags; a plain string when nothing is tagged. An empty result keeps <paramref name="owner"/> as an anchor.</summary>
    public static object Make(string s, int[]? tags, int owner = 0, (int Pos, int Tag)[]? anchors = null)
    {
        if (anchors is null || anchors.Length == 0)
            anchors = s.Length == 0 && owner != 0 ? [(0, owner)] : NoAnchors;
        var any = anchors.Length > 0;
        if (!any && tags is not null)
            foreach (var t in tags)
                if (t != 0) { any = true; break; }
        if (!any) return s;
        return new TaggedString(s, tags ?? new int[s.Length], anchors);
    }

    /// <summary>Makes every character of <paramref name="s"/> carry <paramref name="tag"/>.</summary>
    public static object Uniform(string s, int tag) => tag == 0 ? s : Make(s, Enumerable.Repeat(tag, s.Length).ToArray(), tag);
}

/// <summary>The object <c>namespace(...)</c> returns: the one thing a template may assign attributes on, so a value set inside a loop survives it.</summary>
internal sealed class Namespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}

/// <summary>A Python-style tuple (what <c>items()</c> yields and <c>(a, b)</c> builds).</summary>
internal sealed class PyTuple(object?[] items)
{
    public object?[] Items { get; } = items;
}

/// <summary>A callable value: a macro, <c>caller</c>, a global function, a bound string/dict method, or loop.cycle.</summary>
internal interface ICallable
{
    object? Call(Interpreter interp, List<object?> args, List<KeyValuePair<string, object?>> kwargs, Node at);
    string Describe { get; }
}

internal sealed class BuiltinFunction(string name, Func<Interpreter, List<object?>, List<KeyValuePair<string, object?>>, Node, object?> fn) : ICallable
{
    public string Name { get; } = name;
    public object? Call(Interpreter interp, List<object?> args, List<KeyValuePair<string, object?>> kwargs, Node at) => fn(interp, args, kwargs, at);
    public string Describe => $"<built-in function {Name}>";
}

/// <summary>The <c>loop</c> variable inside a for loop.</summary>
internal sealed class LoopContext(IReadOnlyList<object?> items, int depth)
{
    public int Index0 { get; set; }
    public IReadOnlyList<object?> Items { get; } = items;
    public int Length => Items.Count;
    public int Depth { get; } = depth;
    public object? LastChanged { get; set; } = Undefined.Plain;
}

/// <summary>A Python dict: insertion-ordered, keys compared with Python equality.</summary>
internal sealed class PyDict : OrderedDictionary<object, object?>
{
    public PyDict() : base(PyKeyComparer.Instance) { }
}

internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    public static readonly PyKeyComparer Instance = new();
    public new bool Equals(object? x, object? y) => PyOps.Eq(x, y);
    public int GetHashCode(object obj) => obj switch
    {
        TaggedString t => t.Value.GetHashCode(StringComparison.Ordinal),
        string s => s.GetHashCode(StringComparison.Ordinal),
        bool b => b ? 1 : 0,
        long l => l.GetHashCode(),
        double d when d == Math.Floor(d) && Math.Abs(d) < 9e18 => ((long)d).GetHashCode(),
        double d => d.GetHashCode(),
        PyTuple t => t.Items.Length,
        null => 0,
        _ => obj.GetHashCode(),
    };
}

/// <summary>Where rendered text goes: the characters, and (when tracking) each character's provenance tag.</summary>
internal sealed class OutputBuffer(bool tracking)
{
    public const int GenerationBit = 1 << 30;
    public readonly StringBuilder Text = new();
    public readonly List<int>? Tags = tracking ? [] : null;
    /// <summary>Positions where an empty tagged string was written (an empty message still has a place).</summary>
    public readonly List<(int Position, int Tag)>? Anchors = tracking ? [] : null;

    public int Length => Text.Length;

    public void Write(string s, int generationBit)
    {
        Text.Append(s);
        if (Tags is not null)
            for (var i = 0; i < s.Length; i++) Tags.Add(generationBit);
    }

    public void Write(TaggedString s, int generationBit)
    {
        if (Tags is null)
        {
            Text.Append(s.Value);
            return;
        }
        foreach (var (pos, tag) in s.Anchors) Anchors!.Add((Text.Length + pos, tag | generationBit));
        Text.Append(s.Value);
        foreach (var t in s.Tags) Tags.Add(t | generationBit);
    }

    /// <summary>The captured text as a value (a TaggedString when some character carries a tag).</summary>
    public object ToValue()
    {
        var s = Text.ToString();
        if (Tags is null) return s;
        return TaggedString.Make(s, Tags.ToArray(), 0, Anchors!.ToArray());
    }
}
