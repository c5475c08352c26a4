using System.CommandLine;
using SftLab.Models;
using SftLab.Torch;

namespace SftLab.Cli;

/// <summary>`sftlab generate --model DIR --prompt TEXT [--chat]`: streams a continuation (or a chat reply) to the console.</summary>
internal sealed class GenerateCommand : ICommandFactory
{
    public Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model folder (with tokenizer.json).", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "The text to continue, or the user message with --chat.", Required = true };
        var chat = new Option<bool>("--chat") { Description = "Treat the prompt as a user message and apply the chat template." };
        var system = new Option<string?>("--system") { Description = "System prompt (with --chat)." };
        var maxNew = new Option<int>("--max-new-tokens") { DefaultValueFactory = _ => 64 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy.", DefaultValueFactory = _ => 0 };
        var topK = new Option<int>("--top-k") { DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { DefaultValueFactory = _ => 1.0 };
        var penalty = new Option<double>("--repetition-penalty") { DefaultValueFactory = _ => 1.0 };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 0UL };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "auto" };
        var cmd = new Command("generate", "Generate text with a model: a continuation, or a chat reply with --chat.")
        {
            model, prompt, chat, system, maxNew, temperature, topK, topP, penalty, seed, device,
        };
        cmd.SetAction(p =>
        {
            var t = p.GetValue(temperature);
            var config = new GenerationConfig
            {
                MaxNewTokens = p.GetValue(maxNew),
                DoSample = t > 0,
                Temperature = t > 0 ? t : 1,
                TopK = p.GetValue(topK),
                TopP = p.GetValue(topP),
                RepetitionPenalty = p.GetValue(penalty),
                Seed = p.GetValue(seed),
            };
            using var session = Chat.FromPretrained(p.GetValue(model)!, Device.Parse(p.GetValue(device)!));
            if (p.GetValue(chat)) session.Ask(p.GetValue(prompt)!, p.GetValue(system), config, Console.Write);
            else
            {
                Console.Write(p.GetValue(prompt));
                session.Complete(p.GetValue(prompt)!, config, Console.Write);
            }
            Console.WriteLine();
            return 0;
        });
        return cmd;
    }
}
