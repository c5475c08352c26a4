using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SftLab.Data;
using SftLab.IO;

namespace SftLab.Tests.Data;

/// <summary>
/// A dataset repository on a loopback server that serves the Hub's dataset URL layout
/// (<c>GET /api/datasets/{repo}/revision/{rev}</c>, <c>HEAD/GET /datasets/{repo}/resolve/{commit}/{file}</c>), loaded
/// by name through the same client and cache as models: files land in <c>datasets--org--name/snapshots/{commit}</c>,
/// splits come from the file names, a second load is served from the cache, and offline mode works from it.
/// </summary>
public sealed class DatasetHubTests : IDisposable
{
    private const string RepoId = "sftlab-test/tiny-chat";
    private readonly string _root = DataFixtures.TempDir();
    private readonly FakeDatasetHub _hub;
    private readonly Dictionary<string, byte[]> _files;

    public DatasetHubTests()
    {
        byte[] Read(string f) => File.ReadAllBytes(DataFixtures.Dataset(f));
        var csv = DataFixtures.PythonConvert(DataFixtures.Dataset("sft/test.jsonl"), "csv", Path.Combine(_root, "test.csv"));
        _files = new Dictionary<string, byte[]>
        {
            ["README.md"] = Encoding.UTF8.GetBytes("# tiny-chat\n"),
            ["data/train-00000-of-00002.jsonl"] = Read("sft/validation.jsonl"),
            ["data/train-00001-of-00002.jsonl"] = Read("general/validation.jsonl"),
            ["data/validation-00000-of-00001.jsonl"] = Read("formats/sharegpt.jsonl"),
            ["data/test.csv"] = File.ReadAllBytes(csv),
            ["weights.bin"] = [1, 2, 3],
        };
        _hub = new FakeDatasetHub(RepoId, _files);
    }

    public void Dispose()
    {
        _hub.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private ModelHubOptions Options(bool offline = false) => new()
    {
        Endpoint = _hub.Endpoint, CacheDir = Path.Combine(_root, "hub"), Offline = offline, RetryDelay = TimeSpan.Zero,
    };

    [Fact]
    public void LoadsASplitByNameIntoTheHubCache()
    {
        var train = DatasetHub.Load(RepoId, "train", hubOptions: Options());
        // The two train shards, in order, as if loaded from the original files.
        var expected = Dataset.Load([DataFixtures.Dataset("sft/validation.jsonl"), DataFixtures.Dataset("general/validation.jsonl")]);
        Assert.Equal(expected.Select(r => r.ContentText), train.Select(r => r.ContentText));
        Assert.Equal(DatasetFormat.Conversational, train.Format);

        var snapshot = Path.Combine(_root, "hub", "datasets--sftlab-test--tiny-chat", "snapshots", _hub.Commit);
        Assert.True(File.Exists(Path.Combine(snapshot, "data", "train-00000-of-00002.jsonl")));
        Assert.Equal(_files["data/validation-00000-of-00001.jsonl"], File.ReadAllBytes(Path.Combine(snapshot, "data", "validation-00000-of-00001.jsonl")));
        Assert.False(File.Exists(Path.Combine(snapshot, "weights.bin"))); // not a data file: not downloaded
        Assert.Equal(_hub.Commit, File.ReadAllText(Path.Combine(_root, "hub", "datasets--sftlab-test--tiny-chat", "refs", "main")).Trim());
        Assert.Equal(snapshot, DatasetHub.TryGetCachedSnapshot(RepoId, cacheDir: Path.Combine(_root, "hub")));
        Assert.Null(ModelHub.TryGetCachedSnapshot(RepoId, cacheDir: Path.Combine(_root, "hub"))); // a dataset is not a model

        // Only the dataset endpoints were asked.
        Assert.All(_hub.Requests, r => Assert.True(r.Path.StartsWith("/api/datasets/" + RepoId + "/", StringComparison.Ordinal)
                                                   || r.Path.StartsWith("/datasets/" + RepoId + "/resolve/", StringComparison.Ordinal), r.Path));

        Assert.Equal(DatasetFormat.ShareGpt, DatasetHub.Load(RepoId, "validation", hubOptions: Options()).Format);
        var test = DatasetHub.Load(RepoId, "test", hubOptions: Options());
        Assert.Equal(Dataset.Load(DataFixtures.Dataset("sft/test.jsonl")).Select(r => r.ContentText), test.Select(r => r.ContentText));
    }

    [Fact]
    public void SecondLoadUsesTheCacheAndOfflineModeWorks()
    {
        DatasetHub.Load(RepoId, "train", hubOptions: Options());
        var downloads = _hub.FileGets;
        Assert.True(downloads >= 4);
        DatasetHub.Load(RepoId, "train", hubOptions: Options());
        Assert.Equal(downloads, _hub.FileGets);
        _hub.Dispose();
        var offline = DatasetHub.Load(RepoId, "validation", hubOptions: Options(offline: true));
        Assert.Equal(File.ReadLines(DataFixtures.Dataset("formats/sharegpt.jsonl")).Count(), offline.Count);
    }

    [Fact]
    public void UnknownSplitsAndRepositoriesAreClearErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => DatasetHub.Load(RepoId, "dev-set", hubOptions: Options()));
        Assert.Contains("train, validation, test", e.Message);
        Assert.Throws<HubNotFoundException>(() => DatasetHub.Load("sftlab-test/missing", hubOptions: Options()));
    }

    [Fact]
    public void SplitsFollowTheFileNames()
    {
        var dir = DataFixtures.TempDir();
        foreach (var f in new[] { "train.jsonl", "dev.jsonl", "sub/testing-part.csv", "constraints.jsonl", "dataset_infos.json", "notes.md" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, f))!);
            File.WriteAllText(Path.Combine(dir, f), "");
        }
        var splits = DatasetHub.FilesBySplit(dir);
        Assert.Equal(["train", "validation", "test"], splits.Keys);
        Assert.Equal([Path.Combine(dir, "train.jsonl")], splits["train"]);
        Assert.Equal([Path.Combine(dir, "dev.jsonl")], splits["validation"]);
        Assert.Equal([Path.Combine(dir, "sub/testing-part.csv")], splits["test"]);
        // No split named at all: every data file is train.
        var flat = DataFixtures.TempDir();
        File.WriteAllText(Path.Combine(flat, "a.jsonl"), "");
        File.WriteAllText(Path.Combine(flat, "b.csv"), "");
        Assert.Equal(2, DatasetHub.DataFiles(flat, "train").Count);
    }
}

