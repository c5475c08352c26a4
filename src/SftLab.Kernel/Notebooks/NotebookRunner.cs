using System.Diagnostics;
using System.Text.Json.Nodes;

namespace SftLab.Kernel.Notebooks;

/// <summary>Options of a headless notebook run.</summary>
public sealed record NotebookRunOptions
{
    /// <summary>The notebook to run.</summary>
    public required string NotebookPath { get; init; }

    /// <summary>Where to write the executed notebook (default: over the input, like papermill's in-place mode).</summary>
    public string? OutputPath { get; init; }

    /// <summary>Overrides for the parameters cell, name → value as typed on the command line.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } = [];

    /// <summary>The longest a single cell may run.</summary>
    public TimeSpan CellTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The command that starts the kernel (default: this process's dotnet + SftLab CLI).</summary>
    public IReadOnlyList<string>? KernelLauncher { get; init; }

    /// <summary>The Python that has nbclient (default: $SFTLAB_PYTHON, else /usr/bin/python3, Debian's).</summary>
    public string? Python { get; init; }
}

/// <summary>The outcome of a headless run.</summary>
public sealed record NotebookRunResult
{
    /// <summary>True when every cell ran without error.</summary>
    public bool Succeeded { get; init; }

    /// <summary>Where the executed notebook was written.</summary>
    public string OutputPath { get; init; } = "";

    /// <summary>Index of the failed cell in the original notebook (0-based; -1 for the injected parameters cell), or null.</summary>
    public int? FailedCell { get; init; }

    /// <summary>The error's name (exception type), message and traceback, when a cell failed.</summary>
    public string? ErrorName { get; init; }

    /// <summary>The error's message.</summary>
    public string? ErrorValue { get; init; }

    /// <summary>The traceback lines of the failed cell.</summary>
    public IReadOnlyList<string> Traceback { get; init; } = [];

    /// <summary>A one-paragraph description of the failure naming notebook, cell and error (empty on success).</summary>
    public string Message { get; init; } = "";
}

/// <summary>
/// Runs a notebook headless through Jupyter's own client (Debian's python3-nbclient), papermill-style:
/// the overrides go into a cell tagged <c>injected-parameters</c> after the <c>parameters</c> cell, every cell
/// runs in order on the SftLab kernel, the notebook is written back with its outputs, and the first failing
/// cell is reported with its index and error.
/// </summary>
public static class NotebookRunner
{
    /// <summary>The folder of the Python driver scripts shipped beside this assembly.</summary>
    public static string ScriptsDirectory => Path.Combine(AppContext.BaseDirectory, "python");

    /// <summary>The Python interpreter with Debian's Jupyter packages.</summary>
    public static string DefaultPython =>
        Environment.GetEnvironmentVariable("SFTLAB_PYTHON") is { Length: > 0 } p ? p
        : File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>
    /// Installs a kernelspec for <paramref name="launcher"/> into a new temporary Jupyter data folder and returns
    /// that folder (put it first in JUPYTER_PATH). The caller deletes it.
    /// </summary>
    public static string CreateTemporaryJupyterPath(IReadOnlyList<string>? launcher = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"sftlab-jupyter-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        KernelSpec.Install(Path.Combine(dir, "kernels"), KernelSpec.DefaultName, KernelSpec.DefaultDisplayName, launcher);
        return dir;
    }

    /// <summary>JUPYTER_PATH with <paramref name="first"/> in front of the current value.</summary>
    public static string JupyterPathWith(string first) =>
        Environment.GetEnvironmentVariable("JUPYTER_PATH") is { Length: > 0 } existing ? first + Path.PathSeparator + existing : first;

