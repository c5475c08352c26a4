using System.Globalization;
using System.Net;

namespace SftLab.Visualization;

/// <summary>One bar of a <see cref="Views.Comparison"/> chart: a method's score on a metric, with its uncertainty.</summary>
/// <param name="Method">The method ("zero-shot", "few-shot", "RAG", "SFT").</param>
/// <param name="Metric">The metric ("exact match", "ROUGE-L").</param>
/// <param name="Value">The score (a mean over runs or examples).</param>
/// <param name="Error">The half-width of the error bar (a standard deviation or a confidence half-interval); null for none.</param>
public readonly record struct MethodScore(string Method, string Metric, double Value, double? Error = null);

/// <summary>
/// SftLab's standard views, each from plain inputs (numbers, token lists), each returning a
/// <see cref="Figure"/> or an <see cref="HtmlView"/> that shows in a notebook and saves to HTML/PNG.
/// The live training dashboard is <see cref="TrainingDashboard"/>.
/// </summary>
public static class Views
{
    /// <summary>Padding in <see cref="Packing(IReadOnlyList{IReadOnlyList{int}}, string)"/>'s document-id rows.</summary>
    public const int Padding = -1;

    /// <summary>Text colored token by token, ids on hover, special tokens boxed, masked tokens hatched.</summary>
    public static TokenView Tokens(IEnumerable<TokenInfo> tokens, string? title = null) => new(tokens, title);

    /// <summary>
    /// The per-token loss (or probability) view: each token's background shows how surprised the
    /// model was by it (white = sure, red = surprised); hover shows the loss and p = e^(−loss).
    /// Masked tokens have no loss and are hatched grey.
    /// </summary>
    public static TokenView TokenLoss(IEnumerable<TokenInfo> tokens, IEnumerable<double> values,
        TokenValueKind kind = TokenValueKind.Loss, string? title = null) => new(tokens, values, kind, title);

