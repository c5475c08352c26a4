using System.CommandLine;
using System.Diagnostics;
using SftLab.Models;
using SftLab.Torch;

namespace SftLab.Cli;

/// <summary>
/// `sftlab demo`: the smoke test of the whole stack. Trains a tiny character-level transformer
/// for a few hundred steps on a built-in text and prints the loss falling.
/// </summary>
internal sealed class DemoCommand : ICommandFactory
{
    private const string Corpus =
        "Supervised fine-tuning teaches a pretrained language model to answer in a chosen style. " +
        "The model reads a prompt, predicts the next token, and the loss measures how surprised it was. " +
        "Gradients flow back through every layer, and the optimizer nudges each weight a little. " +
        "After enough steps the loss falls and the model writes text that looks like its training data. ";

    public Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "Training steps.", DefaultValueFactory = _ => 200 };
        var lr = new Option<double>("--lr") { Description = "Learning rate of AdamW.", DefaultValueFactory = _ => 3e-3 };
        var device = new Option<string>("--device") { Description = "cpu, cuda or auto.", DefaultValueFactory = _ => "auto" };
        var seed = new Option<ulong>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 0UL };
        var cmd = new Command("demo", "Train a tiny transformer for a few steps and print the loss falling (the smoke test).")
        {
            steps, lr, device, seed,
        };
        cmd.SetAction(p => Run(p.GetValue(steps), p.GetValue(lr), Device.Parse(p.GetValue(device)!), p.GetValue(seed)));
        return cmd;
    }

    public static int Run(int steps, double lr, Device device, ulong seed)
    {
        Console.WriteLine(TorchRuntime.Describe());
        var chars = Corpus.Distinct().OrderBy(c => c).ToArray();
        var index = chars.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => (long)x.i);
        var data = Corpus.Select(c => index[c]).ToArray();
        const int context = 32, batch = 16;

        using var model = new TinyCharTransformer(chars.Length, context, dim: 64, heads: 4, layers: 2, seed: seed);
        model.To(device);
        Console.WriteLine($"model: {model.ParameterCount():N0} parameters, vocabulary of {chars.Length} characters, device {device}");
        using var optimizer = new AdamW(ParamGroups.WithNoDecay(model, 0.01), learningRate: lr);
        var rng = new Random((int)seed);
        var sw = Stopwatch.StartNew();
        double first = double.NaN, last = double.NaN;
        for (var step = 1; step <= steps; step++)
        {
            using var scope = DisposeScope.Begin();
            var rows = new long[batch * (context + 1)];
            for (var b = 0; b < batch; b++)
            {
                var start = rng.Next(data.Length - context - 1);
                Array.Copy(data, start, rows, b * (context + 1), context + 1);
            }
            var ids = Tensor.From<long>(rows, [batch, context + 1], device);
            var loss = model.Loss(ids);
            optimizer.ZeroGrad();
            loss.Backward();
            Functional.ClipGradNorm(model.Parameters(), 1.0);
            optimizer.Step();
            var value = loss.ToDouble();
            if (step == 1) first = value;
            last = value;
            if (step == 1 || step % 20 == 0 || step == steps)
                Console.WriteLine($"step {step,4}  loss {value:F4}  ({sw.Elapsed.TotalSeconds:F1} s)");
        }
        Console.WriteLine($"loss fell from {first:F4} to {last:F4} in {steps} steps ({sw.Elapsed.TotalSeconds:F1} s)");
        Console.WriteLine($"live native tensors after training: {TorchRuntime.LiveTensorCount} (the parameters and AdamW's moments; every step's temporaries were freed)");

        // Greedy continuation: the model has memorised fragments of the text.
        model.Eval();
        var text = new System.Text.StringBuilder("The model");
        using (Autograd.NoGrad())
            for (var i = 0; i < 80; i++)
            {
                using var scope = DisposeScope.Begin();
                var window = text.ToString()[Math.Max(0, text.Length - context)..].Select(c => index[c]).ToArray();
                var logits = model.Forward(Tensor.From<long>(window, [1, window.Length], device));
                text.Append(chars[logits.Select(1, window.Length - 1).Argmax().ToInt64()]);
            }
        Console.WriteLine($"greedy sample: \"{text}\"");
        return last < first ? 0 : 1;
    }
}
