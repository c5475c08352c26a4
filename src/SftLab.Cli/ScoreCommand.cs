using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using SftLab.Models;
using SftLab.Torch;

namespace SftLab.Cli;

/// <summary>
/// `sftlab score --model DIR --input IN.jsonl --output OUT.jsonl`: per-token log-probabilities.
/// Each input line is <c>{"ids": [...]}</c>; each output line <c>{"logprobs": [...]}</c> holds
/// log p(ids[i+1] | ids[..i]) for every i. Lines are processed in order; a bad line stops the run
/// with its line number, after the lines before it were written.
/// </summary>
internal sealed class ScoreCommand : ICommandFactory
{
    public Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model folder.", Required = true };
        var input = new Option<string>("--input") { Description = "JSONL file of {\"ids\": [...]} lines ('-' for stdin).", Required = true };
        var output = new Option<string>("--output") { Description = "JSONL file to write ('-' for stdout).", Required = true };
        var device = new Option<string>("--device") { Description = "cpu, cuda or auto.", DefaultValueFactory = _ => "cpu" };
        var dtype = new Option<string>("--dtype") { Description = "float32, bfloat16 or float16.", DefaultValueFactory = _ => "float32" };
        var cmd = new Command("score", "Per-token log-probabilities of token sequences under a model.") { model, input, output, device, dtype };
        cmd.SetAction(p => Run(p.GetValue(model)!, p.GetValue(input)!, p.GetValue(output)!, Device.Parse(p.GetValue(device)!), DTypes.Parse(p.GetValue(dtype)!)));
        return cmd;
    }

    private static int Run(string modelDir, string inputPath, string outputPath, Device device, DType dtype)
    {
        using var model = LlamaForCausalLM.FromPretrained(modelDir, device, dtype);
        model.Eval();
        using var reader = inputPath == "-" ? Console.In : new StreamReader(inputPath);
        using var writer = outputPath == "-" ? Console.Out : new StreamWriter(outputPath);
        var name = inputPath == "-" ? "stdin" : inputPath;
        var lineNo = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            long[] ids;
            try
            {
                var node = JsonNode.Parse(line) as JsonObject ?? throw new FormatException("expected a JSON object");
                var arr = node["ids"] as JsonArray ?? throw new FormatException("missing field 'ids' (an array of token ids)");
                ids = arr.Select((v, i) => v is JsonValue jv && jv.TryGetValue<long>(out var id)
                    ? id : throw new FormatException($"ids[{i}] is not an integer")).ToArray();
                var bad = Array.FindIndex(ids, id => id < 0 || id >= model.Config.VocabSize);
                if (bad >= 0) throw new FormatException($"ids[{bad}] = {ids[bad]} is outside the vocabulary [0, {model.Config.VocabSize})");
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
            {
                writer.Flush();
                Console.Error.WriteLine($"{name}:{lineNo}: {e.Message}");
                return 2;
            }
            var logprobs = Scoring.LogProbs(model, ids);
            writer.WriteLine(JsonSerializer.Serialize(new { logprobs }));
        }
        return 0;
    }
}
