using SftLab.Data;
using SftLab.Models;
using SftLab.Tests.Models;
using SftLab.Tests.Torch;
using SftLab.Torch;
using SftLab.Training;

namespace SftLab.Tests.Training;

/// <summary>
/// Gradient checkpointing must change memory, not results: the same loss and gradients as the plain
/// backward pass (dropout included, through the replayed random generator), the state of every
/// checkpointed call released with its graph, and errors surfacing as exceptions. Serial: it reads a
/// process-wide counter.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class GradientCheckpointingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sftlab-ckpt-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static TokenizedExample Example(int seed, int promptLength, int answerLength)
    {
        var ids = Enumerable.Range(0, promptLength + answerLength).Select(i => (long)((i * 7 + seed * 11) % 45 + 3)).ToArray();
        var labels = ids.Select((id, i) => i < promptLength ? TokenizedExample.IgnoreIndex : id).ToArray();
        return new TokenizedExample(ids, labels);
    }

    private static readonly TokenizedExample[] Data = [Example(1, 3, 6), Example(2, 5, 2), Example(3, 4, 8), Example(4, 2, 3)];

    private SftConfig Config(bool checkpointing, LoraConfig? lora = null, int steps = 4) => new()
    {
        OutputDir = Path.Combine(_dir, checkpointing ? "ckpt" : "plain"), LearningRate = 1e-2, MaxSteps = steps, PerDeviceTrainBatchSize = 2,
        LoggingSteps = 1, Device = "cpu", Seed = 1, LrSchedulerType = "constant", GradientCheckpointing = checkpointing, Lora = lora,
        SaveSteps = 0,
    };

    /// <summary>Loss and the gradient of every trainable parameter after one accumulation over <paramref name="batch"/>.</summary>
    private (double Loss, Dictionary<string, double[]> Grads, int Calls) Gradients(bool checkpointing, Batch batch, LoraConfig? lora)
    {
        using var model = new LlamaForCausalLM(ModelTests.Tiny(), seed: 5);
        using var trainer = new SftTrainer(model, Config(checkpointing, lora), Data);
        Assert.Equal(checkpointing, model.GradientCheckpointing);
        // B starts at zero, which would make A's gradients zero: give B values, the same in every run.
        using (var gen = new Generator(7))
        using (Autograd.NoGrad())
            foreach (var (_, p) in model.NamedParameters().Where(p => p.Name.Contains("lora_B")))
            {
                using var r = Tensor.Randn(p.Shape, gen);
                using var small = r * 0.1;
                p.Copy_(small);
            }
        TorchRuntime.ManualSeed(123); // the dropout masks of the LoRA case
        using var scope = DisposeScope.Begin();
        var loss = trainer.AccumulateGradients([batch]).Loss;
        var grads = model.NamedParameters().Where(p => p.Parameter.RequiresGrad)
            .ToDictionary(p => p.Name, p => p.Parameter.Grad?.ToDoubleArray() ?? throw new InvalidOperationException($"{p.Name} got no gradient"));
        Assert.All(model.NamedParameters().Where(p => !p.Parameter.RequiresGrad), p => Assert.Null(p.Parameter.Grad));
        return (loss, grads, 0);
    }

    public static TheoryData<string> Cases() => ["full, padded", "full, packed", "lora with dropout, padded"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void CheckpointedLayersGiveTheSameLossAndGradients(string name)
    {
        var lora = name.StartsWith("lora", StringComparison.Ordinal) ? new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0.2 } : null;
        var batch = name.EndsWith("packed", StringComparison.Ordinal)
            ? new PackedBatcher(32, 0, "keep_start", 1).Plan(Data, 1)[0]
            : new PaddedBatcher(0).Collate(Data);
        Assert.Equal(name.EndsWith("packed", StringComparison.Ordinal), batch.PositionIds != null);
        var live = Checkpoint.LiveStates;
        var plain = Gradients(false, batch, lora);
        var ckpt = Gradients(true, batch, lora);
        Assert.Equal(plain.Loss, ckpt.Loss, 6);
        Assert.Equal(plain.Grads.Keys.Order(), ckpt.Grads.Keys.Order());
        if (lora != null) Assert.All(plain.Grads.Keys, k => Assert.Contains("lora_", k));
        foreach (var (k, g) in plain.Grads)
        {
            Assert.Contains(g, v => v != 0);
            for (var i = 0; i < g.Length; i++)
                Assert.True(Math.Abs(g[i] - ckpt.Grads[k][i]) <= 1e-6 + 1e-5 * Math.Abs(g[i]), $"{name}: {k}[{i}]: {g[i]} vs {ckpt.Grads[k][i]}");
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(live, Checkpoint.LiveStates); // every checkpointed call's state went away with its graph
    }

    [Fact]
    public void DropoutWithoutTheReplayedGeneratorWouldDiffer()
    {
        // The LoRA case above passes only because the masks repeat: with another seed the adapters' gradients differ.
        var lora = new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0.2 };
        var batch = new PaddedBatcher(0).Collate(Data);
        var a = Gradients(false, batch, lora);
        using var model = new LlamaForCausalLM(ModelTests.Tiny(), seed: 5);
        using var trainer = new SftTrainer(model, Config(false, lora), Data);
        TorchRuntime.ManualSeed(124);
        using var scope = DisposeScope.Begin();
        trainer.AccumulateGradients([batch]);
        var (name, p) = model.NamedParameters().First(p => p.Name.Contains("lora_B"));
        var other = p.Grad!.ToDoubleArray();
        Assert.Contains(Enumerable.Range(0, other.Length), i => Math.Abs(other[i] - a.Grads[name][i]) > 1e-4 * (1 + Math.Abs(other[i])));
    }

    [Fact]
    public void TheFunctionRunsOnceWithoutGradientsAndTwiceWithThem()
    {
        var calls = 0;
        Tensor Square(Tensor[] a)
        {
            calls++;
            return a[0] * a[0] * a[1];
        }
        var live = Checkpoint.LiveStates;
        using (var scope = DisposeScope.Begin())
        {
            var x = Tensor.From([1.0, 2.0, 3.0], [3]).RequiresGrad_();
            var w = Tensor.From([0.5, -1.0, 2.0], [3]); // no gradient wanted
            using (Autograd.NoGrad()) Checkpoint.Run(Square, x, w);
            Assert.Equal(1, calls);
            var y = Checkpoint.Run(Square, x, w);
            Assert.Equal(2, calls);
            Assert.True(y.RequiresGrad);
            y.Sum().Backward();
            Assert.Equal(3, calls); // recomputed in the backward pass
            Assert.Equal([1.0, -4.0, 12.0], x.Grad!.ToArray<double>()); // d(x²w)/dx = 2xw
            Assert.Null(w.Grad);
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(live, Checkpoint.LiveStates);
    }

    [Fact]
    public void ErrorsInTheFunctionBecomeExceptions()
    {
        var live = Checkpoint.LiveStates;
        using (var scope = DisposeScope.Begin())
        {
            var x = Tensor.From([1.0, 2.0], [2]).RequiresGrad_();
            // In the forward pass: the function's own exception, unchanged.
            var e = Assert.Throws<ArgumentException>(() => Checkpoint.Run(_ => throw new ArgumentException("bad layer"), x));
            Assert.Equal("bad layer", e.Message);
            // In the backward pass (the second run fails): a TorchException from Backward naming the cause.
            var runs = 0;
            var y = Checkpoint.Run(a => ++runs == 1 ? a[0] * 2.0 : throw new InvalidOperationException("recompute failed"), x);
            var thrown = Assert.Throws<TorchException>(() => y.Sum().Backward());
            Assert.Contains("recompute failed", thrown.Message);
            // Refused: no input requires gradients, so the weights inside would get none.
            var frozen = Tensor.From([1.0], [1]);
            Assert.Throws<ArgumentException>(() => Checkpoint.Run(a => a[0] * 2.0, frozen));
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(live, Checkpoint.LiveStates);
    }

    [Fact]
    public void TrainingWithCheckpointingEndsWithTheSameWeights()
    {
        var lora = new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0.1 };
        Dictionary<string, float[]> Train(bool checkpointing)
        {
            using var model = new LlamaForCausalLM(ModelTests.Tiny(), seed: 6);
            using var trainer = new SftTrainer(model, Config(checkpointing, lora, steps: 6), Data);
            trainer.Train();
            return model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray<float>());
        }
        var plain = Train(false);
        var ckpt = Train(true);
        foreach (var (k, w) in plain)
            for (var i = 0; i < w.Length; i++)
                Assert.True(Math.Abs(w[i] - ckpt[k][i]) <= 1e-5 + 1e-4 * Math.Abs(w[i]), $"{k}[{i}]: {w[i]} vs {ckpt[k][i]}");
        Assert.Contains(plain, kv => kv.Key.Contains("lora_B") && kv.Value.Any(v => v != 0));
    }
}
