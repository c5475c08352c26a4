using System.Diagnostics;

namespace SftLab.Tests.Hub;

/// <summary>`sftlab download` as a child process, configured only through the environment (HF_ENDPOINT, HF_HOME, HF_HUB_OFFLINE).</summary>
public sealed class DownloadCommandTests : IDisposable
{
    private readonly HubTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    private (int Code, string StdOut, string StdErr) Sftlab(Dictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SftLab.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var name in new[] { "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN_PATH" })
            psi.Environment.Remove(name);
        psi.Environment["HF_HOME"] = Path.Combine(_bed.Root, "hf-home");
        psi.Environment["HF_ENDPOINT"] = _bed.Hub.Endpoint;
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"sftlab {string.Join(' ', args)} did not finish in 60 s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void DownloadPrintsTheSnapshotFolderAndHonoursIncludeAndOffline()
    {
        var (code, stdout, stderr) = Sftlab(null, "download", HubTestBed.RepoId, "--include", "*.json", "--include", "*.safetensors");
        Assert.True(code == 0, stderr);
        var snapshot = Path.Combine(_bed.StorageFolder, "snapshots", _bed.MainCommit);
        Assert.Equal(snapshot, stdout.Trim());
        var expected = _bed.MainFiles.Where(f => f.Path.EndsWith(".json", StringComparison.Ordinal) || f.Path.EndsWith(".safetensors", StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.Select(f => f.Path).Order(StringComparer.Ordinal), HubTestBed.FilesUnder(snapshot).Where(f => !Directory.Exists(Path.Combine(snapshot, f))));
        foreach (var f in expected)
            Assert.Contains($"downloaded {f.Path}", stderr.Replace("downloaded  ", "downloaded ", StringComparison.Ordinal));
        Assert.Contains($"{expected.Count} files: {expected.Count} downloaded", stderr);

        _bed.Hub.ClearRequests();
        var offline = Sftlab(new() { ["HF_HUB_OFFLINE"] = "1" }, "download", HubTestBed.RepoId, "--include", "*.json");
        Assert.True(offline.Code == 0, offline.StdErr);
        Assert.Equal(snapshot, offline.StdOut.Trim());
        Assert.Empty(_bed.Hub.Requests);
    }

    [Fact]
    public void ErrorsGoToStderrWithExitCode1()
    {
        var missing = Sftlab(null, "download", "sftlab-test/no-such-model");
        Assert.Equal(1, missing.Code);
        Assert.Contains("sftlab-test/no-such-model", missing.StdErr);
        Assert.Equal("", missing.StdOut.Trim());

        var hostile = Sftlab(null, "download", "../escape");
        Assert.Equal(1, hostile.Code);
        Assert.Contains("Invalid Hub repo id", hostile.StdErr);

        _bed.Repo.RequiredToken = "hf_cli_token";
        var gated = Sftlab(null, "download", HubTestBed.RepoId, "--revision", "v2");
        Assert.Equal(1, gated.Code);
        Assert.Contains("HF_TOKEN", gated.StdErr);
        var withToken = Sftlab(new() { ["HF_TOKEN"] = "hf_cli_token" }, "download", HubTestBed.RepoId, "--revision", "v2", "--include", "config.json");
        Assert.True(withToken.Code == 0, withToken.StdErr);
        Assert.Equal(Path.Combine(_bed.StorageFolder, "snapshots", _bed.V2Commit), withToken.StdOut.Trim());
    }
}
