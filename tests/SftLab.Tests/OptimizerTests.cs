using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SftLab.Torch;

namespace SftLab.Tests;

/// <summary>
/// AdamW, SGD and the learning-rate schedulers against torch.optim itself (Debian's python3-torch 1.13,
/// driven by tests/oracles/optim_oracle.py): the same initial weights and per-step gradients go to both,
/// and the parameter trajectories and learning-rate sequences must agree in float64. Also: state-dict
/// resumption is bit-exact, settings are validated, parameter groups are built like transformers'.
/// </summary>
public sealed class OptimizerTests
{
    private const double Tolerance = 1e-10;

    // ---- fixtures -----------------------------------------------------------------------------

    private sealed record ParamSpec(long[] Shape, double[] Data);

    private static double[] RandomData(Random r, long n) => Enumerable.Range(0, (int)n).Select(_ => r.NextDouble() * 2 - 1).ToArray();

    private static ParamSpec RandomParam(Random r, params long[] shape) => new(shape, RandomData(r, shape.Aggregate(1L, (a, b) => a * b)));

    /// <summary>grads[step][group][param]: random values, or null where <paramref name="skip"/> says (parameter gets no gradient that step).</summary>
    private static double[]?[][][] RandomGrads(Random r, ParamSpec[][] groups, int steps, Func<int, int, int, bool>? skip = null) =>
        Enumerable.Range(0, steps).Select(s =>
            groups.Select((g, gi) => g.Select((p, pi) => skip?.Invoke(s, gi, pi) == true ? null : RandomData(r, p.Data.Length)).ToArray()).ToArray()
        ).ToArray();

    private static Parameter MakeParameter(ParamSpec spec)
    {
        using var t = Tensor.From(spec.Data, spec.Shape);
        return new Parameter(t);
    }

    /// <summary>A float64 parameter of <paramref name="n"/> elements equal to <paramref name="value"/> (the temporary tensor is freed, not left to the GC).</summary>
    private static Parameter Filled(long n, double value)
    {
        using var t = Tensor.Full([n], value, DType.Float64);
        return new Parameter(t);
    }

    private static void SetGrad(Parameter p, double[]? grad)
    {
        if (grad is null)
        {
            p.Grad = null;
            return;
        }
        using var g = Tensor.From(grad, p.Shape);
        p.Grad = g;
    }

    /// <summary>Runs <paramref name="optimizer"/> over the gradients; returns the parameters after each step and the learning rates each step used.</summary>
    private static (double[][][][] Params, double[][] Lrs) RunCSharp(Optimizer optimizer, double[]?[][][] grads, LrScheduler? scheduler = null)
    {
        var trajectory = new List<double[][][]>();
        var lrs = new List<double[]>();
        foreach (var stepGrads in grads)
        {
            for (var g = 0; g < optimizer.ParamGroups.Count; g++)
                for (var i = 0; i < optimizer.ParamGroups[g].Parameters.Count; i++)
                    SetGrad(optimizer.ParamGroups[g].Parameters[i], stepGrads[g][i]);
            lrs.Add(optimizer.ParamGroups.Select(g => g.LearningRate).ToArray());
            optimizer.Step();
            scheduler?.Step();
            trajectory.Add(optimizer.ParamGroups.Select(g => g.Parameters.Select(p => p.ToDoubleArray()).ToArray()).ToArray());
        }
        return (trajectory.ToArray(), lrs.ToArray());
    }

