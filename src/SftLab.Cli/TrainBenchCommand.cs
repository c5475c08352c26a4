using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SftLab.ChatTemplates;
using SftLab.Data;
using SftLab.Models;
using SftLab.Tokenization;
using SftLab.Torch;
using SftLab.Training;
using F = SftLab.Torch.Functional;

namespace SftLab.Cli;

/// <summary>
/// `sftlab bench-train`: the trainer's speed and memory, printed as ratios measured in one run at one
/// thread count.
/// <list type="number">
/// <item>Training tokens/s of SftLab (<see cref="SftTrainer.AccumulateGradients"/> + gradient clipping +
/// AdamW: the body of <see cref="SftTrainer.TrainStep"/>) against a plain python3-torch loop
/// (bench/train_peer.py over tests/oracles/models/llama_reference.py) on the same checkpoint and batch,
/// the two sides' steps interleaved; on SmolLM2-135M's shape (random weights, optionally fewer layers)
/// and on the kit's embedded-model shape. Goal ≥ 1.1x.</item>
/// <item>MFU: achieved FLOP/s against the 1024³ float32 matmul GFLOPS measured in the same run.</item>
/// <item>Packed vs padded effective (non-padding) tokens/s on datasets/sft/train.jsonl rendered with
/// ChatML. Goal ≥ 1.5x.</item>
/// <item>Peak RSS (VmHWM) of LoRA vs full fine-tuning, without and with gradient checkpointing, each in its own
/// child process. Goal ≤ 0.5x.</item>
/// </list>
/// </summary>
internal sealed class TrainBenchCommand : ICommandFactory
{
    private const double LearningRate = 1e-4;
    private const double WeightDecay = 0.01;
    private const double MaxGradNorm = 1.0;

    private sealed record Settings(int Threads, int Steps, int Warmup, int Batch, int Seq, int Layers, string Shape,
        bool SkipRss, bool SkipPacking, int PackExamples, int PackLength, int PackBatch, string Python, int TinySteps);

    public Command Create()
    {
        var threads = new Option<int>("--threads") { Description = "Intra-op threads for SftLab and the python3-torch peer.", DefaultValueFactory = _ => Math.Min(2, Environment.ProcessorCount) };
        var steps = new Option<int>("--steps") { Description = "Timed optimizer steps per side on the SmolLM2 shape (after the warm-up).", DefaultValueFactory = _ => 3 };
        var tinySteps = new Option<int>("--tiny-steps") { Description = "Timed optimizer steps per side on the embedded shape (its steps are ~20x shorter).", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up steps per side.", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch") { Description = "Rows per batch for the throughput and memory figures.", DefaultValueFactory = _ => 2 };
        var seq = new Option<int>("--seq") { Description = "Tokens per row for the throughput and memory figures.", DefaultValueFactory = _ => 128 };
        var layers = new Option<int>("--layers") { Description = "Decoder layers of the SmolLM2-135M shape (30 = the real depth; fewer = a truncated stack).", DefaultValueFactory = _ => 30 };
        var shape = new Option<string>("--shape") { Description = "smollm2, tiny or both (throughput and MFU).", DefaultValueFactory = _ => "both" };
        shape.AcceptOnlyFromAmong("smollm2", "tiny", "both");
        var skipRss = new Option<bool>("--skip-rss") { Description = "Skip the LoRA vs full peak-memory figure." };
        var skipPacking = new Option<bool>("--skip-packing") { Description = "Skip the packed vs padded figure." };
        var packExamples = new Option<int>("--pack-examples") { Description = "Conversations of datasets/sft/train.jsonl used for packed vs padded.", DefaultValueFactory = _ => 256 };
        var packLength = new Option<int>("--pack-length") { Description = "max_length of a packed row (and the truncation length of the examples).", DefaultValueFactory = _ => 512 };
        var packBatch = new Option<int>("--pack-batch") { Description = "Examples per padded micro-batch (packed micro-batches hold about as many token slots).", DefaultValueFactory = _ => 8 };
        var python = new Option<string>("--python") { Description = "Python with torch (the peer).", DefaultValueFactory = _ => "/usr/bin/python3" };
        var cmd = new Command("bench-train", "Training speed vs a python3-torch loop, MFU, packed vs padded tokens/s, LoRA vs full peak RSS (ratios from one run).")
        {
            threads, steps, tinySteps, warmup, batch, seq, layers, shape, skipRss, skipPacking, packExamples, packLength, packBatch, python,
        };
        cmd.SetAction(p => Run(new Settings(p.GetValue(threads), p.GetValue(steps), p.GetValue(warmup), p.GetValue(batch), p.GetValue(seq),
            p.GetValue(layers), p.GetValue(shape)!, p.GetValue(skipRss), p.GetValue(skipPacking), p.GetValue(packExamples),
            p.GetValue(packLength), p.GetValue(packBatch), p.GetValue(python)!, p.GetValue(tinySteps))));

        // The child process of the memory figure: one kind of training in a fresh process, so its VmHWM is its own.
        var mode = new Option<string>("--mode") { Description = "full, lora, full+ckpt or lora+ckpt.", Required = true };
        mode.AcceptOnlyFromAmong(Modes.Select(m => m.Mode).ToArray());
        var cThreads = new Option<int>("--threads") { DefaultValueFactory = _ => 1 };
        var cSteps = new Option<int>("--steps") { DefaultValueFactory = _ => 2 };
        var cBatch = new Option<int>("--batch") { DefaultValueFactory = _ => 2 };
        var cSeq = new Option<int>("--seq") { DefaultValueFactory = _ => 128 };
        var cLayers = new Option<int>("--layers") { DefaultValueFactory = _ => 30 };
        var child = new Command("peak-rss", "(internal) train a few steps and print VmHWM as JSON.") { mode, cThreads, cSteps, cBatch, cSeq, cLayers };
        child.Hidden = true;
        child.SetAction(p => PeakRssChild(p.GetValue(mode)!, p.GetValue(cThreads), p.GetValue(cSteps), p.GetValue(cBatch), p.GetValue(cSeq), p.GetValue(cLayers)));
        cmd.Subcommands.Add(child);
        return cmd;
    }

