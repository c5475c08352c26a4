using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SftLab.Tests.Evaluation;

/// <summary>
/// Runs the reference implementations in tests/oracles/metrics: oracle.py (Debian's python3-nltk,
/// python3-jsonschema, python3-numpy, python3-torch) and oracle.mjs (wink-bm25-text-search and
/// js-rouge from npm). A missing reference fails the test with a hint to run scripts/setup.sh.
/// </summary>
public static class MetricsOracle
{
    private const string Python = "/usr/bin/python3";

    public static string Folder => Path.Combine(Oracles.PythonOracle.RepoRoot, "tests", "oracles", "metrics");

    private static readonly Lazy<string?> PythonProblem = new(() =>
    {
        if (!File.Exists(Python)) return $"{Python} does not exist: run scripts/setup.sh";
        var (code, _, err) = Exec(Python, ["-c", "import nltk, jsonschema, numpy"], null, Folder);
        return code == 0 ? null : $"{Python} lacks a metrics reference ({err.Trim()}): run scripts/setup.sh (it installs python3-nltk, python3-jsonschema, python3-numpy)";
    });

    /// <summary>Sends one request to oracle.py and parses the answer.</summary>
    public static JsonNode Py(object request)
    {
        if (PythonProblem.Value is { } problem) Assert.Fail(problem);
        return Run(Python, [Path.Combine(Folder, "oracle.py")], request);
    }

    /// <summary>Sends one request to oracle.mjs and parses the answer.</summary>
    public static JsonNode Node(object request)
    {
        if (!Directory.Exists(Path.Combine(Folder, "node_modules", "wink-bm25-text-search")) || !Directory.Exists(Path.Combine(Folder, "node_modules", "js-rouge")))
            Assert.Fail("tests/oracles/metrics/node_modules is missing wink-bm25-text-search or js-rouge: run scripts/setup.sh (it runs npm ci there)");
        return Run("node", [Path.Combine(Folder, "oracle.mjs")], request);
    }

    private static JsonNode Run(string exe, string[] args, object request)
    {
        var (code, output, error) = Exec(exe, args, JsonSerializer.Serialize(request), Folder);
        if (code != 0) Assert.Fail($"{exe} {string.Join(' ', args)} failed (exit {code}):\n{error}");
        return JsonNode.Parse(output) ?? throw new InvalidOperationException($"{exe} printed no JSON");
    }

    private static (int Code, string Output, string Error) Exec(string exe, string[] args, string? stdin, string workDir)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"could not start {exe} ({e.Message}): run scripts/setup.sh");
            throw;
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            process.StandardInput.Write(stdin ?? "");
            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"{exe} {string.Join(' ', args)} did not finish within 2 minutes");
            }
            return (process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
        }
    }
}
