using System.Text.Json;
using System.Text.Json.Serialization;

namespace SftLab.Visualization;

/// <summary>
/// A heatmap (plotly's <c>heatmap</c> trace): a grid of colored cells, <c>Z[row][column]</c>.
/// Row 0 is drawn at the bottom unless the y axis is reversed (<c>AutoRange = "reversed"</c>).
/// </summary>
public sealed class Heatmap : Trace
{
    /// <inheritdoc/>
    public override string Type => "heatmap";

    /// <summary>The cell values, one array per row; NaN is an empty cell.</summary>
    [JsonConverter(typeof(MatrixJsonConverter))]
    public double[][]? Z { get; set; }

    /// <summary>The column coordinates (one per column, or one more for cell edges).</summary>
    public Values? X { get; set; }

    /// <summary>The row coordinates (one per row, or one more for cell edges).</summary>
    public Values? Y { get; set; }

    /// <summary>A named scale ("Viridis", "Blues", "RdBu") or a list of [fraction, color] pairs.</summary>
    public object? ColorScale { get; set; }

    /// <summary>The value mapped to the lowest color.</summary>
    public double? ZMin { get; set; }

    /// <summary>The value mapped to the highest color.</summary>
    public double? ZMax { get; set; }

    /// <summary>Whether the color bar is shown.</summary>
    public bool? ShowScale { get; set; }

    /// <summary>Flips the color scale.</summary>
    public bool? ReverseScale { get; set; }

    /// <summary>The color bar.</summary>
    public ColorBar? ColorBar { get; set; }

    /// <summary>Gap between columns in pixels.</summary>
    public double? XGap { get; set; }

    /// <summary>Gap between rows in pixels.</summary>
    public double? YGap { get; set; }

    /// <summary>Per-cell texts, one array per row (for <see cref="Trace.HoverTemplate"/> as <c>%{text}</c>).</summary>
    [JsonPropertyName("text")]
    public string[][]? CellText { get; set; }

    /// <summary>Per-cell hover texts, one array per row.</summary>
    [JsonPropertyName("hovertext")]
    public string[][]? CellHoverText { get; set; }

    /// <summary>Template of text drawn in each cell, e.g. "%{z:.2f}".</summary>
    public string? TextTemplate { get; set; }

    internal override void Validate(string where)
    {
        if (Z is null) return;
        var columns = Z.Length == 0 ? 0 : Z[0].Length;
        for (var r = 0; r < Z.Length; r++)
        {
            if (Z[r] is null) throw new FigureException($"{where}: z[{r}] is null.");
            if (Z[r].Length != columns)
            {
                throw new FigureException($"{where}: z[{r}] has {Z[r].Length} values but z[0] has {columns}; every row needs the same number of columns.");
            }
        }
        if (X is not null && Z.Length > 0 && X.Count != columns && X.Count != columns + 1)
        {
            throw new FigureException($"{where}: x has {X.Count} values for {columns} columns of z (give one per column, or one more for cell edges).");
        }
        if (Y is not null && Y.Count != Z.Length && Y.Count != Z.Length + 1)
        {
            throw new FigureException($"{where}: y has {Y.Count} values for {Z.Length} rows of z (give one per row, or one more for cell edges).");
        }
        if (CellText is not null)
        {
            if (CellText.Length != Z.Length)
            {
                throw new FigureException($"{where}: text has {CellText.Length} rows but z has {Z.Length}.");
            }
            for (var r = 0; r < CellText.Length; r++)
            {
                if (CellText[r].Length != columns)
                {
                    throw new FigureException($"{where}: text[{r}] has {CellText[r].Length} values but z has {columns} columns.");
                }
            }
        }
    }
}

/// <summary>Writes a double[][] with NaN/infinity as null (an empty cell).</summary>
internal sealed class MatrixJsonConverter : JsonConverter<double[][]>
{
    public override double[][] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("SftLab figures are written to JSON, not read from it.");

    public override void Write(Utf8JsonWriter writer, double[][] value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var row in value)
        {
            writer.WriteStartArray();
            foreach (var v in row)
            {
                if (double.IsFinite(v)) writer.WriteNumberValue(v);
                else writer.WriteNullValue();
            }
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
    }
}
