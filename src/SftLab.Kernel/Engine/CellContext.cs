using System.Text;
using SftLab.Kernel.Display;

namespace SftLab.Kernel.Engine;

/// <summary>Where a cell's outputs go: the Jupyter kernel sends them as iopub messages; tests collect them.</summary>
public interface IOutputSink
{
    /// <summary>Text written to Console.Out ("stdout") or Console.Error ("stderr").</summary>
    void Stream(string name, string text);

    /// <summary>A rich output. <paramref name="update"/>: replace the earlier output with the same display id.</summary>
    void Display(MimeBundle bundle, string displayId, bool update);

    /// <summary>
    /// Asks the user for a line of input (Console.ReadLine in a cell). Returns null when the client cannot
    /// answer (for example a headless run), in which case Console.ReadLine returns null.
    /// </summary>
    string? RequestInput(string prompt, bool password);
}

/// <summary>
/// The running cell: its output sink and the buffers of its console output. It flows through the
/// cell's async calls (an <see cref="AsyncLocal{T}"/>), so output written after an await, from a task the cell
/// started, or from a cell that was interrupted but is still winding down, lands under the right cell.
/// </summary>
internal sealed class CellContext : IDisposable
{
    private static readonly AsyncLocal<CellContext?> CurrentContext = new();
    private static volatile CellContext? s_latest;

    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _lock = new();
    private readonly Timer _timer;
    private bool _disposed;

    public CellContext(IOutputSink sink, int executionCount, CancellationToken token)
    {
        Sink = sink;
        ExecutionCount = executionCount;
        Token = token;
        // Console output is flushed to the client every 50 ms while the cell runs (and at once on a display).
        _timer = new Timer(_ => Flush(), null, 50, 50);
    }

    public IOutputSink Sink { get; }
    public int ExecutionCount { get; }
    public CancellationToken Token { get; }

    /// <summary>The cell of the calling flow, else the cell that started last (for threads that do not flow context).</summary>
    public static CellContext? Current => CurrentContext.Value ?? s_latest;

    public static void Enter(CellContext context)
    {
        CurrentContext.Value = context;
        s_latest = context;
    }

    public void Write(string name, string text)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                Sink.Stream(name, text);
                return;
            }
            (name == "stderr" ? _stderr : _stdout).Append(text);
        }
    }

    /// <summary>Sends buffered console text now (before a display, so outputs keep their order).</summary>
    public void Flush()
    {
        string? o = null, e = null;
        lock (_lock)
        {
            if (_stdout.Length > 0) { o = _stdout.ToString(); _stdout.Clear(); }
            if (_stderr.Length > 0) { e = _stderr.ToString(); _stderr.Clear(); }
            // Send under the lock: two flushes (timer and display) must not reorder text.
            if (o != null) Sink.Stream("stdout", o);
            if (e != null) Sink.Stream("stderr", e);
        }
    }

    public void Display(MimeBundle bundle, string displayId, bool update)
    {
        Flush();
        Sink.Display(bundle, displayId, update);
    }

    public void Dispose()
    {
        _timer.Dispose();
        Flush();
        lock (_lock) _disposed = true;
        if (s_latest == this) s_latest = null;
    }
}

/// <summary>
/// Console.Out/Console.Error while the kernel runs: text goes to the running cell's buffer (and from
/// there to the client as stream messages); with no cell running it goes to the original writer.
/// </summary>
internal sealed class ConsoleRouter(string name, TextWriter fallback) : TextWriter
{
    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) => Write(value.ToString());

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        var cell = CellContext.Current;
        if (cell != null) cell.Write(name, value);
        else fallback.Write(value);
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value) => Write(value + new string(CoreNewLine));

    public override void Flush()
    {
        var cell = CellContext.Current;
        if (cell != null) cell.Flush();
        else fallback.Flush();
    }
}

/// <summary>Console.In while the kernel runs: Console.ReadLine asks the client for a line (input_request).</summary>
internal sealed class ConsoleInput : TextReader
{
    private string? _pending;

    public override string? ReadLine()
    {
        if (_pending != null)
        {
            var p = _pending;
            _pending = null;
            return p;
        }
        var cell = CellContext.Current;
        if (cell == null) return null;
        cell.Flush();
        return cell.Sink.RequestInput("", password: false);
    }

    public override int Read()
    {
        _pending ??= ReadLine() is { } line ? line + "\n" : null;
        if (string.IsNullOrEmpty(_pending)) return -1;
        var c = _pending[0];
        _pending = _pending.Length > 1 ? _pending[1..] : null;
        return c;
    }

    public override int Peek() => _pending is { Length: > 0 } p ? p[0] : -1;
}
