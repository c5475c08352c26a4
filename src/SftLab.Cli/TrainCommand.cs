using System.CommandLine;
using SftLab.Models;
using SftLab.Torch;
using SftLab.Training;
using Spectre.Console;

namespace SftLab.Cli;

/// <summary>`sftlab train --config FILE.json`: a full SFT (or pretraining) job with progress lines, checkpoints and metrics.</summary>
internal sealed class TrainCommand : ICommandFactory
{
    public Command Create()
    {
        var config = new Option<string>("--config") { Description = "Job file: SftConfig fields (snake_case) plus model_name_or_path, train_file, eval_file; every key is in docs/training.md.", Required = true };
        var cmd = new Command("train", "Run an SFT job from a JSON config: checkpoints, metrics.jsonl and the final model in output_dir.") { config };
        cmd.SetAction(p => Run(p.GetValue(config)!));
        return cmd;
    }

    private static int Run(string configPath)
    {
        var job = TrainJob.Load(configPath);
        Console.WriteLine(TorchRuntime.Describe());
        // Pre-tokenized ({"input_ids","labels"}) or raw datasets (messages, prompt-completion, instruction, text), detected.
        var train = job.LoadTrainExamples();
        var eval = job.LoadEvalExamples();
        var device = Device.Parse(job.Config.Device);
        using var model = LlamaForCausalLM.FromPretrained(job.ModelNameOrPath, device, DTypes.Parse(job.Config.DType));
        var pad = model.Config.PadTokenId ?? (model.Config.EosTokenIds.Count > 0 ? model.Config.EosTokenIds[0] : 0);
        using var trainer = new SftTrainer(model, job.Config, train, eval, job.CreateBatcher(pad));
        trainer.Callbacks.Add(new DashboardCallback(Path.GetFileName(job.Config.OutputDir)));
        Console.WriteLine($"{train.Count} training examples, {trainer.TotalSteps} steps, output in {job.Config.OutputDir}");
        if (Spectre.Console.AnsiConsole.Profile.Capabilities.Interactive)
        {
            // A live progress bar on a terminal; log lines scroll above it.
            Spectre.Console.AnsiConsole.Progress()
                .Columns(new Spectre.Console.TaskDescriptionColumn(), new Spectre.Console.ProgressBarColumn(), new Spectre.Console.PercentageColumn(),
                         new Spectre.Console.RemainingTimeColumn(), new Spectre.Console.SpinnerColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("training", maxValue: trainer.TotalSteps);
                    trainer.Callbacks.Add(new ConsoleProgressCallback(task));
                    trainer.Train();
                });
        }
        else
        {
            trainer.Callbacks.Add(new ConsoleProgressCallback(null));
            trainer.Train();
        }
        // The final model, loadable as a Hugging Face folder (with the tokenizer when the job named one).
        var final = Path.Combine(job.Config.OutputDir, "final");
        if (job.Config.Lora is { } lora) Lora.SaveAdapter(model, final, lora);
        else model.SavePretrained(final);
        job.SaveTokenizer(final);
        Console.WriteLine($"final model: {final}; report: {Path.Combine(job.Config.OutputDir, "report.html")}");
        return 0;
    }

    /// <summary>Log lines (and, on a terminal, a Spectre.Console progress bar).</summary>
    private sealed class ConsoleProgressCallback(Spectre.Console.ProgressTask? task) : ITrainerCallback
    {
        public void OnStepEnd(SftTrainer t)
        {
            if (task != null) task.Value = t.State.GlobalStep;
        }

        public void OnLog(SftTrainer t, IReadOnlyDictionary<string, double> m) =>
            AnsiConsole.WriteLine($"step {m["step"],6}/{t.TotalSteps}  loss {m["loss"]:F4}  acc {m["mean_token_accuracy"]:P1}  lr {m["learning_rate"]:G3}  grad {m["grad_norm"]:F3}  {m["tokens_per_second"]:F0} tok/s");

        public void OnEvaluate(SftTrainer t, IReadOnlyDictionary<string, double> m) =>
            AnsiConsole.WriteLine($"step {m["step"],6}  eval_loss {m["eval_loss"]:F4}  eval_ppl {m["eval_perplexity"]:F2}");

        public void OnSave(SftTrainer t, string folder) => AnsiConsole.WriteLine($"saved {folder}");
    }
}
