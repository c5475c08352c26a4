namespace SftLab.Interactive;

/// <summary>
/// An object that shows itself in a notebook as HTML: charts, token views, tables. The SftLab
/// kernel renders any value implementing it with <see cref="ToHtml"/> (MIME text/html), and a
/// live display (<c>var d = display(x); ... d.Update(x)</c>) re-renders it in place.
/// </summary>
public interface IHtmlDisplay
{
    /// <summary>A self-contained HTML fragment (it may contain scripts) that renders this object.</summary>
    string ToHtml();
}
