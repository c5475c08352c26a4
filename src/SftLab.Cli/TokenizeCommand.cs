using System.CommandLine;
using System.Text;
using System.Text.Json;
using SftLab.Tokenization;

namespace SftLab.Cli;

/// <summary>
/// `sftlab tokenize`: encodes JSON lines {"text": ...} into {"ids": [...], "tokens": [...]}, or with
/// --decode turns {"ids": [...]} back into {"text": ...}. The tokenizer is a tokenizer.json, a
/// .tiktoken file, or a model folder. Lines are processed in parallel batches; the output is
/// written to a temporary file and renamed at the end, so a failed run leaves no half file.
/// </summary>
internal sealed class TokenizeCommand : ICommandFactory
{
    public Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer.json, a .tiktoken file, or a folder with tokenizer.json.", Required = true };
        var input = new Option<string?>("--input") { Description = "Input JSONL (default: standard input)." };
        var output = new Option<string?>("--output") { Description = "Output JSONL (default: standard output)." };
        var special = new Option<bool>("--add-special-tokens") { Description = "Add the special tokens the tokenizer's post-processor adds (e.g. BOS)." };
        var decode = new Option<bool>("--decode") { Description = "Read {\"ids\": [...]} lines and write {\"text\": ...}." };
        var skip = new Option<bool>("--skip-special-tokens") { Description = "With --decode: leave special tokens out of the text." };
        var cmd = new Command("tokenize", "Encode JSONL texts to token ids (or decode ids with --decode).")
        {
            tokenizer, input, output, special, decode, skip,
        };
        cmd.SetAction(p => Run(p.GetValue(tokenizer)!, p.GetValue(input), p.GetValue(output), p.GetValue(special), p.GetValue(decode), p.GetValue(skip)));
        return cmd;
    }

    public static int Run(string tokenizerPath, string? input, string? output, bool addSpecialTokens, bool decode, bool skipSpecial)
    {
        Tokenizer tok;
        try
        {
            tok = Directory.Exists(tokenizerPath) ? Tokenizer.FromFolder(tokenizerPath) : Tokenizer.FromFile(tokenizerPath);
        }
        catch (Exception e) when (e is TokenizerFormatException or IOException or ArgumentException)
        {
            Console.Error.WriteLine($"sftlab tokenize: {e.Message}");
            return 2;
        }
        var inName = input ?? "<stdin>";
        string? tmp = output == null ? null : output + ".tmp-" + Environment.ProcessId;
        try
        {
            using var reader = input == null ? new StreamReader(Console.OpenStandardInput(), System.Text.Encoding.UTF8) : new StreamReader(input, System.Text.Encoding.UTF8);
            using (var writer = tmp == null ? new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) : new StreamWriter(tmp, false, new UTF8Encoding(false)))
            {
                var lineNo = 0;
                var batch = new List<(int Line, string? Text, int[]? Ids)>();
                void Flush()
                {
                    if (batch.Count == 0) return;
                    if (decode)
                    {
                        foreach (var (line, _, ids) in batch)
                        {
                            string text;
                            try { text = tok.Decode(ids!, skipSpecial, cleanUpTokenizationSpaces: false); }
                            catch (ArgumentOutOfRangeException e) { throw new InvalidDataException($"{inName} line {line}: {e.Message.Split(" (Parameter")[0]}"); }
                            writer.Write(JsonSerializer.Serialize(new { text }, JsonOptions));
                            writer.Write('\n');
                        }
                    }
                    else
                    {
                        var encs = tok.EncodeBatch(batch.Select(b => b.Text!).ToArray(), addSpecialTokens);
                        foreach (var e in encs)
                        {
                            writer.Write(JsonSerializer.Serialize(new { ids = e.Ids, tokens = e.Tokens }, JsonOptions));
                            writer.Write('\n');
                        }
                    }
                    batch.Clear();
                }
                while (reader.ReadLine() is { } raw)
                {
                    lineNo++;
                    if (raw.Trim().Length == 0) continue;
                    JsonElement root;
                    try
                    {
                        using var doc = JsonDocument.Parse(raw);
                        root = doc.RootElement.Clone();
                    }
                    catch (JsonException e)
                    {
                        throw new InvalidDataException($"{inName} line {lineNo}: not valid JSON ({e.Message})");
                    }
                    if (decode)
                    {
                        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("ids", out var idsEl) || idsEl.ValueKind != JsonValueKind.Array)
                            throw new InvalidDataException($"{inName} line {lineNo}: expected an object with an \"ids\" array");
                        var ids = new int[idsEl.GetArrayLength()];
                        var k = 0;
                        foreach (var v in idsEl.EnumerateArray())
                        {
                            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out ids[k]))
                                throw new InvalidDataException($"{inName} line {lineNo}: ids[{k}] is not an integer");
                            k++;
                        }
                        batch.Add((lineNo, null, ids));
                    }
                    else
                    {
                        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String)
                            throw new InvalidDataException($"{inName} line {lineNo}: expected an object with a \"text\" string");
                        batch.Add((lineNo, t.GetString()!, null));
                    }
                    if (batch.Count >= 2048) Flush();
                }
                Flush();
            }
            if (tmp != null) File.Move(tmp, output!, overwrite: true);
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            if (tmp != null && File.Exists(tmp)) File.Delete(tmp);
            Console.Error.WriteLine($"sftlab tokenize: {e.Message}");
            return 1;
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
