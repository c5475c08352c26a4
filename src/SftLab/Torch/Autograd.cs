namespace SftLab.Torch;

/// <summary>Gradient-mode scopes (like <c>torch.no_grad()</c> and <c>torch.enable_grad()</c>).</summary>
public static class Autograd
{
    /// <summary>
    /// Disables gradient recording on this thread until disposed:
    /// <c>using (Autograd.NoGrad()) { ... }</c>. Grad mode is per thread, so keep the scope
    /// on one thread (do not <c>await</c> inside it).
    /// </summary>
    public static GradModeScope NoGrad() => new(false);

    /// <summary>Enables gradient recording on this thread until disposed.</summary>
    public static GradModeScope EnableGrad() => new(true);

    /// <summary>Whether operations on this thread are being recorded for backpropagation (PyTorch's <c>torch.is_grad_enabled()</c>).</summary>
    public static bool IsGradEnabled
    {
        get
        {
            TorchRuntime.Initialize();
            return Native.sft_is_grad_enabled() == 1;
        }
    }
}

/// <summary>Restores the previous gradient mode when disposed.</summary>
public readonly struct GradModeScope : IDisposable
{
    private readonly bool _previous;

    internal GradModeScope(bool enabled)
    {
        TorchRuntime.Initialize();
        _previous = Native.sft_set_grad_enabled(enabled ? 1 : 0) == 1;
    }

    public void Dispose() => Native.sft_set_grad_enabled(_previous ? 1 : 0);
}