    // ---------------------------------------------------------------- shapes

    /// <summary>SmolLM2-135M's config.json (random weights), with <paramref name="layers"/> decoder layers.</summary>
    private static LlamaConfig SmolLm2(int layers) => new()
    {
        VocabSize = 49152, HiddenSize = 576, IntermediateSize = 1536, NumHiddenLayers = layers,
        NumAttentionHeads = 9, NumKeyValueHeads = 3, MaxPositionEmbeddings = 8192, RmsNormEps = 1e-5,
        RopeTheta = 100000, TieWordEmbeddings = true, BosTokenId = 0, EosTokenIds = [0], PadTokenId = 0,
    };

    /// <summary>The kit's embedded base model's shape (see <see cref="PretrainConfig"/>).</summary>
    private static LlamaConfig Tiny(int vocab = 4096, long pad = 0) => new()
    {
        VocabSize = vocab, HiddenSize = 256, IntermediateSize = 640, NumHiddenLayers = 4,
        NumAttentionHeads = 8, NumKeyValueHeads = 4, MaxPositionEmbeddings = 1024, RmsNormEps = 1e-5,
        RopeTheta = 10000, TieWordEmbeddings = true, BosTokenId = pad, EosTokenIds = [pad], PadTokenId = pad,
    };

    /// <summary>Parameters that take part in a matrix product per token: the projections of every layer and the (tied) lm_head.</summary>
    private static long MatmulParameters(LlamaConfig c)
    {
        long d = c.HiddenSize, hd = c.EffectiveHeadDim, q = c.NumAttentionHeads * hd, kv = c.NumKeyValueHeads * hd;
        var layer = d * q + 2 * d * kv + q * d + 3 * d * c.IntermediateSize;
        return c.NumHiddenLayers * layer + (long)c.VocabSize * d;
    }

    /// <summary>Training FLOPs per token at sequence length <paramref name="t"/>: 6·N + 12·L·T·(heads·head_dim).</summary>
    private static double TrainFlopsPerToken(LlamaConfig c, long t) =>
        6.0 * MatmulParameters(c) + 12.0 * c.NumHiddenLayers * t * c.NumAttentionHeads * c.EffectiveHeadDim;

    // ---------------------------------------------------------------- the SftLab step

