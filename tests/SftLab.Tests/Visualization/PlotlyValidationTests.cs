using System.Text;
using System.Text.Json;
using SftLab.Visualization;

namespace SftLab.Tests.Visualization;

/// <summary>
/// The oracle is plotly.js itself, in headless Chromium: every figure's JSON must pass
/// <c>Plotly.validate</c> (unknown attributes, invalid values, nulls in scalar fields, unused
/// axes are all reported) and draw with the expected number of traces and points in the DOM.
/// All cases run in one page.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PlotlyValidationTests(BrowserFixture browser)
{
    private sealed record Case(string Name, Figure Figure, Dictionary<string, int> Counts, string? Extra = null, string? ExpectedExtra = null,
        string[]? AllowedCodes = null);

    private static IEnumerable<Case> Cases()
    {
        yield return new("scatter lines+markers",
            new Figure(new Scatter { X = new[] { 1, 2, 3, 4, 5 }, Y = new[] { 2.0, 1, 3, 5, 4 }, Mode = "lines+markers", Name = "a" }),
            new() { [".scatterlayer .trace"] = 1, [".scatterlayer path.point"] = 5, [".scatterlayer path.js-line"] = 1 });

        // NaN and infinity are gaps: no marker there, and the line breaks: [1, 2], [4], [6].
        yield return new("scatter with NaN and infinity",
            Chart.Line(new[] { 1, 2, 3, 4, 5, 6 }, new[] { 1.0, 2, double.NaN, 4, double.PositiveInfinity, 6 }, markers: true),
            new() { [".scatterlayer path.point"] = 4, [".scatterlayer path.js-line"] = 3 });

        yield return new("two lines combined, log axis, legend, template",
            Chart.Line(new[] { 1, 2, 3 }, new[] { 3.0, 1, 0.5 }, name: "train")
                .Combine(Chart.Line(new[] { 1, 3 }, new[] { 2.0, 0.8 }, name: "eval", dash: "dash", markers: true))
                .WithTitle("Loss").WithXAxis("step").WithYAxis("loss", type: "log", min: -1, max: 1)
                .WithLegend(true, "h").WithTemplate(Template.Dark()),
            new() { [".scatterlayer .trace"] = 2, [".legend .traces"] = 2, [".scatterlayer path.point"] = 2, [".g-gtitle text"] = 1 });

        yield return new("scatter with dates and categories",
            Chart.Scatter(new[] { new DateTime(2026, 1, 1), new DateTime(2026, 1, 2, 12, 0, 0) }, new[] { "low", "high" }, text: ["a", "b"]),
            new() { [".scatterlayer path.point"] = 2 },
            "gd._fullLayout.xaxis.type + '/' + gd._fullLayout.yaxis.type", "\"date/category\"");

        yield return new("bar with error bars",
            Chart.Bar(new[] { "a", "b", "c" }, new[] { 1.0, 2, 3 }, name: "m", errors: [0.1, 0.2, 0.3]),
            new() { [".barlayer .trace"] = 1, [".barlayer .point"] = 3, [".errorbar"] = 3 });

        yield return new("horizontal bar",
            Chart.HorizontalBar(new[] { 5, 7 }, new[] { "x", "y" }),
            new() { [".barlayer .point"] = 2 });

        // plotly bins the raw values; NaN is not counted.
        yield return new("histogram with explicit bins",
            new Figure(new Histogram { X = new[] { 1.0, 2, 2, 3, 3, 3, double.NaN }, XBins = new Bins { Start = 0.5, End = 3.5, Size = 1 } }),
            new() { [".barlayer .point"] = 3 },
            "gd.calcdata[0].map(b => b.s)", "[1,2,3]");

        yield return new("heatmap with a gap and labels",
            Chart.Heatmap([[1, 2, 3, 4], [5, double.NaN, 7, 8], [9, 10, 11, 12]], ["a", "b", "c", "d"], ["r0", "r1", "r2"]),
            new() { [".heatmaplayer .hm"] = 1, [".heatmaplayer image"] = 1 },
            "[gd.calcdata[0][0].z.length, gd.calcdata[0][0].z[0].length]", "[3,4]");

        yield return new("box",
            Chart.Box(new[] { 1.0, 2, 2.5, 3, 4, 20 }, name: "b"),
            new() { [".boxlayer .trace"] = 1, [".boxlayer path.box"] = 1 });

        yield return new("table",
            Chart.Table(["step", "loss"], new[] { 1, 2, 3 }, new[] { 2.5, 1.9, 1.4 }),
            new() { [".table .y-column"] = 2 },
            "gd.calcdata[0][0].trace.cells.values.map(c => c.length)", "[3,3]");

        // plotly's documented behaviour for an empty trace: it is made invisible (validate says so,
        // and nothing else); the axes still draw.
        yield return new("empty series (draws empty axes)",
            Chart.Line(Array.Empty<double>(), Array.Empty<double>(), name: "empty"),
            new() { [".scatterlayer .trace"] = 0, [".cartesianlayer > .subplot"] = 1 }, "gd._fullData[0].visible", "false",
            AllowedCodes: ["invisible", "unused"]);

        var subplots = Chart.Subplots(2, 2,
            [
                Chart.Line(new[] { 1, 2 }, new[] { 1.0, 2 }).WithXAxis("a"),
                Chart.Bar(new[] { "x", "y" }, new[] { 1, 2 }),
                Chart.Histogram(new[] { 1, 1, 2 }),
                Chart.Line(new[] { 1, 2, 3 }, new[] { 3.0, 2, 1 }).AddVerticalLine(2, "boundary"),
            ], ["one", "two", "three", "four"]);
        yield return new("2x2 subplots with titles, a shape and an annotation", subplots,
            new() { [".cartesianlayer > .subplot"] = 4, [".annotation"] = 5, [".layer-above .shapelayer path"] = 1 });

        var marked = Chart.Line(new[] { 0, 10 }, new[] { 0.0, 1 }).AddVerticalLine(5, "epoch 1").AddHorizontalLine(0.5, "target");
        marked.AddShape(new Shape { Type = "rect", X0 = 1, X1 = 2, Y0 = 0, Y1 = 1, YRef = "y domain", FillColor = "rgba(0,0,0,0.1)", Layer = "below" });
        marked.Layout.Margin = new Margin { Left = 40, Right = 20, Top = 40, Bottom = 40 };
        marked.Layout.Width = 600;
        marked.Layout.Height = 300;
        marked.Config = new Config { DisplayModeBar = false, Responsive = false };
        yield return new("shapes, annotations, margins, config", marked,
            new() { [".annotation"] = 2, [".modebar"] = 0 });

        // The standard views.
        using var dash = Samples.Dashboard();
        yield return new("view: training dashboard", dash.ToFigure(),
            new() { [".cartesianlayer > .subplot"] = 4, [".scatterlayer .trace"] = 5, [".scatterlayer path.point"] = 6, [".annotation"] = 6 });

        var lengths = Samples.SequenceLengths();
        var over = lengths.Count(l => l > 512);
        yield return new("view: sequence lengths", Views.SequenceLengths(lengths, 512),
            new() { [".barlayer .trace"] = 2, [".annotation"] = 1 },
            "[gd.calcdata[0].reduce((s, b) => s + b.s, 0), gd.calcdata[1].reduce((s, b) => s + b.s, 0)]",
            $"[{lengths.Length - over},{over}]");

        yield return new("view: packing", Views.Packing(Samples.PackedDocumentLengths.Select(r => (IReadOnlyList<int>)r).ToList(), 64),
            new() { [".heatmaplayer image"] = 1 },
            "[gd.calcdata[0][0].z.length, gd.calcdata[0][0].z[0].length]", "[6,64]");

        yield return new("view: attention", Views.Attention(Samples.AttentionWeights(), Samples.AttentionTokens, layer: 3, head: 1),
            new() { [".heatmaplayer image"] = 1, [".xaxislayer-above g.xtick"] = 8, [".yaxislayer-above g.ytick"] = 8 });

        yield return new("view: comparison", Views.Comparison(Samples.Scores, "Methods"),
            new() { [".barlayer .trace"] = 4, [".barlayer .point"] = 8, [".errorbar"] = 8, [".legend .traces"] = 4 });
    }

    [Fact]
    public void EveryTraceTypeAndViewPassesPlotlyValidateAndDraws()
    {
        var cases = Cases().ToList();
        var js = new StringBuilder("[");
        foreach (var c in cases)
        {
            js.Append("{name:").Append(JsonSerializer.Serialize(c.Name))
              .Append(",fig:").Append(c.Figure.ToJson())
              .Append(",selectors:").Append(JsonSerializer.Serialize(c.Counts.Keys))
              .Append(",extra:").Append(JsonSerializer.Serialize(c.Extra)).Append("},\n");
        }
        js.Append(']');
        using var page = browser.Open($$"""
            <!DOCTYPE html><html><head><meta charset="utf-8"><script src="{{BrowserFixture.PlotlyUri}}"></script></head><body>
            <script>
            window.runCases = async function (cases) {
              const results = [];
              for (const c of cases) {
                const gd = document.createElement("div");
                gd.style.width = "800px"; gd.style.height = "500px";
                document.body.appendChild(gd);
                const r = { name: c.name, counts: {} };
                try { r.validation = Plotly.validate(c.fig.data, c.fig.layout) || []; } catch (e) { r.validation = ["validate threw " + e]; }
                try { await Plotly.newPlot(gd, c.fig.data, c.fig.layout, c.fig.config || {}); } catch (e) { r.drawError = String(e); }
                for (const s of c.selectors) r.counts[s] = gd.querySelectorAll(s).length;
                if (c.extra) { try { r.extra = JSON.stringify(eval(c.extra)); } catch (e) { r.extra = "threw " + e; } }
                Plotly.purge(gd); gd.remove();
                results.push(r);
              }
              return results;
            };
            </script></body></html>
            """, "validate");
        var results = BrowserFixture.Eval(page, $"runCases({js})");

        var failures = new List<string>();
        var i = 0;
        foreach (var r in results.EnumerateArray())
        {
            var c = cases[i++];
            Assert.Equal(c.Name, r.GetProperty("name").GetString());
            foreach (var v in r.GetProperty("validation").EnumerateArray())
            {
                if (c.AllowedCodes is not null && v.ValueKind == JsonValueKind.Object && c.AllowedCodes.Contains(v.GetProperty("code").GetString())) continue;
                failures.Add($"{c.Name}: Plotly.validate: {(v.ValueKind == JsonValueKind.Object ? v.GetProperty("msg").GetString() : v.ToString())}");
            }
            if (r.TryGetProperty("drawError", out var err)) failures.Add($"{c.Name}: newPlot failed: {err}");
            foreach (var (selector, expected) in c.Counts)
            {
                var actual = r.GetProperty("counts").GetProperty(selector).GetInt32();
                if (actual != expected) failures.Add($"{c.Name}: {selector}: expected {expected}, the DOM has {actual}");
            }
            if (c.Extra is not null)
            {
                var actual = r.GetProperty("extra").GetString();
                if (actual != c.ExpectedExtra) failures.Add($"{c.Name}: {c.Extra}: expected {c.ExpectedExtra}, got {actual}");
            }
        }
        Assert.Equal(cases.Count, i);
        failures.AddRange(page.Errors.Select(e => "page error: " + e));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void TextIsEscapedAndShownLiterally()
    {
        const string evil = "</script><script>window.hacked = 1</script> & <b>bold</b>";
        var figure = Chart.Bar(new[] { evil, "b" }, new[] { 1, 2 }).WithTitle(evil);
        var html = FigureHtml.Page(figure, BrowserFixture.PlotlyUri);
        Assert.DoesNotContain("<script>window.hacked", html);
        using var page = browser.Open(html, "escape");
        Assert.True(BrowserFixture.WaitFor(page, "document.documentElement.getAttribute('data-sftlab-state') === 'drawn'"), string.Join("; ", page.Errors));
        Assert.Equal(JsonValueKind.Undefined, BrowserFixture.Eval(page, "window.hacked").ValueKind);
        // plotly shows the category text (its own tag subset aside) rather than executing it.
        var tick = BrowserFixture.Eval(page, "document.querySelector('.xtick text').textContent").GetString();
        Assert.Contains("</script>", tick);
        Assert.Contains("window.hacked = 1", tick);
    }
}
