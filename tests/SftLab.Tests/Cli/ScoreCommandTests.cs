using System.Text.Json.Nodes;
using SftLab.Models;
using SftLab.Tests.Models;

namespace SftLab.Tests.Cli;

public sealed class ScoreCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sftlab-score-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void ScoresEachLineLikeTheLibraryAndNamesABadLine()
    {
        using var model = new LlamaForCausalLM(ModelTests.Tiny(), seed: 2);
        model.SavePretrained(_dir);
        var input = Path.Combine(_dir, "in.jsonl");
        var output = Path.Combine(_dir, "out.jsonl");
        File.WriteAllLines(input, ["{\"ids\": [3, 4, 5, 6]}", "{\"ids\": [7, 8]}", "{\"ids\": [1, 999]}", "{\"ids\": [2, 3]}"]);
        var (code, _, stderr) = CliRunner.Run("score", "--model", _dir, "--input", input, "--output", output);
        Assert.Equal(2, code);
        Assert.Contains("in.jsonl:3", stderr);
        Assert.Contains("outside the vocabulary", stderr);
        var lines = File.ReadAllLines(output);
        Assert.Equal(2, lines.Length); // the lines before the bad one were written
        var first = JsonNode.Parse(lines[0])!["logprobs"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var expected = Scoring.LogProbs(model, [3, 4, 5, 6]);
        Assert.Equal(expected.Length, first.Length);
        for (var i = 0; i < first.Length; i++) Assert.Equal(expected[i], first[i], 6);
    }
}