    /// <summary>
    /// SftLab's training step: <see cref="SftTrainer.AccumulateGradients"/> (forward, token-summed loss over the
    /// step's label tokens, backward), global-norm clipping and AdamW with no decay on norms — the body of
    /// <see cref="SftTrainer.TrainStep"/> without the schedule and the logging metrics.
    /// </summary>
    private sealed class CsTrainer : IDisposable
    {
        public SftTrainer Trainer { get; }
        private readonly AdamW _optimizer;
        private readonly List<Parameter> _parameters;

        public CsTrainer(LlamaForCausalLM model, IReadOnlyList<TokenizedExample> examples, string outputDir, LoraConfig? lora = null,
            bool gradientCheckpointing = false)
        {
            var config = new SftConfig
            {
                OutputDir = outputDir, Device = "cpu", LearningRate = LearningRate, WeightDecay = WeightDecay,
                MaxGradNorm = MaxGradNorm, Lora = lora, Shuffle = false, PerDeviceTrainBatchSize = Math.Max(1, examples.Count),
                GradientCheckpointing = gradientCheckpointing,
            };
            Trainer = new SftTrainer(model, config, examples);
            _parameters = model.Parameters().Where(p => p.RequiresGrad).ToList();
            _optimizer = new AdamW(ParamGroups.WithNoDecay(model, WeightDecay), LearningRate, (0.9, 0.999), 1e-8, WeightDecay);
        }

        public double Step(IReadOnlyList<Batch> microBatches)
        {
            _optimizer.ZeroGrad();
            var (loss, _, _) = Trainer.AccumulateGradients(microBatches, withMetrics: false);
            F.ClipGradNorm(_parameters, MaxGradNorm);
            _optimizer.Step();
            _optimizer.ZeroGrad();
            return loss;
        }

        public void Dispose()
        {
            _optimizer.Dispose();
            Trainer.Dispose();
        }
    }

    /// <summary>The benchmark batch: the deterministic pseudo-random grid bench/train_peer.py builds too, every token learned.</summary>
    private static List<TokenizedExample> BenchRows(int batch, int seq, int vocab) =>
        Enumerable.Range(0, batch).Select(b => TokenizedExample.AllTokens(
            Enumerable.Range(0, seq).Select(t => ((b * 1000003L + t * 7919L + 17) * 2654435761L) % vocab).ToArray())).ToList();

    // ---------------------------------------------------------------- the peer process

    private sealed class Peer : IDisposable
    {
        private readonly Process _proc;
        private readonly StringBuilder _stderr = new();
        private readonly string _script;

