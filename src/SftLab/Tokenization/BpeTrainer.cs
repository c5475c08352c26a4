using System.Text.Json;

namespace SftLab.Tokenization;

/// <summary>One merge learned by <see cref="BpeTrainer"/>: two tokens that were most often side by side became one.</summary>
/// <param name="Left">The left token (byte-level alphabet, a space shows as 'Ġ').</param>
/// <param name="Right">The right token.</param>
/// <param name="Merged">The new token, Left + Right.</param>
/// <param name="Id">The new token's id.</param>
/// <param name="Count">How often the pair occurred in the corpus when it was merged.</param>
public readonly record struct BpeMerge(string Left, string Right, string Merged, int Id, long Count);

/// <summary>
/// Trains a byte-level BPE tokenizer, the kind GPT-2, Llama 3 and Qwen use. Text is split into
/// words by a regex (by default Llama 3's), every word starts as its UTF-8 bytes, and the most
/// frequent adjacent pair of tokens is merged into a new token, again and again, until the
/// vocabulary has <see cref="VocabSize"/> entries. Because all 256 bytes are tokens, any text can be
/// encoded: nothing is ever unknown. The result is a normal tokenizer.json that the Hugging Face
/// libraries load.
/// </summary>
public sealed class BpeTrainer
{
    /// <summary>Target vocabulary size: special tokens + 256 bytes + merges.</summary>
    public int VocabSize { get; init; } = 8000;

    /// <summary>Stop merging when the most frequent pair occurs fewer times than this.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>Special tokens, given the first ids in this order (e.g. "&lt;|endoftext|&gt;", "&lt;|im_start|&gt;").</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = [];

    /// <summary>The word-splitting regex (Oniguruma syntax, as stored in tokenizer.json). Default: Llama 3's.</summary>
    public string Pattern { get; init; } = KnownPatternMatcher.Cl100kPattern;

    /// <summary>BOS token (must be one of <see cref="SpecialTokens"/>), or null.</summary>
    public string? BosToken { get; init; }

    /// <summary>EOS token (must be one of <see cref="SpecialTokens"/>), or null.</summary>
    public string? EosToken { get; init; }

    /// <summary>Padding token (must be one of <see cref="SpecialTokens"/>), or null.</summary>
    public string? PadToken { get; init; }

    /// <summary>When true, Encode(text, addSpecialTokens: true) puts <see cref="BosToken"/> in front (a TemplateProcessing post-processor).</summary>
    public bool AddBosToken { get; init; }

    /// <summary>Chat template (Jinja) stored in tokenizer_config.json, or null.</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>model_max_length stored in tokenizer_config.json, or null.</summary>
    public long? ModelMaxLength { get; init; }

    /// <summary>Called after each merge (e.g. to watch BPE learn in a notebook).</summary>
    public Action<BpeMerge>? OnMerge { get; init; }

    /// <summary>The merges of the last <see cref="Train"/> call, in order.</summary>
    public IReadOnlyList<BpeMerge> Merges => _merges;

    private readonly List<BpeMerge> _merges = [];

    /// <summary>Trains on <paramref name="texts"/> and returns the tokenizer (save it with <see cref="Tokenizer.Save"/>).</summary>
    public Tokenizer Train(IEnumerable<string> texts)
    {
        var (json, config) = TrainToJson(texts);
        return Tokenizer.FromJson(json, config);
    }

