using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SftLab.IO;

/// <summary>
/// Settings of a <see cref="ModelHub"/> download. Every property has a sensible default; the
/// ones left <c>null</c> come from the same environment variables Python's <c>huggingface_hub</c> reads.
/// </summary>
public sealed class ModelHubOptions
{
    /// <summary>The Hub's base URL. Default: <c>$HF_ENDPOINT</c>, else <see cref="ModelHub.DefaultEndpoint"/>.</summary>
    public string? Endpoint { get; init; }

    /// <summary>
    /// An access token, sent as <c>Authorization: Bearer</c>; needed for private and gated models.
    /// Default: <c>$HF_TOKEN</c>, else <c>$HUGGING_FACE_HUB_TOKEN</c>, else the file written by
    /// <c>huggingface-cli login</c> (<c>$HF_TOKEN_PATH</c> or <c>$HF_HOME/token</c>).
    /// </summary>
    public string? Token { get; init; }

    /// <summary>
    /// The cache folder (the one that holds <c>models--org--name</c> folders). Default: <c>$HF_HUB_CACHE</c>,
    /// else <c>$HF_HOME/hub</c>, else <c>~/.cache/huggingface/hub</c>: the folder Python tools use, so files are shared.
    /// </summary>
    public string? CacheDir { get; init; }

    /// <summary>Serve from the cache only, never contact the Hub. Default: <c>$HF_HUB_OFFLINE</c> is 1/true/yes/on.</summary>
    public bool? Offline { get; init; }

    /// <summary>
    /// Link snapshot files to their blobs with symlinks (the default, as huggingface_hub); false copies them
    /// instead. Default: true unless <c>$HF_HUB_DISABLE_SYMLINKS</c> is 1/true. Where the file system refuses
    /// symlinks, copies are made either way.
    /// </summary>
    public bool? UseSymlinks { get; init; }

    /// <summary>Download every file again even when it is cached.</summary>
    public bool ForceDownload { get; init; }

    /// <summary>How many times one call resumes a file after the connection drops (each resume asks only for the missing bytes). Default 3.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>Pause before each resume. Default 1 second.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait for the answer to a request, or for the next bytes of a file, before giving up on that attempt. Default 30 seconds.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many files are downloaded at the same time. Default 4.</summary>
    public int MaxParallelDownloads { get; init; } = 4;
}

/// <summary>What happened to a file, in a <see cref="HubDownloadProgress"/> report.</summary>
public enum HubFileStatus
{
    /// <summary>Bytes are arriving; <see cref="HubDownloadProgress.BytesDownloaded"/> grows.</summary>
    Downloading,

    /// <summary>The file was downloaded, verified and linked into the snapshot.</summary>
    Downloaded,

    /// <summary>The file was already in the cache; nothing was downloaded.</summary>
    Cached,
}

/// <summary>A progress report for one file of a snapshot download.</summary>
/// <param name="FileName">The file's path in the repository, e.g. <c>model.safetensors</c>.</param>
/// <param name="FileIndex">Its position (0-based) among the files of this download.</param>
/// <param name="FileCount">How many files this download has (after the allow patterns).</param>
/// <param name="BytesDownloaded">Bytes of the file on disk so far (a resumed download starts above 0).</param>
/// <param name="TotalBytes">The file's size, once the Hub has said it.</param>
/// <param name="Status">Downloading, done, or served from the cache.</param>
public readonly record struct HubDownloadProgress(
    string FileName, int FileIndex, int FileCount, long BytesDownloaded, long? TotalBytes, HubFileStatus Status);

/// <summary>The kind of Hub repository: models and datasets live under different URLs and cache folders.</summary>
internal enum HubRepoType
{
    /// <summary><c>api/models/...</c>, <c>{repo}/resolve/...</c>, cached in <c>models--org--name</c>.</summary>
    Model,

    /// <summary><c>api/datasets/...</c>, <c>datasets/{repo}/resolve/...</c>, cached in <c>datasets--org--name</c>.</summary>
    Dataset,
}

/// <summary>
/// Downloads model repositories from the Hugging Face Hub into the standard Hugging Face cache, the
/// same folders and file names Python's <c>huggingface_hub</c> (<c>snapshot_download</c>) uses: a model
/// downloaded by <c>transformers</c> is found here without downloading it again, and the other way round.
/// <para>
/// How it works: one request lists the files of the revision and resolves it to a commit hash; for each
/// file not yet in <c>snapshots/{commit}/</c>, a HEAD request gives its ETag (the sha256 of large "LFS"
/// files, the git hash of small ones) and size, then a GET fetches the bytes into
/// <c>blobs/{etag}.incomplete</c>. A dropped connection is resumed with an HTTP Range request, in this call
/// or the next one. The finished file is checked (size, and hash), renamed to <c>blobs/{etag}</c>, and
/// linked from the snapshot. Bad bytes never reach the snapshot.
/// </para>
/// </summary>
/// <example>
/// <code>
/// var folder = ModelHub.Download("HuggingFaceTB/SmolLM2-135M", allowPatterns: ["*.json", "*.safetensors"]);
/// using var weights = SafeTensors.Open(Path.Combine(folder, "model.safetensors"));
/// </code>
/// </example>
public static class ModelHub
{
    /// <summary>The public Hugging Face Hub, used when neither <see cref="ModelHubOptions.Endpoint"/> nor <c>HF_ENDPOINT</c> is set.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>The revision downloaded when none is given: the default branch.</summary>
    public const string DefaultRevision = "main";

