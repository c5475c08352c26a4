namespace SftLab.Tokenization;

/// <summary>One token of a post-processed sequence before it becomes an <see cref="Encoding"/>.</summary>
internal record struct PostToken(int Id, int Start, int End, bool Special, int TypeId, int Sequence);

/// <summary>A tokenizer.json post-processor: adds BOS/EOS/CLS/SEP around the encoded text(s).</summary>
internal abstract class PostProcessor
{
    /// <summary>How many special tokens <see cref="Process"/> adds (for truncation).</summary>
    public abstract int AddedTokens(bool pair);

    /// <summary>Combines the sequence(s) with special tokens; adjusts offsets where the processor trims them.</summary>
    public abstract List<PostToken> Process(List<PostToken> a, List<PostToken>? b, bool addSpecialTokens, Func<int, string?> idToToken);

    public static PostProcessor? FromJson(JsonNav? node, Func<string, int?> tokenId)
    {
        if (node is not { } n) return null;
        var type = n.Type();
        switch (type)
        {
            case "TemplateProcessing":
                return TemplateProcessor.FromJson(n);
            case "ByteLevel":
                return new ByteLevelProcessor(n.OptBool("trim_offsets", true), n.OptBool("add_prefix_space", true));
            case "RobertaProcessing":
            case "BertProcessing":
                {
                    (string, int) Pair(string name)
                    {
                        var p = n.Required(name);
                        if (p.Length != 2) throw p.Error("expected [token, id]");
                        var it = p.Items().ToArray();
                        return (it[0].String(), it[1].Int());
                    }
                    var cls = Pair("cls");
                    var sep = Pair("sep");
                    return new BertProcessor(cls.Item2, sep.Item2, type == "RobertaProcessing",
                        type == "RobertaProcessing" && n.OptBool("trim_offsets", true), n.OptBool("add_prefix_space", true));
                }
            case "Sequence":
                return new SequenceProcessor(n.Required("processors").Items().Select(x => FromJson(x, tokenId)!).ToArray());
            default:
                throw n.Required("type").Error($"unknown post-processor type \"{type}\"");
        }
    }

    protected static List<PostToken> Concat(List<PostToken> a, List<PostToken>? b)
    {
        var r = new List<PostToken>(a.Count + (b?.Count ?? 0));
        r.AddRange(a);
        if (b != null) r.AddRange(b);
        return r;
    }
}

internal sealed class SequenceProcessor(PostProcessor[] items) : PostProcessor
{
    public override int AddedTokens(bool pair) => items.Sum(p => p.AddedTokens(pair));

    public override List<PostToken> Process(List<PostToken> a, List<PostToken>? b, bool addSpecialTokens, Func<int, string?> idToToken)
    {
        // Each processor sees the output of the previous one as a single sequence, except the first.
        var cur = a;
        var pair = b;
        foreach (var p in items)
        {
            cur = p.Process(cur, pair, addSpecialTokens, idToToken);
            pair = null;
        }
        return cur;
    }
}

/// <summary>Template processing: e.g. single "&lt;s&gt; $A", pair "&lt;s&gt; $A &lt;s&gt; $B".</summary>
internal sealed class TemplateProcessor : PostProcessor
{
    private readonly record struct Piece(bool IsSequence, string Name, int TypeId);

    private readonly Piece[] _single;
    private readonly Piece[] _pair;
    private readonly Dictionary<string, int[]> _special;

    private TemplateProcessor(Piece[] single, Piece[] pair, Dictionary<string, int[]> special)
    {
        _single = single;
        _pair = pair;
        _special = special;
    }

