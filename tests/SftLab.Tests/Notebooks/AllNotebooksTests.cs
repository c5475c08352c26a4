using System.Text.Json.Nodes;
using SftLab.Tests.Kernel;

namespace SftLab.Tests.Notebooks;

/// <summary>
/// Every notebook in notebooks/: valid nbformat 4.5 for the SftLab kernel, with a parameters cell and no stored
/// outputs, and it runs from top to bottom through Jupyter's own client with the small parameters of
/// notebooks/ci-parameters.json (notebook file name → { parameter: value }), without a cell error.
/// </summary>
[Collection(JupyterCollection.Name)]
public sealed class AllNotebooksTests
{
    private static string NotebooksDirectory => Path.Combine(JupyterTools.RepoRoot, "notebooks");

    private static List<string> NotebookNames() =>
        [.. Directory.GetFiles(NotebooksDirectory, "*.ipynb").Select(f => Path.GetFileName(f)).OrderBy(f => f, StringComparer.Ordinal)];

    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        foreach (var name in NotebookNames()) data.Add(name);
        return data;
    }

    /// <summary>The -p overrides for a notebook from notebooks/ci-parameters.json (none when it is not listed).</summary>
    public static IReadOnlyList<string> CiParameters(string notebook)
    {
        var file = Path.Combine(NotebooksDirectory, "ci-parameters.json");
        if (!File.Exists(file)) return [];
        var root = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        if (root[notebook] is not JsonObject p) return [];
        return [.. p.Select(kv => $"{kv.Key}={(kv.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : kv.Value!.ToJsonString())}")];
    }

    [Fact]
    public void TheFolderHasTheWelcomeNotebook() => Assert.Contains("00-welcome.ipynb", NotebookNames());

    [Fact]
    public void CiParametersNameExistingNotebooks()
    {
        var file = Path.Combine(NotebooksDirectory, "ci-parameters.json");
        if (!File.Exists(file)) return;
        foreach (var (name, _) in JsonNode.Parse(File.ReadAllText(file))!.AsObject())
            Assert.True(File.Exists(Path.Combine(NotebooksDirectory, name)), $"ci-parameters.json names {name}, which is not in notebooks/");
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void NotebookIsValidForTheSftLabKernel(string name)
    {
        var path = Path.Combine(NotebooksDirectory, name);
        Assert.Equal("4.5", JupyterTools.ValidateNotebook(path));
        var nb = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal("sftlab-csharp", (string?)nb["metadata"]!["kernelspec"]!["name"]);
        Assert.Equal("C#", (string?)nb["metadata"]!["kernelspec"]!["language"]);
        var cells = nb["cells"]!.AsArray();
        Assert.True(cells.Count(c => c!["metadata"]?["tags"]?.AsArray().Any(t => (string?)t == "parameters") == true) == 1,
            $"{name}: exactly one code cell must be tagged \"parameters\" (CI overrides its values)");
        var withOutputs = cells.Select((c, i) => (c, i)).Where(x => x.c!["outputs"]?.AsArray().Count > 0).Select(x => x.i).ToList();
        Assert.True(withOutputs.Count == 0,
            $"{name}: cells {string.Join(", ", withOutputs)} have stored outputs; clear them before committing (jupyter nbconvert --clear-output --inplace {name})");
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void NotebookRunsHeadlessWithoutErrors(string name)
    {
        JupyterTools.RequirePython();
        var path = Path.Combine(NotebooksDirectory, name);
        var outDir = Path.Combine(JupyterTools.RepoRoot, "build", "notebook-runs");
        Directory.CreateDirectory(outDir);
        var output = Path.Combine(outDir, name);
        var args = new List<string> { "notebook", "run", path, "-o", output, "--timeout", "900" };
        foreach (var p in CiParameters(name)) args.AddRange(["-p", p]);
        var (code, stdout, stderr) = JupyterTools.Sftlab([.. args]);
        Assert.True(code == 0, $"sftlab {string.Join(' ', args)} failed ({code}):\n{stdout}\n{stderr}");
        JupyterTools.ValidateNotebook(output);
        var errors = JupyterTools.CodeOutputs(output)
            .SelectMany(c => c.Outputs.Where(o => (string?)o!["output_type"] == "error").Select(o => $"cell {c.Index}: {o!["ename"]}: {o["evalue"]}"))
            .ToList();
        Assert.Empty(errors);
        // Nothing below a cell says a display failed (a formatter that threw renders as text, not as an error).
        var failedDisplays = JupyterTools.CodeOutputs(output)
            .SelectMany(c => c.Outputs.Select(o => JupyterTools.SourceText(o!["data"]?["text/plain"])).Where(t => t.Contains("formatting failed", StringComparison.Ordinal)).Select(t => $"cell {c.Index}: {t}"))
            .ToList();
        Assert.Empty(failedDisplays);
    }
}
