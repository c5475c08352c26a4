using SftLab.IO;

namespace SftLab.Tests.Hub;

public sealed class ModelHubTests : IDisposable
{
    private readonly HubTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    private static string Blob(FakeFile f) => f.Etag;

    [Fact]
    public async Task FullDownloadBuildsTheHuggingFaceCacheLayout()
    {
        var progress = new HubTestBed.Recorder();
        var snapshot = await _bed.DownloadAsync(progress: progress);

        Assert.Equal(Path.Combine(_bed.StorageFolder, "snapshots", _bed.MainCommit), snapshot);
        // refs/main holds the commit hash, with no newline (what huggingface_hub writes and reads).
        Assert.Equal(_bed.MainCommit, File.ReadAllText(Path.Combine(_bed.StorageFolder, "refs", "main")));

        foreach (var f in _bed.MainFiles)
        {
            var pointer = Path.Combine(snapshot, f.Path);
            var link = new FileInfo(pointer).LinkTarget;
            Assert.NotNull(link);
            // Relative link: ../../blobs/{etag} from snapshots/{commit}/, one more ../ per sub-folder.
            var depth = f.Path.Count(c => c == '/');
            Assert.Equal(string.Concat(Enumerable.Repeat("../", 2 + depth)) + "blobs/" + Blob(f), link);
            Assert.Equal(f.Content, await File.ReadAllBytesAsync(pointer));
            // LFS blobs are named by sha256, small files by their git blob id (both computed here, independently).
            Assert.Equal(f.Lfs ? f.Sha256 : FakeFile.GitBlobSha1(f.Content), Blob(f));
        }
        var blobs = HubTestBed.FilesUnder(Path.Combine(_bed.StorageFolder, "blobs"));
        Assert.Equal(_bed.MainFiles.Select(Blob).Order(StringComparer.Ordinal), blobs);
        Assert.Equal(["main"], HubTestBed.FilesUnder(Path.Combine(_bed.StorageFolder, "refs")));

        // One listing, one HEAD and one GET per file; LFS bytes came from the storage URL the HEAD redirected to.
        Assert.Single(_bed.Hub.ApiCalls());
        Assert.Equal(_bed.MainFiles.Count, _bed.Hub.Heads().Count);
        var gets = _bed.Hub.BodyGets();
        Assert.Equal(_bed.MainFiles.Count, gets.Count);
        Assert.Equal(_bed.MainFiles.Count(f => f.Lfs), gets.Count(g => g.Path.StartsWith("/lfs-store/", StringComparison.Ordinal)));
        Assert.Contains(_bed.Hub.Heads(), h => h.Path.EndsWith("/weights/part%201.bin", StringComparison.Ordinal));
        Assert.All(gets, g => Assert.Null(g.Range));

        // Progress: every file ends with a Downloaded report carrying its full size.
        var reports = progress.Reports;
        foreach (var f in _bed.MainFiles)
        {
            var last = reports.Last(r => r.FileName == f.Path);
            Assert.Equal(HubFileStatus.Downloaded, last.Status);
            Assert.Equal(f.Content.Length, last.BytesDownloaded);
            Assert.Equal(f.Content.Length, last.TotalBytes);
            Assert.Equal(_bed.MainFiles.Count, last.FileCount);
        }
        Assert.Equal(Enumerable.Range(0, _bed.MainFiles.Count), reports.Select(r => r.FileIndex).Distinct().Order());
        // The big file reported bytes as they arrived, never more than its size, never going backwards.
        var big = reports.Where(r => r.FileName == "model.safetensors").Select(r => r.BytesDownloaded).ToList();
        Assert.Equal(big.Order(), big);
        Assert.All(big, b => Assert.InRange(b, 0, 300_000));
    }

