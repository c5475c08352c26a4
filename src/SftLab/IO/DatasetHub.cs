using System.Text.RegularExpressions;
using SftLab.Data;

namespace SftLab.IO;

/// <summary>
/// Loads dataset repositories from the Hugging Face Hub by name, e.g. <c>DatasetHub.Load("org/name", "train")</c>.
/// The download is <see cref="ModelHub"/>'s (same client, cache, resume, verification, offline mode and token), for a
/// dataset repository: <c>api/datasets/{repo}</c>, <c>datasets/{repo}/resolve/...</c>, cached in
/// <c>{cache}/datasets--org--name/snapshots/{commit}/</c> as huggingface_hub does. SftLab reads the repository's
/// JSONL, JSON, CSV/TSV and text files (optionally .gz); Parquet files are not read.
/// </summary>
public static class DatasetHub
{
    /// <summary>The files a dataset download fetches by default: the data files SftLab reads, and the dataset card.</summary>
    public static readonly IReadOnlyList<string> DefaultAllowPatterns =
        ["*.jsonl", "*.ndjson", "*.json", "*.csv", "*.tsv", "*.txt", "*.jsonl.gz", "*.json.gz", "*.csv.gz", "*.tsv.gz", "*.txt.gz", "README.md"];

    private static readonly string[] MetadataFiles = ["dataset_infos.json", "dataset_info.json", "dataset_dict.json", "state.json"];

    /// <summary>The split names and the words in file names that mean them (Hugging Face's conventions).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> SplitKeywords = new Dictionary<string, string[]>
    {
        ["train"] = ["train", "training"],
        ["validation"] = ["validation", "valid", "val", "dev"],
        ["test"] = ["test", "testing", "eval", "evaluation"],
    };

    /// <summary>
    /// Downloads a dataset repository's data files into the Hugging Face cache (or finds them there) and returns the
    /// snapshot folder. See <see cref="ModelHub.Download"/> for the options and the exceptions.
    /// </summary>
    /// <param name="repoId">The dataset, <c>org/name</c> as in its page's URL.</param>
    /// <param name="revision">A branch, tag or commit; default <c>main</c>.</param>
    /// <param name="allowPatterns">Which files; default <see cref="DefaultAllowPatterns"/>.</param>
    /// <param name="options">Endpoint, token, cache folder, offline mode; default from the environment (HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE, HF_HUB_OFFLINE).</param>
    /// <param name="progress">Receives a report per file.</param>
    public static string Download(string repoId, string? revision = null, IEnumerable<string>? allowPatterns = null,
        ModelHubOptions? options = null, IProgress<HubDownloadProgress>? progress = null) =>
        Task.Run(() => DownloadAsync(repoId, revision, allowPatterns, options, progress)).GetAwaiter().GetResult();

    /// <summary>Downloads a dataset repository; see <see cref="Download"/>.</summary>
    public static Task<string> DownloadAsync(string repoId, string? revision = null, IEnumerable<string>? allowPatterns = null,
        ModelHubOptions? options = null, IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ModelHub.DownloadCoreAsync(repoId, revision, allowPatterns ?? DefaultAllowPatterns, options, progress,
            Environment.GetEnvironmentVariable, cancellationToken, HubRepoType.Dataset);

    /// <summary>The cached snapshot folder of a dataset revision, without contacting the Hub, or null.</summary>
    public static string? TryGetCachedSnapshot(string repoId, string? revision = null, string? cacheDir = null) =>
        ModelHub.TryGetCachedSnapshot(repoId, revision, cacheDir, HubRepoType.Dataset);

    /// <summary>
    /// The data files of a split in a downloaded dataset folder, sorted by path. A file belongs to a split when its name
    /// (else a folder on its path) contains one of the split's keywords as a word (<c>train.jsonl</c>,
    /// <c>data/train-00000-of-00002.jsonl</c>, <c>dev.csv</c>); when no file names a split, every file is "train".
    /// </summary>
    /// <exception cref="ArgumentException">The dataset has no file for this split (the message lists the splits it has).</exception>
    public static IReadOnlyList<string> DataFiles(string folder, string split = "train")
    {
        var bySplit = FilesBySplit(folder);
        if (bySplit.TryGetValue(split, out var files)) return files;
        throw new ArgumentException(bySplit.Count == 0
            ? $"{folder} has no data file SftLab reads ({string.Join(", ", DatasetReader.Extensions)}, optionally .gz)"
            : $"the dataset in {folder} has no '{split}' split; it has: {string.Join(", ", bySplit.Keys)}");
    }

    /// <summary>The splits of a downloaded dataset folder and their files (see <see cref="DataFiles"/>).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> FilesBySplit(string folder)
    {
        var all = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith('.') && DatasetReader.IsDataFile(f) && !MetadataFiles.Contains(Path.GetFileName(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToList();
        var result = new Dictionary<string, IReadOnlyList<string>>();
        var named = all.Select(f => (File: f, Split: SplitOf(f))).ToList();
        if (named.All(x => x.Split is null))
        {
            if (all.Count > 0) result["train"] = [.. all.Select(f => Path.Combine(folder, f))];
            return result;
        }
        foreach (var split in SplitKeywords.Keys)
            if (named.Where(x => x.Split == split).Select(x => Path.Combine(folder, x.File)).ToList() is { Count: > 0 } files)
                result[split] = files;
        return result;
    }

    private static string? SplitOf(string relativePath)
    {
        var parts = relativePath.ToLowerInvariant().Split('/');
        var stem = parts[^1];
        // The file name first, then the folders from the nearest.
        foreach (var part in new[] { stem }.Concat(parts[..^1].Reverse()))
            foreach (var (split, words) in SplitKeywords)
                foreach (var w in words)
                    if (Regex.IsMatch(part, $"(^|[-_. ]){w}([-_. 0-9]|$)")) return split;
        return null;
    }

    /// <summary>
    /// Downloads (or finds in the cache) a Hub dataset and loads one split of it as a <see cref="Dataset"/>.
    /// </summary>
    /// <param name="repoId">The dataset, <c>org/name</c>.</param>
    /// <param name="split">train, validation or test (see <see cref="DataFiles"/>).</param>
    /// <param name="revision">A branch, tag or commit; default <c>main</c>.</param>
    /// <param name="loadOptions">How rows are read and validated.</param>
    /// <param name="hubOptions">Endpoint, token, cache folder, offline mode.</param>
    public static Dataset Load(string repoId, string split = "train", string? revision = null, DatasetLoadOptions? loadOptions = null, ModelHubOptions? hubOptions = null)
    {
        var folder = Download(repoId, revision, null, hubOptions);
        return Dataset.Load(DataFiles(folder, split), loadOptions);
    }
}