    private static JsonArray Json(IEnumerable<double> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private static JsonObject OracleInput(string? optimizer, JsonObject defaults, ParamSpec[][] groups, JsonObject?[] groupOptions,
        double[]?[][][] grads, JsonObject? scheduler = null) => new()
    {
        ["optimizer"] = optimizer,
        ["defaults"] = defaults,
        ["groups"] = new JsonArray(groups.Select((g, gi) => (JsonNode?)new JsonObject
        {
            ["params"] = new JsonArray(g.Select(p => (JsonNode?)new JsonObject
            {
                ["shape"] = new JsonArray(p.Shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data"] = Json(p.Data),
            }).ToArray()),
            ["options"] = groupOptions[gi] ?? new JsonObject(),
        }).ToArray()),
        ["grads"] = new JsonArray(grads.Select(s => (JsonNode?)new JsonArray(s.Select(g =>
            (JsonNode?)new JsonArray(g.Select(p => p is null ? null : (JsonNode?)Json(p)).ToArray())).ToArray())).ToArray()),
        ["scheduler"] = scheduler,
    };

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static void AssertTrajectoriesMatch(JsonElement expected, double[][][][] actual)
    {
        var steps = expected.EnumerateArray().ToArray();
        Assert.Equal(steps.Length, actual.Length);
        for (var s = 0; s < steps.Length; s++)
        {
            var groups = steps[s].EnumerateArray().ToArray();
            Assert.Equal(groups.Length, actual[s].Length);
            for (var g = 0; g < groups.Length; g++)
            {
                var ps = groups[g].EnumerateArray().ToArray();
                Assert.Equal(ps.Length, actual[s][g].Length);
                for (var i = 0; i < ps.Length; i++)
                    AssertClose(Doubles(ps[i]), actual[s][g][i], $"step {s + 1}, group {g}, parameter {i}");
            }
        }
    }

    private static void AssertClose(double[] expected, double[] actual, string where)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var k = 0; k < expected.Length; k++)
            if (!(Math.Abs(expected[k] - actual[k]) <= Tolerance))
                Assert.Fail($"{where}, element {k}: torch {expected[k]:R}, SftLab {actual[k]:R} (difference {Math.Abs(expected[k] - actual[k]):E2})");
    }

    private static void AssertLrsMatch(JsonElement expected, double[][] actual)
    {
        var rows = expected.EnumerateArray().ToArray();
        Assert.Equal(rows.Length, actual.Length);
        for (var s = 0; s < rows.Length; s++) AssertClose(Doubles(rows[s]), actual[s], $"learning rates at step {s}");
    }

    private static void DisposeAll(IEnumerable<Parameter> parameters)
    {
        foreach (var p in parameters) p.Dispose();
    }

    // ---- AdamW --------------------------------------------------------------------------------

    private static (ParamSpec[][] Groups, double[]?[][][] Grads) AdamWCase(int steps)
    {
        var r = new Random(20261121);
        ParamSpec[][] groups = [[RandomParam(r, 3, 4), RandomParam(r, 4)], [RandomParam(r, 5), RandomParam(r, 2, 2)]];
        // The bias of group 0 gets no gradient at step 3 (torch skips it: no decay, no step count).
        var grads = RandomGrads(r, groups, steps, (s, g, i) => s == 2 && g == 0 && i == 1);
        return (groups, grads);
    }

    private static AdamW MakeAdamW(ParamSpec[][] groups, bool singlePass = true) => new(
        [
            new ParamGroup(groups[0].Select(MakeParameter)),
            new ParamGroup(groups[1].Select(MakeParameter)) { LearningRate = 0.05, WeightDecay = 0.3, Betas = (0.8, 0.95), Eps = 1e-6 },
        ],
        learningRate: 0.01, betas: (0.9, 0.99), eps: 1e-8, weightDecay: 0.1) { SinglePass = singlePass };

    private static readonly JsonObject AdamWDefaults = new() { ["lr"] = 0.01, ["betas"] = Json([0.9, 0.99]), ["eps"] = 1e-8, ["weight_decay"] = 0.1 };

    private static JsonObject AdamWGroup1Options() => new() { ["lr"] = 0.05, ["weight_decay"] = 0.3, ["betas"] = Json([0.8, 0.95]), ["eps"] = 1e-6 };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AdamW_TwoGroupsWithWeightDecay_MatchesTorch(bool singlePass)
    {
        var (groups, grads) = AdamWCase(steps: 6);
        using var opt = MakeAdamW(groups, singlePass);
        try
        {
            var (actual, _) = RunCSharp(opt, grads);
            using var expected = TorchOracle.Run(OracleInput("adamw", (JsonObject)AdamWDefaults.DeepClone(), groups, [null, AdamWGroup1Options()], grads));
            AssertTrajectoriesMatch(expected.RootElement.GetProperty("params"), actual);
            Assert.Equal(5, opt.StepCount(0, 1)); // skipped once
            Assert.Equal(6, opt.StepCount(1, 0));
        }
        finally { DisposeAll(opt.ParamGroups.SelectMany(g => g.Parameters)); }
    }

