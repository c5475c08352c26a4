namespace SftLab.Torch;

/// <summary>
/// A tensor that is a trainable weight of a <see cref="Module"/>: it requires gradients by
/// default and belongs to no dispose scope (its module owns it).
/// </summary>
public sealed class Parameter : Tensor
{
    /// <summary>Wraps <paramref name="data"/> (a new handle to the same storage; the caller may dispose its own).</summary>
    // A parameter is a leaf: cut it from whatever graph produced its initial value.
    public Parameter(Tensor data, bool requiresGrad = true) : base(Native.sft_detach(data.Handle))
    {
        DetachFromDisposeScope();
        RequiresGrad = requiresGrad;
    }
}