    /// <summary>Trains and returns the text of tokenizer.json and tokenizer_config.json.</summary>
    public (string TokenizerJson, string TokenizerConfigJson) TrainToJson(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        foreach (var t in new[] { BosToken, EosToken, PadToken })
            if (t != null && !SpecialTokens.Contains(t)) throw new ArgumentException($"\"{t}\" must be listed in SpecialTokens");
        if (AddBosToken && BosToken == null) throw new ArgumentException("AddBosToken needs a BosToken");
        if (SpecialTokens.Distinct().Count() != SpecialTokens.Count) throw new ArgumentException("SpecialTokens has duplicates");
        var minVocab = SpecialTokens.Count + 256;
        if (VocabSize < minVocab) throw new ArgumentException($"VocabSize must be at least {minVocab} (special tokens + 256 bytes)");
        _merges.Clear();

        PatternMatcher matcher = KnownPatternMatcher.TryCreate(Pattern) is { } k ? k : new RegexMatcher(RegexTranslator.Compile(Pattern), Pattern);
        // 1. word frequencies
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        var matches = new List<(int, int)>();
        foreach (var text in texts)
        {
            if (string.IsNullOrEmpty(text)) continue;
            matches.Clear();
            matcher.FindAll(text, matches);
            foreach (var (s, e) in matches)
            {
                var w = text.AsSpan(s, e - s);
                lookup.TryGetValue(w, out var c);
                lookup[w] = c + 1;
            }
        }
        // 2. vocabulary: special tokens, then the 256 bytes
        var tokens = new List<string>(VocabSize);
        tokens.AddRange(SpecialTokens);
        var byteBase = tokens.Count;
        for (var b = 0; b < 256; b++) tokens.Add(ByteLevelAlphabet.ToChar((byte)b).ToString());
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++) index[tokens[i]] = i;

        var words = new List<int[]>(counts.Count);
        var freqs = new List<long>(counts.Count);
        Span<byte> buf = stackalloc byte[4];
        foreach (var (w, c) in counts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var syms = new List<int>(w.Length * 2);
            for (var i = 0; i < w.Length;)
            {
                var cp = UnicodeInfo.CodePoint(w, i, out var len);
                var n = UnicodeInfo.Utf8(cp, buf);
                for (var j = 0; j < n; j++) syms.Add(byteBase + buf[j]);
                i += len;
            }
            words.Add([.. syms]);
            freqs.Add(c);
        }

        // 3. pair statistics
        var pairCount = new Dictionary<long, long>();
        var where = new Dictionary<long, HashSet<int>>();
        static long Key(int a, int b) => ((long)a << 32) | (uint)b;
        void AddPairs(int wi, long sign)
        {
            var w = words[wi];
            for (var i = 0; i + 1 < w.Length; i++)
            {
                var key = Key(w[i], w[i + 1]);
                pairCount.TryGetValue(key, out var c);
                pairCount[key] = c + sign * freqs[wi];
                if (sign > 0)
                {
                    if (!where.TryGetValue(key, out var set)) where[key] = set = [];
                    set.Add(wi);
                }
            }
        }
        for (var i = 0; i < words.Count; i++) AddPairs(i, +1);
        // Max-heap on (count, then the smaller pair) with lazy invalidation.
        var heap = new PriorityQueue<long, (long NegCount, long Key)>();
        foreach (var (key, c) in pairCount) heap.Enqueue(key, (-c, key));

