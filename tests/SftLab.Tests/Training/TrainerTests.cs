using System.Diagnostics;
using System.Text.Json.Nodes;
using SftLab.Data;
using SftLab.IO;
using SftLab.Models;
using SftLab.Tests.Cli;
using SftLab.Tests.Models;
using SftLab.Torch;
using SftLab.Training;

namespace SftLab.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sftlab-train-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Prompt tokens masked (−100), answer tokens learned: like an assistant-only SFT example.</summary>
    private static TokenizedExample Example(int seed, int promptLength = 4, int answerLength = 5)
    {
        var ids = Enumerable.Range(0, promptLength + answerLength).Select(i => (long)((i * 7 + seed * 11) % 45 + 3)).ToArray();
        var labels = ids.Select((id, i) => i < promptLength ? TokenizedExample.IgnoreIndex : id).ToArray();
        return new TokenizedExample(ids, labels);
    }

    private SftConfig Config(int steps = 10) => new()
    {
        OutputDir = _dir,
        LearningRate = 3e-3,
        MaxSteps = steps,
        PerDeviceTrainBatchSize = 2,
        LoggingSteps = 1,
        Device = "cpu",
        Seed = 1,
        LrSchedulerType = "constant",
    };

    [Fact]
    public void LossOnAFixedTinyBatchGoesToNearZero()
    {
        using var model = new LlamaForCausalLM(ModelTests.Tiny(), seed: 1);
        var data = new[] { Example(1), Example(2) };
        using var trainer = new SftTrainer(model, Config(120) with { LearningRate = 1e-2 }, data);
        var state = trainer.Train();
        var losses = state.LogHistory.Where(m => m.ContainsKey("loss")).Select(m => m["loss"]).ToList();
        Assert.Equal(120, losses.Count);
        Assert.True(losses[0] > 3, $"first loss {losses[0]}");
        Assert.True(losses[^1] < 0.05, $"last loss {losses[^1]}");
        Assert.Equal(1.0, state.LogHistory.Last(m => m.ContainsKey("mean_token_accuracy"))["mean_token_accuracy"]);
        Assert.True(File.Exists(Path.Combine(_dir, "metrics.jsonl")));
        Assert.Equal(120, File.ReadAllLines(Path.Combine(_dir, "metrics.jsonl")).Length);
    }

    [Fact]
    public void AccumulatingKMicroBatchesEqualsOneBatchKTimesLarger()
    {
        var data = Enumerable.Range(0, 6).Select(i => Example(i, 3 + i % 3, 2 + 2 * i)).ToList(); // label counts differ per micro-batch
        var batcher = new PaddedBatcher(0);
        Dictionary<string, double[]> Grads(IReadOnlyList<Batch> micro, out double loss)
        {
            using var model = new LlamaForCausalLM(ModelTests.Tiny(), seed: 2);
            using var trainer = new SftTrainer(model, Config(), data);
            using var scope = DisposeScope.Begin();
            loss = trainer.AccumulateGradients(micro).Loss;
            return model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToDoubleArray());
        }
        var big = Grads([batcher.Collate(data)], out var bigLoss);
        var small = Grads(batcher.Plan(data, 2), out var smallLoss);
        Assert.Equal(bigLoss, smallLoss, 5);
        foreach (var (name, g) in big)
            for (var i = 0; i < g.Length; i++)
                Assert.True(Math.Abs(g[i] - small[name][i]) <= 1e-5 + 1e-4 * Math.Abs(g[i]), $"{name}[{i}]: {g[i]} vs {small[name][i]}");
        // The transformers#34191 mistake — averaging per micro-batch — would differ here, since the micro-batches hold different label counts.
        var perBatch = batcher.Plan(data, 2).Select(b => { Grads([b], out var l); return l; }).Average();
        Assert.NotEqual(Math.Round(bigLoss, 5), Math.Round(perBatch, 5));
    }

    [Fact]
    public void MaskedTokensContributeNothing()
    {
        using var model = new LlamaForCausalLM(ModelTests.Tiny(), seed: 3);
        var example = Example(5, promptLength: 6, answerLength: 4);
        using var trainer = new SftTrainer(model, Config(), [example]);
        double loss;
        using (var scope = DisposeScope.Begin())
            loss = trainer.AccumulateGradients([new PaddedBatcher(0).Collate([example])]).Loss;
        // Independent computation: the model's log-probs of the answer tokens only.
        var logprobs = Scoring.LogProbs(model, example.InputIds);
        var answer = Enumerable.Range(1, example.Length - 1).Where(i => example.Labels[i] != TokenizedExample.IgnoreIndex).Select(i => -logprobs[i - 1]);
        Assert.Equal(answer.Average(), loss, 5);
        // Changing the tokens of a right-padded neighbour (all masked) changes nothing either.
        var padded = new PaddedBatcher(0).Collate([example, new TokenizedExample([9, 9], [TokenizedExample.IgnoreIndex, TokenizedExample.IgnoreIndex])]);
        using (var scope = DisposeScope.Begin())
            Assert.Equal(loss, trainer.AccumulateGradients([padded]).Loss, 6);
    }

    [Fact]
    public void LoraTrainingLeavesBaseWeightsUntouched()
    {
        using var model = new LlamaForCausalLM(ModelTests.Tiny(), seed: 4);
        var before = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToBytes());
        var cfg = Config(15) with { LearningRate = 1e-2, Lora = new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0.1, TargetModules = ["q_proj", "v_proj"] } };
        using var trainer = new SftTrainer(model, cfg, [Example(1), Example(2), Example(3)]);
        var state = trainer.Train();
        var after = model.StateDict();
        foreach (var (k, bytes) in before) Assert.Equal(bytes, after[k].ToBytes());
        Assert.Contains(after.Keys, k => k.Contains("lora_B"));
        Assert.Contains(after, kv => kv.Key.Contains("lora_B") && kv.Value.Abs().Sum().ToDouble() > 0);
        var losses = state.LogHistory.Select(m => m["loss"]).ToList();
        Assert.True(losses[^1] < losses[0]);
        Assert.True(File.Exists(Path.Combine(Checkpoints.Latest(_dir)!, "adapter_model.safetensors")));
    }

    [Fact]
    public void HalfWrittenCheckpointsAreNeverPickedUp()
    {
        using var model = new LlamaForCausalLM(ModelTests.Tiny(), seed: 5);
        using var trainer = new SftTrainer(model, Config(3) with { SaveSteps = 1, SaveTotalLimit = 2 }, [Example(1), Example(2)]);
        trainer.Train();
        Assert.Equal(["checkpoint-2", "checkpoint-3"], Checkpoints.List(_dir).Select(Path.GetFileName));
        // A temp folder of an interrupted save and a folder without trainer_state.json are ignored.
        Directory.CreateDirectory(Path.Combine(_dir, ".checkpoint-9.tmp-0123"));
        File.WriteAllText(Path.Combine(_dir, ".checkpoint-9.tmp-0123", "trainer_state.json"), "{}");
        Directory.CreateDirectory(Path.Combine(_dir, "checkpoint-8"));
        File.WriteAllText(Path.Combine(_dir, "checkpoint-8", "model.safetensors"), "partial");
        Assert.Equal("checkpoint-3", Path.GetFileName(Checkpoints.Latest(_dir)));
    }

    [Fact]
    public void ResumingARunWithDifferentSettingsIsRefused()
    {
        using (var model = new LlamaForCausalLM(ModelTests.Tiny(), seed: 8))
        using (var trainer = new SftTrainer(model, Config(2), [Example(1), Example(2)]))
            trainer.Train();
        using var again = new LlamaForCausalLM(ModelTests.Tiny(), seed: 8);
        using var resumed = new SftTrainer(again, Config(5) with { ResumeFromCheckpoint = "latest", LearningRate = 1e-3 }, [Example(1), Example(2)]);
        var e = Assert.Throws<InvalidOperationException>(() => resumed.Train());
        Assert.Contains("learning_rate: 0.003 -> 0.001", e.Message);
        Assert.Contains("max_steps: 2 -> 5", e.Message);
    }

    [Fact]
    public void NanLossStopsWithAClearMessageAndKeepsTheLastGoodCheckpoint()
    {
        using var model = new LlamaForCausalLM(ModelTests.Tiny(), seed: 6);
        var cfg = Config(20) with { SaveSteps = 1, SaveTotalLimit = 1 };
        using var trainer = new SftTrainer(model, cfg, [Example(1), Example(2)]);
        // Simulate a blow-up: after step 3 (and its checkpoint) a weight becomes NaN, so step 4's loss is NaN.
        trainer.Callbacks.Add(new PoisonAfterStep(3));
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Train());
        Assert.Contains("loss became", e.Message);
        Assert.NotNull(e.LastCheckpoint);
        Assert.Equal(e.Step - 1, long.Parse(Path.GetFileName(e.LastCheckpoint)!.Split('-')[1]));
        using var reloaded = LlamaForCausalLM.FromPretrained(e.LastCheckpoint!);
        Assert.All(reloaded.NamedParameters(), p => Assert.True(p.Parameter.IsFinite().LogicalNot().Sum().ToInt64() == 0, $"{p.Name} is not finite in the last good checkpoint"));
    }

    private sealed class PoisonAfterStep(long step) : ITrainerCallback
    {
        public void OnStepEnd(SftTrainer trainer)
        {
            if (trainer.State.GlobalStep != step) return;
            using var _ = Autograd.NoGrad();
            trainer.Model.Model.Norm.Weight.Fill_(double.NaN);
        }
    }

    [Fact]
    public void ResumeAfterSigkillGivesBitIdenticalWeights()
    {
        // A model folder and a pre-tokenized training file for the CLI.
        var modelDir = Path.Combine(_dir, "base");
        using (var model = new LlamaForCausalLM(ModelTests.Tiny(), seed: 7)) model.SavePretrained(modelDir);
        var trainFile = Path.Combine(_dir, "train.jsonl");
        File.WriteAllLines(trainFile, Enumerable.Range(0, 24).Select(i =>
        {
            var e = Example(i, 3 + i % 4, 5 + i % 3);
            return new JsonObject { ["input_ids"] = new JsonArray(e.InputIds.Select(x => (JsonNode)x).ToArray()), ["labels"] = new JsonArray(e.Labels.Select(x => (JsonNode)x).ToArray()) }.ToJsonString();
        }));
        string Job(string name, string? resume) 
        {
            var path = Path.Combine(_dir, name + ".json");
            var o = new JsonObject
            {
                ["model_name_or_path"] = modelDir, ["train_file"] = trainFile, ["output_dir"] = Path.Combine(_dir, name),
                ["learning_rate"] = 3e-3, ["num_train_epochs"] = 4, ["per_device_train_batch_size"] = 3, ["gradient_accumulation_steps"] = 2,
                ["save_steps"] = 2, ["logging_steps"] = 1, ["device"] = "cpu", ["seed"] = 3, ["lr_scheduler_type"] = "cosine", ["warmup_steps"] = 2,
                ["weight_decay"] = 0.1, ["resume_from_checkpoint"] = resume,
            };
            // Dropout inside LoRA is the only randomness in the forward pass of this model; keep full fine-tuning here.
            File.WriteAllText(path, o.ToJsonString());
            return path;
        }
        var (code, stdout, stderr) = CliRunner.Run("train", "--config", Job("straight", null));
        Assert.True(code == 0, stdout + stderr);

        // The same run, killed with SIGKILL once a middle checkpoint exists, then resumed.
        var killedOut = Path.Combine(_dir, "killed");
        var job = Job("killed", "latest");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SftLab.Cli.dll"));
        foreach (var a in new[] { "train", "--config", job }) psi.ArgumentList.Add(a);
        using (var child = Process.Start(psi)!)
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (Checkpoints.List(killedOut).Count < 2 && !child.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.False(child.HasExited, "the run finished before it could be killed");
            Process.Start("kill", ["-9", child.Id.ToString()])!.WaitForExit();
            child.WaitForExit();
        }
        var partial = Checkpoints.Latest(killedOut)!;
        var final = Path.Combine(_dir, "straight", Path.GetFileName(Checkpoints.Latest(Path.Combine(_dir, "straight")))!);
        Assert.NotEqual(Path.GetFileName(final), Path.GetFileName(partial));
        (code, stdout, stderr) = CliRunner.Run("train", "--config", job);
        Assert.True(code == 0, stdout + stderr);

        using var scope = DisposeScope.Begin();
        var straight = SafeTensors.Load(Path.Combine(final, "model.safetensors"));
        var resumed = SafeTensors.Load(Path.Combine(Checkpoints.Latest(killedOut)!, "model.safetensors"));
        Assert.Equal(straight.Keys.Order(), resumed.Keys.Order());
        foreach (var (k, t) in straight) Assert.True(t.ToBytes().SequenceEqual(resumed[k].ToBytes()), $"{k} differs after resume");
    }
}
