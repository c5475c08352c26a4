using System.Text.Json;
using System.Text.Json.Nodes;
using SftLab.Data;

namespace SftLab.Training;

/// <summary>
/// A training job file for <c>sftlab train --config FILE.json</c>: the <see cref="SftConfig"/>
/// fields (snake_case, as in TRL) plus what to train and on what:
/// <c>model_name_or_path</c> (a Hugging Face model folder), <c>train_file</c> and optional
/// <c>eval_file</c>, each either pre-tokenized JSONL (<c>{"input_ids", "labels"}</c>, from
/// <c>sftlab data prepare</c>) or a raw dataset in any format <see cref="Dataset"/> reads (messages,
/// prompt-completion, Alpaca, text...), which is tokenized with the model's tokenizer (or
/// <c>tokenizer_name_or_path</c>) and chat template (its tokenizer_config.json's, or <c>chat_template</c>:
/// a built-in name or a file) under the config's max_length, truncation_mode, assistant_only_loss and
/// completion_only_loss. Paths are relative to the job file.
/// </summary>
public sealed record TrainJob(string ModelNameOrPath, string TrainFile, string? EvalFile, SftConfig Config)
{
    private static readonly string[] JobKeys = ["model_name_or_path", "train_file", "eval_file", "tokenizer_name_or_path", "chat_template"];

    /// <summary>Where the tokenizer for raw datasets comes from: a model folder or tokenizer.json (null: <see cref="ModelNameOrPath"/>).</summary>
    public string? TokenizerNameOrPath { get; init; }

