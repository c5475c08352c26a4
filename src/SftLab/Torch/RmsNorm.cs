namespace SftLab.Torch;

/// <summary>RMSNorm (Llama): x / √(mean(x²) + eps) · weight, weight initialised to ones.</summary>
public sealed class RmsNorm : Module
{
    public Parameter Weight { get; }
    public double Eps { get; }

    public RmsNorm(long dim, double eps = 1e-6, DType dtype = DType.Float32, Device? device = null)
    {
        Eps = eps;
        using var scope = DisposeScope.Begin();
        Weight = RegisterParameter("weight", Tensor.Ones([dim], dtype, device));
    }

    public Tensor Forward(Tensor x) => Functional.RmsNorm(x, Weight, Eps);
}
