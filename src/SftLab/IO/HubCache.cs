using System.Text;
using System.Text.RegularExpressions;

namespace SftLab.IO;

/// <summary>
/// The on-disk layout of the Hugging Face cache, shared with Python's <c>huggingface_hub</c> and
/// JavaScript's <c>@huggingface/hub</c>, so a file downloaded by any of them is reused by the others:
/// <code>
/// {cache}/models--{org}--{name}/
///     blobs/{etag}                      the bytes, named by the Hub's ETag (sha256 for LFS files, git sha1 otherwise)
///     snapshots/{commit}/{file}         relative symlinks to ../../blobs/{etag} (copies where symlinks fail)
///     refs/{revision}                   the commit hash a branch or tag pointed to at the last download
/// </code>
/// Also: the settings read from the environment (HF_HUB_CACHE, HF_HOME, HF_ENDPOINT, HF_TOKEN,
/// HF_HUB_OFFLINE), validation of every name that becomes a path, and the glob patterns of
/// <c>allow_patterns</c>.
/// </summary>
internal static partial class HubCache
{
    /// <summary>Settings after the options and the environment are combined.</summary>
    internal sealed record Settings(string Endpoint, string? Token, string TokenSource, string CacheDir, bool Offline, bool UseSymlinks);

    /// <summary>Combines explicit options with the environment (through <paramref name="env"/>, so tests need not touch process state).</summary>
    internal static Settings Resolve(ModelHubOptions? options, Func<string, string?> env)
    {
        options ??= new ModelHubOptions();
        var endpoint = NonEmpty(options.Endpoint) ?? NonEmpty(env("HF_ENDPOINT")) ?? ModelHub.DefaultEndpoint;
        endpoint = endpoint.TrimEnd('/');
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var endpointUri) || (endpointUri.Scheme != Uri.UriSchemeHttp && endpointUri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"The Hub endpoint '{endpoint}' (from {(options.Endpoint != null ? "ModelHubOptions.Endpoint" : "HF_ENDPOINT")}) is not an absolute http(s) URL.", nameof(options));

        string? token;
        string tokenSource;
        if (NonEmpty(options.Token) is { } t) (token, tokenSource) = (t, "ModelHubOptions.Token");
        else if (NonEmpty(env("HF_TOKEN")) is { } t2) (token, tokenSource) = (t2, "HF_TOKEN");
        else if (NonEmpty(env("HUGGING_FACE_HUB_TOKEN")) is { } t3) (token, tokenSource) = (t3, "HUGGING_FACE_HUB_TOKEN");
        else
        {
            var tokenPath = NonEmpty(env("HF_TOKEN_PATH")) ?? Path.Combine(HfHome(env), "token");
            token = File.Exists(tokenPath) ? NonEmpty(File.ReadAllText(tokenPath).Trim()) : null;
            tokenSource = token != null ? $"the token file {tokenPath}" : "none (HF_TOKEN is not set)";
        }

