namespace SftLab.Tokenization;

/// <summary>
/// A token added on top of the model's vocabulary, such as <c>&lt;|im_start|&gt;</c>. It is matched
/// in the text as a whole before the rest is tokenized, so it never gets split into pieces.
/// </summary>
/// <param name="Content">The exact text of the token.</param>
/// <param name="Id">Its id.</param>
/// <param name="Special">A special token (BOS, EOS, chat markers): skipped by <c>Decode(..., skipSpecialTokens: true)</c> and flagged in <see cref="Encoding.SpecialTokensMask"/>.</param>
/// <param name="Normalized">Matched against the normalized text (true) or the raw text (false).</param>
/// <param name="LStrip">Also swallows the whitespace on its left.</param>
/// <param name="RStrip">Also swallows the whitespace on its right.</param>
/// <param name="SingleWord">Matches only as a whole word (not inside another word).</param>
public sealed record AddedToken(string Content, int Id, bool Special, bool Normalized, bool LStrip = false, bool RStrip = false, bool SingleWord = false);

/// <summary>Finds added tokens in text: leftmost match first, longest at that position.</summary>
internal sealed class AddedTokenMatcher
{
    private sealed class Node
    {
        public Dictionary<char, Node>? Children;
        public AddedToken? Token;
    }

    private readonly Node _root = new();
    private readonly bool[] _first = new bool[65536];
    public int Count { get; private set; }

    public void Add(AddedToken t, string content)
    {
        if (content.Length == 0) return;
        var node = _root;
        foreach (var c in content)
        {
            node.Children ??= new Dictionary<char, Node>();
            if (!node.Children.TryGetValue(c, out var next)) node.Children[c] = next = new Node();
            node = next;
        }
        node.Token = t;
        _first[content[0]] = true;
        Count++;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';

    /// <summary>Appends matches (start, end, token) found in <paramref name="text"/>; lstrip/rstrip widen the range.</summary>
    public void FindAll(string text, List<(int Start, int End, AddedToken Token)> matches, bool skipSpecial)
    {
        if (Count == 0) return;
        var i = 0;
        var minStart = 0;
        while (i < text.Length)
        {
            if (!_first[text[i]]) { i++; continue; }
            var node = _root;
            AddedToken? best = null;
            var bestEnd = -1;
            for (var j = i; j < text.Length; j++)
            {
                if (node.Children == null || !node.Children.TryGetValue(text[j], out node)) break;
                if (node.Token != null && !(skipSpecial && node.Token.Special)) { best = node.Token; bestEnd = j + 1; }
            }
            if (best == null) { i++; continue; }
            if (best.SingleWord && ((i > 0 && IsWordChar(text[i - 1])) || (bestEnd < text.Length && IsWordChar(text[bestEnd]))))
            {
                i++;
                continue;
            }
            var s = i;
            var e = bestEnd;
            if (best.LStrip) while (s > minStart && char.IsWhiteSpace(text[s - 1])) s--;
            if (best.RStrip) while (e < text.Length && char.IsWhiteSpace(text[e])) e++;
            matches.Add((s, e, best));
            minStart = e;
            i = e;
        }
    }
}
