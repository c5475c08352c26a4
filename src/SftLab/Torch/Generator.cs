namespace SftLab.Torch;

/// <summary>
/// A seeded random-number generator (a libtorch CPU generator). Random tensors for any device are
/// drawn on the CPU and moved, so one seed gives the same numbers on CPU and GPU.
/// </summary>
public sealed class Generator : IDisposable
{
    internal IntPtr Handle { get; private set; }

    public Generator(ulong seed)
    {
        TorchRuntime.Initialize();
        Handle = Native.Check(Native.sft_generator_new(seed));
    }

    /// <summary>The generator's full state, for checkpoints.</summary>
    public unsafe byte[] GetState()
    {
        ThrowIfDisposed();
        Native.Check(Native.sft_generator_get_state(Handle, null, 0, out var size));
        var state = new byte[size];
        fixed (byte* p = state) Native.Check(Native.sft_generator_get_state(Handle, p, size, out _));
        return state;
    }

    /// <summary>Restores a state taken with <see cref="GetState"/>.</summary>
    public unsafe void SetState(byte[] state)
    {
        ThrowIfDisposed();
        fixed (byte* p = state) Native.Check(Native.sft_generator_set_state(Handle, p, state.Length));
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Handle == IntPtr.Zero, this);

    public void Dispose()
    {
        if (Handle == IntPtr.Zero) return;
        Native.sft_generator_free(Handle);
        Handle = IntPtr.Zero;
        GC.SuppressFinalize(this);
    }

    ~Generator()
    {
        if (Handle != IntPtr.Zero) Native.sft_generator_free(Handle);
    }
}