/// <summary>A minimal Hub for one dataset repository on 127.0.0.1: the listing API and the resolve URLs (small files: ETag = git blob id).</summary>
public sealed class FakeDatasetHub : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _repo;
    private readonly Dictionary<string, byte[]> _files;
    private readonly Task _loop;
    private int _fileGets;

    public FakeDatasetHub(string repo, Dictionary<string, byte[]> files)
    {
        _repo = repo;
        _files = files;
        Commit = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(repo + string.Join(",", files.Keys))));
        var port = FreePort();
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    public string Endpoint { get; }
    public string Commit { get; }
    public ConcurrentQueue<(string Method, string Path)> Requests { get; } = new();
    public int FileGets => Volatile.Read(ref _fileGets);

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try { Handle(ctx); }
            catch (Exception e) when (e is HttpListenerException or IOException) { }
            finally { try { ctx.Response.Close(); } catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { } }
        }
    }

    private void Handle(HttpListenerContext ctx)
    {
        var path = Uri.UnescapeDataString(ctx.Request.Url!.AbsolutePath);
        Requests.Enqueue((ctx.Request.HttpMethod, path));
        var res = ctx.Response;
        var api = $"/api/datasets/{_repo}/revision/";
        var resolve = $"/datasets/{_repo}/resolve/";
        if (ctx.Request.HttpMethod == "GET" && path.StartsWith(api, StringComparison.Ordinal))
        {
            var listing = new JsonObject
            {
                ["id"] = _repo, ["sha"] = Commit,
                ["siblings"] = new JsonArray(_files.Keys.Select(k => (JsonNode)new JsonObject { ["rfilename"] = k }).ToArray()),
            };
            Send(res, 200, Encoding.UTF8.GetBytes(listing.ToJsonString()), head: false);
            return;
        }
        if (path.StartsWith(resolve, StringComparison.Ordinal))
        {
            var rest = path[resolve.Length..];
            var slash = rest.IndexOf('/');
            var file = slash < 0 ? "" : rest[(slash + 1)..];
            if (slash > 0 && rest[..slash] is var rev && (rev == Commit || rev == "main") && _files.TryGetValue(file, out var bytes))
            {
                res.Headers["X-Repo-Commit"] = Commit;
                res.Headers["ETag"] = "\"" + Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes])) + "\"";
                var head = ctx.Request.HttpMethod == "HEAD";
                if (!head) Interlocked.Increment(ref _fileGets);
                Send(res, 200, bytes, head);
                return;
            }
            res.Headers["X-Error-Code"] = "EntryNotFound";
            Send(res, 404, [], head: false);
            return;
        }
        res.Headers["X-Error-Code"] = "RepoNotFound";
        Send(res, 404, [], head: false);
    }

    private static void Send(HttpListenerResponse res, int status, byte[] body, bool head)
    {
        res.StatusCode = status;
        res.ContentLength64 = body.Length;
        if (!head && body.Length > 0) res.OutputStream.Write(body);
    }

    public void Dispose()
    {
        if (!_listener.IsListening) return;
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
