using System.Diagnostics;
using System.Text.Json.Nodes;
using SftLab.Tests.Cli;

namespace SftLab.Tests.Kernel;

/// <summary>Tests that start kernels, Jupyter clients or browsers run one at a time (the machines have 2 cores).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class JupyterCollection
{
    public const string Name = "jupyter: kernels, clients and browsers";
}

/// <summary>
/// Finds the repository, Debian's Python with Jupyter's client, and runs the reference scripts of
/// tests/oracles/jupyter. A missing tool fails the test with a message pointing at scripts/setup.sh.
/// </summary>
public static class JupyterTools
{
    public const string Python = "/usr/bin/python3";
    private const string SetupHint = "run scripts/setup.sh (it installs python3-jupyter-client, python3-nbclient, jupyter-notebook, chromium and the npm packages of tests/oracles/jupyter)";

    private static readonly Lazy<string?> PythonProblem = new(() =>
    {
        if (!File.Exists(Python)) return $"{Python} does not exist; {SetupHint}";
        var (code, _, err) = Exec(Python, ["-c", "import jupyter_client, nbclient, nbformat"], null, TimeSpan.FromMinutes(1));
        return code == 0 ? null : $"{Python} cannot import jupyter_client/nbclient/nbformat ({err.Trim()}); {SetupHint}";
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

    public static string OraclesDirectory => Path.Combine(RepoRoot, "tests", "oracles", "jupyter");

    /// <summary>Fails the test unless Debian's Python has Jupyter's client packages.</summary>
    public static void RequirePython()
    {
        if (PythonProblem.Value is { } p) Assert.Fail(p);
    }

    /// <summary>A new temporary folder, deleted by the returned handle.</summary>
    public static TempDir CreateTempDir(string prefix) => new(prefix);

    /// <summary>
    /// Installs the kernelspec of the CLI beside the tests into <paramref name="jupyterPath"/>/kernels (through
    /// `sftlab kernel install --jupyter-path`), so clients given JUPYTER_PATH=<paramref name="jupyterPath"/> find it.
    /// </summary>
    public static void InstallKernelSpec(string jupyterPath)
    {
        var (code, stdout, stderr) = CliRunner.Run("kernel", "install", "--jupyter-path", jupyterPath);
        Assert.True(code == 0, $"sftlab kernel install failed ({code}):\n{stdout}\n{stderr}");
        Assert.True(File.Exists(Path.Combine(jupyterPath, "kernels", "sftlab-csharp", "kernel.json")), stdout);
    }

    /// <summary>Runs a Python script of tests/oracles/jupyter with JUPYTER_PATH set; fails the test on a non-zero exit.</summary>
    public static string RunOracle(string script, IEnumerable<string> args, string jupyterPath, int timeoutSeconds = 300)
    {
        RequirePython();
        var path = Path.Combine(OraclesDirectory, script);
        Assert.True(File.Exists(path), $"oracle script not found: {path}");
        var (code, stdout, stderr) = Exec(Python, [path, .. args], new Dictionary<string, string> { ["JUPYTER_PATH"] = jupyterPath },
            TimeSpan.FromSeconds(timeoutSeconds));
        Assert.True(code == 0, $"{script} failed (exit {code}):\n{stderr}\n{stdout}");
        return stdout;
    }

    /// <summary>Validates a notebook file with nbformat (the reference implementation of the format).</summary>
    public static string? ValidateNotebook(string path)
    {
        RequirePython();
        var (code, stdout, stderr) = Exec(Python, ["-c", """
            import sys, nbformat
            nb = nbformat.read(sys.argv[1], as_version=nbformat.NO_CONVERT)
            nbformat.validate(nb)
            print(f"{nb.nbformat}.{nb.nbformat_minor}")
            """, path], null, TimeSpan.FromMinutes(1));
        return code == 0 ? stdout.Trim() : throw new Xunit.Sdk.XunitException($"nbformat rejects {path}:\n{stderr}");
    }

    /// <summary>Runs a program; returns exit code, stdout and stderr (killed after <paramref name="timeout"/>).</summary>
    public static (int Code, string StdOut, string StdErr) Exec(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env, TimeSpan timeout, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        if (workingDirectory != null) psi.WorkingDirectory = workingDirectory;
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env != null)
            foreach (var (k, v) in env)
                psi.Environment[k] = v;
        psi.Environment["PYDEVD_DISABLE_FILE_VALIDATION"] = "1";
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout.TotalSeconds:0} s\n{stderr.Result}");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs `sftlab` (the CLI beside the tests) with a timeout.</summary>
    public static (int Code, string StdOut, string StdErr) Sftlab(params string[] args) => CliRunner.Run(args, null, 300_000);

    /// <summary>The outputs of every code cell of a notebook file, as JSON.</summary>
    public static List<(int Index, JsonArray Outputs)> CodeOutputs(string notebookPath)
    {
        var nb = JsonNode.Parse(File.ReadAllText(notebookPath))!;
        var result = new List<(int, JsonArray)>();
        var cells = nb["cells"]!.AsArray();
        for (var i = 0; i < cells.Count; i++)
            if ((string?)cells[i]!["cell_type"] == "code")
                result.Add((i, cells[i]!["outputs"]?.AsArray() ?? []));
        return result;
    }

    /// <summary>Text of a cell's stream outputs.</summary>
    public static string StreamText(JsonArray outputs) =>
        string.Concat(outputs.Where(o => (string?)o!["output_type"] == "stream").Select(o => SourceText(o!["text"])));

    /// <summary>nbformat multiline strings: a string or a list of strings.</summary>
    public static string SourceText(JsonNode? node) => node switch
    {
        JsonArray a => string.Concat(a.Select(x => (string?)x)),
        null => "",
        _ => (string?)node ?? "",
    };
}

/// <summary>A temporary folder deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
