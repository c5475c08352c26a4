using System.CommandLine;
using SftLab.Evaluation;
using SftLab.Torch;

namespace SftLab.Cli;

/// <summary>`sftlab compare --config FILE.json`: SFT vs zero-shot vs few-shot vs RAG vs SFT+RAG on one test set, with a report.</summary>
internal sealed class CompareCommand : ICommandFactory
{
    public Command Create()
    {
        var config = new Option<string>("--config") { Description = "Comparison config (base_model, sft_model, methods, seeds, test_file...).", Required = true };
        var maxItems = new Option<int?>("--max-items") { Description = "Override max_items (a quick run)." };
        var cmd = new Command("compare", "Compare SFT with zero-shot, few-shot and RAG on a test set; writes report.html, results.md/json and per-example outputs.") { config, maxItems };
        cmd.SetAction(p =>
        {
            var c = CompareConfig.Load(p.GetValue(config)!);
            if (p.GetValue(maxItems) is { } m) c = c with { MaxItems = m };
            Console.WriteLine(TorchRuntime.Describe());
            var result = Comparison.Run(c, Console.WriteLine);
            Console.WriteLine();
            Console.WriteLine(result.ToMarkdown());
            return 0;
        });
        return cmd;
    }
}
