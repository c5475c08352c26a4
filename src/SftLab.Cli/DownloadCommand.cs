using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SftLab.IO;

namespace SftLab.Cli;

/// <summary>
/// `sftlab download REPO [--revision R] [--include PATTERN]...`: downloads a model from the Hugging Face
/// Hub into the shared Hugging Face cache (the one Python tools use) and prints the snapshot folder.
/// Progress goes to stderr, the folder to stdout, so <c>dir=$(sftlab download org/name)</c> works.
/// </summary>
internal sealed class DownloadCommand : ICommandFactory
{
    public Command Create()
    {
        var repo = new Argument<string>("repo") { Description = "The repository, org/name as in the model page's URL (e.g. HuggingFaceTB/SmolLM2-135M)." };
        var revision = new Option<string?>("--revision") { Description = "Branch, tag or commit hash (default: main)." };
        var include = new Option<string[]>("--include")
        {
            Description = "Only files matching this glob; repeat for more (e.g. --include \"*.json\" --include \"*.safetensors\"). '*' also matches '/'.",
        };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "The cache folder (default: $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)." };
        var offline = new Option<bool>("--offline") { Description = "Use only cached files, never contact the Hub (like HF_HUB_OFFLINE=1)." };
        var force = new Option<bool>("--force") { Description = "Download every file again even when cached." };
        var cmd = new Command("download", "Download a model from the Hugging Face Hub into the Hugging Face cache and print its snapshot folder.")
        {
            repo, revision, include, cacheDir, offline, force,
        };
        cmd.SetAction(async (p, ct) => await RunAsync(
            p.GetValue(repo)!, p.GetValue(revision), p.GetValue(include), p.GetValue(cacheDir), p.GetValue(offline), p.GetValue(force), ct));
        return cmd;
    }

    private static async Task<int> RunAsync(string repo, string? revision, string[]? include, string? cacheDir, bool offline, bool force, CancellationToken ct)
    {
        var options = new ModelHubOptions { CacheDir = cacheDir, Offline = offline ? true : null, ForceDownload = force };
        var printer = new ProgressPrinter();
        var sw = Stopwatch.StartNew();
        try
        {
            var snapshot = await ModelHub.DownloadAsync(repo, revision, include is { Length: > 0 } ? include : null, options, printer, ct);
            printer.Finish();
            Console.Error.WriteLine(printer.Summary(sw.Elapsed));
            Console.WriteLine(snapshot);
            return 0;
        }
        catch (Exception e) when (e is ModelHubException or ArgumentException)
        {
            printer.Finish();
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            printer.Finish();
            Console.Error.WriteLine("cancelled: the bytes received are kept; run the same command again to resume.");
            return 130;
        }
    }

    /// <summary>One line per finished file; on a terminal, a live line for the file being downloaded.</summary>
    private sealed class ProgressPrinter : IProgress<HubDownloadProgress>
    {
        private readonly object _gate = new();
        private readonly bool _live = !Console.IsErrorRedirected;
        private bool _lineOpen;
        private int _downloaded, _cached;
        private long _bytes;

        public void Report(HubDownloadProgress p)
        {
            lock (_gate)
            {
                if (p.Status == HubFileStatus.Downloading)
                {
                    if (!_live || p.TotalBytes is not > 0) return;
                    var percent = 100.0 * p.BytesDownloaded / p.TotalBytes.Value;
                    Console.Error.Write($"\r  {percent,5:F1}%  {p.FileName}  ({Size(p.BytesDownloaded)} of {Size(p.TotalBytes.Value)})   ");
                    _lineOpen = true;
                    return;
                }
                Finish();
                var word = p.Status == HubFileStatus.Cached ? "cached" : "downloaded";
                if (p.Status == HubFileStatus.Cached) _cached++;
                else
                {
                    _downloaded++;
                    _bytes += p.TotalBytes ?? 0;
                }
                Console.Error.WriteLine($"  [{p.FileIndex + 1}/{p.FileCount}] {word,-10} {p.FileName}  ({Size(p.TotalBytes ?? p.BytesDownloaded)})");
            }
        }

        public void Finish()
        {
            lock (_gate)
            {
                if (!_lineOpen) return;
                Console.Error.Write("\r" + new string(' ', 100) + "\r");
                _lineOpen = false;
            }
        }

        public string Summary(TimeSpan elapsed) =>
            $"{_downloaded + _cached} files: {_downloaded} downloaded ({Size(_bytes)}), {_cached} already cached, in {elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s";

        private static string Size(long bytes) => bytes switch
        {
            < 1024 => $"{bytes} B",
            < 1024 * 1024 => (bytes / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KiB",
            < 1024L * 1024 * 1024 => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) + " MiB",
            _ => (bytes / 1073741824.0).ToString("F2", CultureInfo.InvariantCulture) + " GiB",
        };
    }
}