    [Fact]
    public void AdamW_WithCosineWarmupSchedule_MatchesTorch()
    {
        var (groups, grads) = AdamWCase(steps: 8);
        using var opt = MakeAdamW(groups);
        try
        {
            var sched = LrScheduler.Create("cosine", opt, numWarmupSteps: 2, numTrainingSteps: 7);
            var (actual, lrs) = RunCSharp(opt, grads, sched);
            using var expected = TorchOracle.Run(OracleInput("adamw", (JsonObject)AdamWDefaults.DeepClone(), groups, [null, AdamWGroup1Options()], grads,
                new JsonObject { ["name"] = "cosine", ["warmup"] = 2, ["total"] = 7 }));
            AssertTrajectoriesMatch(expected.RootElement.GetProperty("params"), actual);
            AssertLrsMatch(expected.RootElement.GetProperty("lrs"), lrs);
        }
        finally { DisposeAll(opt.ParamGroups.SelectMany(g => g.Parameters)); }
    }

    [Fact]
    public void AdamW_SingleGroup_UsesTorchDefaults()
    {
        var r = new Random(7);
        ParamSpec[][] groups = [[RandomParam(r, 2, 3)]];
        var grads = RandomGrads(r, groups, 4);
        using var opt = new AdamW(groups[0].Select(MakeParameter));
        try
        {
            var g = opt.ParamGroups[0];
            Assert.Equal((1e-3, (0.9, 0.999), 1e-8, 1e-2), (g.LearningRate, g.Betas, g.Eps, g.WeightDecay));
            var (actual, _) = RunCSharp(opt, grads);
            using var expected = TorchOracle.Run(OracleInput("adamw", new JsonObject(), groups, [null], grads));
            AssertTrajectoriesMatch(expected.RootElement.GetProperty("params"), actual);
        }
        finally { DisposeAll(opt.ParamGroups.SelectMany(g => g.Parameters)); }
    }

    /// <summary>
    /// The single-pass update (one native sweep per parameter, split across threads) on a large parameter
    /// against a reference trajectory from the composed tensor ops (torch's single-tensor AdamW, checked
    /// against torch above). float32: the same to a few units of rounding. bfloat16 (rounded once per
    /// step instead of once per operation): within a few bfloat16 units of the float32 trajectory from the
    /// same rounded start and gradients. A non-contiguous parameter takes the shim's composed fallback.
    /// </summary>
    [Theory]
    [InlineData(DType.Float32, false)]
    [InlineData(DType.BFloat16, false)]
    [InlineData(DType.Float32, true)]
    public void AdamW_SinglePass_AgreesWithComposedOps(DType dtype, bool transposed)
    {
        const int steps = 5;
        using var gen = new Generator(99);
        using var init = Tensor.Randn([300, 700], gen);
        Tensor Layout(Tensor t) => transposed ? t.Transpose(0, 1) : t.Alias();
        // Copies (Clone keeps the strides): the two parameters must not share storage with init or each other.
        Parameter Make(DType type)
        {
            using var view = Layout(init);
            using var rounded = view.To(dtype);
            using var typed = rounded.To(type);
            using var copy = typed.Clone();
            return new Parameter(copy);
        }
        using var fast = Make(dtype);
        using var reference = Make(DType.Float32);
        Assert.Equal(!transposed, fast.IsContiguous);
        using var a = new AdamW([fast], learningRate: 0.01, weightDecay: 0.1) { SinglePass = true };
        using var b = new AdamW([reference], learningRate: 0.01, weightDecay: 0.1) { SinglePass = false };
        for (var step = 0; step < steps; step++)
        {
            using var g = Tensor.Randn([300, 700], gen);
            using var view = Layout(g);
            using var grad = view.To(dtype);
            using var g1 = grad.Clone();
            using var grad32 = grad.To(DType.Float32);
            using var g2 = grad32.Clone();
            fast.Grad = g1;
            reference.Grad = g2;
            a.Step();
            b.Step();
        }
        float[] Values(Tensor t)
        {
            using var f = t.To(DType.Float32);
            using var c = f.Contiguous();
            return c.ToArray<float>();
        }
        using var startView = Layout(init);
        using var start32 = startView.To(dtype);
        var (x, y, start) = (Values(fast), Values(reference), Values(start32));
        // One unit in the last place of the dtype at the reference's magnitude.
        var unit = dtype == DType.BFloat16 ? Math.Pow(2, -7) : Math.Pow(2, -23);
        var units = dtype == DType.BFloat16 ? 4.0 : 16.0;
        double moved = 0;
        for (var k = 0; k < x.Length; k++)
        {
            moved = Math.Max(moved, Math.Abs(y[k] - start[k]));
            var allowed = units * unit * Math.Max(Math.Abs(y[k]), 1e-2);
            if (!(Math.Abs(x[k] - y[k]) <= allowed))
                Assert.Fail($"{dtype}, element {k}: single pass {x[k]:R}, reference {y[k]:R} (start {start[k]:R}); allowed {allowed:E2}");
        }
        Assert.True(moved > 0.03, $"the weights hardly moved (largest change {moved})");
    }

