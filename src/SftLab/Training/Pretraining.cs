using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SftLab.ChatTemplates;
using SftLab.Data;
using SftLab.IO;
using SftLab.Models;
using SftLab.Tokenization;
using SftLab.Torch;
using SftLab.Visualization;

namespace SftLab.Training;

/// <summary>
/// How the kit's embedded base model is made: a byte-level BPE tokenizer trained on the plain-text
/// corpus, then a small Llama-architecture model pretrained on the same corpus (every token
/// learned, documents packed into rows and separated by the end-of-text token). One JSON file
/// holds every setting, so <c>sftlab pretrain --config models/NAME/pretrain.json</c> reproduces it.
/// </summary>
public sealed record PretrainConfig
{
    /// <summary>Folder of the corpus: train.txt and validation.txt, documents separated by blank lines.</summary>
    public string Corpus { get; init; } = "datasets/pretraining";
    /// <summary>Where the finished model (Hugging Face layout), its tokenizer and model card go.</summary>
    public string Output { get; init; } = "models/sftlab-tiny";
    /// <summary>Vocabulary size of the BPE tokenizer (special tokens included).</summary>
    public int VocabSize { get; init; } = 4096;
    /// <summary>Width of the residual stream.</summary>
    public int HiddenSize { get; init; } = 256;
    /// <summary>Number of transformer blocks.</summary>
    public int NumHiddenLayers { get; init; } = 4;
    /// <summary>Query heads.</summary>
    public int NumAttentionHeads { get; init; } = 8;
    /// <summary>Key/value heads (grouped-query attention).</summary>
    public int NumKeyValueHeads { get; init; } = 4;
    /// <summary>Width of the MLP.</summary>
    public int IntermediateSize { get; init; } = 640;
    /// <summary>Longest context: rows are packed to this length.</summary>
    public int MaxLength { get; init; } = 512;
    /// <summary>The training knobs (output_dir holds checkpoints; max_steps, learning_rate, batch size...).</summary>
    public SftConfig Training { get; init; } = new()
    {
        OutputDir = "build/pretrain",
        LearningRate = 3e-3,
        LrSchedulerType = "cosine",
        WarmupSteps = 100,
        MaxSteps = 1500,
        PerDeviceTrainBatchSize = 16,
        WeightDecay = 0.1,
        MaxGradNorm = 1.0,
        LoggingSteps = 10,
        EvalSteps = 250,
        SaveSteps = 250,
        SaveTotalLimit = 2,
        Seed = 1234,
        Device = "auto",
        MaxLength = 512,
        Packing = true,
        ResumeFromCheckpoint = "latest",
    };

    public static readonly JsonSerializerOptions JsonOptions = new(SftConfig.JsonOptions);

    /// <summary>Reads a config; relative paths are relative to the current directory (the repo root).</summary>
    public static PretrainConfig Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<PretrainConfig>(File.ReadAllText(path), JsonOptions) ?? throw new InvalidDataException($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}

/// <summary>Runs a <see cref="PretrainConfig"/>: tokenizer, model, training, model card.</summary>
public static class Pretraining
{
    /// <summary>The end-of-text token that separates documents (and pads).</summary>
    public const string EndOfText = "<|endoftext|>";

