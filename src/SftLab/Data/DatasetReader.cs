using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SftLab.Data;

/// <summary>How a .txt file is cut into rows.</summary>
public enum TextSampleBy
{
    /// <summary>Documents separated by one or more blank lines (the layout of SftLab's pretraining corpus).</summary>
    Paragraph,
    /// <summary>Each non-empty line is a row (Hugging Face's default for text files).</summary>
    Line,
    /// <summary>The whole file is one row.</summary>
    Document,
}

/// <summary>One record as read from a file, before validation: its columns and where it starts.</summary>
/// <param name="File">The file.</param>
/// <param name="Line">1-based line where the record starts.</param>
/// <param name="Columns">The record's fields.</param>
public readonly record struct RawRecord(string File, long Line, JsonObject Columns);

/// <summary>
/// Reads records from JSONL, JSON (an array of objects, or JSON Lines in a .json file), CSV/TSV and
/// .txt files, optionally gzip-compressed (<c>.jsonl.gz</c>). Reading streams: only the current
/// record is in memory, so files larger than memory can be read. Syntax errors name the file and
/// line; in lenient mode a bad JSONL line or CSV record is reported and skipped instead.
/// </summary>
public static class DatasetReader
{
    /// <summary>The file extensions SftLab reads (each also with .gz).</summary>
    public static readonly IReadOnlyList<string> Extensions = [".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".txt"];

    /// <summary>True when <paramref name="path"/> has an extension the reader knows.</summary>
    public static bool IsDataFile(string path)
    {
        var p = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        return Extensions.Contains(Path.GetExtension(p).ToLowerInvariant());
    }

    /// <summary>
    /// Streams the records of a file. The layout comes from the extension (.jsonl/.ndjson, .json,
    /// .csv, .tsv, .txt, each optionally .gz).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="textSampleBy">How a .txt file is cut into rows.</param>
    /// <param name="onSkip">When given, a record with a syntax error is reported here and skipped (lenient mode); when null, it throws.</param>
    /// <exception cref="DatasetException">A syntax error (with file and line).</exception>
    public static IEnumerable<RawRecord> Read(string path, TextSampleBy textSampleBy = TextSampleBy.Paragraph, Action<SkippedRow>? onSkip = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"dataset file not found: {path}", path);
        var inner = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        var ext = Path.GetExtension(inner).ToLowerInvariant();
        return ext switch
        {
            ".jsonl" or ".ndjson" => ReadJsonLines(path, onSkip),
            ".json" => ReadJson(path, onSkip),
            ".csv" => ReadCsv(path, ',', onSkip),
            ".tsv" => ReadCsv(path, '\t', onSkip),
            ".txt" => ReadText(path, textSampleBy),
            _ => throw new DatasetException(path, 0, null, RowProblem.UnsupportedFormat,
                $"unknown file type '{ext}'; SftLab reads {string.Join(", ", Extensions)} (optionally .gz)"),
        };
    }

    private static Stream Open(string path)
    {
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(fs, CompressionMode.Decompress) : fs;
    }

    private static StreamReader OpenText(string path) => new(Open(path), new UTF8Encoding(false, throwOnInvalidBytes: false), detectEncodingFromByteOrderMarks: true, 1 << 16);