    // ---- SGD ----------------------------------------------------------------------------------

    [Fact]
    public void Sgd_MomentumNesterovWeightDecay_MatchesTorch()
    {
        var r = new Random(42);
        ParamSpec[][] groups = [[RandomParam(r, 3, 2), RandomParam(r, 3)], [RandomParam(r, 4)], [RandomParam(r, 2)]];
        var grads = RandomGrads(r, groups, 6, (s, g, i) => s == 1 && g == 0 && i == 0);
        using var opt = new Sgd(
            [
                new ParamGroup(groups[0].Select(MakeParameter)),                                                   // defaults: nesterov
                new ParamGroup(groups[1].Select(MakeParameter)) { Momentum = 0.8, Dampening = 0.1, Nesterov = false, WeightDecay = 0.05 },
                new ParamGroup(groups[2].Select(MakeParameter), learningRate: 0.2) { Momentum = 0, Nesterov = false, WeightDecay = 0 },
            ],
            learningRate: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: true);
        try
        {
            var (actual, _) = RunCSharp(opt, grads);
            using var expected = TorchOracle.Run(OracleInput("sgd",
                new JsonObject { ["lr"] = 0.1, ["momentum"] = 0.9, ["dampening"] = 0.0, ["weight_decay"] = 0.01, ["nesterov"] = true },
                groups,
                [
                    null,
                    new JsonObject { ["momentum"] = 0.8, ["dampening"] = 0.1, ["nesterov"] = false, ["weight_decay"] = 0.05 },
                    new JsonObject { ["lr"] = 0.2, ["momentum"] = 0.0, ["nesterov"] = false, ["weight_decay"] = 0.0 },
                ],
                grads));
            AssertTrajectoriesMatch(expected.RootElement.GetProperty("params"), actual);
        }
        finally { DisposeAll(opt.ParamGroups.SelectMany(g => g.Parameters)); }
    }

    // ---- schedulers ---------------------------------------------------------------------------

    [Theory]
    [InlineData("constant", 3, 10)]
    [InlineData("constant_with_warmup", 3, 10)]
    [InlineData("linear", 3, 10)]
    [InlineData("cosine", 3, 10)]
    [InlineData("linear", 0, 5)]
    [InlineData("cosine", 0, 5)]
    [InlineData("exp", 0, 0)]
    public void Scheduler_MatchesTorchLambdaLr(string name, int warmup, int total)
    {
        const int steps = 13;
        using var a = Filled(1, 0);
        using var b = Filled(1, 0);
        using var opt = new Sgd([new ParamGroup([a], learningRate: 0.1), new ParamGroup([b], learningRate: 0.02)], learningRate: 1.0);
        LrScheduler sched = name == "exp"
            ? new LambdaLr(opt, step => Math.Pow(0.9, step))
            : LrScheduler.Create(name, opt, warmup, total);
        var lrs = new List<double[]> { sched.GetLastLr() };
        for (var s = 0; s < steps; s++)
        {
            opt.Step();
            sched.Step();
            lrs.Add(sched.GetLastLr());
            Assert.Equal(sched.GetLastLr(), opt.ParamGroups.Select(g => g.LearningRate).ToArray());
        }
        var input = OracleInput(null, new JsonObject(), [[], []], [new JsonObject { ["lr"] = 0.1 }, new JsonObject { ["lr"] = 0.02 }], [],
            new JsonObject { ["name"] = name, ["warmup"] = warmup, ["total"] = total, ["gamma"] = 0.9 });
        input["steps"] = steps;
        using var expected = TorchOracle.Run(input);
        AssertLrsMatch(expected.RootElement.GetProperty("lrs"), lrs.ToArray());
        Assert.Equal(steps, sched.LastEpoch);
        Assert.Equal([0.1, 0.02], sched.BaseLearningRates);
    }

