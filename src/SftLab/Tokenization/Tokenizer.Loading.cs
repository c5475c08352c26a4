using System.Text.Json;
using System.Text.Json.Nodes;

namespace SftLab.Tokenization;

public sealed partial class Tokenizer
{
    /// <summary>
    /// Loads a tokenizer from a Hugging Face model snapshot folder: tokenizer.json, plus
    /// tokenizer_config.json when present (BOS/EOS/PAD/UNK, chat template, model_max_length).
    /// A folder with only a *.tiktoken file loads that instead.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has no tokenizer.json (nor .tiktoken file).</exception>
    /// <exception cref="TokenizerFormatException">A file is malformed; the message names the file and JSON path.</exception>
    public static Tokenizer FromFolder(string hfSnapshotFolder)
    {
        ArgumentNullException.ThrowIfNull(hfSnapshotFolder);
        if (!Directory.Exists(hfSnapshotFolder)) throw new DirectoryNotFoundException($"tokenizer folder not found: {hfSnapshotFolder}");
        var json = Path.Combine(hfSnapshotFolder, "tokenizer.json");
        if (File.Exists(json)) return FromFile(json);
        var tik = Directory.GetFiles(hfSnapshotFolder, "*.tiktoken").OrderBy(x => x, StringComparer.Ordinal).FirstOrDefault();
        if (tik != null) return FromTiktoken(tik);
        throw new FileNotFoundException($"no tokenizer.json (or *.tiktoken) in {hfSnapshotFolder}", json);
    }

