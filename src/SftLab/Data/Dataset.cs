using System.Collections;
using System.Text;
using System.Text.Json.Nodes;

namespace SftLab.Data;

/// <summary>Options of <see cref="Dataset.Load(string, DatasetLoadOptions?)"/> and <see cref="Dataset.Stream"/>.</summary>
public sealed record DatasetLoadOptions
{
    /// <summary>
    /// Skip bad rows and list them in <see cref="Dataset.Skipped"/> (each with file, line, field and problem)
    /// instead of stopping at the first one. Off by default: bad data should be fixed, not ignored.
    /// </summary>
    public bool Lenient { get; init; }

    /// <summary>Force a format instead of detecting it from the first row's columns.</summary>
    public DatasetFormat? Format { get; init; }

    /// <summary>How .txt files are cut into rows (default: documents separated by blank lines).</summary>
    public TextSampleBy TextSampleBy { get; init; } = TextSampleBy.Paragraph;

    /// <summary>Accept turns whose content is empty or whitespace (they are counted by <see cref="DatasetReport"/>). Off by default: an empty assistant turn teaches a model to say nothing.</summary>
    public bool AllowEmptyTurns { get; init; }
}

/// <summary>A dataset split into train, validation and test parts (see <see cref="Dataset.Split"/>).</summary>
public sealed record DatasetSplits(Dataset Train, Dataset Validation, Dataset Test);

/// <summary>
/// A dataset in memory: validated rows of one <see cref="DatasetFormat"/>, the files they came from,
/// and the rows left out (in lenient mode). Load one with <see cref="Load(string, DatasetLoadOptions?)"/>,
/// stream a big file with <see cref="Stream"/>, then <see cref="Inspect"/>, <see cref="Deduplicate"/>,
/// <see cref="Split"/>, <see cref="Shuffle"/>, and turn rows into training examples with <see cref="ExampleBuilder"/>.
/// </summary>
/// <example>
/// <code>
/// var data = Dataset.Load("datasets/sft/train.jsonl");
/// var (train, validation, _) = data.Deduplicate().Kept.Split(validationFraction: 0.05, seed: 42);
/// var builder = new ExampleBuilder(Tokenizer.FromFolder(modelDir), ChatTemplate.FromTokenizerConfig(...), new ExampleOptions { AssistantOnlyLoss = true });
/// var examples = builder.BuildAll(train);
/// </code>
/// </example>
public sealed class Dataset : IReadOnlyList<DatasetRow>
{
    private readonly List<DatasetRow> _rows;

    /// <summary>Creates a dataset from rows already validated (all of <paramref name="format"/>).</summary>
    public Dataset(IEnumerable<DatasetRow> rows, DatasetFormat format, IEnumerable<string>? files = null, IEnumerable<SkippedRow>? skipped = null, string? name = null)
    {
        _rows = [.. rows];
        Format = format;
        Files = [.. files ?? _rows.Select(r => r.File).Distinct()];
        Skipped = [.. skipped ?? []];
        Name = name ?? (Files.Count == 1 ? Files[0] : $"{Files.Count} files");
    }

    /// <summary>The format of every row (detected from the first row, or forced).</summary>
    public DatasetFormat Format { get; }

    /// <summary>The files the rows came from.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Rows left out in lenient mode, with file, line, field and why (empty in strict mode).</summary>
    public IReadOnlyList<SkippedRow> Skipped { get; }

    /// <summary>A name for reports: the file, or "N files".</summary>
    public string Name { get; }

    /// <summary>Number of rows.</summary>
    public int Count => _rows.Count;

    /// <summary>The row at <paramref name="index"/>.</summary>
    public DatasetRow this[int index] => _rows[index];

    /// <inheritdoc />
    public IEnumerator<DatasetRow> GetEnumerator() => _rows.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Loads a dataset file (.jsonl, .json, .csv, .tsv, .txt, optionally .gz), detecting its format from the
    /// first row's columns and validating every row.
    /// </summary>
    /// <exception cref="DatasetException">A malformed row (strict mode), or a file whose format is unknown or refused.</exception>
    public static Dataset Load(string path, DatasetLoadOptions? options = null) => Load([path], options);

