namespace SftLab.Torch;

/// <summary>y = x·Wᵀ + b, with W of shape [out, in] (PyTorch's layout and init).</summary>
public sealed class Linear : Module
{
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public Linear(long inFeatures, long outFeatures, bool bias = true, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        // Kaiming-uniform bounds as nn.Linear uses: U(-1/√in, 1/√in).
        var bound = 1.0 / Math.Sqrt(inFeatures);
        using var scope = DisposeScope.Begin();
        Weight = RegisterParameter("weight", Uniform([outFeatures, inFeatures], bound, generator, dtype, device));
        Bias = bias ? RegisterParameter("bias", Uniform([outFeatures], bound, generator, dtype, device)) : RegisterParameter("bias", (Parameter?)null);
    }

    internal static Tensor Uniform(long[] shape, double bound, Generator? generator, DType dtype, Device? device)
    {
        using var u = Tensor.Rand(shape, generator, DType.Float32, device);
        using var scaled = u * (2 * bound) - bound;
        return scaled.To(dtype);
    }

    public Tensor Forward(Tensor x) => Functional.Linear(x, Weight, Bias);
}
