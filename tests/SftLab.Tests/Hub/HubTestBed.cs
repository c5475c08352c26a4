using System.Text;
using SftLab.IO;

namespace SftLab.Tests.Hub;

/// <summary>
/// A fake Hub on 127.0.0.1 with one small model repository, and a temporary folder that stands in for
/// the user's home: HF_HOME and the cache live there, so a test never reads or writes the real cache.
/// </summary>
public sealed class HubTestBed : IDisposable
{
    public const string RepoId = "sftlab-test/tiny-model";

    public HubTestBed()
    {
        Root = Path.Combine(Path.GetTempPath(), "sftlab-hub-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Hub = new FakeHub();
        Repo = Hub.AddRepo(RepoId);
        var rng = new Random(1234);
        byte[] Bytes(int n)
        {
            var b = new byte[n];
            rng.NextBytes(b);
            return b;
        }
        static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);
        var tokenizer = new StringBuilder("{\"version\":\"1.0\",\"model\":{\"type\":\"BPE\",\"vocab\":{");
        for (var i = 0; i < 2000; i++) tokenizer.Append($"\"tok{i}\":{i},");
        tokenizer.Append("\"end\":2000}}}");
        MainFiles =
        [
            new FakeFile("config.json", Text("{\"model_type\":\"llama\",\"hidden_size\":64,\"num_hidden_layers\":2}\n"), lfs: false),
            new FakeFile("tokenizer.json", Text(tokenizer.ToString()), lfs: false),
            new FakeFile("tokenizer_config.json", Text("{\"bos_token\":\"<s>\",\"eos_token\":\"</s>\"}\n"), lfs: false),
            new FakeFile("README.md", Text("# tiny-model\nA fake model for tests.\n"), lfs: false),
            new FakeFile("model.safetensors", Bytes(300_000), lfs: true),
            new FakeFile("nested/adapter_config.json", Text("{\"r\":8}\n"), lfs: false),
            new FakeFile("weights/part 1.bin", Bytes(70_000), lfs: true),
        ];
        MainCommit = Repo.AddCommit("main", MainFiles);
        // A second branch: only config.json changes.
        V2Files = [new FakeFile("config.json", Text("{\"model_type\":\"llama\",\"hidden_size\":128,\"num_hidden_layers\":2}\n"), lfs: false), .. MainFiles.Skip(1)];
        V2Commit = Repo.AddCommit("v2", V2Files);
    }

    public string Root { get; }
    public FakeHub Hub { get; }
    public FakeRepo Repo { get; }
    public List<FakeFile> MainFiles { get; }
    public string MainCommit { get; }
    public List<FakeFile> V2Files { get; }
    public string V2Commit { get; }

    /// <summary>The cache folder (HF_HOME/hub).</summary>
    public string Cache => Path.Combine(Root, "hf-home", "hub");

    public string StorageFolder => Path.Combine(Cache, "models--sftlab-test--tiny-model");

    /// <summary>An environment with HF_HOME in the temp folder and HF_ENDPOINT at the fake Hub, plus the given variables.</summary>
    public Func<string, string?> Env(params (string Name, string Value)[] extra)
    {
        var vars = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HF_HOME"] = Path.Combine(Root, "hf-home"),
            ["HF_ENDPOINT"] = Hub.Endpoint,
        };
        foreach (var (name, value) in extra) vars[name] = value;
        return name => vars.GetValueOrDefault(name);
    }

    /// <summary>Runs a download with a 60-second limit (a hung download fails the test instead of hanging it).</summary>
    public async Task<string> DownloadAsync(string? revision = null, IEnumerable<string>? allow = null, ModelHubOptions? options = null,
        Func<string, string?>? env = null, IProgress<HubDownloadProgress>? progress = null, string repoId = RepoId)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        options ??= new ModelHubOptions { RetryDelay = TimeSpan.Zero, RequestTimeout = TimeSpan.FromSeconds(20) };
        return await ModelHub.DownloadCoreAsync(repoId, revision, allow, options, progress, env ?? Env(), limit.Token);
    }

    public static ModelHubOptions FastOptions(int maxRetries = 3, bool? offline = null, string? token = null) =>
        new() { RetryDelay = TimeSpan.Zero, RequestTimeout = TimeSpan.FromSeconds(20), MaxRetries = maxRetries, Offline = offline, Token = token };

    /// <summary>Every file under a folder, relative with '/', for "nothing else was written" checks.</summary>
    public static List<string> FilesUnder(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories)
                .Where(p => !Directory.Exists(p) || new DirectoryInfo(p).LinkTarget != null)
                .Select(p => Path.GetRelativePath(folder, p).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>A progress sink that records reports synchronously (Progress&lt;T&gt; would post them later).</summary>
    public sealed class Recorder : IProgress<HubDownloadProgress>
    {
        private readonly List<HubDownloadProgress> _reports = [];

        public IReadOnlyList<HubDownloadProgress> Reports
        {
            get
            {
                lock (_reports) return _reports.ToList();
            }
        }

        public void Report(HubDownloadProgress value)
        {
            lock (_reports) _reports.Add(value);
        }
    }

    public void Dispose()
    {
        Hub.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
