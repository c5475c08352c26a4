namespace SftLab.Visualization;

/// <summary>
/// Short ways to make figures, meant to read well in a notebook cell:
/// <code>
/// Chart.Line(steps, trainLoss, name: "train")
///      .Combine(Chart.Line(evalSteps, evalLoss, name: "eval"))
///      .WithTitle("Loss").WithXAxis("step").WithYAxis("loss", type: "log")
/// </code>
/// Each returns a new <see cref="Figure"/> with one trace. x and y may be any numbers, strings
/// (categories) or dates; NaN and infinity become gaps. x and y of different lengths throw
/// <see cref="FigureException"/>. An empty series is allowed and draws empty axes.
/// </summary>
public static class Chart
{
    /// <summary>A line through the points (x[i], y[i]).</summary>
    /// <param name="x">x values (steps, epochs, dates, categories).</param>
    /// <param name="y">y values; NaN breaks the line.</param>
    /// <param name="name">Legend name.</param>
    /// <param name="color">CSS color; null takes the next color of the theme.</param>
    /// <param name="dash">"solid", "dash", "dot"…</param>
    /// <param name="markers">Also draw a marker at each point.</param>
    public static Figure Line<TX, TY>(IEnumerable<TX> x, IEnumerable<TY> y, string? name = null, string? color = null,
        string? dash = null, bool markers = false)
    {
        var trace = new Scatter
        {
            X = Values.From(x), Y = Values.From(y), Name = name, Mode = markers ? "lines+markers" : "lines",
            Line = color is null && dash is null ? null : new Line { Color = color, Dash = dash },
        };
        return Single(trace, "Chart.Line");
    }

    /// <summary>A line through y[0], y[1]… at x = 0, 1, ….</summary>
    public static Figure Line<TY>(IEnumerable<TY> y, string? name = null, string? color = null, string? dash = null, bool markers = false)
    {
        var values = Values.From(y);
        return Line(Values.Range(values.Count), values, name, color, dash, markers);
    }

    /// <summary>Points (a scatter plot) at (x[i], y[i]); <paramref name="text"/> is shown on hover.</summary>
    public static Figure Scatter<TX, TY>(IEnumerable<TX> x, IEnumerable<TY> y, string? name = null, string? color = null,
        double? size = null, IEnumerable<string>? text = null)
    {
        var trace = new Scatter
        {
            X = Values.From(x), Y = Values.From(y), Name = name, Mode = "markers",
            Marker = color is null && size is null ? null : new Marker { Color = color, Size = size },
            Text = text is null ? null : Values.Of(text),
        };
        return Single(trace, "Chart.Scatter");
    }

    /// <summary>Vertical bars: one per x (usually category names) with height y; optional symmetric error bars.</summary>
    public static Figure Bar<TX, TY>(IEnumerable<TX> x, IEnumerable<TY> y, string? name = null, string? color = null,
        IEnumerable<double>? errors = null)
    {
        var trace = new Bar
        {
            X = Values.From(x), Y = Values.From(y), Name = name,
            Marker = color is null ? null : new Marker { Color = color },
            ErrorY = errors is null ? null : new ErrorBars { Array = Values.Of(errors) },
        };
        return Single(trace, "Chart.Bar");
    }

    /// <summary>Horizontal bars: one per category with length <paramref name="values"/>.</summary>
    public static Figure HorizontalBar<TV, TC>(IEnumerable<TV> values, IEnumerable<TC> categories, string? name = null, string? color = null)
    {
        var trace = new Bar
        {
            X = Values.From(values), Y = Values.From(categories), Name = name, Orientation = "h",
            Marker = color is null ? null : new Marker { Color = color },
        };
        return Single(trace, "Chart.HorizontalBar");
    }

    /// <summary>
    /// A histogram of raw values. <paramref name="binSize"/> fixes the bin width; otherwise plotly
    /// picks "nice" bins, at most <paramref name="maxBins"/> when given.
    /// </summary>
    public static Figure Histogram<T>(IEnumerable<T> values, string? name = null, string? color = null,
        int? maxBins = null, double? binSize = null)
    {
        var trace = new Histogram
        {
            X = Values.From(values), Name = name, NBinsX = maxBins,
            XBins = binSize is null ? null : new Bins { Size = binSize },
            Marker = color is null ? null : new Marker { Color = color },
        };
        return Single(trace, "Chart.Histogram");
    }

    /// <summary>
    /// A heatmap of <paramref name="z"/>[row][column]. Row 0 is at the bottom unless
    /// <paramref name="rowsTopDown"/> (matrices: attention, confusion) puts it at the top.
    /// </summary>
    public static Figure Heatmap(double[][] z, IEnumerable<string>? columns = null, IEnumerable<string>? rows = null,
        string colorScale = "Viridis", double? zMin = null, double? zMax = null, bool rowsTopDown = true)
    {
        ArgumentNullException.ThrowIfNull(z);
        var trace = new Heatmap
        {
            Z = z, X = columns is null ? null : Values.Of(columns), Y = rows is null ? null : Values.Of(rows),
            ColorScale = colorScale, ZMin = zMin, ZMax = zMax,
        };
        var figure = Single(trace, "Chart.Heatmap");
        if (rowsTopDown) figure.Layout.GetYAxis(1).AutoRange = "reversed";
        return figure;
    }

    /// <summary>A box plot of raw values (median, quartiles, whiskers, outliers).</summary>
    public static Figure Box<T>(IEnumerable<T> values, string? name = null, string? color = null, bool showMean = true)
    {
        var trace = new Box
        {
            Y = Values.From(values), Name = name, BoxMean = showMean ? true : null,
            Marker = color is null ? null : new Marker { Color = color },
        };
        return Single(trace, "Chart.Box");
    }

