using System.Net;
using SftLab.Interactive;
using SftLab.IO;

namespace SftLab.Visualization;

/// <summary>
/// A view drawn with plain HTML and CSS rather than plotly (the token view): it shows in a
/// notebook through <see cref="ToHtml"/>, saves as a page or a PNG like a <see cref="Figure"/>.
/// Its CSS is scoped to a unique class, so several views on one notebook page do not clash.
/// </summary>
public abstract class HtmlView : IHtmlDisplay
{
    /// <summary>The view's body HTML; <paramref name="scope"/> is a unique CSS class on its root element.</summary>
    protected abstract string RenderBody(string scope);

    /// <summary>The title of a standalone page.</summary>
    protected virtual string PageTitle => "SftLab view";

    /// <summary>An HTML fragment for a notebook output (no scripts, no external resources).</summary>
    public string ToHtml() => RenderBody("sftlab-v" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>A standalone HTML page showing the view.</summary>
    public string ToStandaloneHtml() =>
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + WebUtility.HtmlEncode(PageTitle) +
        "</title>\n<style>html, body { margin: 0; padding: 0; background: #ffffff; }</style>\n</head>\n<body>\n" +
        ToHtml() + "\n</body>\n</html>\n";

    /// <summary>Writes <see cref="ToStandaloneHtml"/> to <paramref name="path"/> (atomically).</summary>
    public void SaveHtml(string path) => AtomicFile.WriteAllText(path, ToStandaloneHtml());

    /// <summary>Writes a PNG screenshot <paramref name="width"/> pixels wide and as tall as the content (headless Chromium).</summary>
    public void SavePng(string path, int width = 900, double scale = 1)
    {
        using var renderer = new PngRenderer();
        renderer.Save(this, path, width, null, scale);
    }
}