    /// <summary>
    /// Loads a tokenizer.json file (and the tokenizer_config.json beside it, if any), or a tiktoken
    /// ranks file when the name ends in .tiktoken.
    /// </summary>
    public static Tokenizer FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.EndsWith(".tiktoken", StringComparison.OrdinalIgnoreCase)) return FromTiktoken(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer file not found: {path}", path);
        var bytes = File.ReadAllBytes(path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var configPath = Path.Combine(dir, "tokenizer_config.json");
        JsonObject? config = File.Exists(configPath) ? ParseConfig(File.ReadAllBytes(configPath), configPath) : null;
        return Load(bytes, path, config, configPath);
    }

    /// <summary>Loads a tokenizer from the text of a tokenizer.json (and optionally of a tokenizer_config.json).</summary>
    public static Tokenizer FromJson(string tokenizerJson, string? tokenizerConfigJson = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizerJson);
        var config = tokenizerConfigJson == null ? null : ParseConfig(System.Text.Encoding.UTF8.GetBytes(tokenizerConfigJson), null);
        return Load(System.Text.Encoding.UTF8.GetBytes(tokenizerJson), null, config, null);
    }

    private static JsonDocument ParseDocument(byte[] bytes, string? file)
    {
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(file, $"line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}", "not valid JSON: " + e.Message, e);
        }
    }

    private static JsonObject ParseConfig(byte[] bytes, string? file)
    {
        using var doc = ParseDocument(bytes, file);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new TokenizerFormatException(file, "$", "expected a JSON object");
        return JsonObject.Create(doc.RootElement.Clone())!;
    }

    private static Tokenizer Load(byte[] bytes, string? file, JsonObject? config, string? configFile)
    {
        using var doc = ParseDocument(bytes, file);
        var root = new JsonNav(doc.RootElement, "$", file);
        if (root.Kind != JsonValueKind.Object) throw root.Error("expected a JSON object");
        var model = TokenizerModel.Create(root.Required("model"));
        var normalizer = Normalizer.FromJson(root.Optional("normalizer"));
        var pre = PreTokenizer.FromJson(root.Optional("pre_tokenizer"));
        var decoder = Decoder.FromJson(root.Optional("decoder"));
        var addedNodes = root.Optional("added_tokens")?.Items().ToList() ?? [];
        var added = new List<AddedToken>();
        foreach (var a in addedNodes)
        {
            var special = a.OptBool("special", false);
            added.Add(new AddedToken(a.Required("content").String(), a.Required("id").Int(), special,
                a.OptBool("normalized", !special), a.OptBool("lstrip", false), a.OptBool("rstrip", false), a.OptBool("single_word", false)));
        }
        int? Lookup(string token)
        {
            foreach (var t in added) if (t.Content == token) return t.Id;
            return model.TryGetId(token, out var id) ? id : null;
        }
        var post = PostProcessor.FromJson(root.Optional("post_processor"), Lookup);
        var tok = new Tokenizer(model, normalizer, pre, post, decoder, bytes, config);
        foreach (var t in added) tok.RegisterAdded(t);
        if (root.Optional("truncation") is { } tr)
            tok.Truncation = new TruncationOptions(tr.Required("max_length").Int(), tr.OptInt("stride", 0),
                tr.OptString("strategy", "LongestFirst") switch { "OnlyFirst" => TruncationStrategy.OnlyFirst, "OnlySecond" => TruncationStrategy.OnlySecond, _ => TruncationStrategy.LongestFirst },
                tr.OptString("direction", "Right") == "Left" ? Direction.Left : Direction.Right);
        if (root.Optional("padding") is { } pd)
        {
            int? length = null;
            if (pd.Optional("strategy") is { Kind: JsonValueKind.Object } st && st.Optional("Fixed") is { } fx) length = fx.Int();
            tok.Padding = new PaddingOptions(length, pd.OptString("direction", "Right") == "Left" ? Direction.Left : Direction.Right,
                pd.Optional("pad_to_multiple_of")?.Int(), pd.Optional("pad_id")?.Int(), pd.OptInt("pad_type_id", 0));
            if (pd.OptString("pad_token") is { } pt) tok.PadToken = pt;
        }
        tok.UnkToken = model.UnkId >= 0 ? model.IdToToken(model.UnkId) : null;
        if (config != null) tok.ApplyConfig(config, configFile);
        tok.RebuildMatchers();
        return tok;
    }

    private void ApplyConfig(JsonObject config, string? file)
    {
        string? TokenField(string name)
        {
            if (!config.TryGetPropertyValue(name, out var v) || v == null) return null;
            if (v is JsonValue jv && jv.TryGetValue<string>(out var s)) return s;
            if (v is JsonObject o && o["content"] is JsonValue c && c.TryGetValue<string>(out var cs)) return cs;
            throw new TokenizerFormatException(file, "$." + name, "expected a token string or an object with \"content\"");
        }
        bool? BoolField(string name)
        {
            if (!config.TryGetPropertyValue(name, out var v) || v == null) return null;
            if (v is JsonValue jv && jv.TryGetValue<bool>(out var b)) return b;
            throw new TokenizerFormatException(file, "$." + name, "expected true or false");
        }
        // Tokens declared only in added_tokens_decoder (id → token) join the added vocabulary.
        if (config["added_tokens_decoder"] is JsonObject atd)
            foreach (var (key, value) in atd)
            {
                if (!int.TryParse(key, out var id)) throw new TokenizerFormatException(file, $"$.added_tokens_decoder[\"{key}\"]", "keys must be token ids");
                if (value is not JsonObject o || o["content"] is not JsonValue cv || !cv.TryGetValue<string>(out var content))
                    throw new TokenizerFormatException(file, $"$.added_tokens_decoder[\"{key}\"]", "expected an object with \"content\"");
                if (_addedById.ContainsKey(id)) continue;
                bool B(string n, bool d) => o[n] is JsonValue x && x.TryGetValue<bool>(out var r) ? r : d;
                var special = B("special", false);
                RegisterAdded(new AddedToken(content, id, special, B("normalized", !special), B("lstrip", false), B("rstrip", false), B("single_word", false)));
            }
        BosToken = TokenField("bos_token") ?? BosToken;
        EosToken = TokenField("eos_token") ?? EosToken;
        PadToken = TokenField("pad_token") ?? PadToken;
        UnkToken = TokenField("unk_token") ?? UnkToken;
        AddBosToken = BoolField("add_bos_token");
        AddEosToken = BoolField("add_eos_token");
        CleanUpTokenizationSpaces = BoolField("clean_up_tokenization_spaces") ?? true;
        if (config["model_max_length"] is JsonValue mml)
        {
            if (!mml.TryGetValue<double>(out var d)) throw new TokenizerFormatException(file, "$.model_max_length", "expected a number");
            ModelMaxLength = d >= 1e18 ? null : (long)d;
        }
        if (config.TryGetPropertyValue("chat_template", out var ct) && ct != null)
        {
            if (ct is JsonValue cv && cv.TryGetValue<string>(out var s)) ChatTemplate = s;
            else if (ct is JsonArray arr)
            {
                // A list of named templates: take "default", else the first.
                string? first = null, def = null;
                for (var i = 0; i < arr.Count; i++)
                {
                    if (arr[i] is not JsonObject o || o["template"] is not JsonValue tv || !tv.TryGetValue<string>(out var t))
                        throw new TokenizerFormatException(file, $"$.chat_template[{i}]", "expected {\"name\": ..., \"template\": ...}");
                    first ??= t;
                    if (o["name"] is JsonValue nv && nv.TryGetValue<string>(out var name) && name == "default") def = t;
                }
                ChatTemplate = def ?? first;
            }
            else throw new TokenizerFormatException(file, "$.chat_template", "expected a string or a list of named templates");
        }
        if (config["additional_special_tokens"] is JsonArray extra)
            foreach (var x in extra)
            {
                var s = x is JsonValue v && v.TryGetValue<string>(out var str) ? str : x is JsonObject o && o["content"] is JsonValue c && c.TryGetValue<string>(out var cs) ? cs : null;
                if (s != null) _additionalSpecial.Add(s);
            }
    }

    // ------------------------------------------------------------------ saving

    /// <summary>
    /// Writes tokenizer.json and tokenizer_config.json into <paramref name="folder"/> (created if
    /// needed), in the Hugging Face format, so other tools load the same tokenizer. Files are
    /// written atomically (temporary file, then rename).
    /// </summary>
    /// <exception cref="NotSupportedException">A tokenizer loaded from a .tiktoken file (save the ranks file instead).</exception>
    public void Save(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (_jsonSource == null) throw new NotSupportedException("this tokenizer was loaded from a tiktoken ranks file; it has no tokenizer.json to save");
        Directory.CreateDirectory(folder);
        var root = JsonNode.Parse(_jsonSource)!.AsObject();
        var added = new JsonArray();
        foreach (var t in _added.OrderBy(a => a.Id))
            added.Add(new JsonObject
            {
                ["id"] = t.Id, ["content"] = t.Content, ["single_word"] = t.SingleWord, ["lstrip"] = t.LStrip,
                ["rstrip"] = t.RStrip, ["normalized"] = t.Normalized, ["special"] = t.Special,
            });
        root["added_tokens"] = added;
        root["truncation"] = Truncation == null ? null : new JsonObject
        {
            ["direction"] = Truncation.Direction.ToString(), ["max_length"] = Truncation.MaxLength,
            ["strategy"] = Truncation.Strategy.ToString(), ["stride"] = Truncation.Stride,
        };
        root["padding"] = Padding == null ? null : new JsonObject
        {
            ["strategy"] = Padding.Length is { } l ? new JsonObject { ["Fixed"] = l } : JsonValue.Create("BatchLongest"),
            ["direction"] = Padding.Direction.ToString(), ["pad_to_multiple_of"] = Padding.PadToMultipleOf,
            ["pad_id"] = Padding.PadId ?? PadTokenId ?? 0, ["pad_type_id"] = Padding.PadTypeId, ["pad_token"] = PadToken ?? "",
        };
        var config = _configSource?.DeepClone().AsObject() ?? [];
        config["bos_token"] = BosToken;
        config["eos_token"] = EosToken;
        config["pad_token"] = PadToken;
        config["unk_token"] = UnkToken;
        if (AddBosToken is { } ab) config["add_bos_token"] = ab;
        if (AddEosToken is { } ae) config["add_eos_token"] = ae;
        config["clean_up_tokenization_spaces"] = CleanUpTokenizationSpaces;
        config["model_max_length"] = ModelMaxLength is { } m ? JsonValue.Create(m) : JsonValue.Create(1e30);
        if (ChatTemplate != null) config["chat_template"] = ChatTemplate;
        config["tokenizer_class"] ??= "PreTrainedTokenizerFast";
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        WriteAtomic(Path.Combine(folder, "tokenizer.json"), root.ToJsonString(options));
        WriteAtomic(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString(options));
    }

    private static void WriteAtomic(string path, string content)
    {
        var tmp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(tmp, content, new System.Text.UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }
}
