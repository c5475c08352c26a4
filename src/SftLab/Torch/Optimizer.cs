using System.Globalization;

namespace SftLab.Torch;

/// <summary>
/// A set of parameters that an <see cref="Optimizer"/> updates with the same settings
/// (PyTorch's <c>param_groups</c> entry). Typical use: one group of weight matrices with weight
/// decay and one group of biases and norm weights without it (see <see cref="ParamGroups.WithNoDecay(Module, double, double?)"/>),
/// or a larger learning rate for a freshly initialized head than for the pretrained body.
/// <para>
/// Settings left unset take the optimizer's defaults when the group is given to it (its constructor or
/// <see cref="Optimizer.AddParamGroup"/>); each optimizer reads only the settings it uses
/// (<see cref="AdamW"/>: learning rate, weight decay, betas, eps; <see cref="Sgd"/>: learning rate,
/// weight decay, momentum, dampening, nesterov). Before that, an unset setting reads as PyTorch's usual default.
/// </para>
/// </summary>
public sealed class ParamGroup
{
    private double? _learningRate, _weightDecay, _eps, _momentum, _dampening;
    private (double Beta1, double Beta2)? _betas;
    private bool? _nesterov;

    /// <summary>A group of <paramref name="parameters"/>; set the other settings with an object initializer
    /// (<c>new ParamGroup(head.Parameters()) { LearningRate = 1e-3 }</c>) or leave them to the optimizer.</summary>
    public ParamGroup(IEnumerable<Parameter> parameters, double? learningRate = null, double? weightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToList();
        if (Parameters.Any(p => p is null)) throw new ArgumentException("a parameter group contains a null parameter", nameof(parameters));
        _learningRate = learningRate;
        _weightDecay = weightDecay;
    }

    /// <summary>The parameters of this group, in a fixed order (the optimizer's state is keyed by group index and position here).</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// Step size: how far each update moves the weights. Too large and training diverges (the loss jumps
    /// or becomes NaN); too small and it crawls. Fine-tuning typically uses 1e-5..2e-4 with AdamW
    /// (LoRA tolerates the larger end). A learning-rate scheduler rewrites this value every step.
    /// </summary>
    public double LearningRate { get => _learningRate ?? 1e-3; set => _learningRate = value; }

    /// <summary>
    /// The learning rate a scheduler started from (PyTorch's <c>initial_lr</c>); null until a
    /// <see cref="LrScheduler"/> is attached. Schedules multiply this base value.
    /// </summary>
    public double? InitialLearningRate { get; set; }

    /// <summary>
    /// Pulls weights toward zero a little every step (a regularizer against overfitting).
    /// AdamW applies it "decoupled": <c>w ← w·(1 − lr·weightDecay)</c> before the Adam update;
    /// SGD adds <c>weightDecay·w</c> to the gradient (L2 regularization). 0 disables it. Biases and
    /// normalization weights are usually exempt (<see cref="ParamGroups.WithNoDecay(Module, double, double?)"/>).
    /// </summary>
    public double WeightDecay { get => _weightDecay ?? 0; set => _weightDecay = value; }

    /// <summary>
    /// Adam's averaging factors, each in [0, 1): Beta1 for the running mean of gradients (momentum;
    /// 0.9 averages over roughly the last 10 steps), Beta2 for the running mean of squared gradients
    /// (0.999 ≈ the last 1000 steps; 0.95 reacts faster and is common for large language models).
    /// </summary>
    public (double Beta1, double Beta2) Betas { get => _betas ?? (0.9, 0.999); set => _betas = value; }

    /// <summary>A small number added to Adam's denominator so a parameter whose gradients are ~0 does not get a huge step.</summary>
    public double Eps { get => _eps ?? 1e-8; set => _eps = value; }

    /// <summary>
    /// SGD momentum in [0, 1): how much of the previous update direction carries into this one
    /// (0.9 is typical; 0 is plain gradient descent). Smooths noisy gradients and speeds up travel along valleys.
    /// </summary>
    public double Momentum { get => _momentum ?? 0; set => _momentum = value; }

    /// <summary>SGD dampening in [0, 1): scales down the new gradient's contribution to the momentum buffer (0 is usual).</summary>
    public double Dampening { get => _dampening ?? 0; set => _dampening = value; }

