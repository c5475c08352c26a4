using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SftLab.Data;
using SftLab.IO;

namespace SftLab.Cli;

/// <summary>
/// `sftlab data inspect|clean|prepare`: the dataset stage on the command line.
/// <list type="bullet">
/// <item><c>inspect FILE... [--tokenizer PATH] [--chat-template T] [--max-length N]</c>: the dataset report (rows, roles,
/// lengths with the template applied, truncation, duplicates, empty turns, language mix), bad rows listed with file:line.</item>
/// <item><c>clean FILE... --out DIR [--validation F] [--test F] [--seed N]</c>: removes exact and near duplicates and writes
/// train/validation/test JSONL (original columns), plus removed.jsonl (each duplicate and what it duplicates).</item>
/// <item><c>prepare FILE... --tokenizer PATH --out OUT.jsonl</c>: the training examples, pre-tokenized
/// (<c>{"input_ids": [...], "labels": [...]}</c> per line, −100 where no loss), the format <c>sftlab train</c> reads.</item>
/// </list>
/// </summary>
internal sealed class DataCommand : ICommandFactory
{
    public Command Create()
    {
        var cmd = new Command("data", "Datasets: inspect, clean (deduplicate and split) and prepare (tokenize) JSONL/JSON/CSV/TXT files.");
        cmd.Subcommands.Add(Inspect());
        cmd.Subcommands.Add(Clean());
        cmd.Subcommands.Add(Prepare());
        return cmd;
    }

    private static Argument<string[]> Files() => new("files") { Description = "Dataset files (.jsonl, .json, .csv, .tsv, .txt, optionally .gz); several files are one dataset.", Arity = ArgumentArity.OneOrMore };

    private static Option<string?> FormatOption() => new("--format") { Description = "Force a format (conversational, sharegpt, prompt-completion, conversational-prompt-completion, instruction, text) instead of detecting it." };

    private static Option<string?> TemplateOption() => new("--chat-template") { Description = "A built-in template (chatml, llama3, mistral, zephyr, alpaca), a tokenizer_config.json or a .jinja file; default: the tokenizer's own." };

    private static DatasetLoadOptions LoadOptions(bool lenient, string? format, bool allowEmpty = false) => new()
    {
        Lenient = lenient,
        Format = format is null ? null : DatasetFormats.Parse(format),
        AllowEmptyTurns = allowEmpty,
    };

    private static Command Inspect()
    {
        var files = Files();
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Model folder (tokenizer.json + tokenizer_config.json) or tokenizer.json: lengths in tokens with the chat template applied. Without it, lengths are in characters." };
        var template = TemplateOption();
        var maxLength = new Option<int?>("--max-length") { Description = "Report how many rows this many tokens would truncate." };
        var assistantOnly = new Option<bool>("--assistant-only-loss") { Description = "Count learned tokens as with assistant_only_loss." };
        var strict = new Option<bool>("--strict") { Description = "Stop at the first bad row instead of listing every bad row." };
        var format = FormatOption();
        var html = new Option<string?>("--html") { Description = "Also write the report and the length histogram as an HTML page." };
        var cmd = new Command("inspect", "Report on a dataset: rows, roles, lengths, truncation, duplicates, empty turns, language mix, bad rows.")
        {
            files, tokenizer, template, maxLength, assistantOnly, strict, format, html,
        };
        cmd.SetAction(p =>
        {
            var data = Dataset.Load(p.GetValue(files)!, LoadOptions(!p.GetValue(strict), p.GetValue(format), allowEmpty: true));
            var builder = p.GetValue(tokenizer) is { } t
                ? ExampleBuilder.FromFiles(t, p.GetValue(template), new ExampleOptions { AssistantOnlyLoss = p.GetValue(assistantOnly) })
                : null;
            var report = data.Inspect(builder, p.GetValue(maxLength));
            Console.Write(report.ToTable());
            List(report.Skipped.Select(s => s.ToString()), "bad rows (left out)");
            List(report.FailedToBuild.Select(s => s.ToString()), "rows that fail to build");
            List(report.Duplicates.Select(d => d.ToString()), "duplicates");
            if (p.GetValue(html) is { } path)
            {
                var figure = report.LengthsFigure();
                var page = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Dataset report</title></head><body>" + report.ToHtml() + figure.ToHtml() + "</body></html>";
                AtomicFile.WriteAllText(path, page);
                Console.WriteLine($"wrote {path}");
            }
            return 0;
        });
        return cmd;
    }