        // 4. merge
        while (tokens.Count < VocabSize && heap.TryDequeue(out var best, out var prio))
        {
            var current = pairCount.GetValueOrDefault(best);
            if (current != -prio.NegCount)
            {
                if (current > 0) heap.Enqueue(best, (-current, best));
                continue;
            }
            if (current < MinFrequency || current <= 0) break;
            int a = (int)(best >> 32), b = (int)best;
            var merged = tokens[a] + tokens[b];
            if (index.ContainsKey(merged))
            {
                // Already a token (e.g. equals a special token's text): never merge this pair again.
                pairCount[best] = 0;
                continue;
            }
            var id = tokens.Count;
            tokens.Add(merged);
            index[merged] = id;
            var m = new BpeMerge(tokens[a], tokens[b], merged, id, current);
            _merges.Add(m);
            OnMerge?.Invoke(m);
            var affected = where[best].ToArray();
            var touched = new HashSet<long>();
            foreach (var wi in affected)
            {
                var w = words[wi];
                var has = false;
                for (var i = 0; i + 1 < w.Length; i++) if (w[i] == a && w[i + 1] == b) { has = true; break; }
                if (!has) continue;
                AddPairs(wi, -1);
                var nw = new List<int>(w.Length);
                for (var i = 0; i < w.Length; i++)
                {
                    if (i + 1 < w.Length && w[i] == a && w[i + 1] == b) { nw.Add(id); i++; }
                    else nw.Add(w[i]);
                }
                words[wi] = [.. nw];
                AddPairs(wi, +1);
                for (var i = 0; i + 1 < nw.Count; i++) touched.Add(Key(nw[i], nw[i + 1]));
            }
            foreach (var key in touched)
                if (pairCount.TryGetValue(key, out var c) && c > 0) heap.Enqueue(key, (-c, key));
        }
        return (WriteJson(tokens, byteBase), WriteConfig());
    }

    private string WriteJson(List<string> tokens, int byteBase)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            w.WriteStartArray("added_tokens");
            for (var i = 0; i < SpecialTokens.Count; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("id", i);
                w.WriteString("content", SpecialTokens[i]);
                w.WriteBoolean("single_word", false);
                w.WriteBoolean("lstrip", false);
                w.WriteBoolean("rstrip", false);
                w.WriteBoolean("normalized", false);
                w.WriteBoolean("special", true);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNull("normalizer");
            w.WriteStartObject("pre_tokenizer");
            w.WriteString("type", "Sequence");
            w.WriteStartArray("pretokenizers");
            w.WriteStartObject();
            w.WriteString("type", "Split");
            w.WriteStartObject("pattern");
            w.WriteString("Regex", Pattern);
            w.WriteEndObject();
            w.WriteString("behavior", "Isolated");
            w.WriteBoolean("invert", false);
            w.WriteEndObject();
            WriteByteLevel(w, null, trimOffsets: true);
            w.WriteEndArray();
            w.WriteEndObject();
            if (AddBosToken)
            {
                var bosId = SpecialTokens.ToList().IndexOf(BosToken!);
                w.WriteStartObject("post_processor");
                w.WriteString("type", "TemplateProcessing");
                void Special(int typeId)
                {
                    w.WriteStartObject();
                    w.WriteStartObject("SpecialToken");
                    w.WriteString("id", BosToken);
                    w.WriteNumber("type_id", typeId);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
                void Seq(string id, int typeId)
                {
                    w.WriteStartObject();
                    w.WriteStartObject("Sequence");
                    w.WriteString("id", id);
                    w.WriteNumber("type_id", typeId);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
                w.WriteStartArray("single"); Special(0); Seq("A", 0); w.WriteEndArray();
                w.WriteStartArray("pair"); Special(0); Seq("A", 0); Special(1); Seq("B", 1); w.WriteEndArray();
                w.WriteStartObject("special_tokens");
                w.WriteStartObject(BosToken!);
                w.WriteString("id", BosToken);
                w.WriteStartArray("ids"); w.WriteNumberValue(bosId); w.WriteEndArray();
                w.WriteStartArray("tokens"); w.WriteStringValue(BosToken); w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
            }
            else WriteByteLevel(w, "post_processor", trimOffsets: false);
            WriteByteLevel(w, "decoder", trimOffsets: true);
            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteNull("dropout");
            w.WriteNull("unk_token");
            w.WriteNull("continuing_subword_prefix");
            w.WriteNull("end_of_word_suffix");
            w.WriteBoolean("fuse_unk", false);
            w.WriteBoolean("byte_fallback", false);
            w.WriteBoolean("ignore_merges", false);
            w.WriteStartObject("vocab");
            for (var i = 0; i < tokens.Count; i++) w.WriteNumber(tokens[i], i);
            w.WriteEndObject();
            w.WriteStartArray("merges");
            foreach (var m in _merges)
            {
                w.WriteStartArray();
                w.WriteStringValue(m.Left);
                w.WriteStringValue(m.Right);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WriteByteLevel(Utf8JsonWriter w, string? name, bool trimOffsets)
    {
        if (name == null) w.WriteStartObject(); else w.WriteStartObject(name);
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", trimOffsets);
        w.WriteBoolean("use_regex", false);
        w.WriteEndObject();
    }

    private string WriteConfig()
    {
        var o = new System.Text.Json.Nodes.JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["bos_token"] = BosToken,
            ["eos_token"] = EosToken,
            ["pad_token"] = PadToken,
            ["unk_token"] = null,
            ["add_bos_token"] = AddBosToken,
            ["add_eos_token"] = false,
            ["clean_up_tokenization_spaces"] = false,
            ["model_max_length"] = ModelMaxLength is { } m ? System.Text.Json.Nodes.JsonValue.Create(m) : System.Text.Json.Nodes.JsonValue.Create(1e30),
        };
        if (ChatTemplate != null) o["chat_template"] = ChatTemplate;
        return o.ToJsonString();
    }
}
