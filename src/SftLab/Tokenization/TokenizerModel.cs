namespace SftLab.Tokenization;

/// <summary>The tokenizer.json "model": turns one pre-token into token ids (BPE, WordPiece, Unigram).</summary>
internal abstract class TokenizerModel
{
    /// <summary>One more than the largest id of the model's own vocabulary.</summary>
    public abstract int VocabSize { get; }

    public abstract bool TryGetId(ReadOnlySpan<char> token, out int id);

    public abstract string? IdToToken(int id);

    /// <summary>The unknown token's id, or -1.</summary>
    public virtual int UnkId => -1;

    /// <summary>
    /// Appends the tokens of <paramref name="piece"/> to <paramref name="output"/> with offsets in chars
    /// relative to the piece. With <paramref name="byteLevel"/> the model starts from the UTF-8 bytes
    /// of the piece (each byte a byte-level alphabet token) instead of its chars.
    /// </summary>
    public abstract void Tokenize(ReadOnlySpan<char> piece, bool byteLevel, TokenBuffer output);

    public static TokenizerModel Create(JsonNav n)
    {
        string type;
        if (n.Optional("type") is { } t) type = t.String();
        else if (n.Has("merges")) type = "BPE";
        else if (n.Optional("vocab") is { Kind: System.Text.Json.JsonValueKind.Array }) type = "Unigram";
        else if (n.Has("vocab")) type = "WordPiece";
        else throw n.Error("the model has no \"type\" and no vocabulary");
        return type switch
        {
            "BPE" => BpeModel.FromJson(n),
            "WordPiece" => WordPieceModel.FromJson(n),
            "Unigram" => UnigramModel.FromJson(n),
            "WordLevel" => WordLevelModel.FromJson(n),
            _ => throw n.Required("type").Error($"unknown model type \"{type}\" (expected BPE, WordPiece, Unigram or WordLevel)"),
        };
    }

    /// <summary>Reads a {"token": id} vocabulary, checking ids are unique non-negative integers.</summary>
    protected static (Dictionary<string, int> Vocab, string?[] IdToToken) ReadVocab(JsonNav vocab)
    {
        var dict = new Dictionary<string, int>(StringComparer.Ordinal);
        var max = -1;
        foreach (var (name, value) in vocab.Properties())
        {
            var id = value.Int();
            if (id < 0) throw value.Error("token ids must be non-negative");
            dict[name] = id;
            if (id > max) max = id;
        }
        var inv = new string?[max + 1];
        foreach (var (k, v) in dict)
        {
            if (inv[v] != null) throw vocab.Error($"id {v} is used by both \"{inv[v]}\" and \"{k}\"");
            inv[v] = k;
        }
        return (dict, inv);
    }
}

/// <summary>A plain word → id lookup (no sub-words).</summary>
internal sealed class WordLevelModel(Dictionary<string, int> vocab, string?[] inv, int unk) : TokenizerModel
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();

    public static WordLevelModel FromJson(JsonNav n)
    {
        var (vocab, inv) = ReadVocab(n.Required("vocab"));
        var unk = -1;
        if (n.OptString("unk_token") is { } u && !vocab.TryGetValue(u, out unk)) throw n.Required("unk_token").Error($"unk_token \"{u}\" is not in the vocabulary");
        return new WordLevelModel(vocab, inv, unk);
    }

    public override int VocabSize => inv.Length;
    public override int UnkId => unk;
    public override bool TryGetId(ReadOnlySpan<char> token, out int id) => _lookup.TryGetValue(token, out id);
    public override string? IdToToken(int id) => (uint)id < (uint)inv.Length ? inv[id] : null;

    public override void Tokenize(ReadOnlySpan<char> piece, bool byteLevel, TokenBuffer output)
    {
        if (piece.IsEmpty) return;
        if (byteLevel) piece = ByteLevelAlphabet.FromBytes(System.Text.Encoding.UTF8.GetBytes(piece.ToArray()));
        if (_lookup.TryGetValue(piece, out var id)) output.Add(id, 0, piece.Length);
        else if (unk >= 0) output.Add(unk, 0, piece.Length);
    }
}
