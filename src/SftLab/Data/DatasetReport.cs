using System.Globalization;
using System.Net;
using System.Text;
using SftLab.Interactive;
using SftLab.Visualization;

namespace SftLab.Data;

/// <summary>Summary statistics of a list of lengths.</summary>
/// <param name="Min">Shortest.</param>
/// <param name="Mean">Average.</param>
/// <param name="P50">Median.</param>
/// <param name="P90">90th percentile.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="Max">Longest.</param>
public readonly record struct LengthStats(int Min, double Mean, int P50, int P90, int P99, int Max)
{
    /// <summary>Statistics of <paramref name="lengths"/> (percentiles by the nearest-rank method).</summary>
    public static LengthStats Of(IReadOnlyList<int> lengths)
    {
        if (lengths.Count == 0) return default;
        var sorted = lengths.Order().ToArray();
        int Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new LengthStats(sorted[0], sorted.Average(), Rank(0.5), Rank(0.9), Rank(0.99), sorted[^1]);
    }
}

/// <summary>
/// What is in a dataset, before training on it: rows and formats, roles, the length of every row (in tokens
/// with the chat template applied, when a tokenizer is given), how many rows <c>max_length</c> would truncate,
/// how many tokens are learned, duplicates, empty turns, rows left out and why, and a crude language mix.
/// Shows as a table in a notebook (<see cref="ToHtml"/>) and a console (<see cref="ToTable"/>);
/// <see cref="LengthsFigure"/> draws the length histogram.
/// </summary>
public sealed class DatasetReport : IHtmlDisplay
{
    private DatasetReport() { }

    /// <summary>The dataset's name (its file).</summary>
    public string Name { get; private init; } = "";

    /// <summary>The detected format.</summary>
    public DatasetFormat Format { get; private init; }

    /// <summary>Rows loaded.</summary>
    public int Rows { get; private init; }

    /// <summary>Rows left out while loading (lenient mode), with where and why.</summary>
    public IReadOnlyList<SkippedRow> Skipped { get; private init; } = [];

    /// <summary>Rows that loaded but could not be turned into a training example (the template refused them, nothing to learn...).</summary>
    public IReadOnlyList<SkippedRow> FailedToBuild { get; private init; } = [];

    /// <summary>Messages per role over all conversations (empty for plain text).</summary>
    public IReadOnlyDictionary<string, int> Roles { get; private init; } = new Dictionary<string, int>();

    /// <summary>Assistant turns per conversation: statistics over the rows that have messages.</summary>
    public LengthStats AssistantTurns { get; private init; }

    /// <summary>"tokens" when lengths come from a tokenizer and chat template, else "characters".</summary>
    public string LengthUnit { get; private init; } = "characters";

    /// <summary>The length of every row (before truncation), in <see cref="LengthUnit"/>, in row order — the input of <see cref="Views.SequenceLengths"/>.</summary>
    public IReadOnlyList<int> Lengths { get; private init; } = [];

    /// <summary>Statistics of <see cref="Lengths"/>.</summary>
    public LengthStats LengthStats { get; private init; }

    /// <summary>Tokens over all rows (0 without a tokenizer).</summary>
    public long TotalTokens { get; private init; }

    /// <summary>Tokens whose label counts in the loss (after masking, before truncation).</summary>
    public long LearnedTokens { get; private init; }

    /// <summary>The max length the truncation figures refer to, or null.</summary>
    public int? MaxLength { get; private init; }

    /// <summary>Rows longer than <see cref="MaxLength"/>.</summary>
    public int TruncatedRows { get; private init; }

    /// <summary><see cref="TruncatedRows"/> / <see cref="Rows"/>.</summary>
    public double TruncationRate => Lengths.Count == 0 ? 0 : (double)TruncatedRows / Lengths.Count;

    /// <summary>Rows with the same content as an earlier row.</summary>
    public int ExactDuplicates { get; private init; }

    /// <summary>Rows nearly identical to an earlier row (see <see cref="DeduplicationOptions.Threshold"/>).</summary>
    public int NearDuplicates { get; private init; }

    /// <summary>The duplicate rows and what they duplicate.</summary>
    public IReadOnlyList<DuplicateRow> Duplicates { get; private init; } = [];

    /// <summary>Turns with empty (or whitespace) content: in loaded rows (when allowed) plus rows skipped for it.</summary>
    public int EmptyTurns { get; private init; }

    /// <summary>Rows by crude language (see <see cref="LanguageMix.Guess"/>), most frequent first.</summary>
    public IReadOnlyDictionary<string, int> Languages { get; private init; } = new Dictionary<string, int>();

    /// <summary>Builds the report (see <see cref="Dataset.Inspect"/>).</summary>
    public static DatasetReport Create(Dataset data, ExampleBuilder? builder = null, int? maxLength = null, DeduplicationOptions? duplicates = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (maxLength is < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), "must be positive");
        var roles = new Dictionary<string, int>();
        var assistantTurns = new List<int>();
        var empty = data.Skipped.Count(s => s.Problem == RowProblem.EmptyContent);
        foreach (var row in data)
        {
            if (row.Text is not null || row.PromptText is not null)
            {
                if (string.IsNullOrWhiteSpace(row.Text ?? row.CompletionText)) empty++;
                continue;
            }
            var a = 0;
            foreach (var m in row.AllMessages)
            {
                var role = m["role"]!.GetValue<string>();
                roles[role] = roles.GetValueOrDefault(role) + 1;
                if (role == "assistant") a++;
                if (string.IsNullOrWhiteSpace(DatasetRow.ContentOf(m)) && m["tool_calls"] is null) empty++;
            }
            assistantTurns.Add(a);
        }

