using System.Globalization;

namespace SftLab.Torch;

/// <summary>
/// Changes the learning rate of an optimizer's groups as training progresses (PyTorch's
/// <c>torch.optim.lr_scheduler</c>). Fine-tuning usually warms up (the learning rate grows from 0 over the
/// first steps, so the randomly-initialized parts and Adam's fresh statistics do not push the pretrained weights
/// too hard) and then decays (smaller steps late in training settle into a minimum). Call <see cref="Step"/>
/// once after each <see cref="Optimizer.Step"/>:
/// <code>
/// using var opt = new AdamW(model.Parameters(), learningRate: 2e-4);
/// var sched = LrScheduler.Create("cosine", opt, numWarmupSteps: 10, numTrainingSteps: 500);
/// for (...) { loss.Backward(); opt.Step(); sched.Step(); opt.ZeroGrad(); }
/// </code>
/// Each group's rate is computed from its base rate (the <see cref="ParamGroup.LearningRate"/> it had when the
/// first scheduler was attached, remembered as <see cref="ParamGroup.InitialLearningRate"/>). Creating a
/// scheduler already applies the rate of step 0 (with warmup, that is 0).
/// </summary>
public abstract class LrScheduler
{
    private double[] _baseLrs;
    private double[] _lastLrs;

    /// <summary>
    /// Attaches to <paramref name="optimizer"/>, recording each group's base learning rate. Derived classes call
    /// <see cref="InitialStep"/> at the end of their constructor (PyTorch's <c>_initial_step</c>).
    /// </summary>
    protected LrScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        foreach (var g in optimizer.ParamGroups) g.InitialLearningRate ??= g.LearningRate;
        _baseLrs = optimizer.ParamGroups.Select(g => g.InitialLearningRate!.Value).ToArray();
        _lastLrs = optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();
        LastEpoch = -1;
    }

    /// <summary>The optimizer whose learning rates this scheduler sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Each group's base learning rate (the schedule's multiplier is applied to it).</summary>
    public IReadOnlyList<double> BaseLearningRates => _baseLrs;

    /// <summary>
    /// The index of the current step (PyTorch's <c>last_epoch</c>, which counts scheduler steps): 0 after
    /// construction, incremented by each <see cref="Step"/>. The optimizer's next update uses the rate of this step.
    /// </summary>
    public long LastEpoch { get; private set; }

    /// <summary>Number of <see cref="Step"/> calls including the one made at construction (PyTorch's <c>_step_count</c>).</summary>
    public long StepCount { get; private set; }

    /// <summary>The learning rate of group <paramref name="groupIndex"/> at step <paramref name="step"/> (PyTorch's <c>get_lr</c>, in closed form).</summary>
    protected abstract double ComputeLearningRate(int groupIndex, double baseLearningRate, long step);

    /// <summary>Applies the rate of step 0; call it at the end of a derived constructor.</summary>
    protected void InitialStep()
    {
        StepCount = 0;
        Step();
    }

    /// <summary>Advances one step and sets each group's <see cref="ParamGroup.LearningRate"/> to the schedule's value.</summary>
    public void Step()
    {
        StepCount++;
        LastEpoch++;
        var groups = Optimizer.ParamGroups;
        if (groups.Count != _baseLrs.Length)
            throw new InvalidOperationException($"the optimizer has {groups.Count} parameter groups, but the scheduler was created for {_baseLrs.Length}: create the scheduler after adding groups");
        var values = new double[groups.Count];
        for (var g = 0; g < groups.Count; g++) values[g] = ComputeLearningRate(g, _baseLrs[g], LastEpoch);
        for (var g = 0; g < groups.Count; g++) groups[g].LearningRate = values[g];
        _lastLrs = values;
    }

    /// <summary>The learning rate of each group as last set by this scheduler (PyTorch's <c>get_last_lr()</c>).</summary>
    public double[] GetLastLr() => (double[])_lastLrs.Clone();

    /// <summary>
    /// The scheduler's position and base rates, keyed <c>last_epoch</c>, <c>step_count</c>, <c>base_lrs.{group}</c>,
    /// <c>last_lr.{group}</c>. Save it with the optimizer's <see cref="Optimizer.StateDict"/> to resume exactly.
    /// </summary>
    public Dictionary<string, double> StateDict()
    {
        var d = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["last_epoch"] = LastEpoch,
            ["step_count"] = StepCount,
        };
        for (var g = 0; g < _baseLrs.Length; g++)
        {
            d[string.Create(CultureInfo.InvariantCulture, $"base_lrs.{g}")] = _baseLrs[g];
            d[string.Create(CultureInfo.InvariantCulture, $"last_lr.{g}")] = _lastLrs[g];
        }
        return d;
    }

    /// <summary>
    /// Restores a state saved by <see cref="StateDict"/>. Also sets each group's learning rate to the restored
    /// last rate (PyTorch leaves that to the optimizer's own state dict; doing both agrees).
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, double> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var n = Optimizer.ParamGroups.Count;
        double Need(string key) => state.TryGetValue(key, out var v) ? v
            : throw new ArgumentException($"scheduler state has no '{key}'", nameof(state));
        var baseLrs = new double[n];
        var lastLrs = new double[n];
        for (var g = 0; g < n; g++)
        {
            baseLrs[g] = Need(string.Create(CultureInfo.InvariantCulture, $"base_lrs.{g}"));
            lastLrs[g] = Need(string.Create(CultureInfo.InvariantCulture, $"last_lr.{g}"));
        }
        if (state.ContainsKey(string.Create(CultureInfo.InvariantCulture, $"base_lrs.{n}")))
            throw new ArgumentException($"the scheduler state has more parameter groups than the optimizer's {n}", nameof(state));
        LastEpoch = (long)Need("last_epoch");
        StepCount = (long)Need("step_count");
        _baseLrs = baseLrs;
        _lastLrs = lastLrs;
        for (var g = 0; g < n; g++) Optimizer.ParamGroups[g].LearningRate = lastLrs[g];
    }

    // ---- factories (transformers' get_scheduler; TRL's lr_scheduler_type) -------------------------

    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names => LrSchedules.Names;

    /// <summary>
    /// A scheduler by name, as TRL's <c>lr_scheduler_type</c> / transformers' <c>get_scheduler</c>:
    /// <c>"constant"</c>, <c>"constant_with_warmup"</c>, <c>"linear"</c> (TRL's default) or <c>"cosine"</c>.
    /// </summary>
    /// <param name="name">The schedule's name.</param>
    /// <param name="optimizer">The optimizer whose rates to set.</param>
    /// <param name="numWarmupSteps">Steps over which the rate grows linearly from 0 to the base rate (ignored by "constant").</param>
    /// <param name="numTrainingSteps">Total optimizer steps of the run (needed by "linear" and "cosine", which reach 0 there).</param>
    public static LambdaLr Create(string name, Optimizer optimizer, long numWarmupSteps = 0, long? numTrainingSteps = null) =>
        new(optimizer, LrSchedules.ByName(name, numWarmupSteps, numTrainingSteps));

    /// <summary>The base rate throughout.</summary>
    public static LambdaLr Constant(Optimizer optimizer) => new(optimizer, LrSchedules.Constant());

    /// <summary>Linear warmup from 0 over <paramref name="numWarmupSteps"/> steps, then the base rate.</summary>
    public static LambdaLr ConstantWithWarmup(Optimizer optimizer, long numWarmupSteps) =>
        new(optimizer, LrSchedules.ConstantWithWarmup(numWarmupSteps));

    /// <summary>Linear warmup, then linear decay to 0 at <paramref name="numTrainingSteps"/>.</summary>
    public static LambdaLr LinearWithWarmup(Optimizer optimizer, long numWarmupSteps, long numTrainingSteps) =>
        new(optimizer, LrSchedules.LinearWithWarmup(numWarmupSteps, numTrainingSteps));

    /// <summary>Linear warmup, then cosine decay (half a cosine wave by default) to 0 at <paramref name="numTrainingSteps"/>.</summary>
    public static LambdaLr CosineWithWarmup(Optimizer optimizer, long numWarmupSteps, long numTrainingSteps, double numCycles = 0.5) =>
        new(optimizer, LrSchedules.CosineWithWarmup(numWarmupSteps, numTrainingSteps, numCycles));
}

