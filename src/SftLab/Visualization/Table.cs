namespace SftLab.Visualization;

/// <summary>A table (plotly's <c>table</c> trace): a header row and columns of cells.</summary>
public sealed class Table : Trace
{
    /// <inheritdoc/>
    public override string Type => "table";

    /// <summary>The header row.</summary>
    public TableCells? Header { get; set; }

    /// <summary>The body: <see cref="TableCells.Values"/> holds one array per column.</summary>
    public TableCells? Cells { get; set; }

    /// <summary>Relative column widths.</summary>
    public Values? ColumnWidth { get; set; }

    internal override void Validate(string where)
    {
        var headerCount = Header?.Values?.Length;
        var columns = Cells?.Values;
        if (headerCount is not null && columns is not null && columns.Length != headerCount)
        {
            throw new FigureException($"{where}: the header has {headerCount} columns but cells.values has {columns.Length}.");
        }
        if (columns is { Length: > 0 })
        {
            for (var c = 1; c < columns.Length; c++)
            {
                if (columns[c].Count != columns[0].Count)
                {
                    throw new FigureException($"{where}: cells.values[{c}] has {columns[c].Count} rows but cells.values[0] has {columns[0].Count}.");
                }
            }
        }
    }
}

/// <summary>The header or the cells of a <see cref="Table"/>.</summary>
public sealed class TableCells
{
    /// <summary>One entry per column: the header texts, or each column's cell values.</summary>
    public Values[]? Values { get; set; }

    /// <summary>Background: <c>{ "color": "#eee" }</c>.</summary>
    public Fill? Fill { get; set; }

    /// <summary>Font of the texts.</summary>
    public Font? Font { get; set; }

    /// <summary>"left", "center", "right".</summary>
    public string? Align { get; set; }

    /// <summary>d3-format per column, e.g. ".3f".</summary>
    public Values? Format { get; set; }

    /// <summary>Row height in pixels.</summary>
    public double? Height { get; set; }
}

/// <summary>A fill color.</summary>
public sealed class Fill
{
    /// <summary>A CSS color.</summary>
    public string? Color { get; set; }
}
