using System.Diagnostics;
using SftLab.Tests.Kernel;
using Xunit.Abstractions;

namespace SftLab.Tests.Notebooks;

/// <summary>`sftlab notebook export --to cs`: the exported C# file-based app runs with `dotnet run file.cs`.</summary>
[Collection(JupyterCollection.Name)]
public sealed class NotebookExportTests(ITestOutputHelper output)
{
    private (int Code, string StdOut, string StdErr) ExportAndRun(string notebook, string program)
    {
        var (code, stdout, stderr) = JupyterTools.Sftlab("notebook", "export", notebook, "--to", "cs", "-o", program);
        Assert.True(code == 0, stdout + stderr);
        var sw = Stopwatch.StartNew();
        // Release: the referenced src/SftLab is already built in Release by the solution build.
        var result = JupyterTools.Exec("dotnet", ["run", "--file", program, "-c", "Release"],
            new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
            TimeSpan.FromMinutes(5), Path.GetDirectoryName(program));
        output.WriteLine($"dotnet run {Path.GetFileName(program)}: {sw.Elapsed.TotalSeconds:F1} s");
        return result;
    }

    [Fact]
    public void ExportedNotebookRunsAsAFileBasedApp()
    {
        using var dir = JupyterTools.CreateTempDir("sftlab-export");
        var notebook = NotebookRunTests.WriteNotebook(Path.Combine(dir.Path, "demo.ipynb"),
            NotebookRunTests.Markdown("# Demo\nA *markdown* cell."),
            NotebookRunTests.Code("int count = 3;\nstring who = \"export\";", "parameters"),
            NotebookRunTests.Code("using System.Globalization;\nrecord Pair(int A, int B);\nint Add(Pair p) => p.A + p.B;\nvar total = Add(new Pair(count, 4));\ntotal"),
            NotebookRunTests.Code("var d = display(\"first\");\nd.Update(\"second\");\nHTML(\"<b>x</b>\").Display();\nConsole.WriteLine($\"hello {who} {1.5.ToString(CultureInfo.InvariantCulture)}\");"),
            NotebookRunTests.Code("await Task.Delay(1, CancellationToken);\nTensor.Ones(2, 2).Sum().ToDouble()"));
        var program = Path.Combine(dir.Path, "demo.cs");
        var (code, stdout, stderr) = ExportAndRun(notebook, program);
        var text = File.ReadAllText(program);
        Assert.True(code == 0, $"{text}\n---\n{stdout}\n{stderr}");
        Assert.Contains("// # Demo", text);
        Assert.Contains("// A *markdown* cell.", text);
        Assert.Contains("#:project ", text);
        Assert.Equal(["7", "first", "second", "[HTML, 8 characters]", "hello export 1.5", "4"],
            stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')));
    }

    [Fact]
    public void WelcomeNotebookExportsAndRuns()
    {
        using var dir = JupyterTools.CreateTempDir("sftlab-export-welcome");
        var program = Path.Combine(dir.Path, "welcome.cs");
        var (code, stdout, stderr) = ExportAndRun(Path.Combine(JupyterTools.RepoRoot, "notebooks", "00-welcome.ipynb"), program);
        Assert.True(code == 0, $"{stdout}\n{stderr}");
        Assert.Contains("loss fell from", stdout);
        Assert.Contains("Tensor(shape=[3, 4]", stdout);
    }
}
