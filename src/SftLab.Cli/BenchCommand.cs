using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SftLab.Torch;

namespace SftLab.Cli;

/// <summary>
/// `sftlab bench torch`: measures the binding against python3-torch on the same libtorch, in the
/// same run and at the same thread count, and prints ratios: 1024³ float32 matmul GFLOPS (higher
/// is better; goal ≥ 0.95x) and per-op time of small-tensor operators, i.e. dispatch overhead
/// (lower is better; goal ≤ 1.0x).
/// </summary>
internal sealed class BenchCommand : ICommandFactory
{
    public Command Create()
    {
        var threads = new Option<int>("--threads") { Description = "Intra-op threads for both sides.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var size = new Option<int>("--size") { Description = "Matrix size n of the n³ matmul.", DefaultValueFactory = _ => 1024 };
        var iters = new Option<int>("--iters") { Description = "Small-op iterations per repeat.", DefaultValueFactory = _ => 20000 };
        var repeats = new Option<int>("--repeats") { Description = "Repeats (the best is kept).", DefaultValueFactory = _ => 5 };
        var python = new Option<string>("--python") { Description = "Python with torch (the peer).", DefaultValueFactory = _ => "/usr/bin/python3" };
        var torch = new Command("torch", "Binding vs python3-torch: matmul GFLOPS and small-op dispatch overhead, as ratios.")
        {
            threads, size, iters, repeats, python,
        };
        torch.SetAction(p => RunTorch(p.GetValue(threads), p.GetValue(size), p.GetValue(iters), p.GetValue(repeats), p.GetValue(python)!));
        var gThreads = new Option<int>("--threads") { Description = "Intra-op threads for both sides.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var newTokens = new Option<int>("--new-tokens") { Description = "Tokens to generate.", DefaultValueFactory = _ => 256 };
        var generate = new Command("generate", "Greedy decoding tokens/s: KV cache vs none, and vs a python3-torch greedy loop on the same checkpoint.")
        {
            gThreads, newTokens, python,
        };
        generate.SetAction(p => RunGenerate(p.GetValue(gThreads), p.GetValue(newTokens), p.GetValue(python)!));
        return new Command("bench", "Benchmarks that print ratios against a peer measured in the same run.") { torch, generate };
    }

    private static double BestOf(Action action, int repeats)
    {
        var best = double.MaxValue;
        for (var r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            action();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    public static int RunTorch(int threads, int n, int iters, int repeats, string python)
    {
        TorchRuntime.NumThreads = threads;
        TorchRuntime.ManualSeed(0);
        Console.WriteLine($"{TorchRuntime.Describe()}; {Environment.ProcessorCount} cores");

        // C# side.
        double gflops;
        using (var a = Tensor.Randn([n, n]))
        using (var b = Tensor.Randn([n, n]))
        {
            for (var i = 0; i < 2; i++) a.Matmul(b).Dispose();
            var t = BestOf(() => a.Matmul(b).Dispose(), repeats);
            gflops = 2.0 * n * n * n / t / 1e9;
        }
        var dispatch = new Dictionary<string, double>();
        using (var x = Tensor.Randn([4, 4]))
        using (var y = Tensor.Randn([4, 4]))
        {
            var ops = new (string Name, Func<Tensor> Op)[]
            {
                ("add", () => x + y),
                ("mul_scalar", () => x * 2.0),
                ("matmul_4x4", () => x.Matmul(y)),
                ("softmax", () => Functional.Softmax(x, -1)),
                ("reshape", () => x.Reshape(16)),
                ("sum", () => x.Sum()),
            };
            foreach (var (name, op) in ops)
            {
                void Loop()
                {
                    for (var i = 0; i < iters; i++) op().Dispose();
                }
                Loop();
                dispatch[name] = BestOf(Loop, repeats) / iters * 1e6;
            }
        }

        // Peer.
        var script = FindScript();
        var psi = new ProcessStartInfo(python, [script, threads.ToString(), n.ToString(), iters.ToString(), repeats.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var proc = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {python}");
        var stdout = proc.StandardOutput.ReadToEnd();
        var stderr = proc.StandardError.ReadToEnd();
        proc.WaitForExit();
        if (proc.ExitCode != 0)
            throw new InvalidOperationException($"{python} {script} failed ({proc.ExitCode}): {stderr}");
        using var peer = JsonDocument.Parse(stdout);
        var pr = peer.RootElement;
        var peerGflops = pr.GetProperty("matmul_gflops").GetDouble();

        Console.WriteLine($"peer: python3-torch {pr.GetProperty("version").GetString()}, {pr.GetProperty("threads").GetInt32()} threads");
        Console.WriteLine();
        Console.WriteLine($"{"measure",-28} {"SftLab",12} {"PyTorch",12} {"ratio",8}  goal");
        Console.WriteLine($"{$"matmul {n}³ f32 GFLOPS",-28} {gflops,12:F1} {peerGflops,12:F1} {gflops / peerGflops,7:F2}x  ≥ 0.95x (higher is better)");
        var ratios = new List<double>();
        foreach (var (name, us) in dispatch)
        {
            var peerUs = pr.GetProperty("dispatch_us").GetProperty(name).GetDouble();
            ratios.Add(us / peerUs);
            Console.WriteLine($"{$"{name} µs/op (4x4)",-28} {us,12:F2} {peerUs,12:F2} {us / peerUs,7:F2}x  ≤ 1.0x (lower is better)");
        }
        var geo = Math.Exp(ratios.Average(Math.Log));
        Console.WriteLine($"{"dispatch geometric mean",-28} {"",12} {"",12} {geo,7:F2}x  ≤ 1.0x");
        return 0;
    }

    private static string FindScript(string relative = "bench/torch_peer.py")
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var p = Path.Combine(dir.FullName, relative);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    private static string RunPython(string python, IEnumerable<string> args, string? stdin = null)
    {
        var psi = new ProcessStartInfo(python, args) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin != null };
        using var proc = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {python}");
        if (stdin != null)
        {
            proc.StandardInput.Write(stdin);
            proc.StandardInput.Close();
        }
        var stdout = proc.StandardOutput.ReadToEndAsync();
        var stderr = proc.StandardError.ReadToEnd();
        proc.WaitForExit();
        if (proc.ExitCode != 0) throw new InvalidOperationException($"{python} {string.Join(' ', args)} failed ({proc.ExitCode}): {stderr}");
        return stdout.Result;
    }

    /// <summary>
    /// Decoding speed on one checkpoint written by the independent reference
    /// (tests/oracles/models/llama_reference.py, a SmolLM-like shape scaled down): SftLab with and
    /// without the KV cache, and the reference's own greedy loop with a KV cache in python3-torch.
    /// </summary>
    public static int RunGenerate(int threads, int newTokens, string python)
    {
        TorchRuntime.NumThreads = threads;
        Console.WriteLine($"{TorchRuntime.Describe()}; {Environment.ProcessorCount} cores");
        var oracle = FindScript("tests/oracles/models/llama_reference.py");
        var dir = Path.Combine(Path.GetTempPath(), "sftlab-bench-generate-" + Environment.ProcessId);
        try
        {
            RunPython(python, [oracle, "make-checkpoint", "--config", "llama3", "--out", dir, "--seed", "1",
                "--set", "vocab_size=2048", "--set", "hidden_size=256", "--set", "intermediate_size=640",
                "--set", "num_hidden_layers=4", "--set", "num_attention_heads=8", "--set", "num_key_value_heads=4",
                "--set", "head_dim=32", "--set", $"max_position_embeddings={newTokens + 64}"]);
            using var model = Models.LlamaForCausalLM.FromPretrained(dir);
            model.Eval();
            Console.WriteLine($"checkpoint: {model.ParameterCount():N0} parameters (llama3 preset, 4 layers, hidden 256), {newTokens} new tokens, greedy");
            var prompt = Enumerable.Range(0, 16).Select(i => (long)(i * 31 % 2048)).ToArray();
            double Rate(bool cache)
            {
                var cfg = new Models.GenerationConfig { MaxNewTokens = newTokens, EosTokenIds = [], UseCache = cache };
                Models.TextGeneration.Generate(model, prompt, cfg with { MaxNewTokens = 4 }); // warm-up
                var sw = Stopwatch.StartNew();
                var tokens = Models.TextGeneration.Generate(model, prompt, cfg);
                return tokens.Length / sw.Elapsed.TotalSeconds;
            }
            var withCache = Rate(true);
            var withoutCache = Rate(false);
            var input = $"{{\"prompts\": [[{string.Join(",", prompt)}]], \"max_new_tokens\": {newTokens}, \"eos_token_id\": null}}";
            var peer = JsonDocument.Parse(RunPython(python, [oracle, "--threads", threads.ToString(), "generate", "--model", dir, "--input", "-", "--output", "-"], input));
            var peerRate = peer.RootElement.GetProperty("timing").GetProperty("tokens_per_second").GetDouble();
            Console.WriteLine();
            Console.WriteLine($"{"measure",-40} {"tokens/s",10} {"ratio",8}  goal");
            Console.WriteLine($"{"SftLab, KV cache",-40} {withCache,10:F1}");
            Console.WriteLine($"{"SftLab, no cache (recompute the prefix)",-40} {withoutCache,10:F1} {withCache / withoutCache,7:F2}x  cache ≥ 5x faster");
            Console.WriteLine($"{"python3-torch greedy loop, KV cache",-40} {peerRate,10:F1} {withCache / peerRate,7:F2}x  SftLab ≥ 1x");
            return 0;
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
