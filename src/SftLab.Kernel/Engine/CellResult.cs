namespace SftLab.Kernel.Engine;

/// <summary>How a cell ended.</summary>
public enum CellStatus
{
    /// <summary>It ran to the end.</summary>
    Ok,

    /// <summary>It did not compile, threw, or was interrupted; see <see cref="CellResult.ErrorName"/>.</summary>
    Error,
}

/// <summary>
/// The outcome of one cell: success with the value of its last expression (if it ends with one), or an error
/// in Jupyter's terms (ename, evalue, traceback lines that name the cell line).
/// </summary>
public sealed record CellResult
{
    /// <summary>Ok or Error.</summary>
    public CellStatus Status { get; init; }

    /// <summary>The execution count the cell ran as (In [n]).</summary>
    public int ExecutionCount { get; init; }

    /// <summary>True when the cell ends with an expression whose value should be shown (execute_result).</summary>
    public bool HasValue { get; init; }

    /// <summary>The value of the last expression (valid when <see cref="HasValue"/>).</summary>
    public object? Value { get; init; }

    /// <summary>Jupyter's ename: the exception type, "CompilationError", or "OperationCanceledException" for an interrupt.</summary>
    public string ErrorName { get; init; } = "";

    /// <summary>Jupyter's evalue: the message.</summary>
    public string ErrorValue { get; init; } = "";

    /// <summary>Jupyter's traceback: lines naming the cell and line of each frame or diagnostic.</summary>
    public IReadOnlyList<string> Traceback { get; init; } = [];

    /// <summary>True when the error was an interrupt.</summary>
    public bool Interrupted { get; init; }

    /// <summary>The exception the cell threw, if it threw.</summary>
    public Exception? Exception { get; init; }
}