/// <summary>
/// Sets each group's learning rate to its base rate times a function of the step (PyTorch's <c>LambdaLR</c>;
/// all of transformers' schedules are built this way).
/// </summary>
public sealed class LambdaLr : LrScheduler
{
    private readonly Func<long, double>[] _lambdas;

    /// <summary>One multiplier function for every group: rate = base rate · <paramref name="lambda"/>(step).</summary>
    public LambdaLr(Optimizer optimizer, Func<long, double> lambda)
        : this(optimizer, Enumerable.Repeat(lambda ?? throw new ArgumentNullException(nameof(lambda)), optimizer?.ParamGroups.Count ?? 0).ToArray()) { }

    /// <summary>One multiplier function per group, in group order.</summary>
    public LambdaLr(Optimizer optimizer, IReadOnlyList<Func<long, double>> lambdas) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(lambdas);
        if (lambdas.Count != optimizer.ParamGroups.Count)
            throw new ArgumentException($"expected {optimizer.ParamGroups.Count} lambdas (one per parameter group), got {lambdas.Count}", nameof(lambdas));
        _lambdas = lambdas.ToArray();
        InitialStep();
    }

    /// <inheritdoc />
    protected override double ComputeLearningRate(int groupIndex, double baseLearningRate, long step) =>
        baseLearningRate * _lambdas[groupIndex](step);
}