    /// <summary>Runs the notebook; bad input (a missing file, an unknown parameter) throws with a message naming it.</summary>
    public static NotebookRunResult Run(NotebookRunOptions options, TextWriter? log = null)
    {
        var input = Path.GetFullPath(options.NotebookPath);
        if (!File.Exists(input)) throw new FileNotFoundException($"{options.NotebookPath}: no such notebook", input);
        var output = Path.GetFullPath(options.OutputPath ?? options.NotebookPath);
        var doc = NotebookDocument.Load(input);

        // Drop an injected cell left by an earlier in-place run, then inject the new overrides.
        var injectedAt = -2;
        var parametersCell = doc.FindTagged(NotebookParameters.ParametersTag);
        var stale = doc.Cells.Where(c => c.Tags.Contains(NotebookParameters.InjectedTag)).Select(c => c.Index).OrderDescending().ToList();
        foreach (var i in stale) ((JsonArray)doc.Root["cells"]!).RemoveAt(i);
        if (stale.Count > 0)
        {
            doc = NotebookDocument.Parse(doc.ToJson(), input);
            parametersCell = doc.FindTagged(NotebookParameters.ParametersTag);
        }
        if (options.Parameters.Count > 0)
        {
            var declared = parametersCell is null ? null : NotebookParameters.Declarations(parametersCell.Source);
            var code = NotebookParameters.InjectedCode(options.Parameters, declared, options.NotebookPath);
            injectedAt = parametersCell is null ? 0 : parametersCell.Index + 1;
            if (parametersCell is null)
                log?.WriteLine($"{options.NotebookPath}: no cell is tagged \"parameters\"; the parameters go into a new first cell");
            doc.InsertCodeCell(injectedAt, code, NotebookParameters.InjectedTag);
        }

        var work = Path.Combine(Path.GetTempPath(), $"sftlab-run-{Guid.NewGuid():N}.ipynb");
        doc.Save(work);
        var jupyterPath = CreateTemporaryJupyterPath(options.KernelLauncher);
        try
        {
            var psi = new ProcessStartInfo(options.Python ?? DefaultPython)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var a in new[]
                     {
                         Path.Combine(ScriptsDirectory, "run_notebook.py"), work, output, "--kernel", KernelSpec.DefaultName,
                         "--timeout", options.CellTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                         "--cwd", Path.GetDirectoryName(input)!,
                     })
                psi.ArgumentList.Add(a);
            psi.Environment["JUPYTER_PATH"] = JupyterPathWith(jupyterPath);
            psi.Environment["PYDEVD_DISABLE_FILE_VALIDATION"] = "1";
            Process p;
            try
            {
                p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start python");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException($"cannot start {psi.FileName}: {e.Message}. Install Debian's python3-nbclient (scripts/setup.sh does) or set SFTLAB_PYTHON.", e);
            }
            using (p)
            {
                var stderrTask = p.StandardError.ReadToEndAsync();
                var stdout = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                var stderr = stderrTask.Result;
                var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.TrimStart().StartsWith('{'));
                if (line is null || JsonNode.Parse(line) is not JsonObject r)
                    throw new InvalidOperationException($"{options.NotebookPath}: the Jupyter client failed (exit {p.ExitCode}):\n{Tail(stderr + stdout)}");
                if ((bool?)r["ok"] == true)
                    return new NotebookRunResult { Succeeded = true, OutputPath = output };
                if (r["fatal"] is { } fatal)
                    throw new InvalidOperationException($"{options.NotebookPath}: {fatal}\n{Tail(stderr)}");
                var executedIndex = (int?)r["cell"] ?? 0;
                var originalIndex = injectedAt < 0 || executedIndex < injectedAt ? executedIndex
                    : executedIndex == injectedAt ? -1
                    : executedIndex - 1;
                var traceback = r["traceback"] is JsonArray tb ? tb.Select(t => StripAnsi((string?)t ?? "")).ToList() : [];
                var ename = (string?)r["ename"] ?? "Error";
                var evalue = (string?)r["evalue"] ?? "";
                var where = originalIndex < 0 ? "the injected parameters cell" : $"cell {originalIndex} (0-based index, markdown cells included)";
                return new NotebookRunResult
                {
                    Succeeded = false,
                    OutputPath = output,
                    FailedCell = originalIndex,
                    ErrorName = ename,
                    ErrorValue = evalue,
                    Traceback = traceback,
                    Message = $"{options.NotebookPath}: {where} failed: {ename}: {evalue}\n{string.Join("\n", traceback)}",
                };
            }
        }
        finally
        {
            TryDelete(work);
            try
            {
                Directory.Delete(jupyterPath, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string Tail(string text) => text.Length > 4000 ? "…" + text[^4000..] : text;

    private static string StripAnsi(string s) => System.Text.RegularExpressions.Regex.Replace(s, "\u001b\\[[0-9;]*m", "");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