        public Peer(string python, string script)
        {
            _script = script;
            var psi = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(script);
            _proc = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {python}");
            _proc.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_stderr) _stderr.AppendLine(e.Data); };
            _proc.BeginErrorReadLine();
        }

        public JsonElement Send(object request)
        {
            _proc.StandardInput.WriteLine(JsonSerializer.Serialize(request));
            _proc.StandardInput.Flush();
            var line = _proc.StandardOutput.ReadLine();
            string Err()
            {
                lock (_stderr) return _stderr.ToString().Trim();
            }
            if (line is null) throw new InvalidOperationException($"{_script} exited without answering: {Err()}");
            var reply = JsonDocument.Parse(line).RootElement.Clone();
            if (reply.TryGetProperty("error", out var e)) throw new InvalidOperationException($"{_script}: {e.GetString()} {Err()}".Trim());
            return reply;
        }

        public void Dispose()
        {
            try
            {
                if (!_proc.HasExited)
                {
                    _proc.StandardInput.WriteLine("{\"cmd\": \"quit\"}");
                    _proc.StandardInput.Close();
                    if (!_proc.WaitForExit(10_000)) _proc.Kill();
                }
            }
            catch (Exception)
            {
                // the peer already ended
            }
            _proc.Dispose();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SftLab.sln"))) return d.FullName;
        throw new InvalidOperationException("run from the SftLab repository (SftLab.sln not found above " + AppContext.BaseDirectory + ")");
    }

    private static double MatmulGflops(int n = 1024, int repeats = 5)
    {
        using var scope = DisposeScope.Begin();
        var a = Tensor.Randn([n, n]);
        var b = Tensor.Randn([n, n]);
        for (var i = 0; i < 2; i++) a.Matmul(b).Dispose();
        var best = double.MaxValue;
        for (var r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            a.Matmul(b).Dispose();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best / 1e9;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static double Seconds(Action a)
    {
        var sw = Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalSeconds;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- the run

    private static int Run(Settings s)
    {
        if (s.Threads < 1 || s.Steps < 1 || s.TinySteps < 1 || s.Warmup < 0 || s.Batch < 1 || s.Seq < 2 || s.Layers < 1 || s.PackExamples < 2 || s.PackLength < 16 || s.PackBatch < 1)
            throw new ArgumentException("--threads, --steps, --tiny-steps, --batch, --layers, --pack-batch must be ≥ 1, --seq ≥ 2, --warmup ≥ 0, --pack-examples ≥ 2, --pack-length ≥ 16");
        var root = RepoRoot();
        var script = Path.Combine(root, "bench", "train_peer.py");
        if (!File.Exists(script)) throw new FileNotFoundException($"{script} is missing", script);
        if (!File.Exists(s.Python)) throw new FileNotFoundException($"{s.Python} not found: run scripts/setup.sh (it installs Debian's python3-torch)", s.Python);
        TorchRuntime.NumThreads = s.Threads;
        TorchRuntime.ManualSeed(0);
        var clock = Stopwatch.StartNew();
        var loadStart = LoadAverage();
        Console.WriteLine($"{TorchRuntime.Describe()}; {Environment.ProcessorCount} cores; load average {loadStart} at start");
        var peak = MatmulGflops();
        Console.WriteLine(Inv($"matmul peak: 1024³ float32, best of 5, {s.Threads} threads: {peak:F1} GFLOPS"));

        var work = Path.Combine(Path.GetTempPath(), $"sftlab-bench-train-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        try
        {
            var shapes = new List<(string Name, LlamaConfig Config, int Steps)>();
            if (s.Shape is "smollm2" or "both")
                shapes.Add((s.Layers == 30 ? "SmolLM2-135M" : $"SmolLM2-135M, {s.Layers}/30 layers", SmolLm2(s.Layers), s.Steps));
            if (s.Shape is "tiny" or "both") shapes.Add(("embedded (tiny)", Tiny(), s.TinySteps));

            var results = new List<ThroughputResult>();
            foreach (var (name, config, steps) in shapes)
                results.Add(Throughput(s, name, config, steps, script, work));
            // Peak once more at the end: the machine's load may have changed during the run; keep the best.
            peak = Math.Max(peak, MatmulGflops());

            Console.WriteLine();
            Console.WriteLine(Inv($"1. Training tokens/s, full fine-tuning, AdamW (lr {LearningRate}, weight decay {WeightDecay}, clip {MaxGradNorm}), batch {s.Batch} × seq {s.Seq},"));
            Console.WriteLine($"   {s.Warmup} warm-up step(s) per side, then the timed steps, SftLab and peer steps interleaved; peer: python3-torch {results.FirstOrDefault()?.PeerVersion} plain loop (bench/train_peer.py)");
            Console.WriteLine($"   {"shape",-28} {"parameters",12} {"steps",6} {"SftLab tok/s",13} {"peer tok/s",11} {"ratio",7}  goal");
            foreach (var r in results)
                Console.WriteLine(Inv($"   {r.Name,-28} {r.Parameters,12:N0} {r.Steps,6} {r.CsTokensPerSecond,13:F1} {r.PeerTokensPerSecond,11:F1} {r.CsTokensPerSecond / r.PeerTokensPerSecond,6:F2}x  ≥ 1.1x"));
            foreach (var r in results)
                Console.WriteLine(Inv($"   same model, same data: loss at step 1 {r.CsLosses[0]:F5} vs {r.PeerLosses[0]:F5}; at step {r.CsLosses.Count} {r.CsLosses[^1]:F5} vs {r.PeerLosses[^1]:F5} ({r.Name})"));
            Console.WriteLine("   the cost of gradient checkpointing (SftLab, the same steps with and without it, alternated):");
            foreach (var r in results)
                Console.WriteLine(Inv($"   {r.Name,-28} without {r.Checkpointing.Plain,8:F1} tok/s, with {r.Checkpointing.Checkpointed,8:F1} tok/s: {r.Checkpointing.Plain / r.Checkpointing.Checkpointed,5:F2}x the time per step"));

            Console.WriteLine();
            Console.WriteLine($"2. MFU = achieved FLOP/s ÷ the matmul peak above ({peak.ToString("F1", CultureInfo.InvariantCulture)} GFLOPS, best of start and end)");
            Console.WriteLine("   training FLOPs/token = 6·N + 12·L·T·(heads·head_dim), N = matmul parameters (projections + tied lm_head), T = seq;");
            Console.WriteLine("   the attention term counts the full T×T scores (what this libtorch computes), not the causal half");
            Console.WriteLine($"   {"shape",-28} {"GFLOP/step",11} {"SftLab GFLOPS",14} {"MFU",6} {"peer GFLOPS",12} {"MFU",6}");
            foreach (var r in results)
            {
                var flops = TrainFlopsPerToken(r.Config, s.Seq);
                double cs = flops * r.CsTokensPerSecond / 1e9, py = flops * r.PeerTokensPerSecond / 1e9;
                Console.WriteLine(Inv($"   {r.Name,-28} {flops * s.Batch * s.Seq / 1e9,11:F2} {cs,14:F1} {cs / peak,6:P0} {py,12:F1} {py / peak,6:P0}"));
            }

            if (!s.SkipPacking)
            {
                Console.WriteLine();
                Packing(s, root, work);
            }

            if (!s.SkipRss)
            {
                Console.WriteLine();
                PeakRss(s);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // left behind in the temp folder
            }
        }
        Console.WriteLine();
        Console.WriteLine($"load average {LoadAverage()} at end (start {loadStart}; {Environment.ProcessorCount} cores): with load above the core count, absolute figures are noisy; the ratios come from interleaved measurements of the same run.");
        Console.WriteLine(Inv($"total {clock.Elapsed.TotalSeconds:F0} s"));
        return 0;
    }

    private sealed record ThroughputResult(string Name, LlamaConfig Config, int Steps, long Parameters, double CsTokensPerSecond, double PeerTokensPerSecond,
        List<double> CsLosses, List<double> PeerLosses, string PeerVersion)
    {
        /// <summary>SftLab alone, after the comparison: tokens/s without and with gradient checkpointing, steps alternated.</summary>
        public (double Plain, double Checkpointed) Checkpointing { get; init; }
    }

    private static ThroughputResult Throughput(Settings s, string name, LlamaConfig config, int steps, string script, string work)
    {
        Console.Error.WriteLine($"[bench-train] {name}: building the model and the peer...");
        using var model = new LlamaForCausalLM(config, seed: 1);
        var checkpoint = Path.Combine(work, "model-" + config.NumHiddenLayers + "-" + config.VocabSize);
        model.SavePretrained(checkpoint);
        using var peer = new Peer(s.Python, script);
        var setup = peer.Send(new Dictionary<string, object>
        {
            ["cmd"] = "setup", ["model"] = checkpoint, ["batch"] = s.Batch, ["seq"] = s.Seq, ["threads"] = s.Threads,
            ["lr"] = LearningRate, ["weight_decay"] = WeightDecay, ["max_grad_norm"] = MaxGradNorm,
        });
        Directory.Delete(checkpoint, recursive: true);
        var peerParameters = setup.GetProperty("parameters").GetInt64();
        if (peerParameters != model.ParameterCount())
            throw new InvalidOperationException($"{name}: the peer trains {peerParameters} parameters, SftLab {model.ParameterCount()}");

        var rows = BenchRows(s.Batch, s.Seq, config.VocabSize);
        using var trainer = new CsTrainer(model, rows, Path.Combine(work, "out"));
        var batch = new PaddedBatcher(0).Collate(rows);
        var csLosses = new List<double>();
        var peerLosses = new List<double>();
        double csTime = 0, peerTime = 0;
        double CsStep()
        {
            var loss = 0.0;
            var t = Seconds(() => loss = trainer.Step([batch]));
            csLosses.Add(loss);
            return t;
        }
        double PeerStep()
        {
            var reply = peer.Send(new Dictionary<string, object> { ["cmd"] = "steps", ["n"] = 1 });
            peerLosses.Add(reply.GetProperty("losses")[0].GetDouble());
            return reply.GetProperty("seconds")[0].GetDouble();
        }
        for (var i = 0; i < s.Warmup; i++)
        {
            CsStep();
            PeerStep();
        }
        for (var i = 0; i < steps; i++)
        {
            // Alternate who goes first, so a change of load during the run falls on both sides alike.
            if (i % 2 == 0)
            {
                csTime += CsStep();
                peerTime += PeerStep();
            }
            else
            {
                peerTime += PeerStep();
                csTime += CsStep();
            }
            if ((i + 1) % Math.Max(1, steps / 4) == 0 || i + 1 == steps)
                Console.Error.WriteLine(Inv($"[bench-train] {name}: step {i + 1}/{steps}: SftLab {csTime / (i + 1):F2} s/step, peer {peerTime / (i + 1):F2} s/step"));
        }
        double tokens = (double)steps * s.Batch * s.Seq;
        // What gradient checkpointing costs: the same steps with and without it, alternated (SftLab only; the
        // weights keep training, so these losses are not compared).
        double plainTime = 0, ckptTime = 0;
        for (var i = 0; i < steps; i++)
        {
            model.GradientCheckpointing = true;
            ckptTime += Seconds(() => trainer.Step([batch]));
            model.GradientCheckpointing = false;
            plainTime += Seconds(() => trainer.Step([batch]));
        }
        Console.Error.WriteLine(Inv($"[bench-train] {name}: gradient checkpointing {ckptTime / steps:F2} s/step, without {plainTime / steps:F2} s/step"));
        return new ThroughputResult(name, config, steps, model.ParameterCount(), tokens / csTime, tokens / peerTime, csLosses, peerLosses,
            setup.GetProperty("version").GetString() ?? "?") { Checkpointing = (tokens / plainTime, tokens / ckptTime) };
    }

    // ---------------------------------------------------------------- packed vs padded

    private static Tokenizer BenchTokenizer(string root, int maxLength, out string source)
    {
        var folder = Path.Combine(root, "models", "sftlab-tiny");
        if (File.Exists(Path.Combine(folder, "tokenizer.json")))
        {
            source = "models/sftlab-tiny/tokenizer.json";
            return Tokenizer.FromFile(Path.Combine(folder, "tokenizer.json"));
        }
        var corpus = Path.Combine(root, "datasets", "pretraining", "train.txt");
        if (!File.Exists(corpus)) throw new FileNotFoundException($"{corpus} is missing (and models/sftlab-tiny has no tokenizer.json)", corpus);
        // A few seconds of BPE training: the first ~1.5 MB of the corpus is plenty for 4096 tokens.
        var documents = new List<string>();
        long chars = 0;
        foreach (var d in Pretraining.ReadDocuments(corpus))
        {
            documents.Add(d);
            if ((chars += d.Length) > 1_500_000) break;
        }
        var sw = Stopwatch.StartNew();
        var tokenizer = Pretraining.TrainTokenizer(documents, 4096, maxLength);
        source = Inv($"4096-token BPE trained by BpeTrainer on {documents.Count:N0} documents of datasets/pretraining/train.txt in {sw.Elapsed.TotalSeconds:F1} s");
        return tokenizer;
    }

    private static void Packing(Settings s, string root, string work)
    {
        Console.Error.WriteLine("[bench-train] packed vs padded: tokenizer and examples...");
        var tokenizer = BenchTokenizer(root, s.PackLength, out var tokenizerSource);
        var pad = tokenizer.PadTokenId ?? tokenizer.EosTokenId ?? 0;
        var data = Dataset.Load(Path.Combine(root, "datasets", "sft", "train.jsonl"));
        var rows = data.ToList();
        new Random(42).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows));
        var builder = new ExampleBuilder(tokenizer, ChatTemplate.FromBuiltin("chatml"), new ExampleOptions { MaxLength = s.PackLength });
        var examples = builder.BuildAll(rows.Take(s.PackExamples));
        var config = Tiny(tokenizer.VocabSize, pad);

        var padded = new PaddedBatcher(pad).Plan(examples, s.PackBatch);
        var paddedSlots = padded.Average(b => (double)b.Rows * b.Columns);
        var packRows = Math.Max(1, (int)Math.Round(paddedSlots / s.PackLength));
        var packed = new PackedBatcher(s.PackLength, pad, "keep_start", 42).Plan(examples, packRows);

        // Two models from the same seed, trained side by side: one padded step, one packed step, in turn.
        using var paddedModel = new LlamaForCausalLM(config, seed: 1);
        using var packedModel = new LlamaForCausalLM(config, seed: 1);
        using var paddedTrainer = new CsTrainer(paddedModel, examples, Path.Combine(work, "padded"));
        using var packedTrainer = new CsTrainer(packedModel, examples, Path.Combine(work, "packed"));
        for (var i = 0; i < s.Warmup; i++)
        {
            paddedTrainer.Step([padded[i % padded.Count]]);
            packedTrainer.Step([packed[i % packed.Count]]);
        }
        double paddedTime = 0, packedTime = 0;
        for (var i = 0; i < Math.Max(padded.Count, packed.Count); i++)
        {
            if (i < padded.Count) paddedTime += Seconds(() => paddedTrainer.Step([padded[i]]));
            if (i < packed.Count) packedTime += Seconds(() => packedTrainer.Step([packed[i]]));
        }
        long realTokens = examples.Sum(e => (long)e.Length);
        long paddedTotal = padded.Sum(b => (long)b.Rows * b.Columns), packedTotal = packed.Sum(b => (long)b.Rows * b.Columns);
        if (padded.Sum(b => b.RealTokens) != realTokens || packed.Sum(b => b.RealTokens) != realTokens)
            throw new InvalidOperationException("packed and padded batches do not hold the same tokens");
        double paddedRate = realTokens / paddedTime, packedRate = realTokens / packedTime;
        var lengths = examples.Select(e => e.Length).OrderBy(x => x).ToArray();

        Console.WriteLine($"3. Packed vs padded effective tokens/s (non-padding tokens per second), full fine-tuning of the embedded shape (vocab {config.VocabSize})");
        Console.WriteLine(Inv($"   data: {examples.Count} conversations of datasets/sft/train.jsonl (shuffled, seed 42), ChatML, {realTokens:N0} tokens, lengths {lengths[0]}–{lengths[^1]} (median {lengths[lengths.Length / 2]})"));
        Console.WriteLine($"   tokenizer: {tokenizerSource}");
        Console.WriteLine($"   one epoch over them each way (all micro-batches timed after {s.Warmup} warm-up), padded and packed steps interleaved");
        Console.WriteLine($"   {"batcher",-52} {"steps",6} {"slots",8} {"padding",8} {"tok/s",9} {"ratio",7}  goal");
        Console.WriteLine(Inv($"   {$"PaddedBatcher: {s.PackBatch} examples, padded to the longest",-52} {padded.Count,6} {paddedTotal,8:N0} {1 - (double)realTokens / paddedTotal,8:P1} {paddedRate,9:F1}"));
        Console.WriteLine(Inv($"   {$"PackedBatcher: {packRows} rows × {s.PackLength} (≈ as many slots)",-52} {packed.Count,6} {packedTotal,8:N0} {1 - (double)realTokens / packedTotal,8:P1} {packedRate,9:F1} {packedRate / paddedRate,6:F2}x  ≥ 1.5x"));
        Console.WriteLine(Inv($"   padded slots ÷ packed slots = {(double)paddedTotal / packedTotal:F2}x (the speed-up if a step's time followed its token slots; attention runs per document, so its cost follows the documents, not the rows)"));
    }

    // ---------------------------------------------------------------- LoRA vs full peak RSS

    private static bool IsLora(string mode) => mode.StartsWith("lora", StringComparison.Ordinal);
    private static bool IsCheckpointed(string mode) => mode.EndsWith("+ckpt", StringComparison.Ordinal);

    private static readonly (string Mode, string Label)[] Modes =
    [
        ("full", "full fine-tuning"),
        ("lora", "LoRA r=8, α=16, all 7 projections"),
        ("full+ckpt", "full, gradient checkpointing"),
        ("lora+ckpt", "LoRA, gradient checkpointing"),
    ];

    private static void PeakRss(Settings s)
    {
        var results = new Dictionary<string, JsonElement>();
        foreach (var (mode, _) in Modes)
        {
            Console.Error.WriteLine($"[bench-train] peak RSS: {mode} fine-tuning in a child process...");
            var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this process's executable");
            var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
                psi.ArgumentList.Add(typeof(TrainBenchCommand).Assembly.Location);
            foreach (var a in new[] { "bench-train", "peak-rss", "--mode", mode, "--threads", s.Threads.ToString(CultureInfo.InvariantCulture),
                         "--steps", "2", "--batch", s.Batch.ToString(CultureInfo.InvariantCulture), "--seq", s.Seq.ToString(CultureInfo.InvariantCulture),
                         "--layers", s.Layers.ToString(CultureInfo.InvariantCulture) })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {self}");
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"the {mode} peak-RSS child failed ({p.ExitCode}): {stderr.Result.Trim()}");
            var last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
            results[mode] = JsonDocument.Parse(last).RootElement.Clone();
        }
        double Mib(string mode, string field) => results[mode].GetProperty(field).GetInt64() / 1024.0;
        long Count(string mode, string field) => results[mode].GetProperty(field).GetInt64();
        var shape = s.Layers == 30 ? "SmolLM2-135M" : $"SmolLM2-135M truncated to {s.Layers}/30 layers";
        var reset = results.Values.All(r => r.GetProperty("reset").GetBoolean());
        Console.WriteLine($"4. Peak RSS of training (VmHWM of a fresh child process over 2 training steps, the model resident), {shape}, batch {s.Batch} × seq {s.Seq}, float32, AdamW");
        Console.WriteLine(reset
            ? "   the peak is reset (/proc/self/clear_refs) once the random model is built, so the build's transient peak (its own column) is left out"
            : "   (the peak could not be reset after building the model: it includes the build's transient peak)");
        Console.WriteLine($"   {"mode",-34} {"trainable",12} {"build peak",11} {"RSS after build",16} {"training peak",14} {"÷ full",7} {"÷ same ckpt",11}  goal");
        foreach (var (mode, label) in Modes)
        {
            var full = Mib("full", "vmhwm_kb");
            var same = Mib(IsCheckpointed(mode) ? "full+ckpt" : "full", "vmhwm_kb");
            var ratios = mode == "full" ? "" : Inv($" {Mib(mode, "vmhwm_kb") / full,6:F2}x") + (IsLora(mode) ? Inv($" {Mib(mode, "vmhwm_kb") / same,10:F2}x  ≤ 0.5x") : "");
            Console.WriteLine(Inv($"   {label,-34} {Count(mode, "trainable"),12:N0} {Mib(mode, "build_peak_kb"),7:F0} MiB {Mib(mode, "model_rss_kb"),12:F0} MiB {Mib(mode, "vmhwm_kb"),10:F0} MiB{ratios}"));
        }
        Console.WriteLine("   ÷ full: against full fine-tuning without checkpointing; ÷ same ckpt: LoRA against full fine-tuning with the same checkpointing setting");
    }

    private static long StatusKb(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        throw new InvalidOperationException($"/proc/self/status has no {field} (peak RSS needs Linux)");
    }

    private static int PeakRssChild(string mode, int threads, int steps, int batch, int seq, int layers)
    {
        TorchRuntime.NumThreads = threads;
        var config = SmolLm2(layers);
        var work = Path.Combine(Path.GetTempPath(), $"sftlab-bench-rss-{Environment.ProcessId}");
        try
        {
            using var model = new LlamaForCausalLM(config, seed: 1);
            var modelRss = StatusKb("VmRSS");
            var buildPeak = StatusKb("VmHWM");
            // Start the peak over from here (Linux ≥ 4.0): what follows is the training's own peak, with the model resident.
            var reset = true;
            try
            {
                File.WriteAllText("/proc/self/clear_refs", "5");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                reset = false;
            }
            var rows = BenchRows(batch, seq, config.VocabSize);
            using var trainer = new CsTrainer(model, rows, work, IsLora(mode) ? new LoraConfig() : null, gradientCheckpointing: IsCheckpointed(mode));
            var b = new PaddedBatcher(0).Collate(rows);
            for (var i = 0; i < steps; i++) trainer.Step([b]);
            var json = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["mode"] = mode, ["vmhwm_kb"] = StatusKb("VmHWM"), ["model_rss_kb"] = modelRss, ["build_peak_kb"] = buildPeak, ["reset"] = reset,
                ["trainable"] = model.ParameterCount(trainableOnly: true), ["total"] = model.ParameterCount(),
            });
            Console.WriteLine(json);
            return 0;
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }
}