    /// <summary>Loads several files as one dataset; they must share a format.</summary>
    public static Dataset Load(IEnumerable<string> paths, DatasetLoadOptions? options = null)
    {
        options ??= new DatasetLoadOptions();
        var files = paths.ToList();
        if (files.Count == 0) throw new ArgumentException("no dataset files given");
        var skipped = new List<SkippedRow>();
        var rows = new List<DatasetRow>();
        DatasetFormat? format = options.Format;
        foreach (var file in files)
        {
            var fileFormat = format;
            foreach (var row in StreamCore(file, options with { Format = format }, skipped.Add, f => fileFormat = f))
                rows.Add(row);
            format ??= fileFormat;
        }
        if (format is null)
        {
            if (skipped.Count > 0)
                throw new DatasetException(files[0], 0, null, RowProblem.UnsupportedFormat,
                    $"no valid row: all {skipped.Count} rows were skipped; the first: {skipped[0]}");
            throw new DatasetException(files[0], 0, null, RowProblem.EmptyMessages, "the dataset has no rows");
        }
        return new Dataset(rows, format.Value, files, skipped);
    }

    /// <summary>
    /// Reads a file row by row without holding it in memory (for files larger than memory): each row is
    /// validated as it is read. Strict unless <see cref="DatasetLoadOptions.Lenient"/>; then bad rows go to
    /// <paramref name="skipped"/> (which must be given).
    /// </summary>
    public static IEnumerable<DatasetRow> Stream(string path, DatasetLoadOptions? options = null, ICollection<SkippedRow>? skipped = null)
    {
        options ??= new DatasetLoadOptions();
        if (options.Lenient && skipped is null) throw new ArgumentException("lenient streaming needs a collection to receive the skipped rows: nothing is dropped silently", nameof(skipped));
        return StreamCore(path, options, skipped is null ? null : skipped.Add, _ => { });
    }

    private static IEnumerable<DatasetRow> StreamCore(string path, DatasetLoadOptions options, Action<SkippedRow>? onSkip, Action<DatasetFormat> detected)
    {
        var lenient = options.Lenient && onSkip is not null;
        var format = options.Format;
        // In lenient mode a bad first row must not decide the format: rows are held until one is recognised.
        var pending = new List<RawRecord>();
        DatasetException? firstFailure = null;
        foreach (var record in DatasetReader.Read(path, options.TextSampleBy, lenient ? onSkip : null))
        {
            if (format is null)
            {
                try
                {
                    format = DatasetFormats.Detect(record.Columns, record.File, record.Line);
                    detected(format.Value);
                }
                catch (DatasetException e) when (lenient && pending.Count < 1000)
                {
                    firstFailure ??= e;
                    pending.Add(record);
                    continue;
                }
                foreach (var held in pending)
                    if (TryParse(held, format.Value, options, lenient, onSkip) is { } r) yield return r;
                pending.Clear();
            }
            if (TryParse(record, format.Value, options, lenient, onSkip) is { } row) yield return row;
        }
        if (format is null && firstFailure is not null) throw firstFailure;
    }

    private static DatasetRow? TryParse(RawRecord record, DatasetFormat format, DatasetLoadOptions options, bool lenient, Action<SkippedRow>? onSkip)
    {
        try
        {
            return DatasetRow.Parse(record.Columns, format, record.File, record.Line, options.AllowEmptyTurns);
        }
        catch (DatasetException e) when (lenient)
        {
            onSkip!(e.ToSkippedRow());
            return null;
        }
    }

    /// <summary>Builds a dataset from rows in memory (objects with the columns of one format), e.g. in a notebook.</summary>
    public static Dataset FromJson(IEnumerable<JsonObject> rows, string name = "memory")
    {
        var list = new List<DatasetRow>();
        DatasetFormat? format = null;
        var line = 0;
        foreach (var o in rows)
        {
            line++;
            format ??= DatasetFormats.Detect(o, name, line);
            list.Add(DatasetRow.Parse(o, format.Value, name, line));
        }
        if (format is null) throw new ArgumentException("no rows");
        return new Dataset(list, format.Value, [name], name: name);
    }