        var cacheDir = NonEmpty(options.CacheDir) ?? CacheDirFromEnvironment(env);
        var offline = options.Offline ?? (IsTrue(env("HF_HUB_OFFLINE")) || IsTrue(env("TRANSFORMERS_OFFLINE")));
        var useSymlinks = options.UseSymlinks ?? !IsTrue(env("HF_HUB_DISABLE_SYMLINKS"));
        return new Settings(endpoint, token, tokenSource, Path.GetFullPath(ExpandHome(cacheDir)), offline, useSymlinks);
    }

    /// <summary><c>$HF_HUB_CACHE</c>, else <c>$HUGGINGFACE_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else <c>$XDG_CACHE_HOME/huggingface/hub</c>, else <c>~/.cache/huggingface/hub</c>.</summary>
    internal static string CacheDirFromEnvironment(Func<string, string?> env) =>
        ExpandHome(NonEmpty(env("HF_HUB_CACHE")) ?? NonEmpty(env("HUGGINGFACE_HUB_CACHE")) ?? Path.Combine(HfHome(env), "hub"));

    private static string HfHome(Func<string, string?> env) =>
        ExpandHome(NonEmpty(env("HF_HOME"))
                   ?? Path.Combine(NonEmpty(env("XDG_CACHE_HOME")) ?? Path.Combine(Home(), ".cache"), "huggingface"));

    private static string Home() => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static string ExpandHome(string path) =>
        path == "~" ? Home() : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Home(), path[2..]) : path;

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    // huggingface_hub's ENV_VARS_TRUE_VALUES.
    private static bool IsTrue(string? value) =>
        value != null && value.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    // ---- names that become paths ----------------------------------------------------------------

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitHashRegex();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex RepoSegmentRegex();

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex EtagRegex();

    /// <summary>True for a full 40-character lowercase hex commit hash.</summary>
    internal static bool IsCommitHash(string s) => CommitHashRegex().IsMatch(s);

    /// <summary>
    /// Checks a repo id (<c>org/name</c> or <c>name</c>): one or two segments of letters, digits,
    /// <c>. _ -</c>, starting with a letter or digit, without <c>..</c> or <c>--</c> (the separator of
    /// the cache folder's name). Anything else could not name a Hub repository and might escape the cache.
    /// </summary>
    internal static void ValidateRepoId(string repoId)
    {
        ArgumentNullException.ThrowIfNull(repoId);
        var parts = repoId.Split('/');
        string? why = null;
        if (repoId.Length == 0) why = "it is empty";
        else if (repoId.Contains('\\')) why = "it contains a backslash";
        else if (parts.Length > 2) why = "it has more than one '/' (expected 'org/name' or 'name')";
        else if (parts.Any(p => p.Length == 0)) why = "it has an empty segment";
        else if (parts.Any(p => p is "." or "..") || repoId.Contains("..", StringComparison.Ordinal)) why = "it contains '..'";
        else if (repoId.Contains("--", StringComparison.Ordinal)) why = "it contains '--', which the cache uses as its separator";
        else if (parts.Any(p => !RepoSegmentRegex().IsMatch(p))) why = "only letters, digits, '.', '_' and '-' are allowed, starting with a letter or digit";
        else if (parts[^1].Length > 96) why = "the name is longer than 96 characters";
        if (why != null)
            throw new ArgumentException($"Invalid Hub repo id '{repoId}': {why}.", nameof(repoId));
    }

    /// <summary>
    /// Checks a revision (branch, tag or commit): it becomes <c>refs/{revision}</c> on disk, so it must be
    /// a relative path without empty, <c>.</c> or <c>..</c> segments, backslashes or control characters.
    /// </summary>
    internal static void ValidateRevision(string revision)
    {
        var why = RelativePathProblem(revision);
        if (why != null)
            throw new ArgumentException($"Invalid revision '{revision}': {why}.", nameof(revision));
    }

    /// <summary>Why <paramref name="path"/> is not a safe relative path with '/' separators, or null when it is.</summary>
    internal static string? RelativePathProblem(string path)
    {
        if (path.Length == 0) return "it is empty";
        if (path.Contains('\\')) return "it contains a backslash";
        if (path.StartsWith('/')) return "it is an absolute path";
        if (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0])) return "it starts with a drive letter";
        if (path.Any(char.IsControl)) return "it contains a control character";
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0) return "it has an empty path segment";
            if (segment is "." or "..") return $"it has a '{segment}' path segment";
        }
        return null;
    }

    /// <summary>Checks an ETag received from the server before it becomes a file name in <c>blobs/</c>.</summary>
    internal static bool IsSafeEtag(string etag) =>
        etag.Length is > 0 and <= 200 && EtagRegex().IsMatch(etag) && !etag.StartsWith('.') && !etag.Contains("..", StringComparison.Ordinal);

    /// <summary><c>models--{org}--{name}</c>.</summary>
    internal static string RepoFolderName(string repoId) => "models--" + repoId.Replace("/", "--", StringComparison.Ordinal);

    /// <summary><c>{storage}/snapshots/{commit}/{file}</c>, checked to stay inside the snapshot folder.</summary>
    internal static string PointerPath(string storageFolder, string commit, string relativeFile)
    {
        var snapshot = Path.GetFullPath(Path.Combine(storageFolder, "snapshots", commit));
        var pointer = Path.GetFullPath(Path.Combine(snapshot, relativeFile.Replace('/', Path.DirectorySeparatorChar)));
        if (!pointer.StartsWith(snapshot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidOperationException($"The file name '{relativeFile}' would be written outside the snapshot folder {snapshot}.");
        return pointer;
    }

    /// <summary>
    /// True when <paramref name="path"/> is a regular file or a symlink whose final target exists
    /// (a dangling link left by a deleted blob does not count, as in <c>huggingface_hub</c>).
    /// </summary>
    internal static bool FileIsPresent(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget == null) return info.Exists;
        try
        {
            return info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true };
        }
        catch (IOException)
        {
            return false; // a link loop
        }
    }

    /// <summary>The length of a file, or of the file a symlink finally points at.</summary>
    internal static long FileLength(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget != null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target ? target.Length : info.Length;
    }

    /// <summary>Reads <c>refs/{revision}</c>: the commit hash, or null when absent or not a hash.</summary>
    internal static string? ReadRef(string storageFolder, string revision)
    {
        var path = Path.Combine(storageFolder, "refs", revision.Replace('/', Path.DirectorySeparatorChar));
        if (!File.Exists(path)) return null;
        var commit = File.ReadAllText(path).Trim();
        return IsCommitHash(commit) ? commit : null;
    }

    /// <summary>Writes <c>refs/{revision}</c> (no newline, as huggingface_hub does) atomically, and only when it changes.</summary>
    internal static void WriteRef(string storageFolder, string revision, string commit)
    {
        if (revision == commit) return;
        var path = Path.Combine(storageFolder, "refs", revision.Replace('/', Path.DirectorySeparatorChar));
        if (File.Exists(path) && File.ReadAllText(path) == commit) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(tmp, commit, new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>
    /// Makes <paramref name="pointer"/> a relative symlink to <paramref name="blob"/> (created under a temporary name,
    /// then renamed over the pointer, so a reader never sees a half-made pointer). Where the file system refuses
    /// symlinks (or <paramref name="useSymlinks"/> is false: <c>HF_HUB_DISABLE_SYMLINKS=1</c>), copies the blob instead,
    /// as huggingface_hub does on Windows without developer mode. The blob stays, so later snapshots still reuse it.
    /// </summary>
    internal static void LinkPointer(string blob, string pointer, bool useSymlinks)
    {
        var dir = Path.GetDirectoryName(pointer)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(pointer)}.{Guid.NewGuid():N}.tmp");
        var linked = false;
        if (useSymlinks)
        {
            try
            {
                File.CreateSymbolicLink(tmp, Path.GetRelativePath(dir, blob));
                linked = true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
            {
                // no symlinks on this file system: copy below
            }
        }
        if (!linked) File.Copy(blob, tmp, overwrite: true);
        File.Move(tmp, pointer, overwrite: true);
    }

    /// <summary>The files under a snapshot folder, as repo paths with '/' separators.</summary>
    internal static IEnumerable<string> SnapshotFiles(string snapshotFolder) =>
        Directory.Exists(snapshotFolder)
            ? Directory.EnumerateFiles(snapshotFolder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                .Select(f => Path.GetRelativePath(snapshotFolder, f).Replace(Path.DirectorySeparatorChar, '/'))
                .Where(f => !Path.GetFileName(f).StartsWith('.') || !f.EndsWith(".tmp", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
            : [];

    // ---- allow patterns ----------------------------------------------------------------------------

    /// <summary>
    /// A glob with the semantics of huggingface_hub's <c>allow_patterns</c> (Python's <c>fnmatch.fnmatchcase</c>):
    /// case-sensitive; <c>*</c> matches any run of characters <em>including</em> '/', <c>?</c> one character,
    /// <c>[abc]</c>, <c>[a-z]</c> and <c>[!abc]</c> a class; a pattern ending in '/' matches everything under that folder;
    /// backslashes count as '/'.
    /// </summary>
    internal static Regex GlobToRegex(string pattern)
    {
        var p = pattern.Replace('\\', '/');
        if (p.EndsWith('/')) p += "*";
        var sb = new StringBuilder("^");
        for (var i = 0; i < p.Length; i++)
        {
            var c = p[i];
            switch (c)
            {
                case '*':
                    while (i + 1 < p.Length && p[i + 1] == '*') i++;
                    sb.Append(".*");
                    break;
                case '?':
                    sb.Append('.');
                    break;
                case '[':
                {
                    // fnmatch: a ']' right after '[' or '[!' is literal; no closing ']' makes '[' literal.
                    var j = i + 1;
                    if (j < p.Length && p[j] == '!') j++;
                    if (j < p.Length && p[j] == ']') j++;
                    while (j < p.Length && p[j] != ']') j++;
                    if (j >= p.Length)
                    {
                        sb.Append("\\[");
                        break;
                    }
                    var body = p[(i + 1)..j];
                    var negate = body.StartsWith('!');
                    if (negate) body = body[1..];
                    var cls = new StringBuilder();
                    for (var k = 0; k < body.Length; k++)
                    {
                        var ch = body[k];
                        if (k + 2 < body.Length && body[k + 1] == '-')
                        {
                            var hi = body[k + 2];
                            if (hi >= ch) cls.Append(EscapeClassChar(ch)).Append('-').Append(EscapeClassChar(hi));
                            k += 2;
                        }
                        else cls.Append(EscapeClassChar(ch));
                    }
                    if (cls.Length == 0) sb.Append(negate ? "." : "(?!)");
                    else sb.Append(negate ? "[^" : "[").Append(cls).Append(']');
                    i = j;
                    break;
                }
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        sb.Append("\\z");
        return new Regex(sb.ToString(), RegexOptions.Singleline | RegexOptions.CultureInvariant);
    }

    private static string EscapeClassChar(char c) => c is '\\' or ']' or '[' or '^' or '-' ? "\\" + c : c.ToString();

    /// <summary>A predicate that keeps a repo file when it matches at least one pattern (all files when there are no patterns).</summary>
    internal static Func<string, bool> AllowFilter(IEnumerable<string>? allowPatterns)
    {
        var patterns = allowPatterns?.ToList();
        if (patterns == null || patterns.Count == 0) return _ => true;
        var regexes = patterns.Select(GlobToRegex).ToList();
        return file => regexes.Any(r => r.IsMatch(file.Replace('\\', '/')));
    }
}
