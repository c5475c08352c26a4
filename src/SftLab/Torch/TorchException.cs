namespace SftLab.Torch;

/// <summary>
/// An error reported by libtorch (a bad shape, a dtype mismatch, an index out of range...).
/// The message is libtorch's own, without the C++ backtrace.
/// </summary>
public sealed class TorchException : Exception
{
    public TorchException(string message) : base(message) { }
}