    [Fact]
    public void Scheduler_LinearWithWarmup_HasTheExpectedShape()
    {
        using var p = Filled(1, 0);
        using var opt = new AdamW([p], learningRate: 1.0);
        var sched = LrScheduler.LinearWithWarmup(opt, numWarmupSteps: 2, numTrainingSteps: 6);
        var lrs = new List<double> { opt.ParamGroups[0].LearningRate };
        for (var s = 0; s < 7; s++)
        {
            sched.Step();
            lrs.Add(sched.GetLastLr()[0]);
        }
        Assert.Equal([0, 0.5, 1, 0.75, 0.5, 0.25, 0, 0], lrs);
    }

    [Fact]
    public void Scheduler_Create_RejectsUnknownNamesAndMissingTotals()
    {
        using var p = Filled(1, 0);
        using var opt = new AdamW([p]);
        var unknown = Assert.Throws<ArgumentException>(() => LrScheduler.Create("cosine_with_hard_restarts", opt));
        Assert.Contains("\"linear\"", unknown.Message);
        var noTotal = Assert.Throws<ArgumentException>(() => LrScheduler.Create("linear", opt, numWarmupSteps: 5));
        Assert.Contains("numTrainingSteps", noTotal.Message);
        Assert.Equal(["constant", "constant_with_warmup", "linear", "cosine"], LrScheduler.Names);
    }

    // ---- state dicts --------------------------------------------------------------------------

    private static Optimizer MakeForResume(string kind, ParamSpec[][] groups) => kind == "adamw"
        ? MakeAdamW(groups)
        : new Sgd([new ParamGroup(groups[0].Select(MakeParameter)), new ParamGroup(groups[1].Select(MakeParameter)) { Momentum = 0.5, Nesterov = false }],
            learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true);

    [Theory]
    [InlineData("adamw")]
    [InlineData("sgd")]
    public void StateDict_RoundTrip_ResumesBitForBit(string kind)
    {
        var (groups, grads) = AdamWCase(steps: 7);
        var first = grads[..3];
        var rest = grads[3..];

        using var opt = MakeForResume(kind, groups);
        var parameters = opt.ParamGroups.SelectMany(g => g.Parameters).ToList();
        try
        {
            var sched = LrScheduler.Create("linear", opt, numWarmupSteps: 2, numTrainingSteps: 8);
            RunCSharp(opt, first, sched);

            // Save: weights (copies), optimizer state, scheduler state.
            var savedWeights = parameters.Select(p => p.ToDoubleArray()).ToArray();
            using var saved = opt.StateDict();
            var savedSched = sched.StateDict();
            Assert.Equal(3, saved.Scalars["state.0.0.step"]);
            Assert.Equal(2, saved.Scalars["state.0.1.step"]); // skipped at step 3
            var buffers = kind == "adamw" ? new[] { "exp_avg", "exp_avg_sq" } : ["momentum_buffer"];
            foreach (var name in buffers) Assert.True(saved.Tensors.ContainsKey($"state.1.1.{name}"), name);
            Assert.Equal(3, savedSched["last_epoch"]);

            var (original, originalLrs) = RunCSharp(opt, rest, sched);

            // Resume in a fresh optimizer and scheduler, as a new process would.
            var (resumed, resumedLrs) = ResumeFresh(kind, groups, savedWeights, saved, savedSched, rest);
            Assert.Equal(Flatten(original), Flatten(resumed));
            Assert.Equal(originalLrs.SelectMany(x => x), resumedLrs.SelectMany(x => x));

            // And in place: restoring the same optimizer rewinds it.
            RestoreWeights(parameters, savedWeights);
            opt.LoadStateDict(saved);
            sched.LoadStateDict(savedSched);
            var (again, againLrs) = RunCSharp(opt, rest, sched);
            Assert.Equal(Flatten(original), Flatten(again));
            Assert.Equal(originalLrs.SelectMany(x => x), againLrs.SelectMany(x => x));
        }
        finally { DisposeAll(parameters); }
    }

    private static (double[][][][], double[][]) ResumeFresh(string kind, ParamSpec[][] groups, double[][] weights, OptimizerStateDict saved,
        Dictionary<string, double> savedSched, double[]?[][][] grads)
    {
        using var opt = MakeForResume(kind, groups);
        var parameters = opt.ParamGroups.SelectMany(g => g.Parameters).ToList();
        try
        {
            RestoreWeights(parameters, weights);
            opt.LoadStateDict(saved);
            var sched = LrScheduler.Create("linear", opt, numWarmupSteps: 2, numTrainingSteps: 8);
            sched.LoadStateDict(savedSched);
            return RunCSharp(opt, grads, sched);
        }
        finally { DisposeAll(parameters); }
    }