    /// <summary>SGD Nesterov momentum: look ahead along the momentum direction (needs Momentum &gt; 0 and Dampening = 0).</summary>
    public bool Nesterov { get => _nesterov ?? false; set => _nesterov = value; }

    /// <summary>Fills the settings left unset from <paramref name="defaults"/>.</summary>
    internal void FillFrom(ParamGroup defaults)
    {
        _learningRate ??= defaults.LearningRate;
        _weightDecay ??= defaults.WeightDecay;
        _betas ??= defaults.Betas;
        _eps ??= defaults.Eps;
        _momentum ??= defaults.Momentum;
        _dampening ??= defaults.Dampening;
        _nesterov ??= defaults.Nesterov;
    }

    /// <summary>The settings, for logs and notebooks.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"ParamGroup({Parameters.Count} parameters, lr={LearningRate:G6}, weight_decay={WeightDecay:G6}, betas=({Betas.Beta1:G6}, {Betas.Beta2:G6}), eps={Eps:G3}, momentum={Momentum:G6}, dampening={Dampening:G6}, nesterov={Nesterov})");
}

/// <summary>
/// A snapshot of an optimizer's state (PyTorch's <c>optimizer.state_dict()</c>), shaped for a
/// safetensors checkpoint: <see cref="Tensors"/> holds the per-parameter buffers (Adam's moments,
/// SGD's momentum) and <see cref="Scalars"/> the step counts and each group's settings.
/// Keys: <c>state.{group}.{index}.{name}</c> (e.g. <c>state.0.3.exp_avg</c>, <c>state.0.3.step</c>) and
/// <c>param_groups.{group}.{setting}</c> (e.g. <c>param_groups.1.lr</c>). The tensors are copies the
/// snapshot owns: dispose it when done.
/// </summary>
public sealed class OptimizerStateDict : IDisposable
{
    /// <summary>Per-parameter buffers by key (copies, owned by this snapshot).</summary>
    public Dictionary<string, Tensor> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>Step counts and group settings by key (doubles; format with "R" to store them as text exactly).</summary>
    public Dictionary<string, double> Scalars { get; } = new(StringComparer.Ordinal);

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
        Tensors.Clear();
    }
}

/// <summary>
/// Base of optimizers (PyTorch's <c>torch.optim.Optimizer</c>): after <c>loss.Backward()</c> has filled
/// each parameter's <see cref="Tensor.Grad"/>, <see cref="Step"/> updates the parameters in place and
/// <see cref="ZeroGrad"/> clears the gradients for the next batch:
/// <code>
/// using var opt = new AdamW(model.Parameters(), learningRate: 2e-5);
/// loss.Backward(); opt.Step(); opt.ZeroGrad();
/// </code>
/// The optimizer owns its per-parameter state (moment tensors), frees it in <see cref="Dispose"/>, and
/// can save and restore it with <see cref="StateDict"/> / <see cref="LoadStateDict"/> for exact resumption.
/// </summary>
public abstract class Optimizer : IDisposable
{
    /// <summary>State kept for one parameter: its step count and named buffers owned by the optimizer.</summary>
    protected sealed class ParameterState
    {
        /// <summary>Number of updates this parameter has received (parameters without a gradient are skipped).</summary>
        public long Step { get; set; }

        /// <summary>Buffers by name (e.g. <c>exp_avg</c>); owned by the optimizer, outside any dispose scope.</summary>
        public Dictionary<string, Tensor> Buffers { get; } = new(StringComparer.Ordinal);
    }

    private readonly List<ParamGroup> _groups = new();
    private readonly List<List<ParameterState?>> _state = new();
    private bool _disposed;

    /// <summary>Creates the optimizer over <paramref name="groups"/>; unset group settings come from <paramref name="defaults"/>.</summary>
    protected Optimizer(IEnumerable<ParamGroup> groups, ParamGroup defaults)
    {
        ArgumentNullException.ThrowIfNull(groups);
        Defaults = defaults;
        TorchRuntime.Initialize();
        foreach (var g in groups) AddParamGroup(g);
        if (_groups.Count == 0 || _groups.All(g => g.Parameters.Count == 0))
            throw new ArgumentException("the optimizer got an empty parameter list", nameof(groups));
    }

    /// <summary>The default settings applied to groups that leave a setting unset (it has no parameters).</summary>
    public ParamGroup Defaults { get; }

