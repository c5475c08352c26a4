using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SftLab.Tests.Hub;

/// <summary>A file of a fake repository. LFS files are served the way the Hub serves large files: a redirect to storage.</summary>
public sealed class FakeFile(string path, byte[] content, bool lfs)
{
    public string Path { get; } = path;
    public byte[] Content { get; } = content;
    public bool Lfs { get; } = lfs;

    /// <summary>What the Hub calls the file's ETag: sha256 of the bytes for LFS files, the git blob id for the others.</summary>
    public string Etag => Lfs ? Sha256 : GitBlobSha1(Content);

    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Content));

    /// <summary>The git pointer file that stands in the repository for an LFS file.</summary>
    public byte[] LfsPointer => Encoding.ASCII.GetBytes($"version https://git-lfs.github.com/spec/v1\noid sha256:{Sha256}\nsize {Content.Length}\n");

    /// <summary>git's object id of a blob: sha1("blob {length}\0" + bytes).</summary>
    public static string GitBlobSha1(byte[] bytes)
    {
        var header = Encoding.ASCII.GetBytes($"blob {bytes.Length}\0");
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. bytes]));
    }
}

/// <summary>A repository of the fake Hub: commits, branches, and an optional token requirement (a gated model).</summary>
public sealed class FakeRepo(string id)
{
    public string Id { get; } = id;
    public Dictionary<string, List<FakeFile>> Commits { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Branches { get; } = new(StringComparer.Ordinal);
    public string? RequiredToken { get; set; }

    /// <summary>File names listed in the API answer in place of the real ones (to test hostile listings).</summary>
    public List<string>? ListedNames { get; set; }

    public string AddCommit(string branch, IEnumerable<FakeFile> files)
    {
        var sha = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes($"{Id}:{branch}:{Commits.Count}")));
        Commits[sha] = files.ToList();
        Branches[branch] = sha;
        return sha;
    }

    public string? Resolve(string revision) =>
        Commits.ContainsKey(revision) ? revision : Branches.GetValueOrDefault(revision);
}

/// <summary>One request the fake Hub received.</summary>
public sealed record FakeRequest(string Method, string Path, string? Range, string? Authorization);

/// <summary>
/// An in-process HTTP server on 127.0.0.1 (a free port) that serves the Hugging Face Hub's URL layout from
/// in-memory repositories:
/// <c>GET /api/models/{repo}/revision/{rev}</c> (<c>sha</c>, <c>siblings</c>), <c>GET /api/models/{repo}/tree/{rev}</c> and
/// <c>POST /api/models/{repo}/paths-info/{rev}</c> (used by @huggingface/hub), <c>HEAD/GET /{repo}/resolve/{rev}/{file}</c>
/// with <c>X-Repo-Commit</c>, <c>ETag</c>, <c>X-Linked-Etag</c>, <c>X-Linked-Size</c>; LFS files answer a 302 to
/// <c>/lfs-store/{sha256}</c> on the same server. Range requests get 206. Faults can be injected: drop the connection
/// after N bytes of a file once, serve corrupted bytes, answer a hostile ETag. Every request is recorded, and the
/// number of requests is capped so a misbehaving client cannot loop forever.
/// </summary>
public sealed class FakeHub : IDisposable
{
    private readonly HttpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ConcurrentDictionary<string, FakeRepo> _repos = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _aliases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _dropAfter = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _corrupt = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _etagOverride = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _hidden = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<FakeRequest> _requests = new();
    private int _count;

    /// <summary>Where LFS redirects point (another server stands for the Hub's storage); default this server.</summary>
    public string? LfsStoreEndpoint { get; set; }

    /// <summary>Files whose GETs ignore the Range header and send everything with 200 (as some CDNs do).</summary>
    public ConcurrentDictionary<string, byte> IgnoreRange { get; } = new(StringComparer.Ordinal);

    /// <summary>Requests beyond this number get HTTP 500 (a runaway client fails fast instead of looping).</summary>
    public int MaxRequests { get; set; } = 500;