    /// <summary>Documents of a corpus file: blocks separated by blank lines.</summary>
    public static List<string> ReadDocuments(string path) =>
        File.ReadAllText(path).Replace("\r\n", "\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    /// <summary>Trains the byte-level BPE tokenizer with ChatML special tokens and template (as SmolLM2 uses).</summary>
    public static Tokenizer TrainTokenizer(IEnumerable<string> documents, int vocabSize, int maxLength) => new BpeTrainer
    {
        VocabSize = vocabSize,
        SpecialTokens = [EndOfText, "<|im_start|>", "<|im_end|>"],
        BosToken = EndOfText,
        EosToken = EndOfText,
        PadToken = EndOfText,
        ChatTemplate = BuiltinChatTemplates.Get("chatml").Source,
        ModelMaxLength = maxLength,
    }.Train(documents);

    /// <summary>Every document as an all-tokens example ending with the end-of-text token.</summary>
    public static List<TokenizedExample> Tokenize(Tokenizer tokenizer, IReadOnlyList<string> documents)
    {
        var eot = tokenizer.TokenToId(EndOfText) ?? throw new InvalidOperationException($"the tokenizer has no {EndOfText}");
        return tokenizer.EncodeBatch(documents, addSpecialTokens: false)
            .Select(e => TokenizedExample.AllTokens(e.Ids.Select(i => (long)i).Append(eot).ToArray()))
            .ToList();
    }

    /// <summary>Runs the whole recipe; <paramref name="log"/> receives progress lines.</summary>
    public static void Run(PretrainConfig config, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        var train = ReadDocuments(Path.Combine(config.Corpus, "train.txt"));
        var validation = ReadDocuments(Path.Combine(config.Corpus, "validation.txt"));
        log($"corpus: {train.Count:N0} training and {validation.Count:N0} validation documents");

        var tokenizer = TrainTokenizer(train, config.VocabSize, config.MaxLength);
        log($"tokenizer: {tokenizer.VocabSize} tokens ({clock.Elapsed.TotalSeconds:F0} s)");
        var trainExamples = Tokenize(tokenizer, train);
        var validationExamples = Tokenize(tokenizer, validation);
        long trainTokens = trainExamples.Sum(e => e.Length);
        log($"tokenized: {trainTokens:N0} training tokens, {validationExamples.Sum(e => e.Length):N0} validation tokens");

        var eot = tokenizer.TokenToId(EndOfText)!.Value;
        var modelConfig = new LlamaConfig
        {
            ModelType = "llama",
            VocabSize = tokenizer.VocabSize,
            HiddenSize = config.HiddenSize,
            IntermediateSize = config.IntermediateSize,
            NumHiddenLayers = config.NumHiddenLayers,
            NumAttentionHeads = config.NumAttentionHeads,
            NumKeyValueHeads = config.NumKeyValueHeads,
            MaxPositionEmbeddings = config.MaxLength * 2,
            RmsNormEps = 1e-5,
            RopeTheta = 10000,
            TieWordEmbeddings = true,
            BosTokenId = eot,
            EosTokenIds = [eot],
            PadTokenId = eot,
        };
        var training = config.Training with { MaxLength = config.MaxLength, Packing = true };
        using var model = new LlamaForCausalLM(modelConfig, training.Seed);
        log($"model: {model.ParameterCount():N0} parameters");
        var batcher = new PackedBatcher(config.MaxLength, eot, "keep_start", training.Seed);
        using var trainer = new SftTrainer(model, training, trainExamples, validationExamples, batcher);
        trainer.Callbacks.Add(new DelegateCallback(m => log(string.Join("  ", m.Select(kv => $"{kv.Key} {kv.Value:G5}")))));
        var state = trainer.Train();
        // Train() evaluates at the end: reuse that instead of evaluating twice.
        var last = state.LogHistory.Last(m => m.ContainsKey("eval_loss"));
        var (evalLoss, evalAccuracy) = (last["eval_loss"], last["eval_mean_token_accuracy"]);
        log($"trained {state.GlobalStep} steps in {clock.Elapsed.TotalMinutes:F1} min; validation loss {evalLoss:F3} (perplexity {Math.Exp(evalLoss):F1})");

        Directory.CreateDirectory(config.Output);
        model.SavePretrained(config.Output);
        tokenizer.Save(config.Output);
        AtomicFile.WriteAllText(Path.Combine(config.Output, "pretrain.json"), JsonSerializer.Serialize(config, PretrainConfig.JsonOptions) + "\n");
        var curve = LossCurve(state);
        try
        {
            curve.SavePng(Path.Combine(config.Output, "loss.png"), 900, 450);
        }
        catch (Exception e)
        {
            log($"(no loss.png: {e.Message})");
        }
        AtomicFile.WriteAllText(Path.Combine(config.Output, "README.md"),
            ModelCard(config, modelConfig, model.ParameterCount(), trainTokens, state, evalLoss, evalAccuracy, clock.Elapsed));
        log($"saved {config.Output}");
    }

    private static Figure LossCurve(TrainerState state)
    {
        var train = state.LogHistory.Where(m => m.ContainsKey("loss")).ToList();
        var eval = state.LogHistory.Where(m => m.ContainsKey("eval_loss")).ToList();
        return Chart.Line(train.Select(m => m["step"]), train.Select(m => m["loss"]), name: "train loss")
            .Combine(Chart.Line(eval.Select(m => m["step"]), eval.Select(m => m["eval_loss"]), name: "validation loss", markers: true))
            .WithTitle("Pretraining loss").WithXAxis("step").WithYAxis("cross-entropy (nats/token)");
    }

    private static string ModelCard(PretrainConfig c, LlamaConfig m, long parameters, long tokens, TrainerState state, double evalLoss, double evalAccuracy, TimeSpan took)
    {
        var t = c.Training;
        var sb = new StringBuilder();
        sb.AppendLine($"# {Path.GetFileName(Path.GetFullPath(c.Output))}: the kit's embedded base model");
        sb.AppendLine();
        sb.AppendLine("A small Llama-architecture language model pretrained by SftLab's own trainer on the kit's");
        sb.AppendLine("plain-text corpus, with SftLab's own byte-level BPE tokenizer. It is the default model of the");
        sb.AppendLine("notebooks and of `./run.sh`: small enough to fine-tune on two CPU cores in minutes. It is a");
        sb.AppendLine("*base* model: it continues text; it has never seen a chat. Supervised fine-tuning teaches it that.");
        sb.AppendLine();
        sb.AppendLine("| | |");
        sb.AppendLine("| --- | --- |");
        sb.AppendLine($"| architecture | LlamaForCausalLM: {m.NumHiddenLayers} layers, hidden {m.HiddenSize}, {m.NumAttentionHeads} heads ({m.NumKeyValueHeads} key/value heads), MLP {m.IntermediateSize}, tied embeddings |");
        sb.AppendLine($"| parameters | {parameters:N0} |");
        sb.AppendLine($"| tokenizer | byte-level BPE, {m.VocabSize} tokens; `<|endoftext|>` separates documents (bos = eos = pad); ChatML template (`<|im_start|>`, `<|im_end|>`) for SFT |");
        sb.AppendLine($"| context | {c.MaxLength} tokens (documents packed into rows, attention kept within each document) |");
        sb.AppendLine($"| data | `{c.Corpus}` ({tokens:N0} training tokens) — see its README |");
        sb.AppendLine($"| training | {state.GlobalStep} steps × {t.PerDeviceTrainBatchSize} rows × {c.MaxLength} tokens, AdamW lr {t.LearningRate} ({t.LrSchedulerType}, {t.WarmupSteps} warmup), weight decay {t.WeightDecay}, seed {t.Seed}; {state.TokensSeen:N0} tokens seen; {took.TotalMinutes:F0} min on {Environment.ProcessorCount} CPU cores |");
        sb.AppendLine($"| validation | loss {evalLoss:F3} nats/token (perplexity {Math.Exp(evalLoss):F1}), next-token accuracy {evalAccuracy:P1} |");
        sb.AppendLine();
        sb.AppendLine("![loss curve](loss.png)");
        sb.AppendLine();
        sb.AppendLine("## Reproduce");
        sb.AppendLine();
        sb.AppendLine("```bash");
        sb.AppendLine($"./sftlab pretrain --config {Path.Combine(c.Output, "pretrain.json")}");
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine("Same seed, same data, same thread count: the same weights (checkpoints resume exactly).");
        sb.AppendLine("Pretraining is not run in CI.");
        sb.AppendLine();
        sb.AppendLine("## License");
        sb.AppendLine();
        sb.AppendLine("The weights are made from the kit's CC0 corpus by the kit's code; released under CC0 1.0.");
        return sb.ToString();
    }
}