    /// <summary>The parameter groups, in order (a scheduler sets each group's <see cref="ParamGroup.LearningRate"/>).</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>The names of the per-parameter buffers this optimizer keeps (e.g. <c>exp_avg</c>, <c>exp_avg_sq</c>).</summary>
    protected abstract IReadOnlyCollection<string> BufferNames { get; }

    /// <summary>Throws when a group's settings are invalid for this optimizer.</summary>
    protected abstract void Validate(ParamGroup group);

    /// <summary>
    /// Updates one parameter in place. Called by <see cref="Step"/> under <see cref="Autograd.NoGrad"/> inside a
    /// <see cref="DisposeScope"/> (temporaries are freed), with <paramref name="state"/>'s step already incremented.
    /// New buffers must be detached from the scope (<see cref="Tensor.DetachFromDisposeScope"/>) and stored in <paramref name="state"/>.
    /// </summary>
    protected abstract void Update(ParamGroup group, Parameter parameter, Tensor grad, ParameterState state);

    /// <summary>Adds a group (e.g. newly unfrozen layers); its unset settings take the optimizer's defaults.</summary>
    public void AddParamGroup(ParamGroup group)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(group);
        foreach (var p in group.Parameters)
            for (var g = 0; g < _groups.Count; g++)
                if (_groups[g].Parameters.Any(q => ReferenceEquals(q, p)))
                    throw new ArgumentException($"a parameter appears in more than one parameter group (already in group {g})", nameof(group));
        if (group.Parameters.Distinct(ReferenceEqualityComparer.Instance).Count() != group.Parameters.Count)
            throw new ArgumentException("a parameter group contains the same parameter twice", nameof(group));
        group.FillFrom(Defaults);
        Validate(group);
        _groups.Add(group);
        _state.Add(Enumerable.Repeat<ParameterState?>(null, group.Parameters.Count).ToList());
    }

    /// <summary>
    /// Performs one optimization step: updates every parameter that has a gradient, using its group's
    /// settings. Parameters whose <see cref="Tensor.Grad"/> is null (frozen, or unused by the loss) are skipped
    /// and their step count does not advance. Allocates nothing that outlives the call except, on the first
    /// step, the optimizer's own state.
    /// </summary>
    public void Step()
    {
        ThrowIfDisposed();
        using var scope = DisposeScope.Begin();
        using var noGrad = Autograd.NoGrad();
        for (var g = 0; g < _groups.Count; g++)
        {
            var group = _groups[g];
            for (var i = 0; i < group.Parameters.Count; i++)
            {
                var p = group.Parameters[i];
                var grad = p.Grad;
                if (grad is null) continue;
                var state = _state[g][i] ??= new ParameterState();
                state.Step++;
                Update(group, p, grad, state);
            }
        }
    }

    /// <summary>
    /// Clears the gradients of all parameters before the next backward pass (otherwise they accumulate).
    /// With <paramref name="setToNone"/> (the default, as in PyTorch 2) the gradients become null, which frees
    /// their memory; otherwise they are filled with zeros.
    /// </summary>
    public void ZeroGrad(bool setToNone = true)
    {
        ThrowIfDisposed();
        foreach (var group in _groups)
            foreach (var p in group.Parameters)
            {
                if (setToNone)
                {
                    p.Grad = null;
                    continue;
                }
                using var grad = p.Grad;
                if (grad is null) continue;
                using (Autograd.NoGrad()) grad.Zero_();
            }
    }

    /// <summary>The step count of parameter <paramref name="index"/> of group <paramref name="group"/> (0 before its first update).</summary>
    public long StepCount(int group, int index) => _state[group][index]?.Step ?? 0;

    /// <summary>
    /// A snapshot of the optimizer's state and group settings (copies of the buffers, so further steps do
    /// not change it). Save it with the model's weights to resume training exactly.
    /// </summary>
    public OptimizerStateDict StateDict()
    {
        ThrowIfDisposed();
        var dict = new OptimizerStateDict();
        try
        {
            using var noGrad = Autograd.NoGrad();
            for (var g = 0; g < _groups.Count; g++)
            {
                var group = _groups[g];
                var s = dict.Scalars;
                var prefix = $"param_groups.{g}.";
                s[prefix + "lr"] = group.LearningRate;
                if (group.InitialLearningRate is { } initial) s[prefix + "initial_lr"] = initial;
                s[prefix + "weight_decay"] = group.WeightDecay;
                s[prefix + "beta1"] = group.Betas.Beta1;
                s[prefix + "beta2"] = group.Betas.Beta2;
                s[prefix + "eps"] = group.Eps;
                s[prefix + "momentum"] = group.Momentum;
                s[prefix + "dampening"] = group.Dampening;
                s[prefix + "nesterov"] = group.Nesterov ? 1 : 0;
                s[prefix + "num_params"] = group.Parameters.Count;
                for (var i = 0; i < group.Parameters.Count; i++)
                {
                    if (_state[g][i] is not { } state) continue;
                    s[$"state.{g}.{i}.step"] = state.Step;
                    foreach (var (name, buffer) in state.Buffers)
                    {
                        var copy = buffer.Clone().DetachFromDisposeScope();
                        dict.Tensors[$"state.{g}.{i}.{name}"] = copy;
                    }
                }
            }
        }
        catch
        {
            dict.Dispose();
            throw;
        }
        return dict;
    }

    /// <summary>
    /// Restores state saved by <see cref="StateDict"/> (from this optimizer or one built over the same groups of
    /// the same shapes): step counts, buffers (copied, converted to each parameter's dtype and device) and group
    /// settings, learning rates included. The caller keeps ownership of <paramref name="state"/>.
    /// Throws, changing nothing, if the groups, parameter counts, buffer names or shapes do not match.
    /// </summary>
    public void LoadStateDict(OptimizerStateDict state)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(state);
        var s = state.Scalars;

        // ---- validate everything first, so a bad dict changes nothing ----
        var groupCount = 0;
        while (s.ContainsKey($"param_groups.{groupCount}.lr")) groupCount++;
        if (groupCount != _groups.Count)
            throw new ArgumentException($"the saved optimizer state has {groupCount} parameter group(s), this optimizer has {_groups.Count}", nameof(state));
        for (var g = 0; g < _groups.Count; g++)
        {
            var saved = s.TryGetValue($"param_groups.{g}.num_params", out var n) ? (int)n : -1;
            if (saved != _groups[g].Parameters.Count)
                throw new ArgumentException($"parameter group {g} has {_groups[g].Parameters.Count} parameters, the saved state has {saved}", nameof(state));
        }
        var entries = new List<(int Group, int Index, string Name, Tensor Value)>();
        foreach (var (key, value) in state.Tensors)
        {
            var (g, i, name) = ParseStateKey(key);
            if (!BufferNames.Contains(name))
                throw new ArgumentException($"unexpected optimizer state '{key}': {GetType().Name} keeps {string.Join(", ", BufferNames)}", nameof(state));
            var p = _groups[g].Parameters[i];
            if (!p.Shape.SequenceEqual(value.Shape))
                throw new ArgumentException($"optimizer state '{key}' has shape [{string.Join(", ", value.Shape)}], parameter {i} of group {g} has [{string.Join(", ", p.Shape)}]", nameof(state));
            if (!s.ContainsKey($"state.{g}.{i}.step"))
                throw new ArgumentException($"optimizer state '{key}' has no step count 'state.{g}.{i}.step'", nameof(state));
            entries.Add((g, i, name, value));
        }
        foreach (var key in s.Keys.Where(k => k.StartsWith("state.", StringComparison.Ordinal)))
        {
            var (_, _, name) = ParseStateKey(key);
            if (name != "step") throw new ArgumentException($"unexpected scalar '{key}' in optimizer state", nameof(state));
        }

        // ---- apply ----
        ClearState();
        for (var g = 0; g < _groups.Count; g++)
        {
            var group = _groups[g];
            var prefix = $"param_groups.{g}.";
            double Get(string k, double fallback) => s.TryGetValue(prefix + k, out var v) ? v : fallback;
            group.LearningRate = Get("lr", group.LearningRate);
            group.InitialLearningRate = s.TryGetValue(prefix + "initial_lr", out var init) ? init : group.InitialLearningRate;
            group.WeightDecay = Get("weight_decay", group.WeightDecay);
            group.Betas = (Get("beta1", group.Betas.Beta1), Get("beta2", group.Betas.Beta2));
            group.Eps = Get("eps", group.Eps);
            group.Momentum = Get("momentum", group.Momentum);
            group.Dampening = Get("dampening", group.Dampening);
            group.Nesterov = Get("nesterov", group.Nesterov ? 1 : 0) != 0;
            for (var i = 0; i < group.Parameters.Count; i++)
                if (s.TryGetValue($"state.{g}.{i}.step", out var step))
                    _state[g][i] = new ParameterState { Step = (long)step };
        }
        using var scope = DisposeScope.Begin();
        using var noGrad = Autograd.NoGrad();
        foreach (var (g, i, name, value) in entries)
        {
            var buffer = _groups[g].Parameters[i].ZerosLike().DetachFromDisposeScope();
            _state[g][i]!.Buffers[name] = buffer;
            buffer.Copy_(value);
        }
    }

    private (int Group, int Index, string Name) ParseStateKey(string key)
    {
        var parts = key.Split('.', 4);
        if (parts.Length == 4 && parts[0] == "state" &&
            int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var g) &&
            int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var i))
        {
            if (g >= _groups.Count || i >= _groups[g].Parameters.Count)
                throw new ArgumentException($"optimizer state '{key}' refers to parameter {i} of group {g}, which this optimizer does not have");
            return (g, i, parts[3]);
        }
        throw new ArgumentException($"malformed optimizer state key '{key}' (expected state.<group>.<index>.<name>)");
    }

    private void ClearState()
    {
        foreach (var list in _state)
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is { } st)
                    foreach (var b in st.Buffers.Values) b.Dispose();
                list[i] = null;
            }
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once disposed.</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Frees the optimizer's state tensors (the parameters belong to their module and stay).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ClearState();
        GC.SuppressFinalize(this);
    }

    /// <summary>The optimizer's type and groups.</summary>
    public override string ToString() =>
        $"{GetType().Name}(\n" + string.Concat(_groups.Select((g, i) => $"  group {i}: {g}\n")) + ")";
}