    private static void RestoreWeights(IReadOnlyList<Parameter> parameters, double[][] weights)
    {
        using var noGrad = Autograd.NoGrad();
        for (var i = 0; i < parameters.Count; i++)
        {
            using var w = Tensor.From(weights[i], parameters[i].Shape);
            parameters[i].Copy_(w);
        }
    }

    private static double[] Flatten(double[][][][] trajectory) => trajectory.SelectMany(s => s.SelectMany(g => g.SelectMany(p => p))).ToArray();

    [Fact]
    public void LoadStateDict_RejectsMismatchedState_AndChangesNothing()
    {
        var (groups, grads) = AdamWCase(steps: 2);
        using var adam = MakeAdamW(groups);
        using var sgd = MakeForResume("sgd", groups);
        var parameters = adam.ParamGroups.Concat(sgd.ParamGroups).SelectMany(g => g.Parameters).ToList();
        try
        {
            RunCSharp(adam, grads);
            RunCSharp(sgd, grads);
            using var adamState = adam.StateDict();
            using var sgdState = sgd.StateDict();

            var wrongKind = Assert.Throws<ArgumentException>(() => adam.LoadStateDict(sgdState));
            Assert.Contains("momentum_buffer", wrongKind.Message);

            using var wrongShape = adam.StateDict();
            wrongShape.Tensors["state.0.0.exp_avg"].Dispose();
            wrongShape.Tensors["state.0.0.exp_avg"] = Tensor.Zeros([4, 3], DType.Float64).DetachFromDisposeScope();
            var shape = Assert.Throws<ArgumentException>(() => adam.LoadStateDict(wrongShape));
            Assert.Contains("state.0.0.exp_avg", shape.Message);

            using var r = Filled(2, 0);
            using var oneGroup = new AdamW([r]);
            var groupsMismatch = Assert.Throws<ArgumentException>(() => oneGroup.LoadStateDict(adamState));
            Assert.Contains("2 parameter group(s)", groupsMismatch.Message);

            // Nothing changed: the state still equals the snapshot.
            using var after = adam.StateDict();
            Assert.Equal(adamState.Scalars, after.Scalars);
            foreach (var (k, t) in adamState.Tensors) Assert.True(t.Equal(after.Tensors[k]), k);
        }
        finally { DisposeAll(parameters); }
    }

    // ---- groups, validation, zero_grad ----------------------------------------------------------

    private sealed class TinyModel : Module
    {
        public TinyModel()
        {
            RegisterModule("proj", new Linear(4, 3, dtype: DType.Float64));
            RegisterModule("input_layernorm", new RmsNorm(3, dtype: DType.Float64));
            var frozen = RegisterModule("frozen", new Linear(3, 2, dtype: DType.Float64));
            foreach (var p in frozen.Parameters()) p.RequiresGrad = false;
            RegisterParameter("gate_norm", Tensor.Ones([2, 2], DType.Float64));
        }
    }

    [Fact]
    public void ParamGroups_WithNoDecay_ExemptsBiasesAndNormsAndSkipsFrozen()
    {
        using var model = new TinyModel();
        var groups = ParamGroups.WithNoDecay(model, weightDecay: 0.1);
        var named = model.NamedParameters().ToList();
        string NameOf(Parameter p) => named.Single(np => ReferenceEquals(np.Parameter, p)).Name;
        Assert.Equal(2, groups.Count);
        Assert.Equal(["proj.weight"], groups[0].Parameters.Select(NameOf));
        Assert.Equal(["gate_norm", "proj.bias", "input_layernorm.weight"], groups[1].Parameters.Select(NameOf));

        using var opt = new AdamW(groups, learningRate: 2e-5);
        Assert.Equal(0.1, opt.ParamGroups[0].WeightDecay);
        Assert.Equal(0.0, opt.ParamGroups[1].WeightDecay);
        Assert.All(opt.ParamGroups, g => Assert.Equal(2e-5, g.LearningRate));
    }

