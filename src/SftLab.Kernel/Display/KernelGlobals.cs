using Microsoft.AspNetCore.Html;
using SftLab.Kernel.Engine;

namespace SftLab.Kernel.Display;

/// <summary>
/// What every cell can use without a prefix (the "globals" of the script): <c>display</c>, <c>HTML</c>,
/// <c>Markdown</c> and the <c>CancellationToken</c> of the running cell. The names match Polyglot
/// Notebooks, so cells written there keep working.
/// </summary>
public class KernelGlobals
{
    /// <summary>
    /// Shows <paramref name="value"/> below the cell now (a chart, a tensor, a table...), formatted for the given MIME
    /// types or, by default, as HTML plus plain text. Returns a handle whose <see cref="DisplayedValue.Update"/>
    /// redraws the same output.
    /// </summary>
#pragma warning disable IDE1006 // lower-case like Polyglot Notebooks' display()
    public DisplayedValue display(object? value, params string[] mimeTypes) => Show(value, mimeTypes);
#pragma warning restore IDE1006

    /// <summary>Wraps a string of HTML so that displaying it renders the HTML instead of showing the text.</summary>
    public IHtmlContent HTML(string html) => new HtmlString(html);

    /// <summary>Wraps a string of Markdown so that displaying it renders it (MIME text/markdown).</summary>
    public MarkdownString Markdown(string markdown) => new(markdown);

    /// <summary>
    /// Cancelled when the user interrupts the running cell: pass it to long waits
    /// (<c>await Task.Delay(1000, CancellationToken)</c>) so they stop at once.
    /// </summary>
    public CancellationToken CancellationToken => Interrupt.Token;

    internal static DisplayedValue Show(object? value, string[] mimeTypes)
    {
        var cell = CellContext.Current
                   ?? throw new InvalidOperationException("display() can only be called while a cell runs in the SftLab kernel.");
        return Show(value, mimeTypes, cell);
    }

    internal static DisplayedValue Show(object? value, string[] mimeTypes, CellContext cell)
    {
        var id = Guid.NewGuid().ToString("N");
        cell.Display(ValueFormatter.Format(value, mimeTypes), id, update: false);
        if (value is SftLab.Visualization.ILiveView live) LiveViews.Bind(live, id, mimeTypes, cell);
        return new DisplayedValue(id, value, mimeTypes);
    }
}

/// <summary>Text in Markdown, displayed rendered (see <see cref="KernelGlobals.Markdown"/>).</summary>
/// <param name="Text">The Markdown source.</param>
public sealed record MarkdownString(string Text)
{
    /// <summary>The Markdown source.</summary>
    public override string ToString() => Text;
}

/// <summary>The <c>.Display()</c> extension of Polyglot Notebooks: <c>tensor.Display()</c> shows the value below the cell.</summary>
public static class DisplayExtensions
{
    /// <summary>Shows <paramref name="value"/> below the running cell; see <see cref="KernelGlobals.display"/>.</summary>
    public static DisplayedValue Display(this object? value, params string[] mimeTypes) => KernelGlobals.Show(value, mimeTypes);
}