/// <summary>Builders of parameter groups.</summary>
public static class ParamGroups
{
    /// <summary>
    /// Splits the trainable parameters of <paramref name="module"/> into two groups, as Hugging Face's
    /// Trainer (and TRL) does for AdamW: group 0 with <paramref name="weightDecay"/> (weight matrices,
    /// embeddings) and group 1 with no weight decay (biases and normalization weights: see <see cref="IsNoDecay"/>).
    /// Decaying a bias or a norm's scale toward zero only hurts, so they are exempt. Parameters that do not
    /// require gradients (frozen ones, e.g. the base model under LoRA) are left out. Both groups are always
    /// returned (possibly empty) so the group layout, and thus checkpoints, is the same for every model.
    /// </summary>
    /// <param name="module">The model.</param>
    /// <param name="weightDecay">Weight decay of the first group (0.0 is TRL's default; 0.01–0.1 is common).</param>
    /// <param name="learningRate">Learning rate of both groups, or null for the optimizer's default.</param>
    public static List<ParamGroup> WithNoDecay(Module module, double weightDecay, double? learningRate = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        return WithNoDecay(module.NamedParameters(), weightDecay, learningRate);
    }

    /// <summary>As <see cref="WithNoDecay(Module, double, double?)"/>, over named parameters.</summary>
    public static List<ParamGroup> WithNoDecay(IEnumerable<(string Name, Parameter Parameter)> namedParameters, double weightDecay, double? learningRate = null)
    {
        ArgumentNullException.ThrowIfNull(namedParameters);
        var trainable = namedParameters.Where(np => np.Parameter.RequiresGrad).ToList();
        return
        [
            new ParamGroup(trainable.Where(np => !IsNoDecay(np.Name, np.Parameter)).Select(np => np.Parameter), learningRate, weightDecay),
            new ParamGroup(trainable.Where(np => IsNoDecay(np.Name, np.Parameter)).Select(np => np.Parameter), learningRate, 0.0),
        ];
    }

    /// <summary>
    /// True for parameters that should get no weight decay: 1-D ones (biases, norm scales) and those whose
    /// name contains "bias" or "norm" (case-insensitive: <c>input_layernorm.weight</c>, <c>model.norm.weight</c>).
    /// </summary>
    public static bool IsNoDecay(string name, Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(parameter);
        return parameter.Dim < 2 ||
               name.Contains("bias", StringComparison.OrdinalIgnoreCase) ||
               name.Contains("norm", StringComparison.OrdinalIgnoreCase);
    }
}
