using System.Text.Json;
using SftLab.Visualization;

namespace SftLab.Tests.Visualization;

/// <summary>
/// Notebook outputs (<see cref="Figure.ToHtml"/>) in pages that behave like Jupyter front-ends:
/// outputs inserted live (scripts re-created, as JupyterLab, classic Notebook and VS Code do),
/// replaced in place (update_display_data), a page with require.js's AMD <c>define</c>, a saved
/// notebook reopened (outputs static in the page, in order or not), and a page whose carrier is gone.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class NotebookHtmlTests(BrowserFixture browser)
{
    // Inserts HTML the way Jupyter front-ends do: innerHTML (scripts inert), then each script
    // replaced by a fresh element so it runs. An AMD define (as require.js installs) is present.
    private const string FrontEnd = """
        <!DOCTYPE html><html><head><meta charset="utf-8">
        <script>
          window.define = function () { window.amdDefineCalls = (window.amdDefineCalls || 0) + 1; };
          window.define.amd = {};
          window.render = function (output, html) {
            output.innerHTML = html;
            for (const old of Array.from(output.querySelectorAll("script"))) {
              const s = document.createElement("script");
              for (const a of Array.from(old.attributes)) s.setAttribute(a.name, a.value);
              s.text = old.textContent;
              old.replaceWith(s);
            }
          };
          window.addOutput = function (html) {
            const output = document.createElement("div");
            output.className = "output";
            document.body.appendChild(output);
            window.render(output, html);
            return document.querySelectorAll(".output").length - 1;
          };
        </script></head><body></body></html>
        """;

    private static Figure Sample(int n) => Chart.Line(Enumerable.Range(0, n), Enumerable.Range(0, n).Select(i => Math.Sqrt(i)), name: $"n{n}");

    private static string AllDrawn(int count) =>
        $"document.querySelectorAll('.sftlab-figure[data-sftlab-state=\"drawn\"]').length === {count}";

    [Fact]
    public void LiveSessionLoadsPlotlyOnceDrawsEveryFigureAndUpdatesInPlace()
    {
        using var page = browser.Open(FrontEnd, "live");
        BrowserFixture.Eval(page, $"addOutput({JsonSerializer.Serialize(FigureHtml.Fragment(Sample(3), carryLibrary: true))})");
        BrowserFixture.Eval(page, $"addOutput({JsonSerializer.Serialize(FigureHtml.Fragment(Sample(4), carryLibrary: false))})");
        BrowserFixture.Eval(page, $"addOutput({JsonSerializer.Serialize(FigureHtml.Fragment(Sample(5), carryLibrary: false))})");
        Assert.True(BrowserFixture.WaitFor(page, AllDrawn(3)), "not all figures drew: " + string.Join("; ", page.Errors));
        Assert.Equal(0, BrowserFixture.Eval(page, "window.amdDefineCalls || 0").GetInt32());
        Assert.Equal(1, BrowserFixture.Eval(page, "document.querySelectorAll('script[data-sftlab-tried]').length").GetInt32());
        // Each figure drew its own points into its own div.
        Assert.Equal("[3,4,5]", BrowserFixture.Eval(page,
            "JSON.stringify(Array.from(document.querySelectorAll('.sftlab-figure')).map(d => d.data[0].x.length))").GetString());
        var ids = BrowserFixture.Eval(page, "Array.from(document.querySelectorAll('.sftlab-figure')).map(d => d.id)").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(3, ids.Distinct().Count());

        // update_display_data: the first output (the carrier) is replaced by a newer rendering, twice.
        for (var n = 6; n <= 7; n++)
        {
            BrowserFixture.Eval(page, $"render(document.querySelectorAll('.output')[0], {JsonSerializer.Serialize(FigureHtml.Fragment(Sample(n), carryLibrary: false))})");
        }
        Assert.True(BrowserFixture.WaitFor(page, AllDrawn(3)), "the replaced figure did not draw: " + string.Join("; ", page.Errors));
        Assert.Equal(7, BrowserFixture.Eval(page, "document.querySelector('.output .sftlab-figure').data[0].x.length").GetInt32());
        // A third figure drawn after the updates purged the two replaced ones (no leaked handlers).
        BrowserFixture.Eval(page, $"addOutput({JsonSerializer.Serialize(FigureHtml.Fragment(Sample(2), carryLibrary: false))})");
        Assert.True(BrowserFixture.WaitFor(page, AllDrawn(4)));
        Assert.Equal(4, BrowserFixture.Eval(page, "window.__sftlabPlotly.drawn.length").GetInt32());
        Assert.Empty(page.Errors);
    }

    [Fact]
    public void ReopenedNotebookDrawsFromTheSavedCarrierInAnyOrder()
    {
        // A saved notebook: the outputs are in the page as static HTML. The carrier is the second
        // output here, so the first figure must wait for it.
        var html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\n" +
                   FigureHtml.Fragment(Sample(3), carryLibrary: false) +
                   FigureHtml.Fragment(Sample(4), carryLibrary: true) +
                   FigureHtml.Fragment(Sample(5), carryLibrary: false) +
                   "</body></html>";
        using var page = browser.Open(html, "reopened");
        Assert.True(BrowserFixture.WaitFor(page, AllDrawn(3)), "not all figures drew: " + string.Join("; ", page.Errors));
        Assert.Empty(page.Errors);
    }

    [Fact]
    public void WithoutAnyCarrierTheOutputSaysWhatToDoInsteadOfStayingBlank()
    {
        var html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><script>window.__sftlabPlotlyWaitMs = 300;</script></head><body>\n" +
                   FigureHtml.Fragment(Sample(3), carryLibrary: false) + "</body></html>";
        using var page = browser.Open(html, "no-carrier");
        Assert.True(BrowserFixture.WaitFor(page, "document.querySelector('.sftlab-figure').getAttribute('data-sftlab-state') === 'no-plotly'", 10000));
        var text = BrowserFixture.Eval(page, "document.querySelector('.sftlab-figure').textContent").GetString();
        Assert.Contains("plotly.js is not on this page", text);
        Assert.Contains("ResetNotebookSession", text);
    }
}
