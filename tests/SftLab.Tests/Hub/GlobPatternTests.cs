using System.Diagnostics;
using System.Text.Json;
using SftLab.IO;

namespace SftLab.Tests.Hub;

/// <summary>
/// allow_patterns follow huggingface_hub, which matches with Python's fnmatch.fnmatchcase: checked here against
/// Debian's python3 itself on a grid of patterns and repository paths.
/// </summary>
public sealed class GlobPatternTests
{
    private static readonly string[] Patterns =
    [
        "*.json", "*.safetensors", "tokenizer*", "*", "config.json", "nested/", "nested/*", "*/adapter_*.json",
        "model-0000?-of-00002.safetensors", "[mt]*", "[!mt]*", "[a-c]*", "*.[jb]i[no]*", "*[0-9].bin", "weights/part ?.bin",
        "README.md", "readme.md", "*.md", "[]]x", "[!]]*", "a[b", "*.json/", "onnx/*.onnx", "*model*", "?", "**/*.json",
        "[z-a]*", "x[-a]y", "x[a-]y", "original/",
    ];

    private static readonly string[] Paths =
    [
        "config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors", "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors", "nested/adapter_config.json", "nested/deep/x.json", "weights/part 1.bin",
        "README.md", "readme.md", "]x", "a[b", "onnx/model.onnx", "onnx/sub/model.onnx", "original/params.json",
        "vocab.txt", "x-y", "xay", "x]y", "a", ".gitattributes", "generation_config.json", "pytorch_model.bin",
        "b.bin", "c9.bin", "model.json/x",
    ];

    [Fact]
    public void AllowPatternsMatchLikePythonsFnmatchcase()
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        // huggingface_hub's filter: a pattern ending in '/' gets '*' appended, then fnmatchcase.
        psi.ArgumentList.Add(
            "import fnmatch, json, sys\n" +
            "d = json.load(sys.stdin)\n" +
            "pat = lambda p: p + '*' if p.endswith('/') else p\n" +
            "print(json.dumps([[fnmatch.fnmatchcase(x, pat(p)) for x in d['paths']] for p in d['patterns']]))\n");
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("python3 did not start");
        p.StandardInput.Write(JsonSerializer.Serialize(new { patterns = Patterns, paths = Paths }));
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), "python3 did not finish");
        Assert.True(p.ExitCode == 0, stderr);
        var expected = JsonSerializer.Deserialize<bool[][]>(stdout)!;

        var mismatches = new List<string>();
        var matches = 0;
        for (var i = 0; i < Patterns.Length; i++)
        {
            var regex = HubCache.GlobToRegex(Patterns[i]);
            for (var j = 0; j < Paths.Length; j++)
            {
                var ours = regex.IsMatch(Paths[j]);
                if (ours) matches++;
                if (ours != expected[i][j]) mismatches.Add($"'{Patterns[i]}' vs '{Paths[j]}': python {expected[i][j]}, ours {ours}");
            }
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        Assert.InRange(matches, 50, Patterns.Length * Paths.Length - 50); // the grid exercises both outcomes
    }
}
