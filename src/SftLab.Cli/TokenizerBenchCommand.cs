using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SftLab.Tokenization;

namespace SftLab.Cli;

/// <summary>
/// `sftlab bench-tokenizers`: SftLab's tokenizer against the JavaScript references on the Debian
/// text corpus, single thread, in the same run: MB/s on Llama 3's tokenizer.json vs
/// @huggingface/tokenizers (goal ≥ 10x) and on o200k_base vs js-tiktoken (goal ≥ 2x), plus how
/// EncodeBatch scales from 1 to N cores.
/// </summary>
internal sealed class TokenizerBenchCommand : ICommandFactory
{
    public Command Create()
    {
        var repeats = new Option<int>("--repeats") { Description = "Timed passes over the corpus (the best is kept).", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "Cores for the EncodeBatch scaling figure.", DefaultValueFactory = _ => Math.Min(2, Environment.ProcessorCount) };
        var cmd = new Command("bench-tokenizers", "Tokenizer speed vs @huggingface/tokenizers (Llama 3) and js-tiktoken (o200k_base), as ratios; EncodeBatch scaling.")
        {
            repeats, threads,
        };
        cmd.SetAction(p => Run(p.GetValue(repeats), p.GetValue(threads)));
        return cmd;
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SftLab.sln"))) return d.FullName;
        throw new InvalidOperationException("run from the SftLab repository (SftLab.sln not found above " + AppContext.BaseDirectory + ")");
    }

    private static string Exec(string root, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {e.Result}");
        return o.Result;
    }

    public static int Run(int repeats, int threads)
    {
        var root = RepoRoot();
        var oracles = Path.Combine(root, "tests", "oracles", "tokenizers");
        if (!Directory.Exists(Path.Combine(oracles, "node_modules")))
            throw new InvalidOperationException("tests/oracles/tokenizers/node_modules is missing: run scripts/setup.sh");
        var corpus = Path.Combine(root, "build", "corpus-tokenizers", "corpus.jsonl");
        Exec(root, "python3", Path.Combine(root, "datasets", "corpus-tokenizers", "gather.py"), "--out", corpus);
        // The oracle script also writes the standard .tiktoken files converted from js-tiktoken's ranks.
        Exec(root, "node", Path.Combine(oracles, "oracle.mjs"), "--corpus", corpus, "--edge", Path.Combine(oracles, "edge-cases.json"),
            "--out", Path.Combine(root, "build", "oracles", "tokenizers"));
        var docs = File.ReadLines(corpus).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToArray();
        var bytes = docs.Sum(d => System.Text.Encoding.UTF8.GetByteCount(d));
        Console.WriteLine($"corpus: {docs.Length} documents, {bytes / 1e6:F2} MB of Debian text (licenses, translations, man pages, C headers); {Environment.ProcessorCount} cores");

        var llama3 = Tokenizer.FromFolder(Path.Combine(oracles, "node_modules", "@lenml", "tokenizer-llama3", "models"));
        var o200k = Tokenizer.FromFile(Path.Combine(root, "build", "oracles", "tokenizers", "tiktoken", "o200k_base.tiktoken"));

        double Best(Func<long> pass, out long tokens)
        {
            tokens = pass(); // warm-up: fills the word caches and the JIT
            var best = double.MaxValue;
            for (var r = 0; r < repeats; r++)
            {
                var sw = Stopwatch.StartNew();
                tokens = pass();
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            return bytes / 1e6 / best;
        }
        var llamaEncode = Best(() => docs.Sum(d => (long)llama3.Encode(d).Count), out var llamaTokens);
        var llamaIds = Best(() => docs.Sum(d => (long)llama3.EncodeToIds(d).Length), out _);
        var o200kEncode = Best(() => docs.Sum(d => (long)o200k.Encode(d).Count), out var o200kTokens);
        var o200kIds = Best(() => docs.Sum(d => (long)o200k.EncodeToIds(d).Length), out _);

        var peerJson = Exec(root, "node", Path.Combine(root, "bench", "tokenizers_peer.mjs"), corpus, repeats.ToString());
        using var peer = JsonDocument.Parse(peerJson.Trim().Split('\n')[^1]);
        var pr = peer.RootElement;
        var peerLlama = pr.GetProperty("llama3").GetProperty("mb_per_s").GetDouble();
        var peerO200k = pr.GetProperty("o200k_base").GetProperty("mb_per_s").GetDouble();
        var peerLlamaTokens = pr.GetProperty("llama3").GetProperty("tokens").GetInt64();
        var peerO200kTokens = pr.GetProperty("o200k_base").GetProperty("tokens").GetInt64();

        Console.WriteLine($"peer: Node {pr.GetProperty("node").GetString()}, @huggingface/tokenizers 0.2.0, js-tiktoken 1.0.21 (single thread)");
        Console.WriteLine($"same token counts as the peer: Llama 3 {llamaTokens == peerLlamaTokens} ({llamaTokens:N0}), o200k_base {o200kTokens == peerO200kTokens} ({o200kTokens:N0})");
        Console.WriteLine();
        Console.WriteLine($"{"single thread, MB/s",-44} {"SftLab",9} {"peer",9} {"ratio",8}  goal");
        Console.WriteLine($"{"Llama 3 tokenizer.json, Encode (ids+offsets)",-44} {llamaEncode,9:F2} {peerLlama,9:F2} {llamaEncode / peerLlama,7:F1}x  ≥ 10x vs @huggingface/tokenizers");
        Console.WriteLine($"{"Llama 3 tokenizer.json, EncodeToIds",-44} {llamaIds,9:F2} {peerLlama,9:F2} {llamaIds / peerLlama,7:F1}x");
        Console.WriteLine($"{"o200k_base, Encode (ids+offsets)",-44} {o200kEncode,9:F2} {peerO200k,9:F2} {o200kEncode / peerO200k,7:F1}x  ≥ 2x vs js-tiktoken");
        Console.WriteLine($"{"o200k_base, EncodeToIds",-44} {o200kIds,9:F2} {peerO200k,9:F2} {o200kIds / peerO200k,7:F1}x");

        // EncodeBatch scaling: the same batch on 1 core and on N cores.
        double Batch(int dop)
        {
            llama3.EncodeBatch(docs, maxDegreeOfParallelism: dop);
            var best = double.MaxValue;
            for (var r = 0; r < repeats; r++)
            {
                var sw = Stopwatch.StartNew();
                llama3.EncodeBatch(docs, maxDegreeOfParallelism: dop);
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            return bytes / 1e6 / best;
        }
        var one = Batch(1);
        var many = Batch(threads);
        Console.WriteLine();
        Console.WriteLine($"EncodeBatch (Llama 3): 1 core {one:F2} MB/s, {threads} cores {many:F2} MB/s, scaling {many / one:F2}x (ideal {threads}x)");
        if (File.Exists("/proc/loadavg"))
            Console.WriteLine($"load average during the run: {File.ReadAllText("/proc/loadavg").Split(' ')[0]} (scaling needs idle cores)");
        return 0;
    }
}
