using System.Globalization;
using System.Net;

namespace SftLab.Visualization;

/// <summary>The HTML of figures: notebook fragments and standalone pages.</summary>
internal static class FigureHtml
{
    /// <summary>The type of the inert &lt;script&gt; that carries plotly.js's source in a notebook fragment.</summary>
    internal const string CarrierType = "text/x-sftlab-plotly";

    internal static string Fragment(Figure figure) => Fragment(figure, PlotlyJs.TakeNotebookCarrier());

    /// <summary>
    /// A notebook output: a div with a unique id, optionally an inert script element carrying
    /// plotly.js, and a loader script. The loader uses window.Plotly when the page has it; else
    /// it evaluates the first carrier found anywhere in the page (with AMD/CommonJS hidden, so
    /// require.js pages get window.Plotly too); else it waits, polling, for a carrier to appear
    /// (outputs that render out of order) and after <c>window.__sftlabPlotlyWaitMs</c> (60 s)
    /// writes a message into the div instead of leaving it blank.
    /// </summary>
    internal static string Fragment(Figure figure, bool carryLibrary)
    {
        var json = figure.ToJson();
        var id = "sftlab-fig-" + Guid.NewGuid().ToString("N");
        var sb = new System.Text.StringBuilder(carryLibrary ? PlotlyJs.Source.Length + json.Length + 4096 : json.Length + 4096);
        sb.Append("<div class=\"sftlab-figure\" id=\"").Append(id).Append("\" style=\"")
          .Append(SizeStyle(figure, fillWindow: false)).Append("\"></div>\n");
        if (carryLibrary)
        {
            sb.Append("<script type=\"").Append(CarrierType).Append("\" data-plotly-version=\"")
              .Append(WebUtility.HtmlEncode(PlotlyJs.Version)).Append("\">")
              .Append(FigureJson.EscapeScript(PlotlyJs.Source)).Append("</script>\n");
        }
        sb.Append("<script type=\"text/javascript\">\n(function () {\n  var id = \"").Append(id).Append("\";\n  var fig = ")
          .Append(json).Append(";\n").Append(LoaderScript).Append("})();\n</script>\n");
        return sb.ToString();
    }

    // The part of the fragment's script after `id` and `fig` are defined.
    private const string LoaderScript = """
          var w = window;
          var state = w.__sftlabPlotly || (w.__sftlabPlotly = { waiting: [], drawn: [] });
          function ready() { return !!(w.Plotly && typeof w.Plotly.newPlot === "function"); }
          function load() {
            if (ready()) return true;
            var carriers = document.querySelectorAll('script[type="text/x-sftlab-plotly"]');
            for (var i = 0; i < carriers.length && !ready(); i++) {
              if (carriers[i].getAttribute("data-sftlab-tried")) continue;
              // A saved page still being parsed: the carrier's text may be incomplete until the parser moves past it.
              if (document.readyState === "loading" && !carriers[i].nextSibling) continue;
              carriers[i].setAttribute("data-sftlab-tried", "1");
              var s = document.createElement("script");
              s.type = "text/javascript";
              // define/module/exports hidden: plotly's UMD header then sets window.Plotly even under require.js.
              s.text = "(function (define, module, exports) {\n" + carriers[i].textContent + "\n}).call(window);";
              (document.head || document.documentElement).appendChild(s);
            }
            return ready();
          }
          function fail(el, message) {
            el.setAttribute("data-sftlab-state", "error");
            el.style.height = "auto";
            el.style.color = "#b00020";
            el.style.fontFamily = "monospace";
            el.textContent = message;
          }
          function draw() {
            var el = document.getElementById(id);
            if (!el || el.getAttribute("data-sftlab-state")) return;
            // Figures whose output was replaced (live updates) are purged: no leaked resize handlers.
            state.drawn = state.drawn.filter(function (old) {
              if (document.documentElement.contains(old)) return true;
              try { w.Plotly.purge(old); } catch (e) { }
              return false;
            });
            el.setAttribute("data-sftlab-state", "drawing");
            var config = Object.assign({ responsive: true }, fig.config || {});
            try {
              w.Plotly.newPlot(el, fig.data, fig.layout, config).then(function () {
                el.setAttribute("data-sftlab-state", "drawn");
                state.drawn.push(el);
              }, function (e) { fail(el, "plotly could not draw this figure: " + e); });
            } catch (e) {
              fail(el, "plotly could not draw this figure: " + e);
            }
          }
          function flush() {
            var q = state.waiting.splice(0, state.waiting.length);
            for (var i = 0; i < q.length; i++) q[i]();
          }
          if (load()) { flush(); draw(); return; }
          state.waiting.push(draw);
          var limit = w.__sftlabPlotlyWaitMs || 60000, start = Date.now();
          (function poll() {
            if (load()) { flush(); return; }
            if (Date.now() - start < limit) { setTimeout(poll, 50); return; }
            var el = document.getElementById(id);
            if (el && !el.getAttribute("data-sftlab-state")) {
              fail(el, "plotly.js is not on this page: the output that carried it (the first SftLab figure " +
                "of the kernel session) is gone or was not rendered. Re-run this cell; if that does not help, run " +
                "SftLab.Visualization.PlotlyJs.ResetNotebookSession() and then this cell.");
              el.setAttribute("data-sftlab-state", "no-plotly");
            }
          })();

        """;