        var lengths = new List<int>(data.Count);
        long total = 0, learned = 0;
        var failed = new List<SkippedRow>();
        if (builder is not null)
        {
            // Measure without truncation: the report shows what max_length would cut.
            var measure = new ExampleBuilder(builder.Tokenizer, builder.Template, builder.Options with { MaxLength = null });
            var built = new BuiltExample?[data.Count];
            var errors = new DatasetException?[data.Count];
            Parallel.For(0, data.Count, i =>
            {
                try { built[i] = measure.Render(data[i]); }
                catch (DatasetException e) { errors[i] = e; }
            });
            for (var i = 0; i < data.Count; i++)
            {
                if (built[i] is { } b)
                {
                    lengths.Add(b.FullLength);
                    total += b.FullLength;
                    for (var t = 1; t < b.Labels.Length; t++) if (b.Labels[t] != TokenizedExample.IgnoreIndex) learned++;
                }
                else failed.Add(errors[i]!.ToSkippedRow());
            }
        }
        else
            foreach (var row in data) lengths.Add(row.ContentText.Length);

        var measured = lengths.ToArray();
        var dedup = Deduplicator.Run(data, duplicates ?? new DeduplicationOptions());
        var languages = data.GroupBy(r => LanguageMix.Guess(r.ContentText)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());
        return new DatasetReport
        {
            Name = data.Name,
            Format = data.Format,
            Rows = data.Count,
            Skipped = data.Skipped,
            FailedToBuild = failed,
            Roles = roles.OrderByDescending(kv => kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value),
            AssistantTurns = LengthStats.Of(assistantTurns),
            LengthUnit = builder is null ? "characters" : "tokens",
            Lengths = measured,
            LengthStats = LengthStats.Of(measured),
            TotalTokens = total,
            LearnedTokens = learned,
            MaxLength = maxLength,
            TruncatedRows = maxLength is { } limit ? measured.Count(l => l > limit) : 0,
            ExactDuplicates = dedup.ExactCount,
            NearDuplicates = dedup.NearCount,
            Duplicates = dedup.Removed,
            EmptyTurns = empty,
            Languages = languages,
        };
    }

    /// <summary>The report as (measure, value) rows, the content of both the text and HTML tables.</summary>
    public IReadOnlyList<(string Measure, string Value)> Entries()
    {
        static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
        static string P(double x) => x.ToString("0.0%", CultureInfo.InvariantCulture);
        var s = LengthStats;
        var list = new List<(string, string)>
        {
            ("dataset", Name),
            ("format", DatasetFormats.Describe(Format)),
            ("rows", N(Rows)),
            ("rows skipped (bad)", Skipped.Count == 0 ? "0" : $"{N(Skipped.Count)}: " + string.Join(", ", Skipped.GroupBy(k => k.Problem).Select(g => $"{g.Key} {g.Count()}"))),
        };
        if (Roles.Count > 0)
        {
            list.Add(("messages by role", string.Join(", ", Roles.Select(kv => $"{kv.Key} {N(kv.Value)}"))));
            list.Add(("assistant turns per row", $"min {AssistantTurns.Min}, mean {AssistantTurns.Mean.ToString("0.00", CultureInfo.InvariantCulture)}, max {AssistantTurns.Max}"));
        }
        list.Add(($"length ({LengthUnit})", $"min {s.Min}, median {s.P50}, mean {s.Mean.ToString("0.0", CultureInfo.InvariantCulture)}, p90 {s.P90}, p99 {s.P99}, max {s.Max}"));
        if (TotalTokens > 0)
            list.Add(("tokens learned", $"{N(LearnedTokens)} of {N(TotalTokens)} ({P((double)LearnedTokens / TotalTokens)})"));
        if (MaxLength is { } m)
            list.Add(($"truncated at max_length {m}", $"{N(TruncatedRows)} rows ({P(TruncationRate)})"));
        if (FailedToBuild.Count > 0)
            list.Add(("rows that fail to build", $"{N(FailedToBuild.Count)}; first: {FailedToBuild[0]}"));
        list.Add(("exact duplicates", N(ExactDuplicates)));
        list.Add(("near duplicates", N(NearDuplicates)));
        list.Add(("empty turns", N(EmptyTurns)));
        list.Add(("language (crude)", string.Join(", ", Languages.Select(kv => $"{kv.Key} {P((double)kv.Value / Math.Max(1, Rows))}"))));
        return list;
    }

    /// <summary>The report as a two-column text table for a console.</summary>
    public string ToTable()
    {
        var entries = Entries();
        var width = entries.Max(e => e.Measure.Length);
        var sb = new StringBuilder();
        foreach (var (k, v) in entries) sb.Append(k.PadRight(width)).Append("  ").Append(v).Append('\n');
        return sb.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToTable();

    /// <summary>The report as a small HTML table (what a notebook shows).</summary>
    public string ToHtml()
    {
        var sb = new StringBuilder("<table class=\"sftlab-dataset-report\" style=\"border-collapse:collapse;font-family:sans-serif;font-size:13px\">");
        sb.Append("<thead><tr><th style=\"text-align:left;padding:2px 12px 2px 0\">measure</th><th style=\"text-align:left\">value</th></tr></thead><tbody>");
        foreach (var (k, v) in Entries())
            sb.Append("<tr><td style=\"padding:2px 12px 2px 0;color:#555\">").Append(WebUtility.HtmlEncode(k))
              .Append("</td><td>").Append(WebUtility.HtmlEncode(v)).Append("</td></tr>");
        return sb.Append("</tbody></table>").ToString();
    }

    /// <summary>The histogram of <see cref="Lengths"/> with the max length marked (<see cref="Views.SequenceLengths"/>).</summary>
    public Figure LengthsFigure() => Views.SequenceLengths(Lengths, MaxLength, $"Lengths of {Path.GetFileName(Name)} ({LengthUnit})");
}
