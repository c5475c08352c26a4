using System.Text.Json;
using System.Text.Json.Nodes;

namespace SftLab.Tokenization;

/// <summary>
/// Turns text into token ids and back, exactly like the Hugging Face tokenizer of a model.
/// Load one with <see cref="FromFolder"/> (a model snapshot folder with tokenizer.json and
/// tokenizer_config.json), <see cref="FromFile"/> (a tokenizer.json or a tiktoken .tiktoken file)
/// or train one with <see cref="BpeTrainer"/>. The pipeline is the one tokenizer.json describes:
/// added/special tokens are cut out first, the rest is normalized (e.g. Unicode NFC), pre-tokenized
/// into words (a regex split), each word is cut into sub-word tokens by the model (BPE, WordPiece or
/// Unigram), and a post-processor adds special tokens such as BOS.
/// Encoding is thread-safe; changing settings (<see cref="Truncation"/>, <see cref="AddSpecialTokens"/>, ...) is not.
/// </summary>
public sealed partial class Tokenizer
{
    private readonly Normalizer? _normalizer;
    private readonly PreTokenizer? _preTokenizer;
    private readonly TokenizerModel _model;
    private readonly PostProcessor? _post;
    private readonly Decoder? _decoder;
    private readonly bool _byteLevelInput;
    private readonly List<AddedToken> _added = [];
    private readonly Dictionary<string, AddedToken> _addedByContent = new(StringComparer.Ordinal);
    private readonly Dictionary<int, AddedToken> _addedById = [];
    private AddedTokenMatcher _rawMatcher = new();
    private AddedTokenMatcher _normalizedMatcher = new();
    private HashSet<string> _specialContents = new(StringComparer.Ordinal);
    private HashSet<string> _addedContents = new(StringComparer.Ordinal);
    private readonly List<string> _additionalSpecial = [];
    private readonly byte[]? _jsonSource;
    private readonly JsonObject? _configSource;
    private readonly string? _tiktokenPattern;

    [ThreadStatic] private static Work? t_work;

    private sealed class Work
    {
        public readonly TokenBuffer Buffer = new();
        public readonly List<Split> SplitsIn = new(4);
        public readonly List<Split> SplitsOut = new(256);
        public readonly List<(int, int, AddedToken)> Matches = new();
        public readonly List<(int, int, AddedToken)> Matches2 = new();
    }

    private Tokenizer(TokenizerModel model, Normalizer? normalizer, PreTokenizer? preTokenizer, PostProcessor? post, Decoder? decoder,
        byte[]? jsonSource, JsonObject? config, string? tiktokenPattern = null)
    {
        _model = model;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _post = post;
        _decoder = decoder;
        _jsonSource = jsonSource;
        _configSource = config;
        _tiktokenPattern = tiktokenPattern;
        // When byte-level mapping is the last pre-tokenization step, BPE maps the UTF-8 bytes itself.
        var last = preTokenizer is SequencePreTokenizer seq && seq.Items.Length > 0 ? seq.Items[^1] : preTokenizer;
        if (last is ByteLevelPreTokenizer bl && model is BpeModel)
        {
            bl.DeferMapping = true;
            _byteLevelInput = true;
        }
    }

    // ------------------------------------------------------------------ properties

    /// <summary>Number of ids: the model's vocabulary plus added tokens.</summary>
    public int VocabSize => Math.Max(_model.VocabSize, _added.Count == 0 ? 0 : _added.Max(a => a.Id) + 1);

    /// <summary>The tokens added on top of the model vocabulary (special tokens among them).</summary>
    public IReadOnlyList<AddedToken> AddedTokens => _added;

    /// <summary>Beginning-of-sequence token (from tokenizer_config.json), or null.</summary>
    public string? BosToken { get; set; }

    /// <summary>End-of-sequence token, or null.</summary>
    public string? EosToken { get; set; }

