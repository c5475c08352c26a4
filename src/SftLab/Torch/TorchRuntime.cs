namespace SftLab.Torch;

/// <summary>Process-wide facts and settings of the libtorch runtime.</summary>
public static class TorchRuntime
{
    private static int _initialized;

    /// <summary>Loads the shim and sets the intra-op thread count to the number of cores
    /// (Debian's libtorch starts with one). Called by every tensor factory; idempotent.</summary>
    public static void Initialize()
    {
        if (Interlocked.Exchange(ref _initialized, 1) == 1) return;
        Native.EnsureLoaded();
        var env = Environment.GetEnvironmentVariable("SFTLAB_NUM_THREADS");
        var n = int.TryParse(env, out var t) && t > 0 ? t : Environment.ProcessorCount;
        Native.Check(Native.sft_set_num_threads(n));
    }

    /// <summary>The version of the libtorch the shim was compiled against, e.g. 1.13.0.</summary>
    public static Version LibTorchVersion
    {
        get
        {
            Initialize();
            Native.sft_torch_version(out var major, out var minor, out var patch);
            return new Version(major, minor, patch);
        }
    }

    /// <summary>The version of SftLab.</summary>
    public static string SftLabVersion =>
        typeof(TorchRuntime).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>True when the loaded libtorch has CUDA and sees a GPU.</summary>
    public static bool CudaIsAvailable
    {
        get { Initialize(); return Native.sft_cuda_is_available() == 1; }
    }

    /// <summary>Number of CUDA devices (0 without CUDA).</summary>
    public static int CudaDeviceCount
    {
        get { Initialize(); return Native.sft_cuda_device_count(); }
    }

    /// <summary>Intra-op threads libtorch uses for one operator (default: the number of cores).</summary>
    public static int NumThreads
    {
        get { Initialize(); return Native.sft_get_num_threads(); }
        set
        {
            Initialize();
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "at least one thread");
            Native.Check(Native.sft_set_num_threads(value));
        }
    }

    /// <summary>Seeds libtorch's default generator (like <c>torch.manual_seed</c>).</summary>
    public static void ManualSeed(ulong seed)
    {
        Initialize();
        Native.Check(Native.sft_manual_seed(seed));
    }

    /// <summary>Tensor handles currently alive in the shim: a leak detector for tests and notebooks.</summary>
    public static long LiveTensorCount
    {
        get { Initialize(); return Native.sft_live_tensors(); }
    }

    /// <summary>Whether operations on this thread record gradients.</summary>
    public static bool IsGradEnabled
    {
        get { Initialize(); return Native.sft_is_grad_enabled() == 1; }
    }

    /// <summary>One line for logs: SftLab, libtorch and CUDA.</summary>
    public static string Describe() =>
        $"SftLab {SftLabVersion}, libtorch {LibTorchVersion}, CUDA {(CudaIsAvailable ? $"available ({CudaDeviceCount} device(s))" : "not available")}, {NumThreads} intra-op threads";
}
