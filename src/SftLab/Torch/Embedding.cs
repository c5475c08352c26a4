namespace SftLab.Torch;

/// <summary>A lookup table of <c>numEmbeddings</c> vectors of size <c>dim</c> (init N(0, 1) as nn.Embedding; models usually re-init).</summary>
public sealed class Embedding : Module
{
    public Parameter Weight { get; }

    public Embedding(long numEmbeddings, long dim, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        using var scope = DisposeScope.Begin();
        Weight = RegisterParameter("weight", Tensor.Randn([numEmbeddings, dim], generator, dtype, device));
    }

    public Tensor Forward(Tensor indices) => Functional.Embedding(Weight, indices);
}