    private const int BufferBytes = 1 << 20;
    private const long ProgressStepBytes = 1 << 20;

    private static readonly Lazy<HttpClient> SharedClient = new(() =>
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // redirects are followed by hand: a HEAD keeps the Hub's headers, and a token never goes to another host
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(30),
        };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd($"sftlab/{typeof(ModelHub).Assembly.GetName().Version?.ToString(3) ?? "0"}");
        return client;
    });

    /// <summary>
    /// The cache folder used when <see cref="ModelHubOptions.CacheDir"/> is not set: <c>$HF_HUB_CACHE</c>,
    /// else <c>$HF_HOME/hub</c>, else <c>~/.cache/huggingface/hub</c>.
    /// </summary>
    public static string CacheDirectory => Path.GetFullPath(HubCache.CacheDirFromEnvironment(Environment.GetEnvironmentVariable));

    /// <summary>
    /// The snapshot folder of a repository revision if it is already in the cache (without contacting the
    /// Hub), else null. A branch or tag is found through <c>refs/{revision}</c>, written by the last download.
    /// </summary>
    /// <param name="repoId">The repository, <c>org/name</c>.</param>
    /// <param name="revision">Branch, tag or commit hash; default <c>main</c>.</param>
    /// <param name="cacheDir">The cache folder; default <see cref="CacheDirectory"/>.</param>
    /// <exception cref="ArgumentException">The repo id or revision is not valid (it could escape the cache folder).</exception>
    public static string? TryGetCachedSnapshot(string repoId, string? revision = null, string? cacheDir = null) =>
        TryGetCachedSnapshot(repoId, revision, cacheDir, HubRepoType.Model);

    /// <summary><see cref="TryGetCachedSnapshot(string, string?, string?)"/> for a model or a dataset repository.</summary>
    internal static string? TryGetCachedSnapshot(string repoId, string? revision, string? cacheDir, HubRepoType repoType)
    {
        HubCache.ValidateRepoId(repoId);
        revision ??= DefaultRevision;
        HubCache.ValidateRevision(revision);
        var storage = Path.Combine(Path.GetFullPath(cacheDir ?? CacheDirectory), RepoFolderName(repoType, repoId));
        return FindCachedSnapshot(storage, revision, _ => true, out _);
    }

    /// <summary><c>models--org--name</c> or <c>datasets--org--name</c>, as huggingface_hub names them.</summary>
    internal static string RepoFolderName(HubRepoType repoType, string repoId) =>
        repoType == HubRepoType.Dataset ? "datasets--" + repoId.Replace("/", "--", StringComparison.Ordinal) : HubCache.RepoFolderName(repoId);

    /// <summary>
    /// Downloads a model repository (or the files of it that match <paramref name="allowPatterns"/>) into the
    /// Hugging Face cache and returns the snapshot folder, where each file sits under its name in the repository.
    /// Files already in the cache are not downloaded again. Blocks until done; see <see cref="DownloadAsync"/>.
    /// </summary>
    /// <param name="repoId">The repository, <c>org/name</c> as in the model page's URL, e.g. <c>HuggingFaceTB/SmolLM2-135M</c>.</param>
    /// <param name="revision">A branch, tag or commit hash; default <c>main</c>.</param>
    /// <param name="allowPatterns">
    /// Only files matching at least one of these globs (as in huggingface_hub: <c>*</c> also matches '/'),
    /// e.g. <c>["*.json", "*.safetensors", "tokenizer*"]</c>. Default: every file.
    /// </param>
    /// <param name="options">Endpoint, token, cache folder, offline mode...; default from the environment.</param>
    /// <param name="progress">Receives a report per file as bytes arrive.</param>
    /// <returns>The snapshot folder, <c>{cache}/models--{org}--{name}/snapshots/{commit}</c>.</returns>
    /// <exception cref="ArgumentException">The repo id or revision is invalid or could escape the cache folder.</exception>
    /// <exception cref="HubAuthenticationException">The repository is private or gated and <c>HF_TOKEN</c> is missing or has no access.</exception>
    /// <exception cref="HubNotFoundException">The repository, revision or a file does not exist.</exception>
    /// <exception cref="HubOfflineException">Offline (or the Hub unreachable) and the files are not cached.</exception>
    /// <exception cref="HubIntegrityException">A downloaded file has the wrong size or hash.</exception>
    /// <exception cref="ModelHubException">Any other failure, e.g. the connection dropped more often than <see cref="ModelHubOptions.MaxRetries"/> (the next call resumes).</exception>
    public static string Download(string repoId, string? revision = null, IEnumerable<string>? allowPatterns = null,
        ModelHubOptions? options = null, IProgress<HubDownloadProgress>? progress = null) =>
        Task.Run(() => DownloadAsync(repoId, revision, allowPatterns, options, progress, CancellationToken.None)).GetAwaiter().GetResult();

    /// <summary>
    /// Downloads a model repository into the Hugging Face cache and returns the snapshot folder; see
    /// <see cref="Download"/>. Cancelling keeps what has arrived: the next call resumes from there.
    /// </summary>
    /// <param name="repoId">The repository, <c>org/name</c>.</param>
    /// <param name="revision">A branch, tag or commit hash; default <c>main</c>.</param>
    /// <param name="allowPatterns">Only files matching at least one of these globs; default every file.</param>
    /// <param name="options">Endpoint, token, cache folder, offline mode...; default from the environment.</param>
    /// <param name="progress">Receives a report per file as bytes arrive.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The snapshot folder, <c>{cache}/models--{org}--{name}/snapshots/{commit}</c>.</returns>
    public static Task<string> DownloadAsync(string repoId, string? revision = null, IEnumerable<string>? allowPatterns = null,
        ModelHubOptions? options = null, IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        DownloadCoreAsync(repoId, revision, allowPatterns, options, progress, Environment.GetEnvironmentVariable, cancellationToken);

    /// <summary>The download, with the environment passed in (tests give their own).</summary>
    internal static async Task<string> DownloadCoreAsync(string repoId, string? revision, IEnumerable<string>? allowPatterns,
        ModelHubOptions? options, IProgress<HubDownloadProgress>? progress, Func<string, string?> env, CancellationToken cancellationToken,
        HubRepoType repoType = HubRepoType.Model)
    {
        HubCache.ValidateRepoId(repoId);
        revision ??= DefaultRevision;
        HubCache.ValidateRevision(revision);
        options ??= new ModelHubOptions();
        if (options.MaxRetries < 0) throw new ArgumentOutOfRangeException(nameof(options), "ModelHubOptions.MaxRetries must be 0 or more.");
        if (options.MaxParallelDownloads < 1) throw new ArgumentOutOfRangeException(nameof(options), "ModelHubOptions.MaxParallelDownloads must be 1 or more.");
        if (options.RequestTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "ModelHubOptions.RequestTimeout must be positive.");
        var patterns = allowPatterns?.ToList();
        if (patterns != null && patterns.Any(string.IsNullOrEmpty))
            throw new ArgumentException("An allow pattern is empty.", nameof(allowPatterns));
        var allow = HubCache.AllowFilter(patterns);
        var settings = HubCache.Resolve(options, env);
        var job = new Job(repoId, revision, settings, options, progress, SharedClient.Value) { RepoType = repoType };

        if (settings.Offline)
        {
            return FindCachedSnapshot(job.StorageFolder, revision, allow, out var reason)
                   ?? throw new HubOfflineException(
                       $"Offline mode is on (HF_HUB_OFFLINE), so the Hub is not contacted, and '{repoId}' at revision '{revision}' " +
                       $"is not in the cache: {reason}. Download it once with network access, or point HF_HUB_CACHE at a cache that has it.",
                       repoId, revision);
        }

        string commit;
        List<string> files;
        try
        {
            (commit, files) = await ListFilesAsync(job, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsTransient(e, cancellationToken))
        {
            // The Hub cannot be reached: serve a cached snapshot if there is one (as huggingface_hub does).
            return FindCachedSnapshot(job.StorageFolder, revision, allow, out var reason)
                   ?? throw new HubOfflineException(
                       $"Could not reach the Hub at {settings.Endpoint} ({e.Message}), and '{repoId}' at revision '{revision}' is not in the cache: {reason}. " +
                       "Check the network (and HF_ENDPOINT), or set HF_HUB_OFFLINE=1 to use only cached files.",
                       repoId, revision, e);
        }

        var selected = files.Where(allow).ToList();
        if (selected.Count == 0)
        {
            var sample = string.Join(", ", files.Take(12)) + (files.Count > 12 ? $", ... ({files.Count - 12} more)" : "");
            throw new HubNotFoundException(
                patterns is { Count: > 0 }
                    ? $"No file of '{repoId}' at revision '{revision}' matches the allow patterns {string.Join(", ", patterns.Select(p => $"'{p}'"))}. The repository has: {sample}."
                    : $"Repository '{repoId}' has no files at revision '{revision}'.",
                HubMissingKind.File, repoId, revision, null);
        }

        job.Commit = commit;
        var snapshot = Path.Combine(job.StorageFolder, "snapshots", commit);
        var all = Parallel.ForEachAsync(
            selected.Select((file, index) => (file, index)),
            new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelDownloads, CancellationToken = cancellationToken },
            async (item, ct) => await DownloadFileAsync(job, item.file, item.index, selected.Count, ct).ConfigureAwait(false));
        try
        {
            await all.ConfigureAwait(false);
        }
        catch when (all.Exception?.InnerExceptions.FirstOrDefault(x => x is not OperationCanceledException) is { } first)
        {
            // One file failed and the others were stopped: report the failure, not the stops.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }

        // The ref is written last, so a branch never points at a snapshot whose download failed half-way.
        HubCache.WriteRef(job.StorageFolder, revision, commit);
        return snapshot;
    }

    // ---- cache only ---------------------------------------------------------------------------------

    private static string? FindCachedSnapshot(string storageFolder, string revision, Func<string, bool> allow, out string reason)
    {
        var commit = HubCache.IsCommitHash(revision) ? revision : HubCache.ReadRef(storageFolder, revision);
        if (commit == null)
        {
            reason = Directory.Exists(storageFolder)
                ? $"{Path.Combine(storageFolder, "refs", revision)} does not exist, so the commit of '{revision}' is unknown"
                : $"{storageFolder} does not exist";
            return null;
        }
        var snapshot = Path.Combine(storageFolder, "snapshots", commit);
        if (!Directory.Exists(snapshot))
        {
            reason = $"the snapshot folder {snapshot} does not exist";
            return null;
        }
        var files = HubCache.SnapshotFiles(snapshot).Where(allow).ToList();
        if (files.Count == 0)
        {
            reason = $"no file in {snapshot} matches the allow patterns";
            return null;
        }
        var broken = files.FirstOrDefault(f => !HubCache.FileIsPresent(Path.Combine(snapshot, f)));
        if (broken != null)
        {
            reason = $"{Path.Combine(snapshot, broken)} points at a blob that is missing";
            return null;
        }
        reason = "";
        return snapshot;
    }

    // ---- one download ---------------------------------------------------------------------------------

    private sealed class Job(string repoId, string revision, HubCache.Settings settings, ModelHubOptions options,
        IProgress<HubDownloadProgress>? progress, HttpClient client)
    {
        public string RepoId { get; } = repoId;
        public string Revision { get; } = revision;
        public HubCache.Settings Settings { get; } = settings;
        public ModelHubOptions Options { get; } = options;
        public IProgress<HubDownloadProgress>? Progress { get; } = progress;
        public HttpClient Client { get; } = client;
        public HubRepoType RepoType { get; init; }
        public string StorageFolder => Path.Combine(Settings.CacheDir, RepoFolderName(RepoType, RepoId));
        /// <summary>The API path segment: <c>models</c> or <c>datasets</c>.</summary>
        public string ApiKind => RepoType == HubRepoType.Dataset ? "datasets" : "models";
        /// <summary>What precedes the repo id in file URLs: nothing for models, <c>datasets/</c> for datasets.</summary>
        public string UrlPrefix => RepoType == HubRepoType.Dataset ? "datasets/" : "";
        public Uri Endpoint { get; } = new(settings.Endpoint + "/");
        public string Commit { get; set; } = "";

        /// <summary>Sends a request and returns once the headers have arrived (within the request timeout). The token goes only to the Hub's own host.</summary>
        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, long rangeFrom, CancellationToken ct)
        {
            using var request = new HttpRequestMessage(method, url);
            if (Settings.Token != null && SameOrigin(url, Endpoint))
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Settings.Token);
            request.Headers.AcceptEncoding.ParseAdd("identity"); // sizes must be the real ones
            if (rangeFrom > 0) request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(rangeFrom, null);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Options.RequestTimeout);
            try
            {
                return await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"No answer from {url.GetLeftPart(UriPartial.Authority)} within {Options.RequestTimeout.TotalSeconds:0.#} s ({method} {url.AbsolutePath}).");
            }
        }

        /// <summary>The exception for an error status, with a message that says what to do.</summary>
        public ModelHubException Error(HttpResponseMessage response, string? file)
        {
            var code = (int)response.StatusCode;
            var errorCode = Header(response, "X-Error-Code");
            var serverMessage = Header(response, "X-Error-Message");
            var detail = serverMessage != null ? $" The Hub said: \"{serverMessage}\"" : "";
            var url = response.RequestMessage?.RequestUri?.ToString() ?? Settings.Endpoint;
            if (code is 401 or 403)
            {
                var tokenSent = response.RequestMessage?.Headers.Authorization != null;
                var advice = tokenSent
                    ? $"A token was sent (from {Settings.TokenSource}) but it does not grant access: check that it is valid, and for a gated model that your account has been granted access on the model's page."
                    : "No token was sent: set HF_TOKEN to a Hugging Face access token (or pass ModelHubOptions.Token); for a gated model, first accept its terms on the model's page.";
                return new HubAuthenticationException(
                    $"The Hub refused access to '{RepoId}' (HTTP {code} {response.ReasonPhrase}{(errorCode != null ? $", {errorCode}" : "")}) for {url}. " +
                    $"The repository may be gated (its owners ask you to accept their terms first), private, or may not exist. {advice}{detail}",
                    RepoId, Revision, file, code, tokenSent);
            }
            if (code == 404)
            {
                var missing = errorCode switch
                {
                    "RepoNotFound" => HubMissingKind.Repository,
                    "RevisionNotFound" => HubMissingKind.Revision,
                    "EntryNotFound" => HubMissingKind.File,
                    _ => file != null ? HubMissingKind.File : HubMissingKind.Repository,
                };
                var what = missing switch
                {
                    HubMissingKind.Repository => $"Repository '{RepoId}' was not found on {Settings.Endpoint}. Check the id (it is 'org/name', as in the model page's URL); a private repository also answers 404 without a valid HF_TOKEN.",
                    HubMissingKind.Revision => $"Revision '{Revision}' (a branch, tag or commit) was not found in repository '{RepoId}'.",
                    _ => $"File '{file}' was not found in repository '{RepoId}' at revision '{Revision}'.",
                };
                return new HubNotFoundException($"{what} (HTTP 404 for {url}){detail}", missing, RepoId, Revision, file);
            }
            return new ModelHubException($"The Hub answered HTTP {code} {response.ReasonPhrase} for {url}.{detail}", RepoId, Revision, file, code);
        }
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) &&
        string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private static string? Header(HttpResponseMessage response, string name)
    {
        if (response.Headers.NonValidated.TryGetValues(name, out var values) ||
            response.Content.Headers.NonValidated.TryGetValues(name, out values))
            return values.FirstOrDefault();
        return null;
    }

    /// <summary>Resolves a <c>Location</c> header against the request URL; null when it is missing or not http(s).</summary>
    private static Uri? RedirectTarget(HttpResponseMessage response, Uri current, out bool relative)
    {
        relative = false;
        var location = Header(response, "Location");
        if (string.IsNullOrEmpty(location)) return null;
        // "/path" must not be read as an absolute file:// URI (as Uri does on Unix).
        if (location.StartsWith('/') && !location.StartsWith("//", StringComparison.Ordinal) || !location.Contains("://", StringComparison.Ordinal))
        {
            relative = true;
            return new Uri(current, location);
        }
        return Uri.TryCreate(location, UriKind.Absolute, out var abs) && (abs.Scheme == Uri.UriSchemeHttp || abs.Scheme == Uri.UriSchemeHttps) ? abs : null;
    }

    /// <summary>A failure worth a retry or a cache fallback: no answer, a dropped connection, a timeout, a busy server.</summary>
    private static bool IsTransient(Exception e, CancellationToken ct) => e switch
    {
        OperationCanceledException => !ct.IsCancellationRequested,
        TimeoutException or IOException => true,
        HttpRequestException h => h.StatusCode == null,
        ModelHubException { StatusCode: 408 or 429 or >= 500 } => true,
        _ => false,
    };

    /// <summary><c>GET {endpoint}/api/models/{repo}/revision/{revision}</c>: the commit hash (<c>sha</c>) and the file names (<c>siblings[].rfilename</c>).</summary>
    private static async Task<(string Commit, List<string> Files)> ListFilesAsync(Job job, CancellationToken ct)
    {
        var url = new Uri(job.Endpoint, $"api/{job.ApiKind}/{job.RepoId}/revision/{Uri.EscapeDataString(job.Revision)}");
        for (var hop = 0; ; hop++)
        {
            using var response = await job.SendAsync(HttpMethod.Get, url, 0, ct).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            if (code is >= 300 and < 400 && hop < 5 && RedirectTarget(response, url, out _) is { } next)
            {
                url = next; // a renamed repository
                continue;
            }
            if (!response.IsSuccessStatusCode) throw job.Error(response, null);
            JsonDocument doc;
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                doc = await JsonDocument.ParseAsync(body, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (JsonException e)
            {
                throw new ModelHubException($"The Hub's answer to GET {url} is not valid JSON: {e.Message}", job.RepoId, job.Revision, null, code, e);
            }
            using (doc)
                return ParseListing(doc.RootElement, url, job);
        }
    }

    private static (string Commit, List<string> Files) ParseListing(JsonElement root, Uri url, Job job)
    {
        ModelHubException Bad(string what) =>
            new($"The Hub's answer to GET {url} is not a model listing: {what}.", job.RepoId, job.Revision);
        if (root.ValueKind != JsonValueKind.Object) throw Bad("the root is not a JSON object");
        if (!root.TryGetProperty("sha", out var sha) || sha.ValueKind != JsonValueKind.String)
            throw Bad("$.sha (the commit hash) is missing");
        var commit = sha.GetString()!;
        if (!HubCache.IsCommitHash(commit)) throw Bad($"$.sha is '{commit}', not a 40-character hex commit hash");
        if (!root.TryGetProperty("siblings", out var siblings) || siblings.ValueKind != JsonValueKind.Array)
            throw Bad("$.siblings (the list of files) is missing");
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var sibling in siblings.EnumerateArray())
        {
            if (sibling.ValueKind != JsonValueKind.Object || !sibling.TryGetProperty("rfilename", out var name) || name.ValueKind != JsonValueKind.String)
                throw Bad($"$.siblings[{i}].rfilename is missing or not a string");
            var file = name.GetString()!;
            if (HubCache.RelativePathProblem(file) is { } why)
                throw new ModelHubException(
                    $"The Hub listed an unsafe file name at $.siblings[{i}].rfilename of GET {url}: '{file}' ({why}). " +
                    "It could write outside the cache folder, so nothing was downloaded.", job.RepoId, job.Revision, file);
            if (seen.Add(file)) files.Add(file);
            i++;
        }
        return (commit, files);
    }

    private sealed record FileMetadata(string Etag, long Size, Uri DownloadUrl);

    /// <summary>Escapes a repo path for a URL, keeping '/' (as Python's <c>quote</c>).</summary>
    private static string EscapePath(string file) => string.Join('/', file.Split('/').Select(Uri.EscapeDataString));

    /// <summary>
    /// <c>HEAD {endpoint}/{repo}/resolve/{commit}/{file}</c>. A small file answers 200 with <c>ETag</c> (its git hash)
    /// and <c>Content-Length</c>; an LFS file answers a redirect to the storage with <c>X-Linked-Etag</c> (its sha256),
    /// <c>X-Linked-Size</c> and <c>Location</c>. Relative redirects (a renamed repository) are followed; an absolute one is
    /// where the bytes will come from.
    /// </summary>
    private static async Task<FileMetadata> HeadAsync(Job job, string file, CancellationToken ct)
    {
        var url = new Uri(job.Endpoint, $"{job.UrlPrefix}{job.RepoId}/resolve/{job.Commit}/{EscapePath(file)}");
        for (var hop = 0; ; hop++)
        {
            using var response = await job.SendAsync(HttpMethod.Head, url, 0, ct).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            var isRedirect = code is >= 300 and < 400;
            Uri downloadUrl = url;
            if (isRedirect)
            {
                var target = RedirectTarget(response, url, out var relative)
                             ?? throw new ModelHubException($"HEAD {url} answered HTTP {code} without a usable Location header.", job.RepoId, job.Revision, file, code);
                if (relative)
                {
                    if (hop >= 5) throw new ModelHubException($"HEAD {url}: too many redirects.", job.RepoId, job.Revision, file, code);
                    url = target;
                    continue;
                }
                downloadUrl = target;
            }
            else if (!response.IsSuccessStatusCode) throw job.Error(response, file);

            if (Header(response, "X-Repo-Commit") == null)
                throw new ModelHubException(
                    $"HEAD {url} answered without an X-Repo-Commit header: the server at {job.Settings.Endpoint} does not look like a Hugging Face Hub. " +
                    "Check HF_ENDPOINT and any proxy or firewall in between.", job.RepoId, job.Revision, file, code);
            var rawEtag = Header(response, "X-Linked-Etag") ?? Header(response, "ETag")
                          ?? throw new ModelHubException($"HEAD {url} answered without an ETag, so the file cannot be named in the cache.", job.RepoId, job.Revision, file, code);
            var etag = NormalizeEtag(rawEtag);
            if (!HubCache.IsSafeEtag(etag))
                throw new ModelHubException($"HEAD {url} answered the ETag '{rawEtag}', which is not a safe file name for the cache.", job.RepoId, job.Revision, file, code);
            var sizeText = Header(response, "X-Linked-Size") ?? (isRedirect ? null : response.Content.Headers.ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!long.TryParse(sizeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size))
                throw new ModelHubException($"HEAD {url} did not say the file's size (X-Linked-Size or Content-Length).", job.RepoId, job.Revision, file, code);
            return new FileMetadata(etag, size, downloadUrl);
        }
    }

    /// <summary><c>W/"abc"</c> and <c>"abc"</c> both become <c>abc</c>.</summary>
    private static string NormalizeEtag(string etag)
    {
        var e = etag.Trim();
        if (e.StartsWith("W/", StringComparison.Ordinal)) e = e[2..];
        return e.Trim('"');
    }

    private static async Task DownloadFileAsync(Job job, string file, int index, int count, CancellationToken ct)
    {
        var pointer = HubCache.PointerPath(job.StorageFolder, job.Commit, file);
        if (!job.Options.ForceDownload && HubCache.FileIsPresent(pointer))
        {
            var length = HubCache.FileLength(pointer);
            job.Progress?.Report(new HubDownloadProgress(file, index, count, length, length, HubFileStatus.Cached));
            return;
        }

        var meta = await HeadAsync(job, file, ct).ConfigureAwait(false);
        var blobs = Path.Combine(job.StorageFolder, "blobs");
        Directory.CreateDirectory(blobs);
        var blob = Path.Combine(blobs, meta.Etag);
        var lockDir = Path.Combine(job.Settings.CacheDir, ".locks", RepoFolderName(job.RepoType, job.RepoId));
        Directory.CreateDirectory(lockDir);
        await using var fileLock = await AcquireLockAsync(Path.Combine(lockDir, meta.Etag + ".lock"), ct).ConfigureAwait(false);

        if (!job.Options.ForceDownload && File.Exists(blob) && new FileInfo(blob).Length == meta.Size)
        {
            // Same bytes under another name or commit: link, do not download.
            HubCache.LinkPointer(blob, pointer, job.Settings.UseSymlinks);
            job.Progress?.Report(new HubDownloadProgress(file, index, count, meta.Size, meta.Size, HubFileStatus.Cached));
            return;
        }

        await FetchBlobAsync(job, file, index, count, meta, blob, ct).ConfigureAwait(false);
        HubCache.LinkPointer(blob, pointer, job.Settings.UseSymlinks);
        job.Progress?.Report(new HubDownloadProgress(file, index, count, meta.Size, meta.Size, HubFileStatus.Downloaded));
    }

    /// <summary>Waits for an exclusive lock on <c>.locks/models--org--name/{etag}.lock</c> (the lock file huggingface_hub uses too), so two processes never write the same blob.</summary>
    private static async Task<FileStream> AcquireLockAsync(string path, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException e) when (IsLockedByAnother(e))
            {
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
    }

    // Another holder of the lock: EWOULDBLOCK from flock on Linux (11) or macOS (35), a sharing or lock violation on Windows.
    private static bool IsLockedByAnother(IOException e) =>
        e.HResult is 11 or 35 || (e.HResult & 0xFFFF) is 32 or 33;

    /// <summary>How a finished blob is checked: the ETag of an LFS file is its sha256; of a small file, its git blob sha1.</summary>
    private static IncrementalHash? NewVerifier(string etag, long size, out string algorithm)
    {
        if (etag.Length == 64 && etag.All(char.IsAsciiHexDigitLower))
        {
            algorithm = "sha256";
            return IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }
        if (etag.Length == 40 && etag.All(char.IsAsciiHexDigitLower))
        {
            algorithm = "git blob sha1";
#pragma warning disable CA5350 // SHA-1 is what git names blobs with; it checks integrity here, not authenticity.
            var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
#pragma warning restore CA5350
            hash.AppendData(Encoding.ASCII.GetBytes(FormattableString.Invariant($"blob {size}\0")));
            return hash;
        }
        algorithm = "size only";
        return null;
    }

    /// <summary>
    /// Downloads into <c>blobs/{etag}.incomplete</c>, resuming from its current length with a Range request
    /// (after a dropped connection, in this call or a later one), checks size and hash, then renames it to
    /// <c>blobs/{etag}</c>. On a bad size or hash the partial file is deleted and nothing reaches the cache.
    /// </summary>
    private static async Task FetchBlobAsync(Job job, string file, int index, int count, FileMetadata meta, string blob, CancellationToken ct)
    {
        var incompletePath = blob + ".incomplete";
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        var failures = 0;
        Verifier? verifier = null;
        try
        {
            await using (var output = new FileStream(incompletePath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.Asynchronous))
            {
                if (job.Options.ForceDownload || output.Length > meta.Size) output.SetLength(0);
                verifier = await StartVerifierAsync(output, meta, buffer, ct).ConfigureAwait(false);
                var have = output.Length;
                job.Progress?.Report(new HubDownloadProgress(file, index, count, have, meta.Size, HubFileStatus.Downloading));

                while (have < meta.Size)
                {
                    try
                    {
                        have = await ReceiveAsync(job, file, index, count, meta, output, verifier, have, buffer, ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (IsTransient(e, ct))
                    {
                        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                        if (++failures > job.Options.MaxRetries)
                            throw new ModelHubException(
                                $"Downloading '{file}' of '{job.RepoId}' stopped after {output.Length} of {meta.Size} bytes ({e.Message}). " +
                                $"The bytes received are kept in {incompletePath}: call the download again to resume from there.",
                                job.RepoId, job.Revision, file, (e as ModelHubException)?.StatusCode, e);
                        await Task.Delay(job.Options.RetryDelay, ct).ConfigureAwait(false);
                        // Resume from what is on disk, whatever the failure left half-done.
                        verifier.Dispose();
                        verifier = await StartVerifierAsync(output, meta, buffer, ct).ConfigureAwait(false);
                        have = output.Length;
                    }
                }

                await output.FlushAsync(ct).ConfigureAwait(false);
                if (output.Length != meta.Size)
                    throw Integrity($"'{file}' of '{job.RepoId}' has {output.Length} bytes, but the Hub said {meta.Size}.");
                if (verifier.Hash != null)
                {
                    var actual = Convert.ToHexStringLower(verifier.Hash.GetHashAndReset());
                    if (actual != meta.Etag)
                        throw Integrity($"'{file}' of '{job.RepoId}' is corrupt: its {verifier.Algorithm} is {actual}, but the Hub said {meta.Etag}. Nothing was kept; download again.");
                }
            }
            File.Move(incompletePath, blob, overwrite: true); // atomic: readers see the whole blob or none
        }
        catch (HubIntegrityException)
        {
            File.Delete(incompletePath);
            throw;
        }
        finally
        {
            verifier?.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }

        HubIntegrityException Integrity(string message) => new(message, job.RepoId, job.Revision, file);
    }

    private sealed class Verifier(IncrementalHash? hash, string algorithm) : IDisposable
    {
        public IncrementalHash? Hash { get; private set; } = hash;
        public string Algorithm { get; } = algorithm;

        public void Restart(FileMetadata meta)
        {
            Hash?.Dispose();
            Hash = NewVerifier(meta.Etag, meta.Size, out _);
        }

        public void Dispose() => Hash?.Dispose();
    }

    /// <summary>Starts the hash, feeding it the bytes a previous attempt left in the .incomplete file.</summary>
    private static async Task<Verifier> StartVerifierAsync(FileStream output, FileMetadata meta, byte[] buffer, CancellationToken ct)
    {
        var verifier = new Verifier(NewVerifier(meta.Etag, meta.Size, out var algorithm), algorithm);
        if (verifier.Hash != null && output.Length > 0)
        {
            output.Position = 0;
            int n;
            while ((n = await output.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                verifier.Hash.AppendData(buffer, 0, n);
        }
        output.Position = output.Length;
        return verifier;
    }

    /// <summary>One GET (following redirects), appending to <paramref name="output"/> from byte <paramref name="have"/>; returns the new length.</summary>
    private static async Task<long> ReceiveAsync(Job job, string file, int index, int count, FileMetadata meta, FileStream output,
        Verifier verifier, long have, byte[] buffer, CancellationToken ct)
    {
        var url = meta.DownloadUrl;
        HttpResponseMessage response;
        for (var hop = 0; ; hop++)
        {
            response = await job.SendAsync(HttpMethod.Get, url, have, ct).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            if (code is >= 300 and < 400 && hop < 10 && RedirectTarget(response, url, out _) is { } next)
            {
                response.Dispose();
                url = next;
                continue;
            }
            break;
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (status == 416 && have > 0)
            {
                // The server cannot serve the rest: start the file over.
                output.SetLength(0);
                verifier.Restart(meta);
                throw new IOException($"the server refused the Range request from byte {have} (HTTP 416); restarting the file");
            }
            if (!response.IsSuccessStatusCode) throw job.Error(response, file);
            if (have > 0 && status == 200)
            {
                // The server ignored the Range header and sends the whole file: start over.
                output.SetLength(0);
                output.Position = 0;
                verifier.Restart(meta);
                have = 0;
            }
            else if (status == 206)
            {
                var range = response.Content.Headers.ContentRange;
                if (range?.From is { } from && from != have)
                    throw new ModelHubException($"GET {url} answered bytes from {from}, but {have} were asked for.", job.RepoId, job.Revision, file, status);
            }

            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var reported = have;
            while (true)
            {
                stall.CancelAfter(job.Options.RequestTimeout);
                int n;
                try
                {
                    n = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new TimeoutException($"no bytes arrived for {job.Options.RequestTimeout.TotalSeconds:0.#} s");
                }
                if (n == 0) break;
                if (have + n > meta.Size)
                {
                    output.SetLength(0);
                    throw new HubIntegrityException(
                        $"'{file}' of '{job.RepoId}': the server sent more than the {meta.Size} bytes the Hub announced. Nothing was kept; download again.",
                        job.RepoId, job.Revision, file);
                }
                await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                verifier.Hash?.AppendData(buffer, 0, n);
                have += n;
                if (job.Progress != null && have - reported >= ProgressStepBytes)
                {
                    reported = have;
                    job.Progress.Report(new HubDownloadProgress(file, index, count, have, meta.Size, HubFileStatus.Downloading));
                }
            }
            if (have < meta.Size)
                throw new IOException($"the connection closed after {have} of {meta.Size} bytes");
            return have;
        }
    }
}