/// <summary>
/// Learning-rate multipliers as functions of the step, the formulas of transformers' <c>optimization.py</c>
/// (<c>get_*_schedule_with_warmup</c>). Use them with <see cref="LambdaLr"/>, or evaluate them to plot a schedule.
/// </summary>
public static class LrSchedules
{
    /// <summary>The names <see cref="ByName"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["constant", "constant_with_warmup", "linear", "cosine"];

    /// <summary>Always 1.</summary>
    public static Func<long, double> Constant() => _ => 1.0;

    /// <summary>step/warmup during warmup, then 1.</summary>
    public static Func<long, double> ConstantWithWarmup(long numWarmupSteps)
    {
        CheckNonNegative(numWarmupSteps, nameof(numWarmupSteps));
        return step => step < numWarmupSteps ? step / Math.Max(1.0, numWarmupSteps) : 1.0;
    }

    /// <summary>step/warmup during warmup, then decreasing linearly to 0 at <paramref name="numTrainingSteps"/> (and 0 after).</summary>
    public static Func<long, double> LinearWithWarmup(long numWarmupSteps, long numTrainingSteps)
    {
        CheckNonNegative(numWarmupSteps, nameof(numWarmupSteps));
        CheckNonNegative(numTrainingSteps, nameof(numTrainingSteps));
        return step =>
        {
            if (step < numWarmupSteps) return (double)step / Math.Max(1, numWarmupSteps);
            return Math.Max(0.0, (double)(numTrainingSteps - step) / Math.Max(1, numTrainingSteps - numWarmupSteps));
        };
    }

    /// <summary>
    /// step/warmup during warmup, then 0.5·(1 + cos(π·2·<paramref name="numCycles"/>·progress)) where progress goes
    /// from 0 to 1 between the end of warmup and <paramref name="numTrainingSteps"/> (with 0.5 cycles: from 1 down to 0).
    /// </summary>
    public static Func<long, double> CosineWithWarmup(long numWarmupSteps, long numTrainingSteps, double numCycles = 0.5)
    {
        CheckNonNegative(numWarmupSteps, nameof(numWarmupSteps));
        CheckNonNegative(numTrainingSteps, nameof(numTrainingSteps));
        return step =>
        {
            if (step < numWarmupSteps) return (double)step / Math.Max(1, numWarmupSteps);
            var progress = (double)(step - numWarmupSteps) / Math.Max(1, numTrainingSteps - numWarmupSteps);
            return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * numCycles * 2.0 * progress)));
        };
    }

    /// <summary>A multiplier by TRL/transformers name (see <see cref="Names"/>).</summary>
    public static Func<long, double> ByName(string name, long numWarmupSteps = 0, long? numTrainingSteps = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        long Total() => numTrainingSteps ?? throw new ArgumentException($"the '{name}' schedule needs numTrainingSteps (the total number of optimizer steps)", nameof(numTrainingSteps));
        return name switch
        {
            "constant" => Constant(),
            "constant_with_warmup" => ConstantWithWarmup(numWarmupSteps),
            "linear" => LinearWithWarmup(numWarmupSteps, Total()),
            "cosine" => CosineWithWarmup(numWarmupSteps, Total()),
            _ => throw new ArgumentException($"unknown learning-rate schedule '{name}': expected one of {string.Join(", ", Names.Select(n => $"\"{n}\""))}", nameof(name)),
        };
    }

    private static void CheckNonNegative(long value, string name)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(name, value, "must be ≥ 0");
    }
}
