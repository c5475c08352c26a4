namespace SftLab.Data;

/// <summary>What is wrong with a dataset row (or file). Each kind names a mistake people really make in SFT data.</summary>
public enum RowProblem
{
    /// <summary>The line (or JSON array element, or CSV record) is not valid JSON / CSV.</summary>
    InvalidSyntax,
    /// <summary>A field has the wrong type, e.g. <c>content</c> is a number or <c>messages</c> is a string.</summary>
    WrongType,
    /// <summary>A required field is missing, e.g. <c>completion</c> in a prompt-completion set.</summary>
    MissingField,
    /// <summary>A message has no <c>role</c> (or ShareGPT <c>from</c>).</summary>
    MissingRole,
    /// <summary>A role that no chat template knows, e.g. <c>bot</c>.</summary>
    UnknownRole,
    /// <summary>Turns do not alternate user/assistant (two user turns in a row, a system message in the middle...).</summary>
    NonAlternating,
    /// <summary>An empty list of messages.</summary>
    EmptyMessages,
    /// <summary>A turn (or completion, or text) whose content is empty or only whitespace.</summary>
    EmptyContent,
    /// <summary>The row does not have the fields of the format the dataset was detected as.</summary>
    FormatMismatch,
    /// <summary>The file's columns match no format SftLab can train on (or a format it refuses, such as preference data).</summary>
    UnsupportedFormat,
    /// <summary>The chat template refused the conversation (it raised an error) or failed on it.</summary>
    TemplateError,
    /// <summary>The row cannot be trained on as asked, e.g. assistant-only loss on a conversation without an assistant turn.</summary>
    NothingToLearn,
}

/// <summary>
/// A dataset row (or file) that cannot be used, with where it is: the file, the 1-based line (for a
/// CSV record, the line it starts on; for an element of a JSON array, the line of its opening brace)
/// and the field as a JSON path (e.g. <c>messages[2].role</c>). The message reads
/// <c>file:line: field: what is wrong</c>.
/// </summary>
public sealed class DatasetException : FormatException
{
    /// <summary>Creates the exception; the message is composed from the parts.</summary>
    public DatasetException(string file, long line, string? field, RowProblem problem, string detail, Exception? inner = null)
        : base(Compose(file, line, field, detail), inner)
    {
        File = file;
        Line = line;
        Field = field;
        Problem = problem;
        Detail = detail;
    }

    /// <summary>The file (as given to the loader).</summary>
    public string File { get; }

    /// <summary>1-based line number, or 0 when the problem concerns the whole file.</summary>
    public long Line { get; }

    /// <summary>The field as a JSON path (<c>messages[2].content</c>), or null when the whole row is bad.</summary>
    public string? Field { get; }

    /// <summary>The kind of problem.</summary>
    public RowProblem Problem { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Detail { get; }

    /// <summary>The row as a <see cref="SkippedRow"/> (what lenient loading records instead of throwing).</summary>
    public SkippedRow ToSkippedRow() => new(File, Line, Field, Problem, Detail);

    internal static string Compose(string file, long line, string? field, string detail) =>
        (line > 0 ? $"{file}:{line}: " : $"{file}: ") + (field is null ? "" : field + ": ") + detail;
}

/// <summary>A row that lenient loading left out, and why. Nothing is dropped without one of these.</summary>
/// <param name="File">The file.</param>
/// <param name="Line">1-based line where the row starts.</param>
/// <param name="Field">The offending field as a JSON path, or null.</param>
/// <param name="Problem">The kind of problem.</param>
/// <param name="Detail">What is wrong.</param>
public sealed record SkippedRow(string File, long Line, string? Field, RowProblem Problem, string Detail)
{
    /// <summary><c>file:line: field: detail</c>, the same text the strict mode's exception carries.</summary>
    public override string ToString() => DatasetException.Compose(File, Line, Field, Detail);
}
