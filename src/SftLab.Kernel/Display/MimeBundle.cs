namespace SftLab.Kernel.Display;

/// <summary>
/// One rendering of a value in several formats, keyed by MIME type ("text/plain", "text/html"...),
/// as Jupyter's display_data and execute_result messages carry it. The frontend picks the richest
/// format it can show.
/// </summary>
public sealed class MimeBundle
{
    /// <summary>The representations, MIME type → text (binary formats such as image/png are base64).</summary>
    public Dictionary<string, string> Data { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds a representation; returns this bundle.</summary>
    public MimeBundle With(string mimeType, string text)
    {
        Data[mimeType] = text;
        return this;
    }

    /// <summary>The text/plain representation, or null.</summary>
    public string? PlainText => Data.GetValueOrDefault("text/plain");

    /// <summary>The text/html representation, or null.</summary>
    public string? Html => Data.GetValueOrDefault("text/html");
}
