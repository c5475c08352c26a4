using System.Diagnostics;
using System.Text.Json;
using SftLab.IO;

namespace SftLab.Tests.Hub;

/// <summary>
/// The cache layout checked against an independent implementation: @huggingface/hub (the Hugging Face
/// JavaScript client, from npm), which writes and reads the same cache as Python's huggingface_hub.
/// Both clients talk to the same fake Hub on 127.0.0.1.
/// </summary>
public sealed class HubInteropTests : IDisposable
{
    private readonly HubTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SftLab.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"SftLab.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>Runs tests/oracles/hub/hub_oracle.mjs and parses its JSON answer.</summary>
    private static JsonElement Oracle(params string[] args)
    {
        var dir = Path.Combine(RepoRoot(), "tests", "oracles", "hub");
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "@huggingface", "hub")))
            Assert.Fail($"The reference client @huggingface/hub is not installed in {dir}: run scripts/setup.sh (it runs npm ci there).");
        var psi = new ProcessStartInfo("node") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("hub_oracle.mjs");
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var name in new[] { "HF_TOKEN", "HF_ENDPOINT", "HF_HUB_CACHE", "HF_HOME" }) psi.Environment.Remove(name);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("node did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"hub_oracle.mjs {string.Join(' ', args)} did not finish in 60 s");
        }
        Assert.True(p.ExitCode == 0, $"hub_oracle.mjs {string.Join(' ', args)} failed: {stderr.Result}");
        return JsonDocument.Parse(stdout.Result).RootElement.Clone();
    }

    /// <summary>A cache folder's layout as text: blobs with sizes, snapshot entries with their link targets, refs with contents.</summary>
    private static List<string> Layout(string storageFolder)
    {
        var lines = new List<string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(storageFolder, "*", SearchOption.AllDirectories))
        {
            var info = new FileInfo(entry);
            if (Directory.Exists(entry) && info.LinkTarget == null) continue;
            var rel = Path.GetRelativePath(storageFolder, entry).Replace('\\', '/');
            if (info.LinkTarget != null) lines.Add($"{rel} -> {info.LinkTarget}");
            else if (rel.StartsWith("refs/", StringComparison.Ordinal)) lines.Add($"{rel} = {File.ReadAllText(entry)}");
            else lines.Add($"{rel} ({info.Length} bytes)");
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    [Fact]
    public async Task OurCacheLayoutIsIdenticalToTheReferenceClients()
    {
        var reference = Path.Combine(_bed.Root, "reference-cache");
        var answer = Oracle("download", _bed.Hub.Endpoint, HubTestBed.RepoId, "main", reference);
        var ours = await _bed.DownloadAsync();

        var referenceStorage = Path.Combine(reference, "models--sftlab-test--tiny-model");
        Assert.Equal(Path.Combine(referenceStorage, "snapshots", _bed.MainCommit), answer.GetProperty("snapshot").GetString());
        var expected = Layout(referenceStorage);
        Assert.Contains($"refs/main = {_bed.MainCommit}", expected);
        Assert.Contains($"snapshots/{_bed.MainCommit}/weights/part 1.bin -> ../../../blobs/{_bed.MainFiles.Single(f => f.Lfs && f.Path.StartsWith("weights/", StringComparison.Ordinal)).Sha256}", expected);
        Assert.Equal(expected, Layout(_bed.StorageFolder));
        Assert.Equal(Path.Combine(_bed.StorageFolder, "snapshots", _bed.MainCommit), ours);
    }

    [Fact]
    public async Task TheReferenceClientReadsAndReusesOurCache()
    {
        await _bed.DownloadAsync();

        var scan = Oracle("scan", _bed.Cache);
        Assert.Empty(scan.GetProperty("warnings").EnumerateArray());
        var repo = Assert.Single(scan.GetProperty("repos").EnumerateArray());
        Assert.Equal(HubTestBed.RepoId, repo.GetProperty("name").GetString());
        Assert.Equal("model", repo.GetProperty("type").GetString());
        // scanCacheDir looks at the top-level files of a snapshot, each resolved to its blob.
        var topLevel = _bed.MainFiles.Where(f => !f.Path.Contains('/')).OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        Assert.Equal(topLevel.Count, repo.GetProperty("filesCount").GetInt32());
        Assert.Equal(topLevel.Sum(f => (long)f.Content.Length), repo.GetProperty("size").GetInt64());
        var revision = Assert.Single(repo.GetProperty("revisions").EnumerateArray());
        Assert.Equal(_bed.MainCommit, revision.GetProperty("commit").GetString());
        Assert.Equal(["main"], revision.GetProperty("refs").EnumerateArray().Select(r => r.GetString()));
        var files = revision.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(topLevel.Select(f => f.Path), files.Select(f => f.GetProperty("path").GetString()));
        Assert.Equal(topLevel.Select(f => $"blobs/{f.Etag}"), files.Select(f => f.GetProperty("blob").GetString()));
        Assert.Equal(topLevel.Select(f => (long)f.Content.Length), files.Select(f => f.GetProperty("size").GetInt64()));

        // The reference client finds every file of main in our cache: no file bytes are requested.
        _bed.Hub.ClearRequests();
        Oracle("download", _bed.Hub.Endpoint, HubTestBed.RepoId, "main", _bed.Cache);
        Assert.Empty(_bed.Hub.BodyGets());
        Assert.NotEmpty(_bed.Hub.ApiCalls());

        // On branch v2 it reuses our blobs and fetches only the file that changed.
        _bed.Hub.ClearRequests();
        Oracle("download", _bed.Hub.Endpoint, HubTestBed.RepoId, "v2", _bed.Cache);
        Assert.NotEmpty(_bed.Hub.BodyGets());
        Assert.All(_bed.Hub.BodyGets(), g => Assert.EndsWith("/config.json", g.Path));
    }

    [Fact]
    public async Task WeReuseTheReferenceClientsCache()
    {
        Oracle("download", _bed.Hub.Endpoint, HubTestBed.RepoId, "main", _bed.Cache);
        _bed.Hub.ClearRequests();

        // Offline: found through the reference client's refs/main, with no request.
        var snapshot = await _bed.DownloadAsync(env: _bed.Env(("HF_HUB_OFFLINE", "1")));
        Assert.Equal(Path.Combine(_bed.StorageFolder, "snapshots", _bed.MainCommit), snapshot);
        Assert.Empty(_bed.Hub.Requests);
        foreach (var f in _bed.MainFiles)
            Assert.Equal(f.Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, f.Path)));

        // Online: one listing, then every file is already there.
        var progress = new HubTestBed.Recorder();
        await _bed.DownloadAsync(progress: progress);
        Assert.Single(_bed.Hub.Requests);
        Assert.All(progress.Reports, r => Assert.Equal(HubFileStatus.Cached, r.Status));

        // Branch v2: our client links the reference client's blobs and downloads only config.json.
        _bed.Hub.ClearRequests();
        await _bed.DownloadAsync(revision: "v2");
        Assert.EndsWith("/config.json", Assert.Single(_bed.Hub.BodyGets()).Path);
    }
}
