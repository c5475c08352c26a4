namespace SftLab.Torch;

/// <summary>
/// Stochastic gradient descent, optionally with momentum, exactly as <c>torch.optim.SGD</c>. For each
/// parameter with a gradient g:
/// <code>
/// d ← g + weight_decay·p                           (L2 weight decay, when weight_decay ≠ 0)
/// b ← d on the first step, else momentum·b + (1 − dampening)·d    (when momentum ≠ 0)
/// d ← d + momentum·b if nesterov, else b
/// p ← p − lr·d
/// </code>
/// Simple and memory-light (one buffer, <c>momentum_buffer</c>, and only with momentum); language models are
/// usually fine-tuned with <see cref="AdamW"/> instead, but SGD is a good baseline for small experiments.
/// </summary>
public sealed class Sgd : Optimizer
{
    private static readonly string[] Names = ["momentum_buffer"];

    /// <summary>SGD over <paramref name="parameters"/>, all with the same settings.</summary>
    /// <param name="parameters">The weights to train.</param>
    /// <param name="learningRate">Step size (SGD usually needs a larger one than AdamW, e.g. 0.01..0.1).</param>
    /// <param name="momentum">Fraction of the previous update carried into this one (0 = plain gradient descent; 0.9 typical).</param>
    /// <param name="dampening">Scales down the new gradient's share in the momentum buffer (0 usual; must be 0 with Nesterov).</param>
    /// <param name="weightDecay">L2 penalty added to the gradient (0 disables it).</param>
    /// <param name="nesterov">Nesterov momentum (needs momentum &gt; 0 and dampening 0).</param>
    public Sgd(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false)
        : this([new ParamGroup(parameters ?? throw new ArgumentNullException(nameof(parameters)))], learningRate, momentum, dampening, weightDecay, nesterov) { }

    /// <summary>SGD over several <paramref name="groups"/>; the other arguments are the defaults for settings a group leaves unset.</summary>
    public Sgd(IEnumerable<ParamGroup> groups, double learningRate = 1e-3, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false)
        : base(groups, new ParamGroup([], learningRate, weightDecay) { Momentum = momentum, Dampening = dampening, Nesterov = nesterov })
    {
    }

    /// <inheritdoc />
    protected override IReadOnlyCollection<string> BufferNames => Names;

    /// <inheritdoc />
    protected override void Validate(ParamGroup group)
    {
        if (!(group.LearningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(group), group.LearningRate, "SGD: the learning rate must be ≥ 0");
        if (!(group.Momentum >= 0)) throw new ArgumentOutOfRangeException(nameof(group), group.Momentum, "SGD: momentum must be ≥ 0");
        if (!(group.WeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(group), group.WeightDecay, "SGD: weight decay must be ≥ 0");
        if (group.Nesterov && (group.Momentum <= 0 || group.Dampening != 0))
            throw new ArgumentException("SGD: Nesterov momentum requires a momentum > 0 and zero dampening", nameof(group));
    }

    /// <inheritdoc />
    protected override void Update(ParamGroup group, Parameter parameter, Tensor grad, ParameterState state)
    {
        // The same operations in the same order as torch 1.13's _single_tensor_sgd.
        var d = grad;
        if (group.WeightDecay != 0) d = d.Add(parameter, group.WeightDecay);
        var momentum = group.Momentum;
        if (momentum != 0)
        {
            if (!state.Buffers.TryGetValue("momentum_buffer", out var buffer))
                state.Buffers["momentum_buffer"] = buffer = d.Clone().DetachFromDisposeScope();
            else
                buffer.Mul_(momentum).Add_(d, 1 - group.Dampening);
            d = group.Nesterov ? d.Add(buffer, momentum) : buffer;
        }
        parameter.Add_(d, -group.LearningRate);
    }
}
