using System.Text.Json.Nodes;
using SftLab.Tests.Kernel;
using Xunit.Abstractions;

namespace SftLab.Tests.Notebooks;

/// <summary>
/// The notebook as a person sees it: Debian's jupyter-notebook (classic UI) on 127.0.0.1, headless Chromium
/// (driven by playwright-core from npm) runs 00-welcome with the SftLab kernel; the charts must be drawn by
/// Plotly (svg.main-svg in the page). The screenshot is kept in build/notebook-screenshots/.
/// </summary>
[Collection(JupyterCollection.Name)]
public sealed class BrowserTests(ITestOutputHelper output)
{
    [Fact]
    public void WelcomeNotebookRunsInTheClassicNotebookAndDrawsItsCharts()
    {
        JupyterTools.RequirePython();
        var oracles = JupyterTools.OraclesDirectory;
        Assert.True(Directory.Exists(Path.Combine(oracles, "node_modules", "playwright-core")),
            "tests/oracles/jupyter/node_modules/playwright-core is missing: run scripts/setup.sh");
        Assert.True(File.Exists("/usr/bin/chromium"), "Debian's chromium is missing: run scripts/setup.sh");
        Assert.True(File.Exists("/usr/bin/jupyter-notebook"), "Debian's jupyter-notebook is missing: run scripts/setup.sh");

        using var jupyter = JupyterTools.CreateTempDir("sftlab-browser-kernels");
        JupyterTools.InstallKernelSpec(jupyter.Path);
        var shots = Path.Combine(JupyterTools.RepoRoot, "build", "notebook-screenshots");
        Directory.CreateDirectory(shots);
        var screenshot = Path.Combine(shots, "00-welcome.png");
        File.Delete(screenshot);
        var (code, stdout, stderr) = JupyterTools.Exec("node",
            [Path.Combine(oracles, "browser_test.mjs"), "--notebook", Path.Combine(JupyterTools.RepoRoot, "notebooks", "00-welcome.ipynb"),
                "--screenshot", screenshot, "--timeout", "240"],
            new Dictionary<string, string> { ["JUPYTER_PATH"] = jupyter.Path }, TimeSpan.FromMinutes(6), oracles);
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'));
        Assert.True(line != null, $"browser_test.mjs printed no result (exit {code}):\n{stdout}\n{stderr}");
        var r = JsonNode.Parse(line)!;
        output.WriteLine(line);
        Assert.True(code == 0 && (bool)r["ok"]!, $"{r["failure"]}\n{r["state"]}\n{r["serverLog"]}");

        Assert.Equal("sftlab", (string?)r["kernel"]!["implementation"]);
        Assert.Equal("C#", (string?)r["kernel"]!["language"]);
        Assert.Empty(r["errors"]!.AsArray());
        Assert.Equal((int)r["codeCells"]!, (int)r["executed"]!);
        // Two figures (the waves and the live loss chart), both drawn by Plotly.
        Assert.Equal(2, (int)r["figures"]!);
        Assert.Equal(2, (int)r["drawn"]!);
        Assert.True((int)r["mainSvg"]! >= 2, $"svg.main-svg elements: {r["mainSvg"]}");
        // The live chart was updated in place: its cell has one display output (plus the printed line), and
        // its final state holds every step's loss (the notebook's default steps).
        var outputs = r["outputsPerCell"]!.AsArray().Select(o => (int)o!).ToList();
        Assert.Equal(2, outputs[^2]);
        Assert.Equal(60, (int)r["lossPoints"]!);
        Assert.True(File.Exists(screenshot) && new FileInfo(screenshot).Length > 10_000, "no screenshot was saved");
    }
}
