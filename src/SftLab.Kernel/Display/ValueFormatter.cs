using System.Collections;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;
using Microsoft.DotNet.Interactive.Formatting;
using SftLab.Interactive;
using SftLab.Torch;

namespace SftLab.Kernel.Display;

/// <summary>
/// Turns any value into a <see cref="MimeBundle"/> for a notebook: text for strings and numbers,
/// HTML for everything else. SftLab's own types render through formatters registered here:
/// <see cref="Tensor"/> (shape, dtype, device and a table of values), <see cref="IHtmlDisplay"/>
/// (charts, token views: their <see cref="IHtmlDisplay.ToHtml"/>), <see cref="IHtmlContent"/>
/// (raw HTML, e.g. from <c>HTML("...")</c>); collections of objects become tables with one column per
/// property; other objects go through Microsoft.DotNet.Interactive.Formatting.
/// </summary>
public static class ValueFormatter
{
    private static int s_registered;

    /// <summary>Rows and columns of a tensor shown before the table elides the middle with "…".</summary>
    public const int TensorEdgeItems = 6;

    /// <summary>Rows of a collection shown before the table stops with a "… N more" line.</summary>
    public const int CollectionRowLimit = 25;

    /// <summary>Registers SftLab's formatters with Microsoft.DotNet.Interactive.Formatting (idempotent).</summary>
    public static void RegisterFormatters()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 1) return;
        Formatter.Register<Tensor>((t, w) => w.Write(TensorToHtml(t)), HtmlFormatter.MimeType);
        Formatter.Register<Tensor>((t, w) => w.Write(t.ToString()), PlainTextFormatter.MimeType);
        Formatter.Register(typeof(IHtmlDisplay), (o, w) => w.Write(((IHtmlDisplay)o).ToHtml()), HtmlFormatter.MimeType);
        Formatter.Register(typeof(IHtmlContent), (o, w) => ((IHtmlContent)o).WriteTo(w, HtmlEncoder.Default), HtmlFormatter.MimeType);
    }

    /// <summary>
    /// The bundle for <paramref name="value"/>: all default formats, or only <paramref name="mimeTypes"/> when given.
    /// A formatter that throws yields a text/plain bundle naming the error instead of failing the cell.
    /// </summary>
    public static MimeBundle Format(object? value, IReadOnlyList<string>? mimeTypes = null)
    {
        RegisterFormatters();
        try
        {
            if (mimeTypes is { Count: > 0 })
            {
                var b = new MimeBundle();
                foreach (var mime in mimeTypes) b.With(mime, FormatAs(value, mime));
                return b;
            }
            return DefaultBundle(value);
        }
        catch (Exception e)
        {
            return new MimeBundle().With("text/plain", $"<{value?.GetType().Name ?? "null"}: formatting failed: {e.GetType().Name}: {e.Message}>");
        }
    }

    private static MimeBundle DefaultBundle(object? value)
    {
        var b = new MimeBundle();
        switch (value)
        {
            case null:
                return b.With("text/plain", "null");
            case string s:
                return b.With("text/plain", s);
            case MarkdownString md:
                return b.With("text/markdown", md.Text).With("text/plain", md.Text);
            case IHtmlDisplay h:
                return b.With("text/html", h.ToHtml()).With("text/plain", ShortText(h));
            case IHtmlContent c:
                return b.With("text/html", HtmlContentToString(c));
            case Tensor t:
                return b.With("text/html", TensorToHtml(t)).With("text/plain", t.ToString());
        }
        if (IsScalar(value.GetType()))
            return b.With("text/plain", Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
        if (value is IEnumerable e and not IDictionary && TryCollectionTable(e, out var html, out var plain))
            return b.With("text/html", html).With("text/plain", plain);
        return b.With("text/html", Formatter.ToDisplayString(value, HtmlFormatter.MimeType))
                .With("text/plain", PlainText(value));
    }

    private static string FormatAs(object? value, string mime)
    {
        switch (mime)
        {
            case "text/plain":
                return value switch
                {
                    null => "null",
                    string s => s,
                    Tensor t => t.ToString(),
                    _ when IsScalar(value.GetType()) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
                    _ => PlainText(value),
                };
            case "text/html":
                return value switch
                {
                    IHtmlDisplay h => h.ToHtml(),
                    IHtmlContent c => HtmlContentToString(c),
                    Tensor t => TensorToHtml(t),
                    string s => "<pre>" + WebUtility.HtmlEncode(s) + "</pre>",
                    IEnumerable e when value is not IDictionary && TryCollectionTable(e, out var html, out _) => html,
                    _ => Formatter.ToDisplayString(value, HtmlFormatter.MimeType),
                };
            default:
                // text/markdown, image/svg+xml, application/json...: a string is taken as already in that format.
                return value switch
                {
                    MarkdownString md => md.Text,
                    string s => s,
                    _ => Formatter.ToDisplayString(value, mime),
                };
        }
    }

    private static string PlainText(object value)
    {
        var s = SafeToString(value);
        // Types without their own ToString print their type name; the formatting package does better.
        return s == value.GetType().ToString() ? Formatter.ToDisplayString(value, PlainTextFormatter.MimeType) : s;
    }

    /// <summary>The ToString of a view when it is one short line; else its type name in brackets (a figure's JSON is no summary).</summary>
    private static string ShortText(object value)
    {
        var s = SafeToString(value);
        return s.Length > 200 || s.Contains('\n') || s == value.GetType().ToString() ? $"[{TypeName(value.GetType())}]" : s;
    }

    private static string SafeToString(object value)
    {
        try
        {
            return value.ToString() ?? "";
        }
        catch (Exception e)
        {
            return $"<{value.GetType().Name}.ToString() failed: {e.Message}>";
        }
    }

    /// <summary>HTML of an <see cref="IHtmlContent"/> (such as the result of <c>HTML("...")</c>).</summary>
    public static string HtmlContentToString(IHtmlContent content)
    {
        using var w = new StringWriter();
        content.WriteTo(w, HtmlEncoder.Default);
        return w.ToString();
    }

    private static bool IsScalar(Type t) =>
        t.IsPrimitive || t.IsEnum || t == typeof(decimal) || t == typeof(DateTime) || t == typeof(DateTimeOffset)
        || t == typeof(TimeSpan) || t == typeof(Guid) || t == typeof(Half) || t == typeof(BFloat16)
        || t == typeof(DateOnly) || t == typeof(TimeOnly);

    // ---- collections -------------------------------------------------------------------------

    /// <summary>
    /// A table for a sequence: one column per public property of the element type (or a single
    /// "value" column for scalars), at most <see cref="CollectionRowLimit"/> rows.
    /// </summary>
    private static bool TryCollectionTable(IEnumerable items, out string html, out string plain)
    {
        html = plain = "";
        var elementType = ElementType(items.GetType());
        var rows = new List<object?>();
        var more = false;
        foreach (var item in items)
        {
            if (rows.Count == CollectionRowLimit) { more = true; break; }
            rows.Add(item);
        }
        elementType ??= rows.FirstOrDefault(r => r is not null)?.GetType() ?? typeof(object);
        var props = IsScalar(elementType) || elementType == typeof(string) || elementType == typeof(object) || typeof(IEnumerable).IsAssignableFrom(elementType)
            ? []
            : elementType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.GetIndexParameters().Length == 0 && p.CanRead).ToArray();

        var sb = new StringBuilder("<table class=\"sftlab-table\"><thead><tr><th><i>index</i></th>");
        if (props.Length == 0) sb.Append("<th>value</th>");
        foreach (var p in props) sb.Append("<th>").Append(WebUtility.HtmlEncode(p.Name)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        var text = new StringBuilder();
        text.Append(TypeName(items.GetType())).Append(" [");
        for (var i = 0; i < rows.Count; i++)
        {
            sb.Append("<tr><td>").Append(i).Append("</td>");
            if (props.Length == 0)
                sb.Append("<td>").Append(CellHtml(rows[i])).Append("</td>");
            else
                foreach (var p in props)
                {
                    object? v;
                    try { v = rows[i] is null ? null : p.GetValue(rows[i]); }
                    catch (Exception e) { v = $"<{e.InnerException?.GetType().Name ?? e.GetType().Name}>"; }
                    sb.Append("<td>").Append(CellHtml(v)).Append("</td>");
                }
            sb.Append("</tr>");
            text.Append(i == 0 ? "" : ", ").Append(rows[i] is null ? "null" : CellText(rows[i]!));
        }
        sb.Append("</tbody></table>");
        if (more) { sb.Append("<div><i>(more rows not shown)</i></div>"); text.Append(", …"); }
        text.Append(']');
        html = sb.ToString();
        plain = text.ToString();
        return true;
    }

    private static string CellHtml(object? v) => v switch
    {
        null => "<i>null</i>",
        IHtmlDisplay h => h.ToHtml(),
        IHtmlContent c => HtmlContentToString(c),
        _ => WebUtility.HtmlEncode(CellText(v)),
    };

    private static string CellText(object v) => v switch
    {
        string s => s,
        Tensor t => t.ToString(),
        _ when IsScalar(v.GetType()) => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
        IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Take(10).Select(x => x is null ? "null" : CellText(x))) + (e.Cast<object?>().Skip(10).Any() ? ", …" : "") + "]",
        _ => SafeToString(v),
    };

    private static Type? ElementType(Type t)
    {
        if (t.IsArray) return t.GetElementType();
        var ie = t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? t
            : t.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        var e = ie?.GetGenericArguments()[0];
        return e == typeof(object) ? null : e;
    }

    private static string TypeName(Type t)
    {
        if (t.IsArray) return TypeName(t.GetElementType()!) + "[]";
        if (t.Name.StartsWith("<>f__AnonymousType", StringComparison.Ordinal)) return "AnonymousType";
        if (!t.IsGenericType) return t.Name;
        var name = t.Name;
        var tick = name.IndexOf('`');
        if (tick > 0) name = name[..tick];
        return name + "<" + string.Join(", ", t.GetGenericArguments().Select(TypeName)) + ">";
    }

    // ---- tensors -----------------------------------------------------------------------------

    /// <summary>
    /// HTML for a tensor: a caption with shape, dtype and device, and a table of its values (a matrix
    /// shows rows and columns; a higher-rank tensor shows its first matrix, [0, …, 0, :, :]). Large
    /// dimensions show their first and last <see cref="TensorEdgeItems"/>/2 entries around a "…".
    /// </summary>
    public static string TensorToHtml(Tensor t)
    {
        if (t.IsDisposed) return "<div class=\"sftlab-tensor\"><code>Tensor(disposed)</code></div>";
        var shape = t.Shape;
        var sb = new StringBuilder("<div class=\"sftlab-tensor\"><div><b>Tensor</b> shape <code>[")
            .Append(string.Join(", ", shape)).Append("]</code> · dtype <code>").Append(t.DType.Name())
            .Append("</code> · device <code>").Append(t.Device).Append("</code>");
        if (t.RequiresGrad) sb.Append(" · <code>requires_grad</code>");
        sb.Append("</div>");
        using var scope = DisposeScope.Begin();
        var view = t.Detach();
        var prefix = "";
        while (view.Dim > 2)
        {
            view = view.Select(0, 0);
            prefix += "0, ";
        }
        if (shape.Length > 2) sb.Append("<div><i>showing [").Append(prefix).Append(":, :]</i></div>");
        var isFloat = t.DType is DType.Float16 or DType.Float32 or DType.Float64 or DType.BFloat16;
        var isBool = t.DType == DType.Bool;
        string Cell(double v) => isBool ? (v != 0 ? "true" : "false")
            : isFloat ? v.ToString("G6", CultureInfo.InvariantCulture)
            : ((long)v).ToString(CultureInfo.InvariantCulture);

        if (t.NumEl == 0)
        {
            sb.Append("<div><i>(no elements)</i></div></div>");
            return sb.ToString();
        }
        if (view.Dim == 0)
        {
            sb.Append("<table class=\"sftlab-table\"><tbody><tr><td>").Append(Cell(view.ToDoubleArray()[0])).Append("</td></tr></tbody></table></div>");
            return sb.ToString();
        }
        if (view.Dim == 1) view = view.Reshape(1, -1);
        var (rowIdx, rows) = Edges(view.Size(0));
        var (colIdx, cols) = Edges(view.Size(1));
        sb.Append("<table class=\"sftlab-table\"><thead><tr><th></th>");
        foreach (var c in colIdx) sb.Append("<th>").Append(c < 0 ? "…" : c.ToString(CultureInfo.InvariantCulture)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        // Gather the visible block with two narrows per dimension, then one copy to the host.
        var values = Gather(view, rows, cols);
        var width = cols.Sum(r => (int)r.Length);
        var ri = 0;
        foreach (var r in rowIdx)
        {
            sb.Append("<tr><th>").Append(r < 0 ? "⋮" : r.ToString(CultureInfo.InvariantCulture)).Append("</th>");
            var ci = 0;
            foreach (var c in colIdx)
            {
                sb.Append("<td>");
                if (r < 0 || c < 0) sb.Append(r < 0 && c < 0 ? "⋱" : r < 0 ? "⋮" : "…");
                else sb.Append(Cell(values[ri * width + ci]));
                sb.Append("</td>");
                if (c >= 0) ci++;
            }
            sb.Append("</tr>");
            if (r >= 0) ri++;
        }
        sb.Append("</tbody></table></div>");
        return sb.ToString();
    }

    private static (List<long> Indices, List<(long Start, long Length)> Ranges) Edges(long n)
    {
        if (n <= TensorEdgeItems + 2)
            return ([.. Enumerable.Range(0, (int)n).Select(i => (long)i)], [(0, n)]);
        var head = TensorEdgeItems / 2 + 1;
        var tail = TensorEdgeItems / 2;
        var idx = new List<long>();
        for (long i = 0; i < head; i++) idx.Add(i);
        idx.Add(-1);
        for (var i = n - tail; i < n; i++) idx.Add(i);
        return (idx, [(0, head), (n - tail, tail)]);
    }

    private static double[] Gather(Tensor matrix, List<(long Start, long Length)> rows, List<(long Start, long Length)> cols)
    {
        var width = cols.Sum(c => c.Length);
        var result = new List<double>();
        foreach (var (rs, rl) in rows)
        {
            var rowBlock = matrix.Narrow(0, rs, rl);
            var parts = cols.Select(c => rowBlock.Narrow(1, c.Start, c.Length).ToDoubleArray()).ToArray();
            for (var r = 0; r < rl; r++)
                foreach (var (p, c) in parts.Zip(cols))
                    for (var j = 0; j < c.Length; j++)
                        result.Add(p[r * c.Length + j]);
        }
        _ = width;
        return [.. result];
    }
}