    /// <summary>
    /// A histogram of sequence lengths (in tokens) with a dashed line at <paramref name="maxLength"/>;
    /// sequences longer than it (which truncation would cut) are drawn red and counted in the label.
    /// </summary>
    public static Figure SequenceLengths(IEnumerable<int> lengths, int? maxLength = null, string title = "Sequence lengths")
    {
        ArgumentNullException.ThrowIfNull(lengths);
        var all = lengths.ToArray();
        if (all.Any(l => l < 0)) throw new ArgumentException("a sequence length cannot be negative.", nameof(lengths));
        if (maxLength is <= 0) throw new ArgumentOutOfRangeException(nameof(maxLength), "max_length must be positive.");
        var max = Math.Max(all.DefaultIfEmpty(0).Max(), maxLength ?? 0);
        var binSize = NiceBinSize(max, 40);
        // Bin edges sit at half-integers, one of them just above max_length, so no bin mixes
        // sequences that fit with sequences that would be truncated.
        var offset = ((maxLength ?? 0) + 0.5) % binSize;
        var start = offset - binSize;
        var bins = new Bins { Start = start, End = start + Math.Ceiling((max + 1 - start) / binSize) * binSize, Size = binSize };
        var fits = maxLength is int m ? all.Where(l => l <= m).ToArray() : all;
        var figure = new Figure(new Histogram
        {
            X = Values.From(fits), Name = maxLength is null ? "sequences" : $"≤ {maxLength}", XBins = bins,
            Marker = new Marker { Color = "#1f77b4", Line = new Line { Color = "#ffffff", Width = 0.5 } },
            HoverTemplate = "%{x}: %{y} sequences<extra></extra>",
        });
        if (maxLength is int limit)
        {
            var over = all.Where(l => l > limit).ToArray();
            figure.Add(new Histogram
            {
                X = Values.From(over), Name = $"> {limit} (truncated)", XBins = bins,
                Marker = new Marker { Color = "#d62728", Line = new Line { Color = "#ffffff", Width = 0.5 } },
                HoverTemplate = "%{x}: %{y} sequences<extra></extra>",
            });
            var share = all.Length == 0 ? 0 : (double)over.Length / all.Length;
            figure.AddVerticalLine(limit, $"max_length = {limit}<br>{over.Length} of {all.Length} longer ({share.ToString("0.#%", CultureInfo.InvariantCulture)})",
                color: "#d62728", dash: "dash", labelOnRight: true);
            figure.Layout.BarMode = "overlay";
        }
        figure.WithTitle($"{title} (n = {all.Length}, median {Median(all).ToString("0.#", CultureInfo.InvariantCulture)})")
              .WithXAxis("length (tokens)").WithYAxis("sequences");
        figure.Layout.Template = Template.Light();
        figure.Layout.BarGap = 0.05;
        figure.Layout.Legend = new Legend { Orientation = "h", X = 1, XAnchor = "right", Y = 1.02, YAnchor = "bottom" };
        return figure;
    }

    /// <summary>
    /// The packing view: one row per packed sequence of a batch, one cell per position, colored by
    /// the document it belongs to (<see cref="Padding"/> = −1 is grey). Hover shows the document and
    /// the position inside it. The title gives the share of positions that are real tokens.
    /// </summary>
    /// <param name="documentIds">documentIds[row][position]: the document of each token, −1 for padding.</param>
    /// <param name="title">The title.</param>
    public static Figure Packing(IReadOnlyList<IReadOnlyList<int>> documentIds, string title = "Packed batch")
    {
        ArgumentNullException.ThrowIfNull(documentIds);
        var rows = documentIds.Count;
        var columns = rows == 0 ? 0 : documentIds.Max(r => r.Count);
        var z = new double[rows][];
        var text = new string[rows][];
        var used = 0;
        for (var r = 0; r < rows; r++)
        {
            z[r] = new double[columns];
            text[r] = new string[columns];
            var row = documentIds[r];
            var start = 0;
            for (var p = 0; p < columns; p++)
            {
                var doc = p < row.Count ? row[p] : Padding;
                if (doc < Padding) throw new ArgumentException($"documentIds[{r}][{p}] is {doc}; use ids ≥ 0, or {Padding} for padding.", nameof(documentIds));
                if (p == 0 || doc != (p - 1 < row.Count ? row[p - 1] : Padding)) start = p;
                if (doc == Padding)
                {
                    z[r][p] = 0;
                    text[r][p] = $"row {r}, position {p}<br>padding";
                }
                else
                {
                    used++;
                    z[r][p] = 1 + doc % DocumentColors.Length;
                    text[r][p] = $"row {r}, position {p}<br>document {doc}, token {p - start}";
                }
            }
        }
        var levels = DocumentColors.Length + 1;
        var scale = new List<object[]>();
        for (var level = 0; level < levels; level++)
        {
            var color = level == 0 ? "#e4e6e9" : DocumentColors[level - 1];
            scale.Add([(double)level / levels, color]);
            scale.Add([(double)(level + 1) / levels, color]);
        }
        var efficiency = rows * columns == 0 ? 0 : (double)used / (rows * columns);
        var figure = new Figure(new Heatmap
        {
            Z = z, CellText = text, HoverTemplate = "%{text}<extra></extra>", ColorScale = scale,
            ZMin = -0.5, ZMax = levels - 0.5, ShowScale = false, XGap = columns <= 96 ? 1 : 0, YGap = 3,
        });
        figure.WithTitle($"{title}: {rows} × {columns}, {efficiency.ToString("0.#%", CultureInfo.InvariantCulture)} real tokens")
              .WithXAxis("position").WithYAxis("row");
        figure.Layout.GetYAxis(1).AutoRange = "reversed";
        figure.Layout.GetYAxis(1).DTick = 1;
        figure.Layout.GetYAxis(1).ShowGrid = false;
        figure.Layout.GetXAxis(1).ShowGrid = false;
        figure.Layout.GetXAxis(1).ZeroLine = false;
        figure.Layout.Template = Template.Light();
        figure.Layout.PlotBgColor = "#ffffff";
        figure.Layout.Height = Math.Clamp(140 + 34 * rows, 260, 900);
        return figure;
    }

    /// <summary>
    /// The packing view from document lengths: <paramref name="documentLengths"/>[row] lists the
    /// lengths of the documents packed into that row, in order; the rest up to
    /// <paramref name="rowLength"/> is padding. Documents are numbered across the batch.
    /// </summary>
    public static Figure Packing(IReadOnlyList<IReadOnlyList<int>> documentLengths, int rowLength, string title = "Packed batch")
    {
        ArgumentNullException.ThrowIfNull(documentLengths);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowLength, 1);
        var ids = new List<IReadOnlyList<int>>();
        var next = 0;
        for (var r = 0; r < documentLengths.Count; r++)
        {
            var row = new List<int>(rowLength);
            foreach (var length in documentLengths[r])
            {
                if (length <= 0) throw new ArgumentException($"documentLengths[{r}] has a length {length}; lengths must be positive.", nameof(documentLengths));
                row.AddRange(Enumerable.Repeat(next++, length));
            }
            if (row.Count > rowLength) throw new ArgumentException($"documentLengths[{r}] adds up to {row.Count} tokens, more than the row length {rowLength}.", nameof(documentLengths));
            row.AddRange(Enumerable.Repeat(Padding, rowLength - row.Count));
            ids.Add(row);
        }
        return Packing(ids, title);
    }

    /// <summary>
    /// The attention heatmap of one layer and head: row i is query token i, column j key token j,
    /// the cell the weight (0–1) with which i attends to j. Rows run top-down like the text.
    /// Duplicate tokens keep their own rows (the axes are positions labelled with the tokens).
    /// </summary>
    /// <param name="weights">weights[query][key], each row a softmax (sums to 1); NaN leaves a cell empty.</param>
    /// <param name="queryTokens">The text of each query token (row).</param>
    /// <param name="layer">The layer index (for the title).</param>
    /// <param name="head">The head index (for the title).</param>
    /// <param name="keyTokens">The text of each key token (column); the query tokens when null (self-attention).</param>
    public static Figure Attention(IReadOnlyList<IReadOnlyList<double>> weights, IReadOnlyList<string> queryTokens, int layer, int head,
        IReadOnlyList<string>? keyTokens = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(queryTokens);
        keyTokens ??= queryTokens;
        if (weights.Count != queryTokens.Count)
        {
            throw new ArgumentException($"weights has {weights.Count} rows but there are {queryTokens.Count} query tokens.", nameof(weights));
        }
        var z = new double[weights.Count][];
        var text = new string[weights.Count][];
        for (var q = 0; q < weights.Count; q++)
        {
            if (weights[q].Count != keyTokens.Count)
            {
                throw new ArgumentException($"weights[{q}] has {weights[q].Count} values but there are {keyTokens.Count} key tokens.", nameof(weights));
            }
            z[q] = weights[q].ToArray();
            text[q] = new string[keyTokens.Count];
            for (var k = 0; k < keyTokens.Count; k++)
            {
                text[q][k] = $"query {q} {Label(queryTokens[q])} → key {k} {Label(keyTokens[k])}";
            }
        }
        var figure = new Figure(new Heatmap
        {
            Z = z, ColorScale = new object[][] { [0.0, "#ffffff"], [0.15, "#deebf7"], [0.5, "#6baed6"], [1.0, "#08306b"] },
            ZMin = 0, ZMax = 1, CellText = text, XGap = 1, YGap = 1,
            HoverTemplate = "%{text}<br>weight %{z:.3f}<extra></extra>",
            ColorBar = new ColorBar { Title = "weight", Thickness = 14 },
        });
        figure.WithTitle($"Attention: layer {layer}, head {head}").WithXAxis("key").WithYAxis("query");
        var x = figure.Layout.GetXAxis(1);
        var y = figure.Layout.GetYAxis(1);
        x.TickMode = y.TickMode = "array";
        x.TickVals = Values.Range(keyTokens.Count);
        x.TickText = Values.Of(keyTokens.Select(Label));
        y.TickVals = Values.Range(queryTokens.Count);
        y.TickText = Values.Of(queryTokens.Select(Label));
        x.TickAngle = -60;
        x.ShowGrid = y.ShowGrid = false;
        x.ZeroLine = y.ZeroLine = false;
        y.AutoRange = "reversed";
        y.ScaleAnchor = "x";
        x.Side = "top";
        x.Title = null;
        figure.Layout.Template = Template.Light();
        figure.Layout.PlotBgColor = "#ffffff";
        // Square cells: the plot area is side × side, the margins hold labels, title and color bar.
        var side = Math.Clamp(30 * Math.Max(queryTokens.Count, keyTokens.Count), 240, 800);
        var margin = new Margin { Left = 90, Right = 110, Top = 120, Bottom = 20 };
        figure.Layout.Margin = margin;
        figure.Layout.Width = side + margin.Left + margin.Right;
        figure.Layout.Height = side + margin.Top + margin.Bottom;
        return figure;
    }

    /// <summary>
    /// The comparison bar chart: one group of bars per metric, one bar (color) per method, with
    /// error bars when given — e.g. zero-shot vs few-shot vs RAG vs SFT on exact match and ROUGE-L.
    /// Methods and metrics appear in the order first seen.
    /// </summary>
    public static Figure Comparison(IEnumerable<MethodScore> scores, string title = "Comparison", string valueTitle = "score")
    {
        ArgumentNullException.ThrowIfNull(scores);
        var all = scores.ToArray();
        var methods = all.Select(s => s.Method).Distinct().ToArray();
        var metrics = all.Select(s => s.Metric).Distinct().ToArray();
        foreach (var group in all.GroupBy(s => (s.Method, s.Metric)))
        {
            if (group.Count() > 1) throw new ArgumentException($"two scores for method \"{group.Key.Method}\" on metric \"{group.Key.Metric}\".", nameof(scores));
        }
        foreach (var s in all)
        {
            if (s.Error is double e && (!double.IsFinite(e) || e < 0))
            {
                throw new ArgumentException($"the error of \"{s.Method}\" on \"{s.Metric}\" is {e}; an error bar needs a finite value ≥ 0.", nameof(scores));
            }
        }
        var figure = new Figure();
        var anyError = all.Any(s => s.Error is not null);
        for (var mi = 0; mi < methods.Length; mi++)
        {
            var method = methods[mi];
            var values = metrics.Select(metric => all.FirstOrDefault(s => s.Method == method && s.Metric == metric)).ToArray();
            var y = values.Select(v => v.Method is null ? double.NaN : v.Value).ToArray();
            var err = values.Select(v => v.Error ?? 0).ToArray();
            figure.Add(new Bar
            {
                X = Values.Of(metrics), Y = Values.Of(y), Name = method,
                Marker = new Marker { Color = Template.LightColors[mi % Template.LightColors.Count] },
                ErrorY = anyError ? new ErrorBars { Array = Values.Of(err), Color = "#3d4148", Thickness = 1.5, Width = 4 } : null,
                CustomData = Values.Of(err),
                HoverTemplate = anyError
                    ? $"{WebUtility.HtmlEncode(method)}<br>%{{x}}: %{{y:.3f}} ± %{{customdata:.3f}}<extra></extra>"
                    : $"{WebUtility.HtmlEncode(method)}<br>%{{x}}: %{{y:.3f}}<extra></extra>",
            });
        }
        figure.WithTitle(title).WithYAxis(valueTitle);
        figure.Layout.BarMode = "group";
        figure.Layout.Template = Template.Light();
        figure.Layout.Legend = new Legend { Orientation = "h", X = 1, XAnchor = "right", Y = 1.02, YAnchor = "bottom" };
        figure.Layout.GetYAxis(1).RangeMode = "tozero";
        return figure;
    }

    /// <summary>The qualitative colors of documents in <see cref="Packing(IReadOnlyList{IReadOnlyList{int}}, string)"/> (cycled).</summary>
    internal static readonly string[] DocumentColors =
        ["#4c8bd6", "#f29f4c", "#5cb85c", "#e05d5d", "#9b7fd1", "#b07f5a", "#e58bc6", "#48c2cf", "#c2c24a", "#7d8a99"];

    private static string Label(string token)
    {
        var visible = token.Replace("\n", "↵").Replace("\t", "→").Replace("\r", "␍");
        if (visible.Length == 0) visible = "∅";
        if (visible.Length > 14) visible = visible[..13] + "…";
        return WebUtility.HtmlEncode(visible);
    }

    private static double Median(int[] values)
    {
        if (values.Length == 0) return 0;
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
    }

    // A 1-2-5 bin width giving at most about `target` bins up to `max`.
    private static double NiceBinSize(int max, int target)
    {
        if (max <= target) return 1;
        var raw = (double)max / target;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        foreach (var step in new[] { 1.0, 2, 5, 10 })
        {
            if (step * magnitude >= raw) return step * magnitude;
        }
        return 10 * magnitude;
    }
}