    /// <summary>The chat template for raw conversational datasets: a built-in name (chatml, llama3...), a tokenizer_config.json or a .jinja file (null: the tokenizer's own).</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Reads a job file; unknown fields are refused by name.</summary>
    public static TrainJob Load(string path)
    {
        JsonObject o;
        try
        {
            o = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                ?? throw new InvalidDataException($"{path}: expected a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string? Str(string key) => o[key] is JsonValue v ? v.GetValue<string>() : null;
        string Resolve(string p) => Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(dir, p));
        var model = Str("model_name_or_path") ?? throw new InvalidDataException($"{path}: 'model_name_or_path' is required");
        var train = Str("train_file") ?? throw new InvalidDataException($"{path}: 'train_file' is required");
        var eval = Str("eval_file");
        var rest = new JsonObject();
        foreach (var (k, v) in o)
            if (!JobKeys.Contains(k)) rest[k] = v?.DeepClone();
        SftConfig config;
        try
        {
            config = rest.Deserialize<SftConfig>(SftConfig.JsonOptions) ?? new SftConfig();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        config = config with { OutputDir = Resolve(config.OutputDir) };
        if (config.ResumeFromCheckpoint is { } r && r != "latest") config = config with { ResumeFromCheckpoint = Resolve(r) };
        var template = Str("chat_template");
        if (template is not null && !ChatTemplates.BuiltinChatTemplates.Names.Contains(template.ToLowerInvariant())) template = Resolve(template);
        return new TrainJob(Resolve(model), Resolve(train), eval is null ? null : Resolve(eval), config.Validate(path))
        {
            TokenizerNameOrPath = Str("tokenizer_name_or_path") is { } t ? Resolve(t) : null,
            ChatTemplate = template,
        };
    }

    /// <summary>The training examples of <see cref="TrainFile"/> (pre-tokenized or raw; see <see cref="LoadExamples"/>).</summary>
    public List<TokenizedExample> LoadTrainExamples() => LoadExamples(TrainFile);

    /// <summary>The evaluation examples of <see cref="EvalFile"/>, or null when there is none.</summary>
    public List<TokenizedExample>? LoadEvalExamples() => EvalFile is null ? null : LoadExamples(EvalFile);

    /// <summary>
    /// Reads a data file: pre-tokenized JSONL (its first row has <c>input_ids</c>) through <see cref="ReadTokenized"/>,
    /// else as a raw dataset (format detected from the columns) tokenized by <see cref="CreateExampleBuilder"/>.
    /// Errors name the file, line and field.
    /// </summary>
    public List<TokenizedExample> LoadExamples(string path)
    {
        if (IsPreTokenized(path)) return ReadTokenized(path);
        var data = Dataset.Load(path);
        return CreateExampleBuilder().BuildAll(data);
    }

    /// <summary>
    /// Copies the tokenizer files (tokenizer.json, tokenizer_config.json, special_tokens_map.json) of the job's
    /// tokenizer folder (or the model folder) into <paramref name="folder"/>, so a saved model folder is complete.
    /// </summary>
    public void SaveTokenizer(string folder)
    {
        var source = TokenizerNameOrPath ?? ModelNameOrPath;
        if (!Directory.Exists(source)) return;
        Directory.CreateDirectory(folder);
        foreach (var name in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json" })
            if (File.Exists(Path.Combine(source, name))) File.Copy(Path.Combine(source, name), Path.Combine(folder, name), overwrite: true);
    }

    /// <summary>The example builder for raw datasets: the job's tokenizer and chat template, the config's masking and truncation.</summary>
    public ExampleBuilder CreateExampleBuilder() =>
        ExampleBuilder.FromFiles(TokenizerNameOrPath ?? ModelNameOrPath, ChatTemplate, ExampleOptions.FromConfig(Config));

    /// <summary>
    /// The batcher the config asks for: <see cref="PackedBatcher"/> with <c>packing</c>, <see cref="PaddingFreeBatcher"/>
    /// with <c>padding_free</c>, else <see cref="PaddedBatcher"/>.
    /// </summary>
    /// <param name="padTokenId">The padding id (the model's pad token, or its EOS). Labels never depend on it.</param>
    public IBatcher CreateBatcher(long padTokenId) =>
        Config.Packing ? new PackedBatcher(Config.MaxLength, padTokenId, Config.TruncationMode, Config.Seed)
        : Config.PaddingFree ? new PaddingFreeBatcher(Config.MaxLength, Config.TruncationMode)
        : new PaddedBatcher(padTokenId);

    /// <summary>True when the file is JSON Lines whose first row has <c>input_ids</c> (the output of <c>sftlab data prepare</c>).</summary>
    public static bool IsPreTokenized(string path)
    {
        if (!path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) && !path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase)) return false;
        if (!File.Exists(path)) throw new FileNotFoundException($"data file not found: {path}", path);
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                return JsonNode.Parse(line) is JsonObject o && o.ContainsKey("input_ids");
            }
            catch (JsonException)
            {
                return false; // let the dataset reader report the bad line with its number
            }
        }
        return false;
    }

    /// <summary>
    /// Reads pre-tokenized examples: JSONL lines <c>{"input_ids": [...], "labels": [...]}</c>
    /// (labels optional: all tokens learned). Errors name the file, line and field.
    /// </summary>
    public static List<TokenizedExample> ReadTokenized(string path)
    {
        var examples = new List<TokenizedExample>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string where = $"{path}:{lineNo}";
            JsonObject o;
            try
            {
                o = JsonNode.Parse(line) as JsonObject ?? throw new InvalidDataException($"{where}: expected a JSON object");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{where}: not valid JSON: {e.Message}", e);
            }
            long[] Ids(string field, bool required)
            {
                if (o[field] is not JsonArray a)
                    return required ? throw new InvalidDataException($"{where}: '{field}' must be an array of integers") : null!;
                return a.Select((v, i) => v is JsonValue jv && jv.TryGetValue<long>(out var x) ? x
                    : throw new InvalidDataException($"{where}: {field}[{i}] is not an integer")).ToArray();
            }
            var ids = Ids("input_ids", true);
            var labels = o.ContainsKey("labels") ? Ids("labels", true) : (long[])ids.Clone();
            try
            {
                examples.Add(new TokenizedExample(ids, labels).Validate(where));
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException(e.Message, e);
            }
        }
        if (examples.Count == 0) throw new InvalidDataException($"{path}: no examples");
        return examples;
    }
}
