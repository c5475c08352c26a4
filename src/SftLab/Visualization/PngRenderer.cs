using SftLab.IO;

namespace SftLab.Visualization;

/// <summary>
/// Renders figures and HTML views to PNG images in one headless Chromium that stays open until
/// disposed (starting the browser costs ~1–2 s, each image after that a fraction of it).
/// The browser has no network. <see cref="Figure.SavePng"/> uses a renderer for one image.
/// </summary>
/// <example>
/// <code>
/// using var png = new PngRenderer();
/// png.Save(lossFigure, "loss.png", 900, 500);
/// png.Save(tokenView, "tokens.png", width: 700);
/// </code>
/// </example>
public sealed class PngRenderer : IDisposable
{
    private readonly Lock gate = new();
    private readonly string tempDir = Directory.CreateTempSubdirectory("sftlab-png-").FullName;
    private Chromium? browser;
    private ChromiumPage? plotlyPage;
    private bool disposed;

    /// <summary>The default image size when neither the call nor the figure's layout gives one.</summary>
    public const int DefaultWidth = 900, DefaultHeight = 500;

    /// <summary>
    /// Renders <paramref name="figure"/> with plotly's own image export (<c>Plotly.toImage</c>),
    /// awaiting its completion. The PNG is <c>width × scale</c> by <c>height × scale</c> pixels.
    /// </summary>
    public byte[] Render(Figure figure, int? width = null, int? height = null, double scale = 1)
    {
        ArgumentNullException.ThrowIfNull(figure);
        var w = width ?? figure.Layout.Width ?? DefaultWidth;
        var h = height ?? figure.Layout.Height ?? DefaultHeight;
        if (w <= 0 || h <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size {w}x{h} must be positive");
        if (!(scale > 0 && scale <= 10)) throw new ArgumentOutOfRangeException(nameof(scale), "scale must be in (0, 10]");
        var json = figure.ToJson();
        lock (gate)
        {
            var page = PlotlyPage();
            var options = $"{{format:'png',width:{w},height:{h},scale:{scale.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}";
            var dataUrl = page.EvaluateAsync($"Plotly.toImage({json}, {options})").GetAwaiter().GetResult().GetString();
            const string prefix = "data:image/png;base64,";
            if (dataUrl is null || !dataUrl.StartsWith(prefix, StringComparison.Ordinal))
            {
                throw new InvalidOperationException("plotly's image export returned no PNG" + PageErrors(page));
            }
            return Convert.FromBase64String(dataUrl[prefix.Length..]);
        }
    }

    /// <summary>Renders <paramref name="figure"/> (see <see cref="Render(Figure, int?, int?, double)"/>) and writes the PNG atomically.</summary>
    public void Save(Figure figure, string path, int? width = null, int? height = null, double scale = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var png = Render(figure, width, height, scale);
        AtomicFile.Write(path, tmp => File.WriteAllBytes(tmp, png));
    }

    /// <summary>
    /// Renders an HTML view (token view…) as a screenshot <paramref name="width"/> CSS pixels wide and
    /// as tall as its content (or <paramref name="height"/>), after the page and its fonts have loaded.
    /// </summary>
    public byte[] Render(HtmlView view, int width = 900, int? height = null, double scale = 1)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (width <= 0 || height is <= 0) throw new ArgumentOutOfRangeException(nameof(width), "the image size must be positive");
        lock (gate)
        {
            var chromium = Browser();
            var file = Path.Combine(tempDir, $"view-{Guid.NewGuid():N}.html");
            File.WriteAllText(file, view.ToStandaloneHtml());
            try
            {
                using var page = chromium.NewPageAsync().GetAwaiter().GetResult();
                page.SetViewportAsync(width, height ?? 100, scale).GetAwaiter().GetResult();
                page.NavigateAsync(new Uri(file).AbsoluteUri).GetAwaiter().GetResult();
                var contentHeight = page.EvaluateAsync(
                    "document.fonts.ready.then(() => Math.ceil(document.documentElement.getBoundingClientRect().height))")
                    .GetAwaiter().GetResult().GetInt32();
                page.SetViewportAsync(width, height ?? Math.Max(1, contentHeight), scale).GetAwaiter().GetResult();
                // Two animation frames: the resized viewport is laid out and painted before the capture.
                page.EvaluateAsync("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))").GetAwaiter().GetResult();
                return page.ScreenshotAsync().GetAwaiter().GetResult();
            }
            finally
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>Renders an HTML view (see <see cref="Render(HtmlView, int, int?, double)"/>) and writes the PNG atomically.</summary>
    public void Save(HtmlView view, string path, int width = 900, int? height = null, double scale = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var png = Render(view, width, height, scale);
        AtomicFile.Write(path, tmp => File.WriteAllBytes(tmp, png));
    }

    internal Chromium Browser()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return browser ??= new Chromium();
    }

    private ChromiumPage PlotlyPage()
    {
        if (plotlyPage is not null) return plotlyPage;
        var host = Path.Combine(tempDir, "plotly-host.html");
        File.WriteAllText(host,
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\">" +
            $"<script src=\"{new Uri(PlotlyJs.Locate()).AbsoluteUri}\"></script></head><body></body></html>");
        var page = Browser().NewPageAsync().GetAwaiter().GetResult();
        try
        {
            page.NavigateAsync(new Uri(host).AbsoluteUri).GetAwaiter().GetResult();
            var ok = page.EvaluateAsync("typeof Plotly === 'object' && typeof Plotly.toImage === 'function'").GetAwaiter().GetResult();
            if (ok.ValueKind != System.Text.Json.JsonValueKind.True)
            {
                throw new InvalidOperationException($"plotly.js did not load from {PlotlyJs.Locate()}" + PageErrors(page));
            }
        }
        catch
        {
            page.Dispose();
            throw;
        }
        return plotlyPage = page;
    }

    private static string PageErrors(ChromiumPage page) =>
        page.Errors.IsEmpty ? "." : ": " + string.Join("; ", page.Errors);

    /// <summary>Closes the browser and deletes temporary files.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            plotlyPage?.Dispose();
            browser?.Dispose();
            try
            {
                Directory.Delete(tempDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