    /// <summary>Padding token, or null (then padding needs <see cref="PaddingOptions.PadId"/>).</summary>
    public string? PadToken { get; set; }

    /// <summary>Unknown token, or null (byte-level tokenizers never need one).</summary>
    public string? UnkToken { get; set; }

    /// <summary>Id of <see cref="BosToken"/>, or null.</summary>
    public int? BosTokenId => BosToken == null ? null : TokenToId(BosToken);

    /// <summary>Id of <see cref="EosToken"/>, or null.</summary>
    public int? EosTokenId => EosToken == null ? null : TokenToId(EosToken);

    /// <summary>Id of <see cref="PadToken"/>, or null.</summary>
    public int? PadTokenId => PadToken == null ? null : TokenToId(PadToken);

    /// <summary>Id of <see cref="UnkToken"/>, or null.</summary>
    public int? UnkTokenId => UnkToken == null ? null : TokenToId(UnkToken);

    /// <summary>tokenizer_config.json's add_bos_token (informational: the post-processor in tokenizer.json decides what Encode adds).</summary>
    public bool? AddBosToken { get; private set; }

    /// <summary>tokenizer_config.json's add_eos_token (informational, like <see cref="AddBosToken"/>).</summary>
    public bool? AddEosToken { get; private set; }

    /// <summary>The raw Jinja chat template from tokenizer_config.json, or null. A chat-template engine renders it.</summary>
    public string? ChatTemplate { get; set; }

    /// <summary>The longest input the model was trained for, or null when the config leaves it unlimited (Hugging Face writes 1e30).</summary>
    public long? ModelMaxLength { get; set; }

    /// <summary>Whether <see cref="Decode"/> removes spaces before punctuation by default (clean_up_tokenization_spaces; the reference's default is true).</summary>
    public bool CleanUpTokenizationSpaces { get; set; } = true;

    /// <summary>When true, special tokens written in the text are tokenized as plain text instead of being recognized.</summary>
    public bool SplitSpecialTokens { get; set; }

    /// <summary>Truncation applied by every Encode, or null for none.</summary>
    public TruncationOptions? Truncation { get; set; }

    /// <summary>Padding applied by Encode (fixed length) and EncodeBatch, or null for none.</summary>
    public PaddingOptions? Padding { get; set; }

    // ------------------------------------------------------------------ vocabulary

    /// <summary>The id of a token string (model vocabulary or added token), or null.</summary>
    public int? TokenToId(string token)
    {
        if (_addedByContent.TryGetValue(token, out var a)) return a.Id;
        return _model.TryGetId(token, out var id) ? id : null;
    }

    /// <summary>The token string of an id, or null when no token has that id.</summary>
    public string? IdToToken(int id)
    {
        if (_addedById.TryGetValue(id, out var a)) return a.Content;
        return _model.IdToToken(id);
    }

    /// <summary>Whether <paramref name="id"/> is a special token.</summary>
    public bool IsSpecial(int id) => _addedById.TryGetValue(id, out var a) && (a.Special || _additionalSpecial.Contains(a.Content));

    /// <summary>The text one token stands for, for display (e.g. "Ġhello" → " hello", "&lt;0x0A&gt;" → "\n").</summary>
    public string DecodeToken(int id) => Decode([id], skipSpecialTokens: false, cleanUpTokenizationSpaces: false);

    // ------------------------------------------------------------------ added tokens

    /// <summary>Adds special tokens (e.g. "&lt;|im_start|&gt;") that are new to the vocabulary; returns how many were added.</summary>
    public int AddSpecialTokens(IEnumerable<string> tokens) => AddTokens(tokens, special: true);

