using System.Text.Json;
using System.Text.Json.Nodes;
using SftLab.Data;

namespace SftLab.Training;

/// <summary>
/// A training job file for <c>sftlab train --config FILE.json</c>: the <see cref="SftConfig"/>
/// fields (snake_case, as in TRL) plus what to train and on what:
/// <c>model_name_or_path</c> (a Hugging Face model folder), <c>train_file</c> and optional
/// <c>eval_file</c>. Paths are relative to the job file.
/// </summary>
public sealed record TrainJob(string ModelNameOrPath, string TrainFile, string? EvalFile, SftConfig Config)
{
    private static readonly string[] JobKeys = ["model_name_or_path", "train_file", "eval_file"];

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
        return new TrainJob(Resolve(model), Resolve(train), eval is null ? null : Resolve(eval), config.Validate(path));
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