    public FakeHub()
    {
        HttpListener? listener = null;
        for (var attempt = 0; listener == null; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var candidate = new HttpListener();
            candidate.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                candidate.Start();
                listener = candidate;
                Endpoint = $"http://127.0.0.1:{port}";
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                candidate.Close();
            }
        }
        _listener = listener;
        _loop = Task.Run(AcceptLoopAsync);
    }

    /// <summary><c>http://127.0.0.1:{port}</c>, for HF_ENDPOINT.</summary>
    public string Endpoint { get; } = "";

    public IReadOnlyList<FakeRequest> Requests => _requests.ToArray();

    public void ClearRequests() => _requests.Clear();

    public FakeRepo AddRepo(string id)
    {
        var repo = new FakeRepo(id);
        _repos[id] = repo;
        return repo;
    }

    /// <summary>Requests for <paramref name="oldId"/> answer a relative 307 to <paramref name="newId"/> (a renamed repository).</summary>
    public void AddAlias(string oldId, string newId) => _aliases[oldId] = newId;

    /// <summary>The next GET of this file's bytes sends <paramref name="bytes"/> bytes, then the connection is cut.</summary>
    public void DropConnectionOnce(string file, long bytes) => _dropAfter[file] = bytes;

    /// <summary>The next <paramref name="times"/> GETs of this file's bytes have one byte flipped (same length).</summary>
    public void Corrupt(string file, int times = 1) => _corrupt[file] = times;

    /// <summary>HEAD of this file answers this ETag instead of the real one.</summary>
    public void OverrideEtag(string file, string etag) => _etagOverride[file] = etag;

    /// <summary>The file stays listed but its resolve URL answers 404 EntryNotFound.</summary>
    public void Hide(string file) => _hidden[file] = 0;

    /// <summary>GET requests that transfer a file's bytes (resolve of a small file, or LFS storage).</summary>
    public List<FakeRequest> BodyGets() =>
        Requests.Where(r => r.Method == "GET" && (r.Path.Contains("/resolve/", StringComparison.Ordinal) || r.Path.StartsWith("/lfs-store/", StringComparison.Ordinal))).ToList();

    public List<FakeRequest> Heads() => Requests.Where(r => r.Method == "HEAD").ToList();

    public List<FakeRequest> ApiCalls() => Requests.Where(r => r.Path.StartsWith("/api/", StringComparison.Ordinal)).ToList();

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => HandleSafelyAsync(context));
        }
    }

    private async Task HandleSafelyAsync(HttpListenerContext context)
    {
        try
        {
            await HandleAsync(context).ConfigureAwait(false);
        }
        catch (Exception)
        {
            try { context.Response.Abort(); } catch (Exception) { /* already gone */ }
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var req = context.Request;
        var res = context.Response;
        var rawUrl = req.RawUrl ?? "/";
        var rawPath = rawUrl.Split('?')[0];
        _requests.Enqueue(new FakeRequest(req.HttpMethod, rawPath, req.Headers["Range"], req.Headers["Authorization"]));
        if (Interlocked.Increment(ref _count) > MaxRequests)
        {
            await ErrorAsync(res, 500, null, "too many requests for this test").ConfigureAwait(false);
            return;
        }

        var segments = rawPath.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        if (segments.Length >= 2 && segments[0] == "lfs-store")
        {
            var sha = segments[1];
            var file = _repos.Values.SelectMany(r => r.Commits.Values).SelectMany(f => f).FirstOrDefault(f => f.Lfs && f.Sha256 == sha);
            if (file == null) await ErrorAsync(res, 404, null, "no such object").ConfigureAwait(false);
            else
            {
                res.Headers["ETag"] = $"\"{sha}\"";
                await ServeBytesAsync(req, res, file).ConfigureAwait(false);
            }
            return;
        }

        if (segments.Length >= 5 && segments[0] == "api" && segments[1] == "models")
        {
            // /api/models/{org}/{name}/{revision|tree|paths-info}/{rev}[/...]
            var repoId = $"{segments[2]}/{segments[3]}";
            if (_aliases.TryGetValue(repoId, out var target))
            {
                Redirect(res, rawUrl.Replace($"/api/models/{repoId}/", $"/api/models/{target}/", StringComparison.Ordinal));
                return;
            }
            var repo = await RepoOrErrorAsync(req, res, repoId).ConfigureAwait(false);
            if (repo == null) return;
            var kind = segments[4];
            var revision = segments.Length > 5 ? segments[5] : "main";
            var commit = repo.Resolve(revision);
            if (commit == null)
            {
                await ErrorAsync(res, 404, "RevisionNotFound", $"Invalid rev id: {revision}").ConfigureAwait(false);
                return;
            }
            var files = repo.Commits[commit];
            object answer = kind switch
            {
                "revision" => new Dictionary<string, object>
                {
                    ["_id"] = "0123456789abcdef01234567",
                    ["id"] = repo.Id,
                    ["modelId"] = repo.Id,
                    ["private"] = false,
                    ["sha"] = commit,
                    ["lastModified"] = "2026-01-01T00:00:00.000Z",
                    ["siblings"] = (repo.ListedNames ?? files.Select(f => f.Path).ToList()).Select(n => new Dictionary<string, object> { ["rfilename"] = n }).ToList(),
                },
                "tree" => TreeEntries(files),
                "paths-info" => await PathsInfoAsync(req, files).ConfigureAwait(false),
                _ => new Dictionary<string, object>(),
            };
            await JsonAsync(res, answer).ConfigureAwait(false);
            return;
        }

        var resolveAt = Array.IndexOf(segments, "resolve");
        if (resolveAt is 1 or 2 && segments.Length > resolveAt + 2)
        {
            var repoId = string.Join('/', segments[..resolveAt]);
            if (_aliases.TryGetValue(repoId, out var target))
            {
                Redirect(res, rawUrl.Replace($"/{repoId}/resolve/", $"/{target}/resolve/", StringComparison.Ordinal));
                return;
            }
            var repo = await RepoOrErrorAsync(req, res, repoId).ConfigureAwait(false);
            if (repo == null) return;
            var revision = segments[resolveAt + 1];
            var path = string.Join('/', segments[(resolveAt + 2)..]);
            var commit = repo.Resolve(revision);
            if (commit == null)
            {
                await ErrorAsync(res, 404, "RevisionNotFound", $"Invalid rev id: {revision}").ConfigureAwait(false);
                return;
            }
            res.Headers["X-Repo-Commit"] = commit;
            var file = repo.Commits[commit].FirstOrDefault(f => f.Path == path);
            if (file == null || _hidden.ContainsKey(path))
            {
                await ErrorAsync(res, 404, "EntryNotFound", $"{path} does not exist on \"{revision}\"").ConfigureAwait(false);
                return;
            }
            var etag = _etagOverride.GetValueOrDefault(path);
            if (file.Lfs)
            {
                res.Headers["X-Linked-Etag"] = $"\"{etag ?? file.Sha256}\"";
                res.Headers["X-Linked-Size"] = file.Content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
                res.Headers["ETag"] = $"\"{FakeFile.GitBlobSha1(file.LfsPointer)}\"";
                res.StatusCode = 302;
                res.RedirectLocation = $"{LfsStoreEndpoint ?? Endpoint}/lfs-store/{file.Sha256}";
                res.ContentLength64 = 0;
                res.Close();
                return;
            }
            res.Headers["ETag"] = $"\"{etag ?? file.Etag}\"";
            await ServeBytesAsync(req, res, file).ConfigureAwait(false);
            return;
        }

        await ErrorAsync(res, 404, null, "unknown route").ConfigureAwait(false);
    }

    private async Task<FakeRepo?> RepoOrErrorAsync(HttpListenerRequest req, HttpListenerResponse res, string repoId)
    {
        if (!_repos.TryGetValue(repoId, out var repo))
        {
            await ErrorAsync(res, 404, "RepoNotFound", "Repository not found").ConfigureAwait(false);
            return null;
        }
        if (repo.RequiredToken != null)
        {
            var auth = req.Headers["Authorization"];
            if (auth == null)
            {
                await ErrorAsync(res, 401, "GatedRepo", $"Access to model {repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.").ConfigureAwait(false);
                return null;
            }
            if (auth != $"Bearer {repo.RequiredToken}")
            {
                await ErrorAsync(res, 403, "GatedRepo", $"Access to model {repoId} is restricted and you are not in the authorized list.").ConfigureAwait(false);
                return null;
            }
        }
        return repo;
    }

    private static List<Dictionary<string, object>> TreeEntries(List<FakeFile> files)
    {
        var entries = new List<Dictionary<string, object>>();
        var dirs = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            var parts = f.Path.Split('/');
            for (var i = 1; i < parts.Length; i++) dirs.Add(string.Join('/', parts[..i]));
        }
        foreach (var d in dirs)
            entries.Add(new() { ["type"] = "directory", ["oid"] = "0000000000000000000000000000000000000000", ["size"] = 0, ["path"] = d });
        entries.AddRange(files.Select(Entry));
        return entries;
    }

    private static Dictionary<string, object> Entry(FakeFile f)
    {
        var entry = new Dictionary<string, object>
        {
            ["type"] = "file",
            ["oid"] = FakeFile.GitBlobSha1(f.Lfs ? f.LfsPointer : f.Content),
            ["size"] = f.Content.Length,
            ["path"] = f.Path,
        };
        if (f.Lfs) entry["lfs"] = new Dictionary<string, object> { ["oid"] = f.Sha256, ["size"] = f.Content.Length, ["pointerSize"] = f.LfsPointer.Length };
        return entry;
    }

    private static async Task<object> PathsInfoAsync(HttpListenerRequest req, List<FakeFile> files)
    {
        using var doc = await JsonDocument.ParseAsync(req.InputStream).ConfigureAwait(false);
        var paths = doc.RootElement.GetProperty("paths").EnumerateArray().Select(p => p.GetString()).ToHashSet();
        return files.Where(f => paths.Contains(f.Path)).Select(Entry).ToList();
    }

    private static void Redirect(HttpListenerResponse res, string relativeLocation)
    {
        res.StatusCode = 307;
        res.Headers["Location"] = relativeLocation;
        res.ContentLength64 = 0;
        res.Close();
    }

    private static async Task JsonAsync(HttpListenerResponse res, object value)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value);
        res.ContentType = "application/json";
        res.ContentLength64 = bytes.Length;
        await res.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        res.Close();
    }

    private static async Task ErrorAsync(HttpListenerResponse res, int status, string? code, string message)
    {
        res.StatusCode = status;
        if (code != null) res.Headers["X-Error-Code"] = code;
        res.Headers["X-Error-Message"] = message;
        var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { error = message }));
        res.ContentType = "application/json";
        res.ContentLength64 = bytes.Length;
        await res.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        res.Close();
    }

    /// <summary>Serves a file's bytes (or the asked Range, with 206), applying any injected fault.</summary>
    private async Task ServeBytesAsync(HttpListenerRequest req, HttpListenerResponse res, FakeFile file)
    {
        var content = file.Content;
        long from = 0, to = content.Length - 1;
        var range = req.Headers["Range"];
        if (range != null && range.StartsWith("bytes=", StringComparison.Ordinal) && !IgnoreRange.ContainsKey(file.Path))
        {
            var spec = range["bytes=".Length..].Split('-');
            from = long.Parse(spec[0], System.Globalization.CultureInfo.InvariantCulture);
            if (spec[1].Length > 0) to = Math.Min(to, long.Parse(spec[1], System.Globalization.CultureInfo.InvariantCulture));
            if (from >= content.Length || from > to)
            {
                res.StatusCode = 416;
                res.Headers["Content-Range"] = $"bytes */{content.Length}";
                res.ContentLength64 = 0;
                res.Close();
                return;
            }
            res.StatusCode = 206;
            res.Headers["Content-Range"] = $"bytes {from}-{to}/{content.Length}";
        }
        res.Headers["Accept-Ranges"] = "bytes";
        res.ContentType = "application/octet-stream";
        var length = to - from + 1;
        res.ContentLength64 = length;
        if (req.HttpMethod == "HEAD")
        {
            res.Close();
            return;
        }

        var body = content.AsMemory((int)from, (int)length).ToArray();
        if (_corrupt.TryGetValue(file.Path, out var times) && times > 0)
        {
            _corrupt[file.Path] = times - 1;
            body[body.Length / 2] ^= 0x5A;
        }
        if (_dropAfter.TryRemove(file.Path, out var dropAt) && dropAt < length)
        {
            await res.OutputStream.WriteAsync(body.AsMemory(0, (int)dropAt)).ConfigureAwait(false);
            await res.OutputStream.FlushAsync().ConfigureAwait(false);
            await Task.Delay(100).ConfigureAwait(false); // let the bytes reach the client before the cut
            res.Abort();
            return;
        }
        await res.OutputStream.WriteAsync(body).ConfigureAwait(false);
        res.Close();
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _listener.Close();
        }
        catch (HttpListenerException)
        {
            // already closing; the port is released either way
        }
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