    private static DatasetException SyntaxError(string file, long line, JsonException e, string what = "not valid JSON") =>
        new(file, line, null, RowProblem.InvalidSyntax,
            $"{what}: {FirstSentence(e.Message)}{(e.BytePositionInLine is { } b ? $" (at character {b + 1})" : "")}", e);

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd();
    }

    private static void Report(Action<SkippedRow>? onSkip, DatasetException e)
    {
        if (onSkip is null) throw e;
        onSkip(e.ToSkippedRow());
    }

    private static IEnumerable<RawRecord> ReadJsonLines(string path, Action<SkippedRow>? onSkip)
    {
        using var reader = OpenText(path);
        long line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(text);
            }
            catch (JsonException e)
            {
                Report(onSkip, SyntaxError(path, line, e));
                continue;
            }
            if (node is not JsonObject o)
            {
                Report(onSkip, new DatasetException(path, line, null, RowProblem.WrongType, $"expected a JSON object per line, got {DatasetRow.Kind(node)}"));
                continue;
            }
            yield return new RawRecord(path, line, o);
        }
    }

    /// <summary>A .json file: a top-level array of objects (streamed element by element), else JSON Lines.</summary>
    private static IEnumerable<RawRecord> ReadJson(string path, Action<SkippedRow>? onSkip)
    {
        int first;
        using (var probe = Open(path))
        {
            do first = probe.ReadByte(); while (first is ' ' or '\t' or '\r' or '\n' or 0xEF or 0xBB or 0xBF);
        }
        return first == '[' ? ReadJsonArray(path) : ReadJsonLines(path, onSkip);
    }

    /// <summary>
    /// Streams the elements of a top-level JSON array: a small scanner finds where each element ends
    /// (tracking strings, escapes and nesting), then only that element is parsed. Lines are counted as it goes.
    /// </summary>
    private static IEnumerable<RawRecord> ReadJsonArray(string path)
    {
        using var stream = Open(path);
        var buffer = new byte[1 << 16];
        var element = new MemoryStream();
        long line = 1, elementLine = 0;
        int depth = 0, index = 0;
        bool inString = false, escape = false, opened = false, closed = false, expectValue = true;
        var skipBom = 3;
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            for (var i = 0; i < n; i++)
            {
                var b = buffer[i];
                if (skipBom > 0)
                {
                    if (b is 0xEF or 0xBB or 0xBF) { skipBom--; continue; }
                    skipBom = 0;
                }
                if (depth > 0)
                {
                    element.WriteByte(b);
                    if (b == '\n') line++;
                    if (inString)
                    {
                        if (escape) escape = false;
                        else if (b == '\\') escape = true;
                        else if (b == '"') inString = false;
                        continue;
                    }
                    if (b == '"') inString = true;
                    else if (b is (byte)'{' or (byte)'[') depth++;
                    else if (b is (byte)'}' or (byte)']')
                    {
                        depth--;
                        if (depth == 0)
                        {
                            yield return ParseElement(path, elementLine, index++, element);
                            element.SetLength(0);
                            expectValue = false;
                        }
                    }
                    continue;
                }
                if (b == '\n') { line++; continue; }
                if (b is (byte)' ' or (byte)'\t' or (byte)'\r') continue;
                if (closed) throw new DatasetException(path, line, null, RowProblem.InvalidSyntax, $"unexpected '{(char)b}' after the end of the top-level array");
                if (!opened)
                {
                    if (b != '[') throw new DatasetException(path, line, null, RowProblem.InvalidSyntax, "expected '[' (a JSON array of rows)");
                    opened = true;
                    continue;
                }
                if (b == ']' && (!expectValue || index == 0)) { closed = true; continue; }
                if (b == ']') throw new DatasetException(path, line, $"$[{index - 1}]", RowProblem.InvalidSyntax, "a trailing ',' before ']' (JSON allows none)");
                if (b == ',' && !expectValue) { expectValue = true; continue; }
                if (!expectValue) throw new DatasetException(path, line, $"$[{index - 1}]", RowProblem.InvalidSyntax, $"expected ',' or ']' after an element, got '{(char)b}'");
                if (b != '{')
                    throw new DatasetException(path, line, $"$[{index}]", RowProblem.WrongType, "expected a JSON object for each row of the array");
                depth = 1;
                elementLine = line;
                element.WriteByte(b);
            }
        }
        if (!opened) throw new DatasetException(path, line, null, RowProblem.InvalidSyntax, "the file is empty; expected a JSON array of rows");
        if (depth > 0) throw new DatasetException(path, elementLine, $"$[{index}]", RowProblem.InvalidSyntax, "the element is not closed before the end of the file");
        if (!closed) throw new DatasetException(path, line, null, RowProblem.InvalidSyntax, "the top-level array is not closed (missing ']')");
    }

    private static RawRecord ParseElement(string path, long line, int index, MemoryStream element)
    {
        try
        {
            return new RawRecord(path, line, (JsonObject)JsonNode.Parse(element.GetBuffer().AsSpan(0, (int)element.Length))!);
        }
        catch (JsonException e)
        {
            var at = line + (e.LineNumber ?? 0);
            throw new DatasetException(path, at, $"$[{index}]", RowProblem.InvalidSyntax,
                $"not valid JSON: {FirstSentence(e.Message)}{(e.BytePositionInLine is { } b ? $" (at character {b + 1})" : "")}", e);
        }
    }

    /// <summary>RFC 4180 CSV: a header row, quoted fields may hold the delimiter, quotes ("") and line breaks.</summary>
    private static IEnumerable<RawRecord> ReadCsv(string path, char delimiter, Action<SkippedRow>? onSkip)
    {
        using var reader = OpenText(path);
        string[]? header = null;
        long line = 1;
        while (true)
        {
            var start = line;
            var (fields, error) = ReadCsvRecord(reader, delimiter, ref line);
            if (fields is null && error is null) yield break;
            if (error is not null)
            {
                var e = new DatasetException(path, start, null, RowProblem.InvalidSyntax, error);
                if (header is null || error.StartsWith("unclosed", StringComparison.Ordinal)) throw e; // nothing after it can be trusted
                Report(onSkip, e);
                continue;
            }
            if (fields!.Count == 1 && fields[0].Length == 0) continue; // a blank line
            if (header is null)
            {
                header = [.. fields.Select(f => f.Trim())];
                var dup = header.GroupBy(h => h).FirstOrDefault(g => g.Count() > 1);
                if (dup is not null) throw new DatasetException(path, start, null, RowProblem.InvalidSyntax, $"the header names column '{dup.Key}' twice");
                continue;
            }
            if (fields.Count != header.Length)
            {
                Report(onSkip, new DatasetException(path, start, null, RowProblem.InvalidSyntax,
                    $"this record has {fields.Count} fields but the header has {header.Length} ({string.Join(", ", header)})"));
                continue;
            }
            var o = new JsonObject();
            DatasetException? bad = null;
            for (var c = 0; c < header.Length; c++)
            {
                var cell = fields[c];
                // Message lists in CSV are JSON text in a cell.
                if (header[c] is "messages" or "conversations" || header[c] is "prompt" or "completion" && cell.TrimStart().StartsWith("[{", StringComparison.Ordinal))
                {
                    if (cell.TrimStart().StartsWith('['))
                    {
                        try
                        {
                            o[header[c]] = JsonNode.Parse(cell);
                            continue;
                        }
                        catch (JsonException e)
                        {
                            bad = new DatasetException(path, start, header[c], RowProblem.InvalidSyntax,
                                $"the cell should hold a JSON list of messages but is not valid JSON: {FirstSentence(e.Message)}", e);
                            break;
                        }
                    }
                }
                o[header[c]] = cell;
            }
            if (bad is not null)
            {
                Report(onSkip, bad);
                continue;
            }
            yield return new RawRecord(path, start, o);
        }
    }

    private static (List<string>? Fields, string? Error) ReadCsvRecord(TextReader reader, char delimiter, ref long line)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        var c = reader.Read();
        if (c < 0) return (null, null);
        var quoted = false;
        var afterQuote = false;
        var fieldStart = true;
        while (true)
        {
            if (c < 0)
            {
                if (quoted) return (null, "unclosed quoted field: the file ends inside quotes");
                fields.Add(sb.ToString());
                return (fields, null);
            }
            var ch = (char)c;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); sb.Append('"'); }
                    else { quoted = false; afterQuote = true; }
                }
                else
                {
                    if (ch == '\n') line++;
                    sb.Append(ch);
                }
            }
            else if (ch == delimiter)
            {
                fields.Add(sb.ToString());
                sb.Clear();
                fieldStart = true;
                afterQuote = false;
                c = reader.Read();
                continue;
            }
            else if (ch is '\r' or '\n')
            {
                if (ch == '\r' && reader.Peek() == '\n') reader.Read();
                line++;
                fields.Add(sb.ToString());
                return (fields, null);
            }
            else if (ch == '"' && fieldStart) quoted = true;
            else if (afterQuote)
            {
                // Consume the rest of the record so the next one starts cleanly.
                while (c >= 0 && c != '\n') c = reader.Read();
                line++;
                return (null, $"unexpected character '{ch}' after a closing quote in field {fields.Count + 1}");
            }
            else sb.Append(ch);
            fieldStart = false;
            c = reader.Read();
        }
    }

    private static IEnumerable<RawRecord> ReadText(string path, TextSampleBy by)
    {
        using var reader = OpenText(path);
        if (by == TextSampleBy.Document)
        {
            var all = reader.ReadToEnd();
            if (!string.IsNullOrWhiteSpace(all)) yield return new RawRecord(path, 1, new JsonObject { ["text"] = all });
            yield break;
        }
        long line = 0, start = 0;
        var doc = new StringBuilder();
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (by == TextSampleBy.Line)
            {
                if (!string.IsNullOrWhiteSpace(text)) yield return new RawRecord(path, line, new JsonObject { ["text"] = text });
                continue;
            }
            if (string.IsNullOrWhiteSpace(text))
            {
                if (doc.Length > 0) yield return new RawRecord(path, start, new JsonObject { ["text"] = doc.ToString() });
                doc.Clear();
                continue;
            }
            if (doc.Length == 0) start = line;
            else doc.Append('\n');
            doc.Append(text);
        }
        if (doc.Length > 0) yield return new RawRecord(path, start, new JsonObject { ["text"] = doc.ToString() });
    }
}
