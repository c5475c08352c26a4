using System.Text;

namespace SftLab.Tokenization;

/// <summary>
/// A piece of text after normalization, which remembers for every char where it came from in the
/// original input, so token offsets can point into the text the user passed in.
/// When nothing changed the alignment is implicit (identity), and no per-char arrays exist.
/// </summary>
internal sealed class NormalizedString
{
    private readonly int[]? _starts;
    private readonly int[]? _ends;
    private readonly int _base;

    /// <summary>An unchanged slice of the original text starting at <paramref name="originalStart"/>.</summary>
    public NormalizedString(string text, int originalStart)
    {
        Text = text;
        _base = originalStart;
    }

    /// <summary>Text with an explicit original range for each char.</summary>
    public NormalizedString(string text, int[] starts, int[] ends, int originalStart)
    {
        Text = text;
        _starts = starts;
        _ends = ends;
        _base = originalStart;
    }

    public string Text { get; }
    public bool IsIdentity => _starts == null;

    /// <summary>Original position where char <paramref name="i"/> starts.</summary>
    public int OrigStart(int i) => _starts == null ? _base + i : _starts[i];

    /// <summary>Original position where char <paramref name="i"/> ends.</summary>
    public int OrigEnd(int i) => _ends == null ? _base + i + 1 : _ends[i];

    /// <summary>The original range covered by normalized chars [start, end).</summary>
    public (int Start, int End) ToOriginal(int start, int end)
    {
        if (_starts == null) return (_base + start, _base + end);
        if (Text.Length == 0) return (_base, _base);
        if (start >= end)
        {
            var p = start < Text.Length ? _starts[start] : _ends![Text.Length - 1];
            return (p, p);
        }
        int s = int.MaxValue, e = int.MinValue;
        // Min/max rather than first/last: normalization may reorder combining marks.
        for (var i = start; i < end; i++)
        {
            s = Math.Min(s, _starts[i]);
            e = Math.Max(e, _ends![i]);
        }
        return (s, e);
    }

    /// <summary>Builds a normalized string char by char, each char with its original range.</summary>
    internal sealed class Builder
    {
        private readonly StringBuilder _sb;
        private readonly List<int> _starts;
        private readonly List<int> _ends;
        private readonly int _base;

        public Builder(int capacity, int originalStart)
        {
            _sb = new StringBuilder(capacity);
            _starts = new List<int>(capacity);
            _ends = new List<int>(capacity);
            _base = originalStart;
        }

        public int Length => _sb.Length;

        public void Append(char c, int origStart, int origEnd)
        {
            _sb.Append(c);
            _starts.Add(origStart);
            _ends.Add(origEnd);
        }

        public void Append(ReadOnlySpan<char> s, int origStart, int origEnd)
        {
            foreach (var c in s) Append(c, origStart, origEnd);
        }

        /// <summary>Copies chars [start, end) of <paramref name="src"/> with their alignment.</summary>
        public void AppendFrom(NormalizedString src, int start, int end)
        {
            for (var i = start; i < end; i++) Append(src.Text[i], src.OrigStart(i), src.OrigEnd(i));
        }

        public NormalizedString Build() => new(_sb.ToString(), [.. _starts], [.. _ends], _base);
    }

    /// <summary>The original position just before char <paramref name="i"/> (for zero-width insertions).</summary>
    public int AnchorBefore(int i) => Text.Length == 0 ? _base : i < Text.Length ? OrigStart(i) : OrigEnd(Text.Length - 1);

    /// <summary>A sub-range as its own normalized string (keeps alignment).</summary>
    public NormalizedString Slice(int start, int end)
    {
        if (start == 0 && end == Text.Length) return this;
        if (_starts == null) return new NormalizedString(Text.Substring(start, end - start), _base + start);
        return new NormalizedString(Text.Substring(start, end - start), _starts[start..end], _ends![start..end], AnchorBefore(start));
    }
}