    /// <summary>A table: a header and one <see cref="Values"/> per column (all columns the same length).</summary>
    public static Figure Table(IEnumerable<string> header, params IEnumerable<Values> columns)
    {
        var headerValues = header.Select(h => Values.Of([h])).ToArray();
        var trace = new Table
        {
            Header = new TableCells
            {
                Values = headerValues, Align = "left", Fill = new Fill { Color = "#e8ecf1" },
                Font = new Font { Color = "#1f2328", Size = 13 },
            },
            Cells = new TableCells { Values = columns.ToArray(), Align = "left" },
        };
        return Single(trace, "Chart.Table");
    }

    /// <summary>One figure holding the traces of all <paramref name="figures"/>, with the first one's layout.</summary>
    public static Figure Combine(params IEnumerable<Figure> figures)
    {
        var list = figures.ToList();
        if (list.Count == 0) return new Figure();
        var result = new Figure { Layout = list[0].Layout, Config = list[0].Config };
        foreach (var f in list) result.Data.AddRange(f.Data);
        return result;
    }

    /// <summary>
    /// A grid of subplots, filled row by row: each figure's traces go into its cell with their own
    /// axes (x, y for the first cell; x2, y2 for the second…); each cell keeps its axis titles,
    /// shapes and annotations, and gets its <paramref name="titles"/> entry above it.
    /// </summary>
    public static Figure Subplots(int rows, int columns, IReadOnlyList<Figure> cells, IReadOnlyList<string>? titles = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Count > rows * columns)
        {
            throw new ArgumentException($"{cells.Count} figures do not fit a {rows}x{columns} grid.", nameof(cells));
        }
        if (titles is not null && titles.Count > cells.Count)
        {
            throw new ArgumentException($"{titles.Count} titles for {cells.Count} figures.", nameof(titles));
        }
        var result = new Figure();
        result.Layout.Grid = new Grid
        {
            Rows = rows, Columns = columns, Pattern = "independent",
            XGap = 0.12, YGap = titles is null ? 0.18 : 0.3,
        };
        for (var k = 0; k < cells.Count; k++)
        {
            var n = k + 1;
            var (xName, yName) = n == 1 ? ("x", "y") : ($"x{n}", $"y{n}");
            var cell = cells[k];
            foreach (var trace in cell.Data)
            {
                var copy = trace.ShallowCopy();
                copy.XAxis = xName;
                copy.YAxis = yName;
                result.Data.Add(copy);
            }
            if (cell.Layout.XAxis is not null) result.Layout.Extra = SetAxis(result.Layout, "xaxis", n, cell.Layout.XAxis);
            if (cell.Layout.YAxis is not null) result.Layout.Extra = SetAxis(result.Layout, "yaxis", n, cell.Layout.YAxis);
            foreach (var shape in cell.Layout.Shapes ?? [])
            {
                result.AddShape(new Shape
                {
                    Type = shape.Type, X0 = shape.X0, X1 = shape.X1, Y0 = shape.Y0, Y1 = shape.Y1,
                    XRef = Retarget(shape.XRef ?? "x", "x", xName), YRef = Retarget(shape.YRef ?? "y", "y", yName),
                    Line = shape.Line, FillColor = shape.FillColor, Opacity = shape.Opacity, Layer = shape.Layer,
                });
            }
            foreach (var a in cell.Layout.Annotations ?? [])
            {
                result.AddAnnotation(new Annotation
                {
                    Text = a.Text, X = a.X, Y = a.Y, XAnchor = a.XAnchor, YAnchor = a.YAnchor, ShowArrow = a.ShowArrow,
                    XRef = Retarget(a.XRef ?? "x", "x", xName), YRef = Retarget(a.YRef ?? "y", "y", yName),
                    Font = a.Font, BgColor = a.BgColor, TextAngle = a.TextAngle, XShift = a.XShift, YShift = a.YShift,
                });
            }
            if (titles is not null && k < titles.Count && titles[k] is { Length: > 0 } title)
            {
                result.AddAnnotation(new Annotation
                {
                    Text = $"<b>{System.Net.WebUtility.HtmlEncode(title)}</b>", X = 0.5, XRef = xName + " domain",
                    Y = 1, YRef = yName + " domain", XAnchor = "center", YAnchor = "bottom", YShift = 6,
                    ShowArrow = false, Font = new Font { Size = 14 },
                });
            }
        }
        return result;
    }

    private static Dictionary<string, object?>? SetAxis(Layout layout, string prefix, int n, Axis axis)
    {
        if (n == 1)
        {
            if (prefix == "xaxis") layout.XAxis = axis;
            else layout.YAxis = axis;
            return layout.Extra;
        }
        var extra = layout.Extra ?? new Dictionary<string, object?>();
        extra[prefix + n] = axis;
        return extra;
    }

    // "x" → "x3", "x domain" → "x3 domain"; "paper" stays.
    private static string Retarget(string reference, string axisLetter, string target)
    {
        if (reference == axisLetter) return target;
        if (reference == axisLetter + " domain") return target + " domain";
        return reference;
    }

    private static Figure Single(Trace trace, string what)
    {
        var figure = new Figure(trace);
        try
        {
            figure.Validate();
        }
        catch (FigureException e)
        {
            throw new FigureException($"{what}: {e.Message}", e);
        }
        return figure;
    }
}