    [Fact]
    public void Constructors_ValidateSettings()
    {
        using var p = Filled(2, 0);
        using var q = Filled(2, 0);
        Assert.Throws<ArgumentException>(() => new Sgd([p], momentum: 0, nesterov: true));
        Assert.Throws<ArgumentException>(() => new Sgd([p], momentum: 0.9, dampening: 0.1, nesterov: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([p], betas: (1.0, 0.999)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([p], learningRate: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([p], weightDecay: -0.1));
        Assert.Throws<ArgumentException>(() => new AdamW([new ParamGroup([p]), new ParamGroup([q, p])]));
        Assert.Throws<ArgumentException>(() => new AdamW(Array.Empty<Parameter>()));
        using var ok = new AdamW([new ParamGroup([p]), new ParamGroup([q]) { LearningRate = 0.5 }], learningRate: 0.1);
        Assert.Equal([0.1, 0.5], ok.ParamGroups.Select(g => g.LearningRate));
    }

    [Fact]
    public void ZeroGrad_SetsGradientsToNull_OrZeros()
    {
        using var p = Filled(3, 1);
        using var opt = new Sgd([p], learningRate: 0.5);
        SetGrad(p, [1, 2, 3]);
        opt.Step();
        Assert.Equal([0.5, 0.0, -0.5], p.ToDoubleArray());
        opt.ZeroGrad(setToNone: false);
        using (var g = p.Grad) Assert.Equal([0.0, 0.0, 0.0], g!.ToDoubleArray());
        opt.ZeroGrad();
        Assert.Null(p.Grad);
        opt.Step(); // no gradients: nothing moves
        Assert.Equal([0.5, 0.0, -0.5], p.ToDoubleArray());
    }

    [Fact]
    public void Step_AfterDispose_Throws()
    {
        using var p = Filled(1, 1);
        var opt = new AdamW([p]);
        opt.Dispose();
        Assert.Throws<ObjectDisposedException>(() => opt.Step());
    }
}

/// <summary>
/// Optimizer steps leak no native tensors. <see cref="TorchRuntime.LiveTensorCount"/> is process-wide, so these
/// run alone (not in parallel with other test classes).
/// </summary>
[Collection(nameof(OptimizerLeakTests))]
public sealed class OptimizerLeakTests
{
    [CollectionDefinition(nameof(OptimizerLeakTests), DisableParallelization = true)]
    public sealed class Definition;

    private static long Live()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return TorchRuntime.LiveTensorCount;
    }

    [Theory]
    [InlineData("adamw")]
    [InlineData("sgd")]
    public void Step_LeavesNoTemporaries_AndDisposeFreesTheState(string kind)
    {
        var r = new Random(3);
        var parameters = new[] { new long[] { 8, 4 }, [4], [3, 3] }
            .Select(shape =>
            {
                using var t = Tensor.From(Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => r.NextDouble()).ToArray(), shape);
                return new Parameter(t);
            }).ToList();
        void SetGrads()
        {
            foreach (var p in parameters)
            {
                using var g = Tensor.From(Enumerable.Range(0, (int)p.NumEl).Select(_ => r.NextDouble() - 0.5).ToArray(), p.Shape);
                p.Grad = g;
            }
        }
        try
        {
            SetGrads();
            var beforeOptimizer = Live();
            Optimizer opt = kind == "adamw"
                ? new AdamW([new ParamGroup(parameters.Take(2)), new ParamGroup(parameters.Skip(2)) { WeightDecay = 0 }], weightDecay: 0.1)
                : new Sgd(parameters, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true);
            var sched = LrScheduler.Create("cosine", opt, numWarmupSteps: 2, numTrainingSteps: 20);
            opt.Step(); // allocates the state
            var afterFirstStep = Live();
            var buffers = kind == "adamw" ? 2 * parameters.Count : parameters.Count;
            Assert.Equal(beforeOptimizer + buffers, afterFirstStep);
            for (var s = 0; s < 10; s++)
            {
                SetGrads();
                opt.Step();
                sched.Step();
                Assert.Equal(afterFirstStep, Live());
            }
            using (var state = opt.StateDict()) opt.LoadStateDict(state);
            Assert.Equal(afterFirstStep, Live());
            opt.ZeroGrad();
            opt.Dispose();
            Assert.Equal(beforeOptimizer, Live());
        }
        finally
        {
            foreach (var p in parameters) p.Dispose();
        }
    }
}

/// <summary>Runs tests/oracles/optim_oracle.py with Debian's python3-torch (the reference implementation).</summary>
internal static class TorchOracle
{
    public static JsonDocument Run(JsonObject input) =>
        JsonDocument.Parse(SftLab.Tests.Oracles.PythonOracle.Run("optim_oracle.py", [], input.ToJsonString()));
}