    /// <summary>Adds tokens that are new to the vocabulary, with the next free ids; returns how many were added.</summary>
    public int AddTokens(IEnumerable<string> tokens, bool special = false)
    {
        var n = 0;
        foreach (var t in tokens)
        {
            ArgumentException.ThrowIfNullOrEmpty(t);
            if (_addedByContent.ContainsKey(t)) continue;
            if (_model.TryGetId(t, out var existing))
            {
                RegisterAdded(new AddedToken(t, existing, special, Normalized: !special));
                n++;
                continue;
            }
            RegisterAdded(new AddedToken(t, VocabSize, special, Normalized: !special));
            n++;
        }
        RebuildMatchers();
        return n;
    }

    private void RegisterAdded(AddedToken t)
    {
        if (_addedByContent.TryGetValue(t.Content, out var old)) _added.Remove(old);
        _added.Add(t);
        _addedByContent[t.Content] = t;
        _addedById[t.Id] = t;
    }

    private void RebuildMatchers()
    {
        _rawMatcher = new AddedTokenMatcher();
        _normalizedMatcher = new AddedTokenMatcher();
        _specialContents = new HashSet<string>(StringComparer.Ordinal);
        _addedContents = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in _added)
        {
            _addedContents.Add(t.Content);
            if (t.Special) _specialContents.Add(t.Content);
            if (t.Normalized && _normalizer != null)
            {
                var norm = _normalizer.NormalizeText(t.Content);
                _normalizedMatcher.Add(t, norm);
                if (norm != t.Content && !_addedByContent.ContainsKey(norm)) _addedContents.Add(norm);
            }
            else _rawMatcher.Add(t, t.Content);
        }
        foreach (var s in _additionalSpecial) _specialContents.Add(s);
    }

    // ------------------------------------------------------------------ encoding

    /// <summary>
    /// Encodes one text. With <paramref name="addSpecialTokens"/> the post-processor adds what the
    /// model expects around a text (e.g. BOS for Llama/Mistral); special tokens written in the text
    /// (like "&lt;|im_start|&gt;") are recognized either way unless <see cref="SplitSpecialTokens"/>.
    /// </summary>
    public Encoding Encode(string text, bool addSpecialTokens = true)
    {
        var enc = EncodeUnpadded(text, addSpecialTokens);
        return Padding is { Length: { } len } ? Pad(enc, len) : enc;
    }

    private Encoding EncodeUnpadded(string text, bool addSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        var w = t_work ??= new Work();
        var buf = w.Buffer;
        buf.Clear();
        EncodeRaw(text, buf, w);
        return Finish(text, buf, null, addSpecialTokens);
    }

    /// <summary>Encodes a pair of texts (e.g. question and context) into one sequence, as the template says.</summary>
    public Encoding EncodePair(string text, string pair, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(pair);
        var w = t_work ??= new Work();
        var a = new TokenBuffer();
        EncodeRaw(text, a, w);
        var b = new TokenBuffer();
        EncodeRaw(pair, b, w);
        var enc = Finish(text, a, b, addSpecialTokens);
        return Padding is { Length: { } len } ? Pad(enc, len) : enc;
    }

    /// <summary>
    /// Encodes many texts in parallel (one task per core by default) and, with <see cref="Padding"/>,
    /// pads them to one length. Results are in input order.
    /// </summary>
    public IReadOnlyList<Encoding> EncodeBatch(IReadOnlyList<string> texts, bool addSpecialTokens = true, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new Encoding[texts.Count];
        var padding = Padding;
        var opts = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism <= 0 ? Environment.ProcessorCount : maxDegreeOfParallelism };
        Parallel.For(0, texts.Count, opts, i => result[i] = EncodeUnpadded(texts[i], addSpecialTokens));
        if (padding != null)
        {
            var len = padding.Length ?? (result.Length == 0 ? 0 : result.Max(e => e.Count));
            for (var i = 0; i < result.Length; i++) result[i] = Pad(result[i], len, padding);
        }
        return result;
    }

    /// <summary>Only the ids of <paramref name="text"/> (no offsets or token strings): the fastest way to encode.</summary>
    public int[] EncodeToIds(string text, bool addSpecialTokens = true)
    {
        if (Truncation != null || Padding != null || (addSpecialTokens && _post != null && _post.AddedTokens(false) > 0))
            return [.. Encode(text, addSpecialTokens).Ids];
        var w = t_work ??= new Work();
        var buf = w.Buffer;
        buf.Clear();
        EncodeRaw(text, buf, w);
        return buf.Ids.AsSpan(0, buf.Count).ToArray();
    }

    /// <summary>How many tokens <paramref name="text"/> takes (by default without BOS/EOS), e.g. to check a prompt fits the context.</summary>
    public int CountTokens(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var w = t_work ??= new Work();
        var buf = w.Buffer;
        buf.Clear();
        EncodeRaw(text, buf, w);
        return buf.Count + (addSpecialTokens && _post != null ? _post.AddedTokens(false) : 0);
    }

    /// <summary>Runs added-token matching, normalization, pre-tokenization and the model; offsets are in <paramref name="text"/>.</summary>
    private void EncodeRaw(string text, TokenBuffer buf, Work w)
    {
        var matches = w.Matches;
        matches.Clear();
        _rawMatcher.FindAll(text, matches, SplitSpecialTokens);
        var whole = new NormalizedString(text, 0);
        var prev = 0;
        var section = 0;
        foreach (var (s, e, tok) in matches)
        {
            if (s > prev) EncodeSection(whole, prev, s, section, buf, w);
            section++;
            buf.Add(tok.Id, s, e, tok.Special);
            prev = e;
        }
        if (prev < text.Length) EncodeSection(whole, prev, text.Length, section, buf, w);
    }

    private void EncodeSection(NormalizedString whole, int start, int end, int section, TokenBuffer buf, Work w)
    {
        if (_normalizer == null)
        {
            Tokenize(new Split(whole, start, end), section, buf, w);
            return;
        }
        var ns = _normalizer.Normalize(whole.Slice(start, end));
        if (ns.Text.Length == 0) return;
        var matches = w.Matches2;
        matches.Clear();
        _normalizedMatcher.FindAll(ns.Text, matches, SplitSpecialTokens);
        if (matches.Count == 0)
        {
            Tokenize(new Split(ns, 0, ns.Text.Length), section, buf, w);
            return;
        }
        var found = matches.ToArray();
        var prev = 0;
        foreach (var (s, e, tok) in found)
        {
            if (s > prev) Tokenize(new Split(ns, prev, s), section, buf, w);
            var (os, oe) = ns.ToOriginal(s, e);
            buf.Add(tok.Id, os, oe, tok.Special);
            prev = e;
        }
        if (prev < ns.Text.Length) Tokenize(new Split(ns, prev, ns.Text.Length), section, buf, w);
    }

    private void Tokenize(Split split, int section, TokenBuffer buf, Work w)
    {
        var input = w.SplitsIn;
        var output = w.SplitsOut;
        input.Clear();
        output.Clear();
        input.Add(split);
        if (_preTokenizer != null) _preTokenizer.PreTokenize(input, output, section);
        else output.Add(split);
        foreach (var sp in output)
        {
            var mark = buf.Count;
            _model.Tokenize(sp.Span, _byteLevelInput, buf);
            var str = sp.Str;
            if (str.IsIdentity)
            {
                var shift = str.OrigStart(0) + sp.Start;
                for (var i = mark; i < buf.Count; i++)
                {
                    buf.Starts[i] += shift;
                    buf.Ends[i] += shift;
                }
            }
            else
            {
                for (var i = mark; i < buf.Count; i++)
                {
                    var (os, oe) = str.ToOriginal(sp.Start + buf.Starts[i], sp.Start + buf.Ends[i]);
                    buf.Starts[i] = os;
                    buf.Ends[i] = oe;
                }
            }
        }
    }

    private Encoding Finish(string text, TokenBuffer a, TokenBuffer? b, bool addSpecialTokens)
    {
        var addsSpecial = addSpecialTokens && _post != null && _post.AddedTokens(b != null) > 0;
        var trims = _post is ByteLevelProcessor { TrimOffsets: true } || _post is SequenceProcessor || _post is BertProcessor;
        if (b == null && Truncation == null && !addsSpecial && !trims)
            return Build(text, a, 0, a.Count, null);
        var la = ToList(a, 0);
        var lb = b == null ? null : ToList(b, 1);
        List<List<PostToken>>? overflowA = null;
        if (Truncation is { } tr)
        {
            var budget = tr.MaxLength - (addSpecialTokens && _post != null ? _post.AddedTokens(lb != null) : 0);
            if (budget < 0) budget = 0;
            (la, lb, overflowA) = Truncate(la, lb, budget, tr);
        }
        var processed = _post == null ? Concat(la, lb) : _post.Process(la, lb, addSpecialTokens, IdToToken);
        List<Encoding>? overflow = null;
        if (overflowA != null)
        {
            overflow = [];
            foreach (var o in overflowA)
            {
                var p = _post == null ? o : _post.Process(o, null, addSpecialTokens, IdToToken);
                overflow.Add(FromPost(text, p, null));
            }
        }
        return FromPost(text, processed, overflow);
    }

    private static List<PostToken> Concat(List<PostToken> a, List<PostToken>? b)
    {
        if (b == null) return a;
        var r = new List<PostToken>(a);
        r.AddRange(b);
        return r;
    }

    private static List<PostToken> ToList(TokenBuffer buf, int sequence)
    {
        var l = new List<PostToken>(buf.Count);
        for (var i = 0; i < buf.Count; i++) l.Add(new PostToken(buf.Ids[i], buf.Starts[i], buf.Ends[i], buf.Special[i], 0, sequence));
        return l;
    }

    private static (List<PostToken>, List<PostToken>?, List<List<PostToken>>?) Truncate(List<PostToken> a, List<PostToken>? b, int budget, TruncationOptions tr)
    {
        if (b == null)
        {
            if (a.Count <= budget) return (a, null, null);
            var windows = Windows(a, budget, tr);
            return (windows[0], null, windows.Count > 1 ? windows.Skip(1).ToList() : null);
        }
        int na = a.Count, nb = b.Count;
        if (na + nb <= budget) return (a, b, null);
        var excess = na + nb - budget;
        switch (tr.Strategy)
        {
            case TruncationStrategy.OnlyFirst:
                if (excess > na) throw new InvalidOperationException($"truncation to {tr.MaxLength}: the second text alone is too long for OnlyFirst");
                na -= excess; break;
            case TruncationStrategy.OnlySecond:
                if (excess > nb) throw new InvalidOperationException($"truncation to {tr.MaxLength}: the first text alone is too long for OnlySecond");
                nb -= excess; break;
            default:
                while (excess-- > 0) { if (na >= nb) na--; else nb--; }
                break;
        }
        List<PostToken> Cut(List<PostToken> l, int n) => tr.Direction == Direction.Right ? l.GetRange(0, n) : l.GetRange(l.Count - n, n);
        return (Cut(a, na), Cut(b, nb), null);
    }

    private static List<List<PostToken>> Windows(List<PostToken> a, int budget, TruncationOptions tr)
    {
        var result = new List<List<PostToken>>();
        if (budget == 0) { result.Add([]); return result; }
        var step = budget - tr.Stride;
        if (step <= 0) throw new InvalidOperationException($"truncation stride {tr.Stride} must be smaller than the room left for text ({budget})");
        if (tr.Direction == Direction.Right)
        {
            for (var start = 0; ; start += step)
            {
                result.Add(a.GetRange(start, Math.Min(budget, a.Count - start)));
                if (start + budget >= a.Count) break;
            }
        }
        else
        {
            for (var end = a.Count; ; end -= step)
            {
                var s = Math.Max(0, end - budget);
                result.Add(a.GetRange(s, end - s));
                if (s == 0) break;
            }
        }
        return result;
    }

    private Encoding Build(string text, TokenBuffer buf, int start, int count, List<Encoding>? overflow)
    {
        var ids = new int[count];
        var tokens = new string[count];
        var offsets = new (int, int)[count];
        var special = new int[count];
        var attention = new int[count];
        for (var i = 0; i < count; i++)
        {
            var id = buf.Ids[start + i];
            ids[i] = id;
            tokens[i] = IdToToken(id) ?? "";
            offsets[i] = (buf.Starts[start + i], buf.Ends[start + i]);
            special[i] = buf.Special[start + i] ? 1 : 0;
            attention[i] = 1;
        }
        return new Encoding(text, ids, tokens, offsets, special, attention, new int[count], overflow);
    }

    private Encoding FromPost(string text, List<PostToken> p, List<Encoding>? overflow)
    {
        var n = p.Count;
        var ids = new int[n];
        var tokens = new string[n];
        var offsets = new (int, int)[n];
        var special = new int[n];
        var attention = new int[n];
        var types = new int[n];
        for (var i = 0; i < n; i++)
        {
            ids[i] = p[i].Id;
            tokens[i] = IdToToken(p[i].Id) ?? "";
            offsets[i] = (p[i].Start, p[i].End);
            special[i] = p[i].Special ? 1 : 0;
            attention[i] = 1;
            types[i] = p[i].TypeId;
        }
        return new Encoding(text, ids, tokens, offsets, special, attention, types, overflow);
    }

    private Encoding Pad(Encoding e, int length) => Pad(e, length, Padding!);

    private Encoding Pad(Encoding e, int length, PaddingOptions p)
    {
        if (p.PadToMultipleOf is > 0 and var m && length % m != 0) length += m - length % m;
        if (e.Count >= length) return e;
        var padId = p.PadId ?? PadTokenId ?? throw new InvalidOperationException("padding needs a pad token: set Tokenizer.PadToken or PaddingOptions.PadId");
        var padTok = IdToToken(padId) ?? "";
        var extra = length - e.Count;
        T[] Grow<T>(IReadOnlyList<T> src, T fill)
        {
            var r = new T[length];
            var at = p.Direction == Direction.Right ? 0 : extra;
            for (var i = 0; i < src.Count; i++) r[at + i] = src[i];
            var from = p.Direction == Direction.Right ? src.Count : 0;
            for (var i = 0; i < extra; i++) r[from + i] = fill;
            return r;
        }
        return new Encoding(e.Text, Grow(e.Ids, padId), Grow(e.Tokens, padTok), Grow(e.Offsets, (0, 0)), Grow(e.SpecialTokensMask, 1),
            Grow(e.AttentionMask, 0), Grow(e.TypeIds, p.PadTypeId), e.Overflowing);
    }

    // ------------------------------------------------------------------ decoding

    /// <summary>
    /// Turns ids back into text. <paramref name="skipSpecialTokens"/> drops special tokens (BOS/EOS,
    /// chat markers); <paramref name="cleanUpTokenizationSpaces"/> (default:
    /// <see cref="CleanUpTokenizationSpaces"/>) removes spaces before punctuation as Hugging Face does.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id no token has.</exception>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false, bool? cleanUpTokenizationSpaces = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>();
        foreach (var id in ids)
        {
            var t = IdToToken(id) ?? throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is not in the vocabulary (size {VocabSize})");
            if (skipSpecialTokens && _specialContents.Contains(t)) continue;
            tokens.Add(t);
        }
        var text = _decoder != null ? string.Concat(_decoder.DecodeChain(tokens, _addedContents)) : string.Join(" ", tokens);
        if (cleanUpTokenizationSpaces ?? CleanUpTokenizationSpaces) text = Decoder.CleanUp(text);
        return text;
    }
}
