namespace SftLab.Torch;

/// <summary>
/// y = x·Wᵀ + b, with W of shape [out, in] (PyTorch's layout and init). Optionally carries a
/// LoRA adapter (<see cref="AddLora"/>): y = x·Wᵀ + b + (α/r)·B·A·dropout(x), with A [r, in] and
/// B [out, r] registered as children <c>lora_A</c> and <c>lora_B</c> (PEFT's key names).
/// </summary>
public sealed class Linear : Module
{
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    /// <summary>The LoRA down-projection A [r, in], or null without an adapter.</summary>
    public Linear? LoraA { get; private set; }

    /// <summary>The LoRA up-projection B [out, r] (initialised to zero, so a fresh adapter changes nothing).</summary>
    public Linear? LoraB { get; private set; }

    /// <summary>α / r (or α / √r with rsLoRA): how strongly the adapter's output is added.</summary>
    public double LoraScaling { get; private set; }

    /// <summary>Dropout applied to the adapter's input during training.</summary>
    public double LoraDropout { get; private set; }

    /// <summary>True while the adapter is folded into <see cref="Weight"/> (see <see cref="MergeLora"/>).</summary>
    public bool LoraMerged { get; private set; }

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

    /// <summary>Input features.</summary>
    public long InFeatures => Weight.Size(1);

    /// <summary>Output features.</summary>
    public long OutFeatures => Weight.Size(0);

    public Tensor Forward(Tensor x)
    {
        var y = Functional.Linear(x, Weight, Bias);
        if (LoraA is null || LoraB is null || LoraMerged) return y;
        var h = LoraDropout > 0 && Training ? Functional.Dropout(x, LoraDropout) : x;
        return y + LoraB.Forward(LoraA.Forward(h)) * LoraScaling;
    }

    /// <summary>
    /// Attaches a LoRA adapter of rank <paramref name="rank"/>: A gets nn.Linear's init, B is zero.
    /// The base weight and bias are frozen (requires_grad false); only A and B train.
    /// </summary>
    public void AddLora(int rank, double alpha, double dropout = 0, bool useRsLora = false, Generator? generator = null)
    {
        if (LoraA != null) throw new InvalidOperationException("this layer already has a LoRA adapter");
        if (rank <= 0) throw new ArgumentOutOfRangeException(nameof(rank), rank, "LoRA rank must be positive");
        var dtype = Weight.DType;
        var device = Weight.Device;
        LoraA = RegisterModule("lora_A", new Linear(InFeatures, rank, bias: false, generator, dtype, device));
        LoraB = RegisterModule("lora_B", new Linear(rank, OutFeatures, bias: false, generator, dtype, device));
        using (Autograd.NoGrad()) LoraB.Weight.Zero_();
        LoraScaling = useRsLora ? alpha / Math.Sqrt(rank) : alpha / rank;
        LoraDropout = dropout;
        Weight.RequiresGrad = false;
        if (Bias != null) Bias.RequiresGrad = false;
    }

    /// <summary>Folds the adapter into the weight (W += scaling·B·A) for faster inference.</summary>
    public void MergeLora()
    {
        if (LoraA is null || LoraB is null || LoraMerged) return;
        using var scope = DisposeScope.Begin();
        using (Autograd.NoGrad()) Weight.Add_(LoraB.Weight.Matmul(LoraA.Weight).To(Weight.DType), LoraScaling);
        LoraMerged = true;
    }

    /// <summary>Undoes <see cref="MergeLora"/> (W −= scaling·B·A).</summary>
    public void UnmergeLora()
    {
        if (LoraA is null || LoraB is null || !LoraMerged) return;
        using var scope = DisposeScope.Begin();
        using (Autograd.NoGrad()) Weight.Add_(LoraB.Weight.Matmul(LoraA.Weight).To(Weight.DType), -LoraScaling);
        LoraMerged = false;
    }
}
