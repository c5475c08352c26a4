namespace SftLab.Torch;

/// <summary>Kinds of device; values are libtorch's <c>c10::DeviceType</c> codes.</summary>
public enum DeviceType
{
    Cpu = 0,
    Cuda = 1,
}

/// <summary>Where a tensor lives: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
public readonly record struct Device(DeviceType Type, int Index = -1)
{
    /// <summary>The CPU.</summary>
    public static readonly Device Cpu = new(DeviceType.Cpu);

    /// <summary>The current CUDA device, or CUDA device <paramref name="index"/>.</summary>
    public static Device Cuda(int index = -1) => new(DeviceType.Cuda, index);

    /// <summary>"cuda" when CUDA is available, else "cpu".</summary>
    public static Device Best => TorchRuntime.CudaIsAvailable ? Cuda(0) : Cpu;

    /// <summary>Parses "cpu", "cuda", "cuda:1" or "auto" (the best available).</summary>
    public static Device Parse(string text)
    {
        var s = text.Trim().ToLowerInvariant();
        if (s == "auto") return Best;
        if (s == "cpu") return Cpu;
        if (s == "cuda" || s == "gpu") return Cuda();
        if (s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), out var i) && i >= 0) return Cuda(i);
        throw new ArgumentException($"unknown device '{text}' (expected cpu, cuda, cuda:N or auto)", nameof(text));
    }

    /// <summary>The PyTorch spelling, e.g. <c>cuda:0</c>.</summary>
    public override string ToString()
    {
        var name = Type == DeviceType.Cpu ? "cpu" : "cuda";
        return Index >= 0 ? $"{name}:{Index}" : name;
    }

    public static implicit operator Device(string text) => Parse(text);
}
