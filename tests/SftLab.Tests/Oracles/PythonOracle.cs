using System.Diagnostics;

namespace SftLab.Tests.Oracles;

/// <summary>
/// Runs a reference script under tests/oracles/ with Debian's python3 (which has python3-torch).
/// A missing interpreter or torch fails the test with a hint to run scripts/setup.sh: a reference
/// check is never skipped silently.
/// </summary>
public static class PythonOracle
{
    public const string Python = "/usr/bin/python3";
    private const string SetupHint = "reference tests need Debian's python3-torch at /usr/bin/python3: run scripts/setup.sh";

    private static readonly Lazy<string?> Problem = new(() =>
    {
        if (!File.Exists(Python)) return $"{Python} does not exist; {SetupHint}";
        var (code, _, err) = Exec(["-c", "import torch"], null, TimeSpan.FromMinutes(1));
        return code == 0 ? null : $"{Python} cannot import torch ({err.Trim()}); {SetupHint}";
    });

    /// <summary>The repository root (the folder holding SftLab.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "SftLab.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException($"SftLab.sln not found above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>Runs tests/oracles/<paramref name="script"/> with arguments; returns stdout, failing the test on a non-zero exit.</summary>
    public static string Run(string script, IEnumerable<string> args, string? stdin = null, int timeoutSeconds = 120)
    {
        if (Problem.Value is { } problem) Assert.Fail(problem);
        var path = Path.Combine(RepoRoot, "tests", "oracles", script);
        if (!File.Exists(path)) Assert.Fail($"oracle script not found: {path}");
        var (code, output, error) = Exec([path, .. args], stdin, TimeSpan.FromSeconds(timeoutSeconds));
        if (code != 0) Assert.Fail($"{script} {string.Join(' ', args)} failed (exit {code}):\n{error}");
        return output;
    }

    private static (int Code, string Output, string Error) Exec(string[] args, string? stdin, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = stdin != null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {Python}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin != null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Python} {string.Join(' ', args)} did not finish within {timeout}");
        }
        return (process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
    }
}