    private static void List(IEnumerable<string> items, string title, int max = 10)
    {
        var all = items.ToList();
        if (all.Count == 0) return;
        Console.WriteLine($"\n{title} ({all.Count}{(all.Count > max ? $", first {max}" : "")}):");
        foreach (var s in all.Take(max)) Console.WriteLine("  " + s);
    }

    private static Command Clean()
    {
        var files = Files();
        var output = new Option<string>("--out") { Description = "Output folder: train.jsonl, validation.jsonl, test.jsonl, removed.jsonl (and skipped.jsonl with --lenient).", Required = true };
        var validation = new Option<double>("--validation") { Description = "Share of rows for validation.", DefaultValueFactory = _ => 0 };
        var test = new Option<double>("--test") { Description = "Share of rows for test.", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the split (and of --shuffle).", DefaultValueFactory = _ => 42 };
        var noDedup = new Option<bool>("--no-dedup") { Description = "Keep duplicates." };
        var noNear = new Option<bool>("--exact-only") { Description = "Remove exact duplicates only." };
        var threshold = new Option<double>("--threshold") { Description = "Jaccard similarity of word 5-grams at which rows are near duplicates.", DefaultValueFactory = _ => 0.8 };
        var shuffle = new Option<bool>("--shuffle") { Description = "Shuffle each output file (by the seed) instead of keeping the input order." };
        var lenient = new Option<bool>("--lenient") { Description = "Skip bad rows (listed in skipped.jsonl) instead of stopping at the first." };
        var format = FormatOption();
        var cmd = new Command("clean", "Remove exact and near duplicates, then split into train/validation/test by a seed.")
        {
            files, output, validation, test, seed, noDedup, noNear, threshold, shuffle, lenient, format,
        };
        cmd.SetAction(p =>
        {
            var data = Dataset.Load(p.GetValue(files)!, LoadOptions(p.GetValue(lenient), p.GetValue(format)));
            var dir = p.GetValue(output)!;
            Directory.CreateDirectory(dir);
            IReadOnlyList<DuplicateRow> removed = [];
            if (!p.GetValue(noDedup))
            {
                var result = data.Deduplicate(new DeduplicationOptions { Near = !p.GetValue(noNear), Threshold = p.GetValue(threshold) });
                data = result.Kept;
                removed = result.Removed;
            }
            WriteLines(Path.Combine(dir, "removed.jsonl"), removed.Select(d => new JsonObject
            {
                ["file"] = d.Removed.File, ["line"] = d.Removed.Line, ["duplicate_of_file"] = d.KeptAs.File, ["duplicate_of_line"] = d.KeptAs.Line,
                ["exact"] = d.Exact, ["similarity"] = Math.Round(d.Similarity, 4),
            }.ToJsonString()));
            if (data.Skipped.Count > 0)
                WriteLines(Path.Combine(dir, "skipped.jsonl"), data.Skipped.Select(s => new JsonObject
                {
                    ["file"] = s.File, ["line"] = s.Line, ["field"] = s.Field, ["problem"] = s.Problem.ToString(), ["detail"] = s.Detail,
                }.ToJsonString()));
            var seedValue = p.GetValue(seed);
            var splits = data.Split(p.GetValue(validation), p.GetValue(test), seedValue);
            var parts = new[] { ("train", splits.Train), ("validation", splits.Validation), ("test", splits.Test) };
            foreach (var (name, part) in parts)
            {
                if (part.Count == 0 && name != "train") continue;
                (p.GetValue(shuffle) ? part.Shuffle(seedValue) : part).Save(Path.Combine(dir, name + ".jsonl"));
            }
            var exact = removed.Count(d => d.Exact);
            Console.WriteLine($"{data.Count + removed.Count} rows read ({DatasetFormats.Describe(data.Format)}), {data.Skipped.Count} bad rows skipped, " +
                              $"{exact} exact and {removed.Count - exact} near duplicates removed");
            Console.WriteLine($"train {splits.Train.Count}, validation {splits.Validation.Count}, test {splits.Test.Count} (seed {seedValue}) -> {dir}");
            return 0;
        });
        return cmd;
    }

    private static void WriteLines(string path, IEnumerable<string> lines) =>
        AtomicFile.Write(path, tmp =>
        {
            using var w = new StreamWriter(tmp, false, new System.Text.UTF8Encoding(false));
            foreach (var l in lines) w.Write(l + "\n");
        });

    private static Command Prepare()
    {
        var files = Files();
        var tokenizer = new Option<string>("--tokenizer") { Description = "Model folder (tokenizer.json + tokenizer_config.json) or tokenizer.json.", Required = true };
        var template = TemplateOption();
        var output = new Option<string>("--out") { Description = "Output JSONL: {\"input_ids\": [...], \"labels\": [...]} per row.", Required = true };
        var maxLength = new Option<int?>("--max-length") { Description = "Truncate examples to this many tokens." };
        var truncation = new Option<string>("--truncation-mode") { Description = "keep_start or keep_end.", DefaultValueFactory = _ => "keep_start" };
        var assistantOnly = new Option<bool>("--assistant-only-loss") { Description = "Learn only the assistant turns (content + end-of-turn)." };
        var completionOnly = new Option<bool?>("--completion-only-loss") { Description = "For prompt-completion data: learn only the completion (default true)." };
        var lenient = new Option<bool>("--lenient") { Description = "Skip bad rows (listed on stderr) instead of stopping at the first." };
        var format = FormatOption();
        var cmd = new Command("prepare", "Tokenize a dataset with the chat template and loss mask into the JSONL `sftlab train` reads.")
        {
            files, tokenizer, template, output, maxLength, truncation, assistantOnly, completionOnly, lenient, format,
        };
        cmd.SetAction(p =>
        {
            var builder = ExampleBuilder.FromFiles(p.GetValue(tokenizer)!, p.GetValue(template), new ExampleOptions
            {
                MaxLength = p.GetValue(maxLength),
                TruncationMode = p.GetValue(truncation)!,
                AssistantOnlyLoss = p.GetValue(assistantOnly),
                CompletionOnlyLoss = p.GetValue(completionOnly),
            });
            var options = LoadOptions(p.GetValue(lenient), p.GetValue(format));
            var skipped = new List<SkippedRow>();
            long rows = 0, tokens = 0, learned = 0, truncated = 0;
            var outPath = p.GetValue(output)!;
            AtomicFile.Write(outPath, tmp =>
            {
                using var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
                using var json = new Utf8JsonWriter(stream);
                // Streams the input in chunks: a chunk is built in parallel, written, and forgotten.
                foreach (var file in p.GetValue(files)!)
                    foreach (var chunk in Dataset.Stream(file, options, options.Lenient ? skipped : null).Chunk(1024))
                    {
                        BuiltExample?[] built;
                        if (options.Lenient)
                        {
                            built = new BuiltExample?[chunk.Length];
                            var errors = new DatasetException?[chunk.Length];
                            Parallel.For(0, chunk.Length, i =>
                            {
                                try { built[i] = builder.Render(chunk[i]); }
                                catch (DatasetException e) { errors[i] = e; }
                            });
                            skipped.AddRange(errors.OfType<DatasetException>().Select(e => e.ToSkippedRow()));
                        }
                        else built = builder.RenderAll(chunk);
                        foreach (var b in built.OfType<BuiltExample>())
                        {
                            var e = b.Example;
                            json.WriteStartObject();
                            json.WriteStartArray("input_ids");
                            foreach (var id in e.InputIds) json.WriteNumberValue(id);
                            json.WriteEndArray();
                            json.WriteStartArray("labels");
                            foreach (var l in e.Labels) json.WriteNumberValue(l);
                            json.WriteEndArray();
                            json.WriteEndObject();
                            json.Flush();
                            stream.WriteByte((byte)'\n');
                            json.Reset();
                            rows++;
                            tokens += e.Length;
                            learned += e.LabelTokenCount;
                            if (b.Truncated) truncated++;
                        }
                    }
            });
            foreach (var s in skipped.Take(20)) Console.Error.WriteLine($"skipped: {s}");
            if (skipped.Count > 20) Console.Error.WriteLine($"... and {skipped.Count - 20} more");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{rows} examples, {tokens} tokens, {learned} learned ({(tokens == 0 ? 0 : (double)learned / tokens):P1}), {truncated} truncated, {skipped.Count} rows skipped -> {outPath}"));
            return 0;
        });
        return cmd;
    }
}
