using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace SftLab.Torch;

/// <summary>
/// Gradient checkpointing (PyTorch's <c>torch.utils.checkpoint</c>, the reentrant kind): runs a function
/// without keeping the activations it computes, and runs it again during the backward pass to get them
/// back. Training a decoder with each layer checkpointed keeps only every layer's input instead of all of
/// its intermediate tensors, at the price of about one more forward pass. That is the trade behind
/// <c>gradient_checkpointing=True</c> in transformers.
/// <para>
/// The function must compute the same thing twice: depend only on its inputs, the module weights and the
/// random generator of the first input's device (restored for the second run, so dropout repeats its
/// masks). At least one input or one weight it uses must require gradients, or nothing reaches the
/// weights; <see cref="Run"/> refuses inputs none of which requires gradients for that reason.
/// </para>
/// </summary>
public static class Checkpoint
{
    private sealed class State(Func<Tensor[], Tensor> function)
    {
        public Func<Tensor[], Tensor> Function { get; } = function;
    }

    [ThreadStatic] private static Exception? _pending;

    /// <summary>
    /// <paramref name="function"/>(<paramref name="inputs"/>), checkpointed when gradients are being recorded;
    /// a plain call otherwise (evaluation, generation).
    /// </summary>
    public static unsafe Tensor Run(Func<Tensor[], Tensor> function, params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length == 0) throw new ArgumentException("checkpointing needs at least one input tensor", nameof(inputs));
        if (!Autograd.IsGradEnabled) return function(inputs);
        if (!inputs.Any(t => t.RequiresGrad))
            throw new ArgumentException("no input requires gradients: a checkpointed function's weights would get none " +
                                        "(make the first input require gradients, as transformers' enable_input_require_grads does)", nameof(inputs));
        var handles = new IntPtr[inputs.Length];
        var refs = new bool[inputs.Length];
        try
        {
            for (var i = 0; i < inputs.Length; i++)
            {
                inputs[i].Handle.DangerousAddRef(ref refs[i]);
                handles[i] = inputs[i].Handle.DangerousGetHandle();
            }
            _pending = null;
            var state = GCHandle.Alloc(new State(function));
            Interlocked.Increment(ref _live);
            IntPtr result;
            fixed (IntPtr* p = handles)
                // The shim frees the state (through Release) when the graph node that needs it goes away.
                result = Native.sft_checkpoint(&Call, GCHandle.ToIntPtr(state), &Release, p, inputs.Length);
            if (result == IntPtr.Zero)
            {
                var message = Native.TakeError();
                if (_pending is { } e)
                {
                    _pending = null;
                    ExceptionDispatchInfo.Capture(e).Throw();
                }
                throw new TorchException(message ?? "checkpoint failed");
            }
            return new Tensor(result);
        }
        finally
        {
            for (var i = 0; i < inputs.Length; i++)
                if (refs[i]) inputs[i].Handle.DangerousRelease();
        }
    }

    /// <summary>Called by the shim (forward, then again in backward) with borrowed input handles; returns a new handle.</summary>
    [UnmanagedCallersOnly]
    private static unsafe IntPtr Call(IntPtr state, IntPtr* inputs, int n)
    {
        try
        {
            var s = (State)GCHandle.FromIntPtr(state).Target!;
            using var scope = DisposeScope.Begin();
            var args = new Tensor[n];
            for (var i = 0; i < n; i++) args[i] = new Tensor(Native.sft_alias_raw(inputs[i]));
            var output = s.Function(args) ?? throw new InvalidOperationException("the checkpointed function returned null");
            return Native.Check(Native.sft_alias(output.Handle));
        }
        catch (Exception e)
        {
            _pending = e;
            Native.sft_set_error($"{e.GetType().Name}: {e.Message}");
            return IntPtr.Zero;
        }
    }

    [UnmanagedCallersOnly]
    private static void Release(IntPtr state)
    {
        Interlocked.Decrement(ref _live);
        GCHandle.FromIntPtr(state).Free();
    }

    private static long _live;

    /// <summary>Checkpointed calls whose graph is still alive (their state not yet released); for tests.</summary>
    internal static long LiveStates => Interlocked.Read(ref _live);
}