    /// <summary>A dataset with the same format and files holding only <paramref name="rows"/>.</summary>
    public Dataset With(IEnumerable<DatasetRow> rows, string? name = null) => new(rows, Format, Files, Skipped, name ?? Name);

    /// <summary>
    /// The rows in a random order fixed by <paramref name="seed"/> (Fisher-Yates over SplitMix64, so the
    /// same seed gives the same order on every machine).
    /// </summary>
    public Dataset Shuffle(ulong seed)
    {
        var rows = _rows.ToList();
        new StableHash.Rng(seed).Shuffle(rows);
        return With(rows);
    }

    /// <summary>
    /// Splits the rows into train, validation and test sets of exactly round(n × fraction) rows (test first,
    /// then validation; train gets the rest). Which set a row lands in depends only on the seed and the row's
    /// content (rows are ordered by a stable hash of both), not on the file order, so the same seed gives the
    /// same split on every machine, even after the file is shuffled; exact duplicates sort next to each other
    /// and land in the same set (no leakage). Each set keeps the original order of its rows.
    /// </summary>
    /// <param name="validationFraction">Share of rows for validation, in [0, 1).</param>
    /// <param name="testFraction">Share of rows for test, in [0, 1).</param>
    /// <param name="seed">Changes which rows go where.</param>
    public DatasetSplits Split(double validationFraction, double testFraction = 0, ulong seed = 42)
    {
        if (validationFraction is < 0 or >= 1 || double.IsNaN(validationFraction)) throw new ArgumentOutOfRangeException(nameof(validationFraction), "must be in [0, 1)");
        if (testFraction is < 0 or >= 1 || double.IsNaN(testFraction)) throw new ArgumentOutOfRangeException(nameof(testFraction), "must be in [0, 1)");
        if (validationFraction + testFraction >= 1) throw new ArgumentException("validation and test fractions must leave some rows for training");
        var n = _rows.Count;
        var nTest = (int)Math.Round(n * testFraction, MidpointRounding.AwayFromZero);
        var nValidation = (int)Math.Round(n * validationFraction, MidpointRounding.AwayFromZero);
        var order = Enumerable.Range(0, n)
            .Select(i => (Key: StableHash.Of(_rows[i].ContentText, seed), Index: i))
            .OrderBy(x => x.Key).ThenBy(x => x.Index).Select(x => x.Index).ToArray();
        Dataset Part(IEnumerable<int> indices, string part) => With(indices.Order().Select(i => _rows[i]), $"{Name} [{part}]");
        return new DatasetSplits(
            Part(order.Skip(nTest + nValidation), "train"),
            Part(order.Skip(nTest).Take(nValidation), "validation"),
            Part(order.Take(nTest), "test"));
    }

    /// <summary>Removes exact and near duplicates (see <see cref="Deduplicator"/>); the result lists every removed row and the row it duplicates.</summary>
    public DeduplicationResult Deduplicate(DeduplicationOptions? options = null) => Deduplicator.Run(this, options ?? new DeduplicationOptions());

    /// <summary>
    /// A report on the dataset (rows, roles, lengths, truncation at <paramref name="maxLength"/>, duplicates,
    /// empty turns, script/language mix). With a <paramref name="builder"/>, lengths are in tokens with the
    /// chat template applied; without, in characters.
    /// </summary>
    public DatasetReport Inspect(ExampleBuilder? builder = null, int? maxLength = null, DeduplicationOptions? duplicates = null) =>
        DatasetReport.Create(this, builder, maxLength, duplicates);

    /// <summary>Writes the rows' original columns as JSON Lines (atomically), e.g. after cleaning or splitting.</summary>
    public void Save(string path) =>
        IO.AtomicFile.Write(path, tmp =>
        {
            using var writer = new StreamWriter(tmp, false, new UTF8Encoding(false));
            foreach (var r in _rows) writer.Write(r.Raw.ToJsonString(SaveOptions) + "\n");
        });

    private static readonly System.Text.Json.JsonSerializerOptions SaveOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