    /// <summary>A standalone page: plotly.js embedded (or loaded from <paramref name="plotlyScriptSrc"/>) and the figure.</summary>
    internal static string Page(Figure figure, string? plotlyScriptSrc)
    {
        var json = figure.ToJson();
        var title = figure.Layout.Title?.Text is { Length: > 0 } t ? StripTags(t) : "SftLab figure";
        var sb = new System.Text.StringBuilder((plotlyScriptSrc is null ? PlotlyJs.Source.Length : 0) + json.Length + 2048);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
          .Append(WebUtility.HtmlEncode(title)).Append("</title>\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append("<style>html, body { margin: 0; padding: 0; }</style>\n");
        if (plotlyScriptSrc is null)
        {
            sb.Append("<script type=\"text/javascript\">\n").Append(FigureJson.EscapeScript(PlotlyJs.Source)).Append("\n</script>\n");
        }
        else
        {
            sb.Append("<script type=\"text/javascript\" src=\"").Append(WebUtility.HtmlEncode(plotlyScriptSrc)).Append("\"></script>\n");
        }
        sb.Append("</head>\n<body>\n<div id=\"figure\" style=\"").Append(SizeStyle(figure, fillWindow: true)).Append("\"></div>\n")
          .Append("<script type=\"text/javascript\">\n(function () {\n  var fig = ").Append(json).Append(";\n")
          .Append("""
                    var el = document.getElementById("figure");
                    var root = document.documentElement;
                    function fail(e) {
                      root.setAttribute("data-sftlab-state", "error");
                      el.style.color = "#b00020";
                      el.textContent = "plotly could not draw this figure: " + e;
                    }
                    try {
                      Plotly.newPlot(el, fig.data, fig.layout, Object.assign({ responsive: true }, fig.config || {}))
                        .then(function () { root.setAttribute("data-sftlab-state", "drawn"); }, fail);
                    } catch (e) { fail(e); }
                  })();
                  </script>
                  </body>
                  </html>

                  """);
        return sb.ToString();
    }

    private static string SizeStyle(Figure figure, bool fillWindow)
    {
        var width = figure.Layout.Width is int w ? w.ToString(CultureInfo.InvariantCulture) + "px" : "100%";
        var height = figure.Layout.Height is int h ? h.ToString(CultureInfo.InvariantCulture) + "px" : fillWindow ? "100vh" : "450px";
        return $"width:{width};height:{height};";
    }

    internal static string StripTags(string text) => System.Text.RegularExpressions.Regex.Replace(text, "<[^>]*>", " ").Trim();
}
