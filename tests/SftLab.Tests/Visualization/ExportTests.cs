using SftLab.Visualization;

namespace SftLab.Tests.Visualization;

/// <summary>Standalone HTML pages (offline) and PNG export (size, content), in the shared browser.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ExportTests(BrowserFixture browser)
{
    private static Figure Sample() =>
        Chart.Line(new[] { 1, 2, 3, 4 }, new[] { 4.0, 2.5, 1.8, 1.5 }, name: "train")
             .Combine(Chart.Line(new[] { 2, 4 }, new[] { 2.9, 2.0 }, name: "eval", markers: true))
             .WithTitle("Loss").WithXAxis("step").WithYAxis("loss");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void StandalonePageRendersWithTheNetworkOff(bool embed)
    {
        var dir = Path.Combine(browser.TempDir, "standalone-" + (embed ? "embedded" : "beside"));
        var path = Path.Combine(dir, "loss.html");
        Sample().SaveHtml(path, embedPlotly: embed);
        Assert.Equal(!embed, File.Exists(Path.Combine(dir, PlotlyJs.FileName)));
        var html = File.ReadAllText(path);
        Assert.DoesNotContain("http://", html[..Math.Min(html.Length, 2000)]);

        // The browser is offline (dead proxy, no DNS); the page must draw from local files alone.
        using var page = browser.OpenFile(path);
        Assert.True(BrowserFixture.WaitFor(page, "document.documentElement.getAttribute('data-sftlab-state') === 'drawn'"),
            "the page did not draw: " + string.Join("; ", page.Errors));
        Assert.Equal(2, BrowserFixture.Eval(page, "document.querySelectorAll('.scatterlayer .trace').length").GetInt32());
        var remote = page.Requests.Where(u => !u.StartsWith("file:", StringComparison.Ordinal) && !u.StartsWith("data:", StringComparison.Ordinal)).ToList();
        Assert.True(remote.Count == 0, "the page asked the network for: " + string.Join(", ", remote));
        Assert.Contains(page.Requests, u => u.EndsWith("loss.html", StringComparison.Ordinal));
        Assert.Empty(page.Errors);
    }

    [Theory]
    [InlineData(640, 360, 1.0)]
    [InlineData(300, 200, 2.0)]
    public void PngHasTheRequestedSizeAndAPicture(int width, int height, double scale)
    {
        var path = Path.Combine(browser.TempDir, $"loss-{width}x{height}@{scale}.png");
        Sample().SavePng(path, width, height, scale);
        var png = File.ReadAllBytes(path);
        var pixels = Png.Pixels(png, out var w, out var h);
        Assert.Equal((int)(width * scale), w);
        Assert.Equal((int)(height * scale), h);
        // A drawn chart, not a blank page: the blue train line and the orange eval markers are there.
        Assert.Contains(pixels, p => Near(p, 0x1f77b4));
        Assert.Contains(pixels, p => Near(p, 0xff7f0e));
    }

    [Fact]
    public void HtmlViewPngIsTheRequestedWidthAndShowsTheTokens()
    {
        using var renderer = new PngRenderer();
        var view = Views.Tokens(Samples.ChatTokens, "tokens");
        var path = Path.Combine(browser.TempDir, "tokens.png");
        renderer.Save(view, path, width: 500);
        var pixels = Png.Pixels(File.ReadAllBytes(path), out var w, out var h);
        Assert.Equal(500, w);
        Assert.InRange(h, 60, 2000);
        // The special-token fill (#ede4ff) and the first palette color (#cfe5fb) were painted.
        Assert.Contains(pixels, p => Near(p, 0xede4ff, 2));
        Assert.Contains(pixels, p => Near(p, 0xcfe5fb, 2));
    }

    private static bool Near(uint rgba, int rgb, int tolerance = 8)
    {
        int r = (int)(rgba >> 24), g = (int)(rgba >> 16) & 255, b = (int)(rgba >> 8) & 255;
        return Math.Abs(r - (rgb >> 16)) <= tolerance && Math.Abs(g - ((rgb >> 8) & 255)) <= tolerance && Math.Abs(b - (rgb & 255)) <= tolerance;
    }

    [Fact]
    public void MissingPlotlyJsSaysToRunSetup()
    {
        var root = Directory.CreateTempSubdirectory("sftlab-no-plotly-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "SftLab.sln"), "");
            var bin = Directory.CreateDirectory(Path.Combine(root, "src", "bin")).FullName;
            var e = Assert.Throws<FileNotFoundException>(() => PlotlyJs.Locate(null, [bin]));
            Assert.Contains("scripts/setup.sh", e.Message);
            Assert.Contains(Path.Combine(root, "vendor", "plotly"), e.Message);
            var env = Assert.Throws<FileNotFoundException>(() => PlotlyJs.Locate("/nonexistent/plotly.min.js", [bin]));
            Assert.Contains("SFTLAB_PLOTLY_JS", env.Message);
            // The repo's copy is what setup installed: the version it declares is the one found.
            Assert.StartsWith("4.", PlotlyJs.Version);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void ArtifactsOfEveryStandardView()
    {
        // One PNG per standard view, for a person to look at (build/visualization-artifacts/).
        var dir = Path.Combine(BrowserFixture.RepoRoot, "build", "visualization-artifacts");
        Directory.CreateDirectory(dir);
        using var renderer = new PngRenderer();
        using var dash = Samples.Dashboard();
        var figures = new (string Name, Figure Figure, int? W, int? H)[]
        {
            ("training-dashboard", dash.ToFigure(), 1000, 620),
            ("sequence-lengths", Views.SequenceLengths(Samples.SequenceLengths(), 512), 900, 450),
            ("packing", Views.Packing(Samples.PackedDocumentLengths.Select(r => (IReadOnlyList<int>)r).ToList(), 64), 900, null),
            ("attention", Views.Attention(Samples.AttentionWeights(), Samples.AttentionTokens, layer: 3, head: 1), null, null),
            ("comparison", Views.Comparison(Samples.Scores, "Zero-shot vs few-shot vs RAG vs SFT"), 800, 450),
        };
        foreach (var (name, figure, w, h) in figures)
        {
            var path = Path.Combine(dir, name + ".png");
            renderer.Save(figure, path, w, h);
            var expected = (w ?? figure.Layout.Width ?? PngRenderer.DefaultWidth, h ?? figure.Layout.Height ?? PngRenderer.DefaultHeight);
            Assert.Equal(expected, Png.Size(File.ReadAllBytes(path)));
        }
        var views = new (string Name, HtmlView View)[]
        {
            ("tokens", Views.Tokens(Samples.ChatTokens, "A chat example: prompt masked, answer trained")),
            ("token-loss", Views.TokenLoss(Samples.ChatTokens, Samples.ChatLosses(), title: "Per-token loss of the answer")),
        };
        foreach (var (name, view) in views)
        {
            var path = Path.Combine(dir, name + ".png");
            renderer.Save(view, path, width: 760);
            Assert.Equal(760, Png.Size(File.ReadAllBytes(path)).Width);
        }
    }
}
