namespace SftLab.Torch;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter), exactly as <c>torch.optim.AdamW</c>
/// (amsgrad off): the standard optimizer for fine-tuning language models. For each parameter with a
/// gradient g, at step t:
/// <code>
/// p ← p·(1 − lr·weight_decay)                 decoupled weight decay
/// m ← β1·m + (1 − β1)·g                        running mean of gradients (momentum)
/// v ← β2·v + (1 − β2)·g²                       running mean of squared gradients
/// p ← p − lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + eps)
/// </code>
/// Dividing by √v gives every weight its own step size (large for rarely-moving weights, small for noisy
/// ones); the (1 − βᵗ) terms correct the bias of m and v toward zero in the first steps. The optimizer keeps
/// m and v (<c>exp_avg</c>, <c>exp_avg_sq</c>): twice the parameters' memory.
/// </summary>
public sealed class AdamW : Optimizer
{
    private static readonly string[] Names = ["exp_avg", "exp_avg_sq"];

    /// <summary>AdamW over <paramref name="parameters"/>, all with the same settings.</summary>
    /// <param name="parameters">The weights to train (e.g. <c>model.Parameters()</c>).</param>
    /// <param name="learningRate">Step size (PyTorch's default 1e-3; fine-tuning usually 1e-5..2e-4).</param>
    /// <param name="betas">Averaging factors of the gradient mean and of the squared-gradient mean; null for (0.9, 0.999).</param>
    /// <param name="eps">Added to the denominator for numerical safety.</param>
    /// <param name="weightDecay">Decoupled weight decay (PyTorch's AdamW default 0.01).</param>
    public AdamW(IEnumerable<Parameter> parameters, double learningRate = 1e-3, (double Beta1, double Beta2)? betas = null,
        double eps = 1e-8, double weightDecay = 1e-2)
        : this([new ParamGroup(parameters ?? throw new ArgumentNullException(nameof(parameters)))], learningRate, betas, eps, weightDecay) { }

    /// <summary>
    /// AdamW over several <paramref name="groups"/> (e.g. from <see cref="ParamGroups.WithNoDecay(Module, double, double?)"/>);
    /// the other arguments are the defaults for settings a group leaves unset.
    /// </summary>
    public AdamW(IEnumerable<ParamGroup> groups, double learningRate = 1e-3, (double Beta1, double Beta2)? betas = null,
        double eps = 1e-8, double weightDecay = 1e-2)
        : base(groups, new ParamGroup([], learningRate, weightDecay) { Betas = betas ?? (0.9, 0.999), Eps = eps })
    {
    }

    /// <summary>
    /// true (the default): each parameter's update is one pass over its weights, gradient and moments in
    /// the native shim (on a CPU; the same arithmetic as the composed form, rounded once per element instead
    /// of once per operation). false: the update is composed from tensor operations, exactly as
    /// <c>torch.optim.AdamW</c>'s single-tensor path; several passes over memory and a temporary per
    /// parameter, so slower on large models. Results agree to float rounding.
    /// </summary>
    public bool SinglePass { get; init; } = true;

    /// <inheritdoc />
    protected override IReadOnlyCollection<string> BufferNames => Names;

    /// <inheritdoc />
    protected override void Validate(ParamGroup group)
    {
        if (!(group.LearningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(group), group.LearningRate, "AdamW: the learning rate must be ≥ 0");
        if (!(group.Eps >= 0)) throw new ArgumentOutOfRangeException(nameof(group), group.Eps, "AdamW: eps must be ≥ 0");
        var (b1, b2) = group.Betas;
        if (!(b1 >= 0 && b1 < 1)) throw new ArgumentOutOfRangeException(nameof(group), b1, "AdamW: beta1 must be in [0, 1)");
        if (!(b2 >= 0 && b2 < 1)) throw new ArgumentOutOfRangeException(nameof(group), b2, "AdamW: beta2 must be in [0, 1)");
        if (!(group.WeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(group), group.WeightDecay, "AdamW: weight decay must be ≥ 0");
    }

    /// <inheritdoc />
    protected override void Update(ParamGroup group, Parameter parameter, Tensor grad, ParameterState state)
    {
        var lr = group.LearningRate;
        var (beta1, beta2) = group.Betas;
        if (!state.Buffers.TryGetValue("exp_avg", out var expAvg))
            state.Buffers["exp_avg"] = expAvg = parameter.ZerosLike().DetachFromDisposeScope();
        if (!state.Buffers.TryGetValue("exp_avg_sq", out var expAvgSq))
            state.Buffers["exp_avg_sq"] = expAvgSq = parameter.ZerosLike().DetachFromDisposeScope();

        if (SinglePass)
        {
            // One sweep over p, g, m and v (on a CPU; elsewhere the shim runs the composed ops below).
            Native.Check(Native.sft_adamw_update(parameter.Handle, grad.Handle, expAvg.Handle, expAvgSq.Handle,
                lr, beta1, beta2, group.WeightDecay, group.Eps, state.Step));
            return;
        }

        // The same operations in the same order as torch 1.13's _single_tensor_adamw.
        parameter.Mul_(1 - lr * group.WeightDecay);
        expAvg.Mul_(beta1).Add_(grad, 1 - beta1);
        expAvgSq.Mul_(beta2).Addcmul_(grad, grad, 1 - beta2);

        double step = state.Step;
        var biasCorrection1 = 1 - Math.Pow(beta1, step);
        var biasCorrection2 = 1 - Math.Pow(beta2, step);
        var stepSize = lr / biasCorrection1;
        var biasCorrection2Sqrt = Math.Sqrt(biasCorrection2);

        var denom = expAvgSq.Sqrt(); // a temporary of the step's dispose scope
        denom.Div_(biasCorrection2Sqrt).Add_(group.Eps);
        parameter.Addcdiv_(expAvg, denom, -stepSize);
    }
}
