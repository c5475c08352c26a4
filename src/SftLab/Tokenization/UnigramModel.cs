namespace SftLab.Tokenization;

/// <summary>
/// Unigram (SentencePiece): every vocabulary entry has a log-probability score, and the word is cut
/// into the sequence of entries with the highest total score (Viterbi). Chars not in the vocabulary
/// become the unknown token (or UTF-8 byte tokens with byte_fallback).
/// </summary>
internal sealed class UnigramModel : TokenizerModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly string[] _pieces;
    private readonly double[] _scores;
    private readonly int _unk;
    private readonly bool _byteFallback;
    private readonly double _unkScore;
    private readonly int _maxPieceChars;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    private UnigramModel(string[] pieces, double[] scores, int unk, bool byteFallback)
    {
        _pieces = pieces;
        _scores = scores;
        _unk = unk;
        _byteFallback = byteFallback;
        _vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < pieces.Length; i++) _vocab.TryAdd(pieces[i], i);
        _lookup = _vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _unkScore = (scores.Length > 0 ? scores.Min() : 0) - 10.0;
        if (unk >= 0) _scores[unk] = _unkScore; // the unknown piece always scores as unknown
        _maxPieceChars = pieces.Length > 0 ? pieces.Max(p => p.Length) : 1;
    }

    public static UnigramModel FromJson(JsonNav n)
    {
        var vocab = n.Required("vocab");
        var pieces = new List<string>();
        var scores = new List<double>();
        foreach (var item in vocab.Items())
        {
            if (item.Length != 2) throw item.Error("a Unigram vocabulary entry must be [piece, score]");
            var parts = item.Items().ToArray();
            pieces.Add(parts[0].String());
            scores.Add(parts[1].Double());
        }
        var unk = n.Optional("unk_id")?.Int() ?? -1;
        if (unk >= pieces.Count) throw n.Required("unk_id").Error($"unk_id {unk} is outside the vocabulary of {pieces.Count}");
        return new UnigramModel([.. pieces], [.. scores], unk, n.OptBool("byte_fallback", false));
    }

    public override int VocabSize => _pieces.Length;
    public override int UnkId => _unk;
    public override bool TryGetId(ReadOnlySpan<char> token, out int id) => _lookup.TryGetValue(token, out id);
    public override string? IdToToken(int id) => (uint)id < (uint)_pieces.Length ? _pieces[id] : null;

    public override void Tokenize(ReadOnlySpan<char> piece, bool byteLevel, TokenBuffer output)
    {
        var n = piece.Length;
        if (n == 0) return;
        var best = new double[n + 1];
        var from = new int[n + 1];
        var idAt = new int[n + 1];
        Array.Fill(best, double.NegativeInfinity);
        best[0] = 0;
        for (var i = 0; i < n; i++)
        {
            if (double.IsNegativeInfinity(best[i]) || char.IsLowSurrogate(piece[i]) && i > 0 && char.IsHighSurrogate(piece[i - 1])) continue;
            UnicodeInfo.CodePoint(piece, i, out var cl);
            var hasSingle = false;
            for (var len = 1; len <= _maxPieceChars && i + len <= n; len++)
            {
                if (!_lookup.TryGetValue(piece.Slice(i, len), out var id)) continue;
                if (len == cl) hasSingle = true;
                var sc = best[i] + _scores[id];
                if (sc > best[i + len]) { best[i + len] = sc; from[i + len] = i; idAt[i + len] = id; }
            }
            if (!hasSingle)
            {
                var sc = best[i] + _unkScore;
                if (sc > best[i + cl]) { best[i + cl] = sc; from[i + cl] = i; idAt[i + cl] = -1; }
            }
        }
        var path = new List<(int Id, int S, int E)>();
        for (var e = n; e > 0; e = from[e]) path.Add((idAt[e], from[e], e));
        path.Reverse();
        var lastUnk = false;
        Span<byte> tmp = stackalloc byte[4];
        foreach (var (id, s, e) in path)
        {
            if (id >= 0) { output.Add(id, s, e); lastUnk = false; continue; }
            if (_byteFallback)
            {
                var ok = true;
                var ids = new List<int>();
                for (var i = s; i < e;)
                {
                    var cp = UnicodeInfo.CodePoint(piece, i, out var l);
                    var k = UnicodeInfo.Utf8(cp, tmp);
                    for (var j = 0; j < k; j++)
                    {
                        if (_vocab.TryGetValue($"<0x{tmp[j]:X2}>", out var bid)) ids.Add(bid); else ok = false;
                    }
                    i += l;
                }
                if (ok) { foreach (var bid in ids) output.Add(bid, s, e); lastUnk = false; continue; }
            }
            if (_unk < 0) throw new InvalidOperationException("the Unigram model met a char outside its vocabulary and has no unk_id");
            if (lastUnk) output.Ends[output.Count - 1] = e; // unknown chars are fused, as SentencePiece does
            else output.Add(_unk, s, e);
            lastUnk = true;
        }
    }
}