    public static TemplateProcessor FromJson(JsonNav n)
    {
        var special = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (n.Optional("special_tokens") is { } st)
            foreach (var (name, v) in st.Properties())
                special[name] = v.Required("ids").Items().Select(x => x.Int()).ToArray();
        Piece[] Read(JsonNav t)
        {
            var list = new List<Piece>();
            foreach (var item in t.Items())
            {
                if (item.Kind == System.Text.Json.JsonValueKind.String)
                {
                    // String form: "$A", "$B:1", "[CLS]", "[SEP]:1"
                    var s = item.String();
                    var colon = s.LastIndexOf(':');
                    var typeId = 0;
                    if (colon > 0 && int.TryParse(s[(colon + 1)..], out var ti)) { typeId = ti; s = s[..colon]; }
                    if (s.StartsWith('$')) list.Add(new Piece(true, s == "$" ? "A" : s[1..], typeId));
                    else list.Add(new Piece(false, s, typeId));
                    continue;
                }
                if (item.Optional("SpecialToken") is { } sp)
                {
                    var id = sp.Required("id").String();
                    if (!special.ContainsKey(id)) throw sp.Required("id").Error($"special token \"{id}\" is not in special_tokens");
                    list.Add(new Piece(false, id, sp.OptInt("type_id", 0)));
                }
                else if (item.Optional("Sequence") is { } sq)
                {
                    var id = sq.Required("id").String();
                    if (id is not ("A" or "B")) throw sq.Required("id").Error($"sequence id must be A or B, found \"{id}\"");
                    list.Add(new Piece(true, id, sq.OptInt("type_id", 0)));
                }
                else throw item.Error("expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
            }
            return [.. list];
        }
        var single = Read(n.Required("single"));
        var pair = n.Optional("pair") is { } p ? Read(p) : single;
        return new TemplateProcessor(single, pair, special);
    }

    public override int AddedTokens(bool pair) => (pair ? _pair : _single).Where(p => !p.IsSequence).Sum(p => _special[p.Name].Length);

    public override List<PostToken> Process(List<PostToken> a, List<PostToken>? b, bool addSpecialTokens, Func<int, string?> idToToken)
    {
        var r = new List<PostToken>(a.Count + (b?.Count ?? 0) + 4);
        foreach (var piece in b == null ? _single : _pair)
        {
            if (piece.IsSequence)
            {
                var src = piece.Name == "A" ? a : b;
                if (src == null) continue;
                foreach (var t in src) r.Add(t with { TypeId = piece.TypeId });
            }
            else if (addSpecialTokens)
            {
                foreach (var id in _special[piece.Name]) r.Add(new PostToken(id, 0, 0, true, piece.TypeId, -1));
            }
        }
        return r;
    }
}

/// <summary>Byte-level post-processing: optionally trims the spaces ('Ġ') out of the offsets.</summary>
internal sealed class ByteLevelProcessor(bool trimOffsets, bool addPrefixSpace) : PostProcessor
{
    public bool TrimOffsets => trimOffsets;

    public override int AddedTokens(bool pair) => 0;

    public override List<PostToken> Process(List<PostToken> a, List<PostToken>? b, bool addSpecialTokens, Func<int, string?> idToToken)
    {
        var r = Concat(a, b);
        if (trimOffsets) Trim(r, addPrefixSpace, idToToken);
        return r;
    }

    internal static void Trim(List<PostToken> r, bool addPrefixSpace, Func<int, string?> idToToken)
    {
        for (var i = 0; i < r.Count; i++)
        {
            var t = r[i];
            if (t.Special) continue;
            var tok = idToToken(t.Id);
            if (tok == null) continue;
            var lead = 0;
            while (lead < tok.Length && tok[lead] == 'Ġ') lead++;
            var trail = 0;
            while (trail < tok.Length - lead && tok[tok.Length - 1 - trail] == 'Ġ') trail++;
            var s = t.Start;
            var e = t.End;
            if (lead > 0)
            {
                // A single leading space at offset 0 was added by add_prefix_space: it is not in the text.
                if (!(addPrefixSpace && lead == 1 && s == 0)) s = Math.Min(s + lead, e);
            }
            if (trail > 0 && e >= trail) e = Math.Max(e - trail, s);
            r[i] = t with { Start = s, End = e };
        }
    }
}

/// <summary>BERT ([CLS] A [SEP] B [SEP]) and RoBERTa (&lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;) processing.</summary>
internal sealed class BertProcessor(int cls, int sep, bool roberta, bool trimOffsets, bool addPrefixSpace) : PostProcessor
{
    public override int AddedTokens(bool pair) => pair ? (roberta ? 4 : 3) : 2;

    public override List<PostToken> Process(List<PostToken> a, List<PostToken>? b, bool addSpecialTokens, Func<int, string?> idToToken)
    {
        if (trimOffsets)
        {
            a = [.. a];
            ByteLevelProcessor.Trim(a, addPrefixSpace, idToToken);
            if (b != null) { b = [.. b]; ByteLevelProcessor.Trim(b, addPrefixSpace, idToToken); }
        }
        if (!addSpecialTokens) return Concat(a, b);
        var r = new List<PostToken>();
        r.Add(new PostToken(cls, 0, 0, true, 0, -1));
        r.AddRange(a.Select(t => t with { TypeId = 0 }));
        r.Add(new PostToken(sep, 0, 0, true, 0, -1));
        if (b != null)
        {
            var typeB = roberta ? 0 : 1;
            if (roberta) r.Add(new PostToken(sep, 0, 0, true, typeB, -1));
            r.AddRange(b.Select(t => t with { TypeId = typeB }));
            r.Add(new PostToken(sep, 0, 0, true, typeB, -1));
        }
        return r;
    }
}
