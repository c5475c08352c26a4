using System.CommandLine;
using SftLab.Torch;
using SftLab.Training;

namespace SftLab.Cli;

/// <summary>`sftlab pretrain --config models/NAME/pretrain.json`: makes the embedded base model (tokenizer + pretraining).</summary>
internal sealed class PretrainCommand : ICommandFactory
{
    public Command Create()
    {
        var config = new Option<string?>("--config") { Description = "A pretrain.json (default settings when omitted)." };
        var steps = new Option<int?>("--max-steps") { Description = "Override training.max_steps." };
        var output = new Option<string?>("--output") { Description = "Override the output folder." };
        var cmd = new Command("pretrain", "Train the kit's BPE tokenizer and pretrain the small base model on the plain-text corpus.") { config, steps, output };
        cmd.SetAction(p =>
        {
            var c = p.GetValue(config) is { } path ? PretrainConfig.Load(path) : new PretrainConfig();
            if (p.GetValue(steps) is { } s) c = c with { Training = c.Training with { MaxSteps = s } };
            if (p.GetValue(output) is { } o) c = c with { Output = o };
            Console.WriteLine(TorchRuntime.Describe());
            Pretraining.Run(c, line => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}"));
            return 0;
        });
        return cmd;
    }
}
