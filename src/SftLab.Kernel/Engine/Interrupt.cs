namespace SftLab.Kernel;

/// <summary>
/// Cooperative interruption of notebook cells. .NET cannot abort a running thread, so the kernel
/// rewrites every cell before compiling it: each loop body and each method body first calls
/// <see cref="ThrowIfRequested"/>, which throws <see cref="OperationCanceledException"/> once the user
/// pressed "interrupt" (a Jupyter interrupt_request or SIGINT). The kernel stays alive with its state.
/// Long waits in your own code can also pass <see cref="Token"/> (in a cell: the global
/// <c>CancellationToken</c>) to APIs that accept one, such as <c>Task.Delay</c>.
/// </summary>
public static class Interrupt
{
    private static readonly AsyncLocal<CancellationToken> Current = new();
    // Fast path: the number of cells whose token was cancelled and that have not finished yet.
    private static volatile int s_pending;

    /// <summary>The cancellation token of the cell that is running (flows across awaits and tasks the cell starts).</summary>
    public static CancellationToken Token => Current.Value;

    /// <summary>Throws <see cref="OperationCanceledException"/> if the running cell was interrupted; otherwise returns at once.</summary>
    public static void ThrowIfRequested()
    {
        if (s_pending == 0) return;
        var token = Current.Value;
        if (token.IsCancellationRequested)
            throw new OperationCanceledException("The cell was interrupted.", token);
    }

    /// <summary>
    /// Called first in every method, local function, accessor and lambda a cell declares: throws
    /// <see cref="InsufficientExecutionStackException"/> when the stack is nearly full (runaway recursion would
    /// otherwise end the whole kernel process), and <see cref="OperationCanceledException"/> after an interrupt.
    /// </summary>
    public static void EnterMethod()
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        if (s_pending != 0) ThrowIfRequested();
    }

    /// <summary>Makes <paramref name="token"/> the current cell's token for the calling async flow.</summary>
    internal static void Enter(CancellationToken token) => Current.Value = token;

    /// <summary>Marks one more running cell as cancelled (call once, when its token is cancelled).</summary>
    internal static void MarkPending() => Interlocked.Increment(ref s_pending);

    /// <summary>A cancelled cell finished (call once for each <see cref="MarkPending"/>).</summary>
    internal static void ClearPending() => Interlocked.Decrement(ref s_pending);
}