    [Fact]
    public async Task SecondCallServesFromTheCacheWithoutHeadOrBodyRequests()
    {
        await _bed.DownloadAsync();
        _bed.Hub.ClearRequests();
        var progress = new HubTestBed.Recorder();
        var snapshot = await _bed.DownloadAsync(progress: progress);

        Assert.Equal(Path.Combine(_bed.StorageFolder, "snapshots", _bed.MainCommit), snapshot);
        Assert.Single(_bed.Hub.Requests); // only the listing that resolves 'main' to a commit
        Assert.Empty(_bed.Hub.BodyGets());
        Assert.Equal(_bed.MainFiles.Count, progress.Reports.Count(r => r.Status == HubFileStatus.Cached));
        Assert.DoesNotContain(progress.Reports, r => r.Status != HubFileStatus.Cached);
    }

    [Fact]
    public async Task ANewCommitDownloadsOnlyTheFilesThatChanged()
    {
        await _bed.DownloadAsync();
        _bed.Hub.ClearRequests();
        var snapshot = await _bed.DownloadAsync(revision: "v2");

        Assert.Equal(Path.Combine(_bed.StorageFolder, "snapshots", _bed.V2Commit), snapshot);
        Assert.Equal(_bed.V2Commit, File.ReadAllText(Path.Combine(_bed.StorageFolder, "refs", "v2")));
        Assert.Equal(_bed.MainCommit, File.ReadAllText(Path.Combine(_bed.StorageFolder, "refs", "main")));
        var gets = _bed.Hub.BodyGets();
        Assert.Single(gets);
        Assert.EndsWith("/resolve/" + _bed.V2Commit + "/config.json", gets[0].Path);
        Assert.Equal(_bed.V2Files[0].Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "config.json")));
        // Unchanged files of both snapshots point at the same blob.
        Assert.Equal(
            new FileInfo(Path.Combine(_bed.StorageFolder, "snapshots", _bed.MainCommit, "model.safetensors")).LinkTarget,
            new FileInfo(Path.Combine(snapshot, "model.safetensors")).LinkTarget);
        Assert.Equal(_bed.MainFiles.Count + 1, HubTestBed.FilesUnder(Path.Combine(_bed.StorageFolder, "blobs")).Count);
    }

    [Fact]
    public async Task ACommitHashNeedsNoRefAndIsServedFromTheCacheWithoutAnyRequest()
    {
        var snapshot = await _bed.DownloadAsync(revision: _bed.MainCommit);
        Assert.False(Directory.Exists(Path.Combine(_bed.StorageFolder, "refs")));
        _bed.Hub.ClearRequests();
        var offline = await _bed.DownloadAsync(revision: _bed.MainCommit, env: _bed.Env(("HF_HUB_OFFLINE", "1")));
        Assert.Equal(snapshot, offline);
        Assert.Empty(_bed.Hub.Requests);
    }

    [Fact]
    public async Task OfflineModeServesTheCacheAndExplainsWhatIsMissing()
    {
        // Nothing cached yet: a clear error naming HF_HUB_OFFLINE and the repo, and no request at all.
        var missing = await Assert.ThrowsAsync<HubOfflineException>(() => _bed.DownloadAsync(env: _bed.Env(("HF_HUB_OFFLINE", "1"))));
        Assert.Contains("HF_HUB_OFFLINE", missing.Message);
        Assert.Contains(HubTestBed.RepoId, missing.Message);
        Assert.Empty(_bed.Hub.Requests);

        var online = await _bed.DownloadAsync(allow: ["*.json"]);
        _bed.Hub.ClearRequests();
        foreach (var value in new[] { "1", "true", "YES", "on" })
            Assert.Equal(online, await _bed.DownloadAsync(allow: ["*.json"], env: _bed.Env(("HF_HUB_OFFLINE", value))));
        Assert.Equal(online, await _bed.DownloadAsync(options: HubTestBed.FastOptions(offline: true)));
        Assert.Empty(_bed.Hub.Requests);

        // The safetensors were never downloaded: offline cannot serve them.
        var notCached = await Assert.ThrowsAsync<HubOfflineException>(() =>
            _bed.DownloadAsync(allow: ["*.safetensors"], env: _bed.Env(("HF_HUB_OFFLINE", "1"))));
        Assert.Contains("allow patterns", notCached.Message);
        // A branch never downloaded has no ref.
        var noRef = await Assert.ThrowsAsync<HubOfflineException>(() => _bed.DownloadAsync(revision: "v2", env: _bed.Env(("HF_HUB_OFFLINE", "1"))));
        Assert.Contains(Path.Combine("refs", "v2"), noRef.Message);
        // A deleted blob leaves a dangling link: not served.
        File.Delete(Path.Combine(_bed.StorageFolder, "blobs", _bed.MainFiles[0].Etag));
        var dangling = await Assert.ThrowsAsync<HubOfflineException>(() => _bed.DownloadAsync(allow: ["*.json"], env: _bed.Env(("HF_HUB_OFFLINE", "1"))));
        Assert.Contains("config.json", dangling.Message);
        Assert.Empty(_bed.Hub.Requests);
        // "0" is not offline: the download goes online and repairs the dangling link.
        await _bed.DownloadAsync(allow: ["*.json"], env: _bed.Env(("HF_HUB_OFFLINE", "0")));
        Assert.EndsWith("/config.json", Assert.Single(_bed.Hub.BodyGets()).Path);
    }

    [Fact]
    public async Task AnUnreachableHubFallsBackToTheCache()
    {
        // A port with nothing listening on 127.0.0.1: connections are refused at once.
        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var deadEndpoint = $"http://127.0.0.1:{((System.Net.IPEndPoint)probe.LocalEndpoint).Port}";
        probe.Stop();
        var dead = _bed.Env(("HF_ENDPOINT", deadEndpoint));

        var error = await Assert.ThrowsAsync<HubOfflineException>(() => _bed.DownloadAsync(env: dead));
        Assert.Contains(deadEndpoint, error.Message);

        var snapshot = await _bed.DownloadAsync();
        Assert.Equal(snapshot, await _bed.DownloadAsync(env: dead));
    }

    [Fact]
    public async Task ADroppedConnectionIsResumedByTheNextCallWithARangeRequest()
    {
        var big = _bed.MainFiles.Single(f => f.Path == "model.safetensors");
        _bed.Hub.DropConnectionOnce("model.safetensors", 120_000);
        var error = await Assert.ThrowsAsync<ModelHubException>(() =>
            _bed.DownloadAsync(allow: ["model.safetensors"], options: HubTestBed.FastOptions(maxRetries: 0)));
        Assert.Contains("resume", error.Message);
        var incomplete = Path.Combine(_bed.StorageFolder, "blobs", big.Sha256 + ".incomplete");
        var kept = new FileInfo(incomplete).Length;
        Assert.InRange(kept, 1, 120_000);
        Assert.Equal(big.Content.AsSpan(0, (int)kept).ToArray(), (await File.ReadAllBytesAsync(incomplete)));
        Assert.False(File.Exists(Path.Combine(_bed.StorageFolder, "snapshots", _bed.MainCommit, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(_bed.StorageFolder, "refs", "main"))); // no ref to a half-made snapshot

        _bed.Hub.ClearRequests();
        var snapshot = await _bed.DownloadAsync(allow: ["model.safetensors"], options: HubTestBed.FastOptions(maxRetries: 0));
        var get = Assert.Single(_bed.Hub.BodyGets());
        Assert.Equal($"bytes={kept}-", get.Range);
        Assert.Equal(big.Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "model.safetensors")));
        Assert.False(File.Exists(incomplete));
    }

    [Fact]
    public async Task ADroppedConnectionIsResumedWithinTheSameCall()
    {
        _bed.Hub.DropConnectionOnce("weights/part 1.bin", 30_000);
        var snapshot = await _bed.DownloadAsync();
        var gets = _bed.Hub.BodyGets().Where(g => g.Path.EndsWith(_bed.MainFiles.Single(f => f.Path == "weights/part 1.bin").Sha256, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, gets.Count);
        Assert.Null(gets[0].Range);
        Assert.Matches("^bytes=[1-9][0-9]*-$", gets[1].Range);
        Assert.Equal(_bed.MainFiles.Single(f => f.Path == "weights/part 1.bin").Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "weights", "part 1.bin")));
    }

    [Fact]
    public async Task AServerThatIgnoresRangeMakesTheFileStartOver()
    {
        var big = _bed.MainFiles.Single(f => f.Path == "model.safetensors");
        _bed.Hub.IgnoreRange["model.safetensors"] = 0;
        _bed.Hub.DropConnectionOnce("model.safetensors", 100_000);
        var snapshot = await _bed.DownloadAsync(allow: ["model.safetensors"]);
        var gets = _bed.Hub.BodyGets();
        Assert.Equal(2, gets.Count);
        Assert.NotNull(gets[1].Range); // asked to resume, got the whole file with 200, and started over
        Assert.Equal(big.Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "model.safetensors")));
    }

    [Fact]
    public async Task TheTokenIsNotSentToAnotherHost()
    {
        // LFS bytes come from a second server (another port: another origin), as the Hub redirects to its storage.
        using var storage = new FakeHub();
        var mirror = storage.AddRepo(HubTestBed.RepoId);
        mirror.AddCommit("main", _bed.MainFiles);
        _bed.Hub.LfsStoreEndpoint = storage.Endpoint;
        _bed.Repo.RequiredToken = "hf_secret_token";

        var snapshot = await _bed.DownloadAsync(env: _bed.Env(("HF_TOKEN", "hf_secret_token")));
        Assert.Equal(_bed.MainFiles.Single(f => f.Path == "model.safetensors").Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "model.safetensors")));
        Assert.Equal(_bed.MainFiles.Count(f => f.Lfs), storage.BodyGets().Count);
        Assert.All(storage.Requests, r => Assert.Null(r.Authorization));
        Assert.All(_bed.Hub.Requests, r => Assert.Equal("Bearer hf_secret_token", r.Authorization));
    }

    [Fact]
    public async Task CorruptBytesFailTheHashCheckAndNothingReachesTheCache()
    {
        var big = _bed.MainFiles.Single(f => f.Path == "model.safetensors");
        _bed.Hub.Corrupt("model.safetensors");
        var error = await Assert.ThrowsAsync<HubIntegrityException>(() => _bed.DownloadAsync(options: HubTestBed.FastOptions(maxRetries: 0)));
        Assert.Equal("model.safetensors", error.FileName);
        Assert.Contains("sha256", error.Message);
        Assert.Contains(big.Sha256, error.Message);
        var blobs = HubTestBed.FilesUnder(Path.Combine(_bed.StorageFolder, "blobs"));
        Assert.DoesNotContain(blobs, b => b.StartsWith(big.Sha256, StringComparison.Ordinal)); // neither the blob nor a .incomplete
        Assert.False(File.Exists(Path.Combine(_bed.StorageFolder, "snapshots", _bed.MainCommit, "model.safetensors")));
        Assert.False(new FileInfo(Path.Combine(_bed.StorageFolder, "snapshots", _bed.MainCommit, "model.safetensors")).Exists);

        // The server sends good bytes again: the next call completes.
        var snapshot = await _bed.DownloadAsync();
        Assert.Equal(big.Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "model.safetensors")));
    }

    [Fact]
    public async Task ACorruptSmallFileFailsTheGitHashCheck()
    {
        _bed.Hub.Corrupt("tokenizer.json");
        var error = await Assert.ThrowsAsync<HubIntegrityException>(() => _bed.DownloadAsync(allow: ["tokenizer.json"]));
        Assert.Contains("git blob sha1", error.Message);
        Assert.Empty(HubTestBed.FilesUnder(Path.Combine(_bed.StorageFolder, "blobs")));
    }

    [Fact]
    public async Task GatedRepositoriesNeedHfToken()
    {
        _bed.Repo.RequiredToken = "hf_secret_token";

        var noToken = await Assert.ThrowsAsync<HubAuthenticationException>(() => _bed.DownloadAsync());
        Assert.Equal(401, noToken.StatusCode);
        Assert.False(noToken.TokenSent);
        Assert.Contains("HF_TOKEN", noToken.Message);
        Assert.Contains("gated", noToken.Message);
        Assert.Contains(HubTestBed.RepoId, noToken.Message);
        Assert.All(_bed.Hub.Requests, r => Assert.Null(r.Authorization));

        var wrong = await Assert.ThrowsAsync<HubAuthenticationException>(() => _bed.DownloadAsync(env: _bed.Env(("HF_TOKEN", "hf_wrong"))));
        Assert.Equal(403, wrong.StatusCode);
        Assert.True(wrong.TokenSent);
        Assert.Contains("HF_TOKEN", wrong.Message);
        Assert.Contains("gated", wrong.Message);

        _bed.Hub.ClearRequests();
        var snapshot = await _bed.DownloadAsync(env: _bed.Env(("HF_TOKEN", "hf_secret_token")));
        Assert.Equal(_bed.MainFiles[0].Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "config.json")));
        Assert.All(_bed.Hub.Requests.Where(r => !r.Path.StartsWith("/lfs-store/", StringComparison.Ordinal)),
            r => Assert.Equal("Bearer hf_secret_token", r.Authorization));
    }

    [Fact]
    public async Task TheTokenComesFromOptionsThenHfTokenThenTheLoginFile()
    {
        _bed.Repo.RequiredToken = "hf_from_file";
        var home = Path.Combine(_bed.Root, "hf-home");
        Directory.CreateDirectory(home);
        await File.WriteAllTextAsync(Path.Combine(home, "token"), "hf_from_file\n");
        await _bed.DownloadAsync(allow: ["config.json"]); // read from $HF_HOME/token
        // HF_TOKEN wins over the file, and an explicit option wins over HF_TOKEN.
        await Assert.ThrowsAsync<HubAuthenticationException>(() => _bed.DownloadAsync(revision: "v2", allow: ["config.json"], env: _bed.Env(("HF_TOKEN", "hf_other"))));
        await _bed.DownloadAsync(revision: "v2", allow: ["config.json"], env: _bed.Env(("HF_TOKEN", "hf_other")), options: HubTestBed.FastOptions(token: "hf_from_file"));
    }

    [Fact]
    public async Task MissingRepositoryRevisionOrFileIsNamed()
    {
        var repo = await Assert.ThrowsAsync<HubNotFoundException>(() => _bed.DownloadAsync(repoId: "sftlab-test/no-such-model"));
        Assert.Equal(HubMissingKind.Repository, repo.Missing);
        Assert.Contains("sftlab-test/no-such-model", repo.Message);

        var rev = await Assert.ThrowsAsync<HubNotFoundException>(() => _bed.DownloadAsync(revision: "no-such-branch"));
        Assert.Equal(HubMissingKind.Revision, rev.Missing);
        Assert.Contains("no-such-branch", rev.Message);

        _bed.Hub.Hide("tokenizer_config.json");
        var file = await Assert.ThrowsAsync<HubNotFoundException>(() => _bed.DownloadAsync(options: new ModelHubOptions { MaxParallelDownloads = 1, RetryDelay = TimeSpan.Zero }));
        Assert.Equal(HubMissingKind.File, file.Missing);
        Assert.Equal("tokenizer_config.json", file.FileName);
        Assert.Contains("tokenizer_config.json", file.Message);
    }

    [Fact]
    public async Task ARenamedRepositoryIsFollowed()
    {
        _bed.Hub.AddAlias("old-org/tiny-model", HubTestBed.RepoId);
        var snapshot = await _bed.DownloadAsync(repoId: "old-org/tiny-model", allow: ["config.json", "model.safetensors"]);
        Assert.Equal(Path.Combine(_bed.Cache, "models--old-org--tiny-model", "snapshots", _bed.MainCommit), snapshot);
        Assert.Equal(_bed.MainFiles.Single(f => f.Path == "model.safetensors").Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "model.safetensors")));
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("org/../evil")]
    [InlineData("/abs/path")]
    [InlineData("org\\name")]
    [InlineData("org//name")]
    [InlineData("a/b/c")]
    [InlineData("org/na--me")]
    [InlineData("")]
    [InlineData("org/.hidden")]
    public async Task HostileRepoIdsAreRejectedBeforeAnyRequest(string repoId)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => _bed.DownloadAsync(repoId: repoId));
        Assert.Equal("repoId", e.ParamName);
        Assert.Contains("repo id", e.Message);
        Assert.Empty(_bed.Hub.Requests);
    }

    [Theory]
    [InlineData("../../etc")]
    [InlineData("a//b")]
    [InlineData("/abs")]
    [InlineData("a\\b")]
    [InlineData("")]
    [InlineData("refs/..")]
    [InlineData("./main")]
    public async Task HostileRevisionsAreRejectedBeforeAnyRequest(string revision)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => _bed.DownloadAsync(revision: revision));
        Assert.Equal("revision", e.ParamName);
        Assert.Contains("revision", e.Message);
        Assert.Empty(_bed.Hub.Requests);
    }

    [Theory]
    [InlineData("../../../escape.txt", "'..'")]
    [InlineData("/etc/escape.txt", "absolute")]
    [InlineData("sub\\..\\..\\escape.txt", "backslash")]
    [InlineData("sub//escape.txt", "empty")]
    [InlineData("C:/escape.txt", "drive")]
    public async Task HostileFileNamesFromTheServerAreRejected(string name, string why)
    {
        _bed.Repo.ListedNames = ["config.json", name];
        var e = await Assert.ThrowsAsync<ModelHubException>(() => _bed.DownloadAsync());
        Assert.Contains("$.siblings[1].rfilename", e.Message);
        Assert.Contains(why, e.Message);
        Assert.Equal(name, e.FileName);
        Assert.Empty(_bed.Hub.Heads());
        Assert.DoesNotContain(HubTestBed.FilesUnder(_bed.Root), f => f.Contains("escape", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AHostileEtagIsRejected()
    {
        _bed.Hub.OverrideEtag("config.json", "../../../escape");
        var e = await Assert.ThrowsAsync<ModelHubException>(() => _bed.DownloadAsync(allow: ["config.json"]));
        Assert.Contains("ETag", e.Message);
        Assert.Empty(_bed.Hub.BodyGets());
        Assert.DoesNotContain(HubTestBed.FilesUnder(_bed.Root), f => f.Contains("escape", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { "*.json" }, new[] { "config.json", "nested/adapter_config.json", "tokenizer.json", "tokenizer_config.json" })]
    [InlineData(new[] { "tokenizer*" }, new[] { "tokenizer.json", "tokenizer_config.json" })]
    [InlineData(new[] { "*.safetensors", "config.json" }, new[] { "config.json", "model.safetensors" })]
    [InlineData(new[] { "weights/" }, new[] { "weights/part 1.bin" })]
    [InlineData(new[] { "[RT]*" }, new[] { "README.md" })]
    public async Task AllowPatternsSelectFiles(string[] patterns, string[] expected)
    {
        var snapshot = await _bed.DownloadAsync(allow: patterns);
        Assert.Equal(expected.Order(StringComparer.Ordinal), HubTestBed.FilesUnder(snapshot).Where(f => !Directory.Exists(Path.Combine(snapshot, f))));
        Assert.Equal(expected.Length, _bed.Hub.BodyGets().Count);
    }

    [Fact]
    public async Task PatternsThatMatchNothingListWhatTheRepositoryHas()
    {
        var e = await Assert.ThrowsAsync<HubNotFoundException>(() => _bed.DownloadAsync(allow: ["*.gguf"]));
        Assert.Contains("*.gguf", e.Message);
        Assert.Contains("model.safetensors", e.Message);
        Assert.Empty(_bed.Hub.Heads());
    }

    [Fact]
    public async Task ConcurrentDownloadsOfTheSameRepositoryFetchEachFileOnce()
    {
        var a = _bed.DownloadAsync();
        var b = _bed.DownloadAsync();
        var results = await Task.WhenAll(a, b);
        Assert.Equal(results[0], results[1]);
        // The blob lock (.locks/…/{etag}.lock, as huggingface_hub) makes the second wait and reuse the first's blob.
        Assert.Equal(_bed.MainFiles.Count, _bed.Hub.BodyGets().Count);
        foreach (var f in _bed.MainFiles)
            Assert.Equal(f.Content, await File.ReadAllBytesAsync(Path.Combine(results[0], f.Path)));
        Assert.True(Directory.Exists(Path.Combine(_bed.Cache, ".locks", "models--sftlab-test--tiny-model")));
    }

    [Fact]
    public async Task CancellingKeepsThePartialFileForTheNextCall()
    {
        var incomplete = Path.Combine(_bed.StorageFolder, "blobs", _bed.MainFiles.Single(f => f.Path == "model.safetensors").Sha256 + ".incomplete");
        // The connection drops half-way and the client waits 20 s before resuming: the test cancels it then.
        _bed.Hub.DropConnectionOnce("model.safetensors", 150_000);
        var options = new ModelHubOptions { RetryDelay = TimeSpan.FromSeconds(20), MaxRetries = 1, RequestTimeout = TimeSpan.FromSeconds(20) };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var download = ModelHub.DownloadCoreAsync(HubTestBed.RepoId, null, ["model.safetensors"], options, null, _bed.Env(), cts.Token);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(15) && !(File.Exists(incomplete) && new FileInfo(incomplete).Length > 0))
            await Task.Delay(20);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => download);
        Assert.True(waited.Elapsed < TimeSpan.FromSeconds(15));
        var kept = new FileInfo(incomplete).Length;
        Assert.InRange(kept, 1, 150_000);

        _bed.Hub.ClearRequests();
        var snapshot = await _bed.DownloadAsync(allow: ["model.safetensors"]);
        Assert.Equal($"bytes={kept}-", Assert.Single(_bed.Hub.BodyGets()).Range);
        Assert.Equal(_bed.MainFiles.Single(f => f.Path == "model.safetensors").Content, await File.ReadAllBytesAsync(Path.Combine(snapshot, "model.safetensors")));
    }

    [Fact]
    public async Task WithoutSymlinksSnapshotFilesAreCopiesAndBlobsAreStillReused()
    {
        var snapshot = await _bed.DownloadAsync(env: _bed.Env(("HF_HUB_DISABLE_SYMLINKS", "1")));
        foreach (var f in _bed.MainFiles)
        {
            var info = new FileInfo(Path.Combine(snapshot, f.Path));
            Assert.Null(info.LinkTarget);
            Assert.Equal(f.Content, await File.ReadAllBytesAsync(info.FullName));
            Assert.True(File.Exists(Path.Combine(_bed.StorageFolder, "blobs", f.Etag)));
        }
        _bed.Hub.ClearRequests();
        var v2 = await _bed.DownloadAsync(revision: "v2", options: new ModelHubOptions { UseSymlinks = false, RetryDelay = TimeSpan.Zero });
        Assert.EndsWith("/config.json", Assert.Single(_bed.Hub.BodyGets()).Path);
        Assert.Null(new FileInfo(Path.Combine(v2, "model.safetensors")).LinkTarget);
    }

    [Fact]
    public void TheCacheFolderFollowsHuggingFaceHubsEnvironmentVariables()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string Cache(params (string, string)[] vars)
        {
            var d = vars.ToDictionary(v => v.Item1, v => v.Item2);
            return HubCache.Resolve(null, n => d.GetValueOrDefault(n)).CacheDir;
        }
        Assert.Equal(Path.Combine(home, ".cache", "huggingface", "hub"), Cache());
        Assert.Equal("/x/cache/huggingface/hub", Cache(("XDG_CACHE_HOME", "/x/cache")));
        Assert.Equal("/h/hub", Cache(("HF_HOME", "/h"), ("XDG_CACHE_HOME", "/x/cache")));
        Assert.Equal("/c", Cache(("HF_HUB_CACHE", "/c"), ("HF_HOME", "/h")));
        Assert.Equal(Path.Combine(home, "c2"), Cache(("HF_HUB_CACHE", "~/c2")));
        var endpoint = HubCache.Resolve(null, n => n == "HF_ENDPOINT" ? "http://127.0.0.1:9/" : null).Endpoint;
        Assert.Equal("http://127.0.0.1:9", endpoint);
        Assert.Equal(ModelHub.DefaultEndpoint, HubCache.Resolve(null, _ => null).Endpoint);
        Assert.Throws<ArgumentException>(() => HubCache.Resolve(null, n => n == "HF_ENDPOINT" ? "not a url" : null));
    }
}
