using System.Text.Json;
using SftLab.Visualization;

namespace SftLab.Tests.Visualization;

/// <summary>
/// One headless Chromium for all browser tests of this area (each start costs 1–2 s). Pages are
/// local files; the browser has no network. A missing chromium or plotly.js fails the tests
/// with a message that says to run scripts/setup.sh.
/// </summary>
public sealed class BrowserFixture : IDisposable
{
    internal Chromium Browser { get; }
    internal string TempDir { get; } = Directory.CreateTempSubdirectory("sftlab-viz-tests-").FullName;

    public BrowserFixture()
    {
        Browser = new Chromium();
    }

    /// <summary>The repository root (the folder with SftLab.sln).</summary>
    internal static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SftLab.sln"))) return dir.FullName;
            }
            throw new InvalidOperationException("SftLab.sln not found above " + AppContext.BaseDirectory);
        }
    }

    internal static string PlotlyUri => new Uri(PlotlyJs.Locate()).AbsoluteUri;

    /// <summary>Writes <paramref name="html"/> to a file, opens it in a new tab and waits for its load event.</summary>
    internal ChromiumPage Open(string html, string name = "page")
    {
        var file = Path.Combine(TempDir, $"{name}-{Guid.NewGuid():N}.html");
        File.WriteAllText(file, html);
        return OpenFile(file);
    }

    internal ChromiumPage OpenFile(string file)
    {
        var page = Browser.NewPage();
        page.NavigateAsync(new Uri(file).AbsoluteUri).GetAwaiter().GetResult();
        return page;
    }

    internal static JsonElement Eval(ChromiumPage page, string expression) =>
        page.EvaluateAsync(expression).GetAwaiter().GetResult();

    /// <summary>Waits (in the page, polling) until <paramref name="condition"/> is true; returns false after the limit.</summary>
    internal static bool WaitFor(ChromiumPage page, string condition, int limitMs = 30000) =>
        Eval(page, $$"""
            new Promise(resolve => {
              const start = Date.now();
              (function poll() {
                let ok = false;
                try { ok = !!({{condition}}); } catch (e) { }
                if (ok) resolve(true);
                else if (Date.now() - start > {{limitMs}}) resolve(false);
                else setTimeout(poll, 25);
              })();
            })
            """).GetBoolean();

    public void Dispose()
    {
        Browser.Dispose();
        try
        {
            Directory.Delete(TempDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "visualization: one headless Chromium";
}
