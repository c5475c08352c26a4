namespace SftLab.Tokenization;

/// <summary>
/// WordPiece (BERT): greedy longest-match-first. A word is cut into the longest vocabulary entry
/// from its start, then the longest "##"-prefixed entry from there, and so on; a word that cannot
/// be cut becomes the unknown token.
/// </summary>
internal sealed class WordPieceModel : TokenizerModel
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly string?[] _inv;
    private readonly int _unk;
    private readonly string _prefix;
    private readonly int _maxChars;

    private WordPieceModel(Dictionary<string, int> vocab, string?[] inv, int unk, string prefix, int maxChars)
    {
        _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _inv = inv;
        _unk = unk;
        _prefix = prefix;
        _maxChars = maxChars;
    }

    public static WordPieceModel FromJson(JsonNav n)
    {
        var (vocab, inv) = ReadVocab(n.Required("vocab"));
        var unkName = n.OptString("unk_token", "[UNK]");
        if (!vocab.TryGetValue(unkName, out var unk)) throw n.Error($"unk_token \"{unkName}\" is not in the vocabulary");
        return new WordPieceModel(vocab, inv, unk, n.OptString("continuing_subword_prefix", "##"), n.OptInt("max_input_chars_per_word", 100));
    }

    public override int VocabSize => _inv.Length;
    public override int UnkId => _unk;
    public override bool TryGetId(ReadOnlySpan<char> token, out int id) => _lookup.TryGetValue(token, out id);
    public override string? IdToToken(int id) => (uint)id < (uint)_inv.Length ? _inv[id] : null;

    public override void Tokenize(ReadOnlySpan<char> piece, bool byteLevel, TokenBuffer output)
    {
        if (piece.IsEmpty) return;
        var cps = 0;
        for (var i = 0; i < piece.Length; i++) if (!char.IsLowSurrogate(piece[i])) cps++;
        if (cps > _maxChars) { output.Add(_unk, 0, piece.Length); return; }
        var mark = output.Count;
        var buf = new char[piece.Length + _prefix.Length];
        var start = 0;
        while (start < piece.Length)
        {
            var end = piece.Length;
            var found = -1;
            while (start < end)
            {
                var kl = 0;
                if (start > 0) { _prefix.AsSpan().CopyTo(buf); kl = _prefix.Length; }
                piece[start..end].CopyTo(buf.AsSpan(kl));
                kl += end - start;
                if (_lookup.TryGetValue(buf.AsSpan(0, kl), out var id)) { found = id; break; }
                end--;
                if (end > start && char.IsLowSurrogate(piece[end])) end--;
            }
            if (found < 0)
            {
                output.Count = mark;
                output.Add(_unk, 0, piece.Length);
                return;
            }
            output.Add(found, start, end);
            start = end;
        }
    }
}
