using System.Text.Json.Nodes;
using SftLab.ChatTemplates;
using SftLab.Data;
using SftLab.Tests.Cli;
using SftLab.Training;

namespace SftLab.Tests.Data;

/// <summary>
/// `sftlab data inspect|prepare` and training jobs on raw datasets: prepare writes the pre-tokenized JSONL that
/// TrainJob.ReadTokenized reads back unchanged; a job file pointing at a raw dataset gets the same examples, with
/// the config's masking and truncation; bad rows stop the CLI with file:line and field.
/// </summary>
public sealed class DataCliTests
{
    [Fact]
    public void InspectPrintsTheReportAndListsBadRows()
    {
        var src = DataFixtures.WriteFile("chat.jsonl",
            File.ReadLines(DataFixtures.Dataset("sft/validation.jsonl")).Take(20)
                .Append("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"bot\", \"content\": \"Hello\"}]}").ToArray());
        var html = Path.Combine(DataFixtures.TempDir(), "report.html");
        var (code, stdout, stderr) = CliRunner.Run("data", "inspect", src, "--tokenizer", DataFixtures.TokenizerFolder("qwen3"), "--chat-template", "chatml",
            "--max-length", "48", "--html", html);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("rows  ", stdout);
        Assert.Contains("20", stdout);
        Assert.Contains("length (tokens)", stdout);
        Assert.Contains("truncated at max_length 48", stdout);
        Assert.Contains($"{src}:21: messages[1].role: 'bot'", stdout);
        Assert.Contains("<table", File.ReadAllText(html));

        // --strict stops at the bad row, naming it.
        var strict = CliRunner.Run("data", "inspect", src, "--strict");
        Assert.NotEqual(0, strict.ExitCode);
        Assert.Contains($"{src}:21: messages[1].role", strict.StdErr);
    }

    [Fact]
    public void PreparedExamplesAreWhatTrainingJobsRead()
    {
        var src = DataFixtures.Dataset("sft/validation.jsonl");
        var dir = DataFixtures.TempDir();
        var prepared = Path.Combine(dir, "train.tok.jsonl");
        var tokenizer = DataFixtures.TokenizerFolder("qwen3");
        var (code, stdout, stderr) = CliRunner.Run("data", "prepare", src, "--tokenizer", tokenizer, "--chat-template", "chatml",
            "--assistant-only-loss", "--max-length", "64", "--out", prepared);
        Assert.True(code == 0, stderr + stdout);
        var fromCli = TrainJob.ReadTokenized(prepared);
        var builder = new ExampleBuilder(DataFixtures.Tokenizer("qwen3"), ChatTemplate.FromBuiltin("chatml"), new ExampleOptions { AssistantOnlyLoss = true, MaxLength = 64 });
        var expected = builder.BuildAll(Dataset.Load(src));
        Assert.Equal(expected.Select(e => e.InputIds), fromCli.Select(e => e.InputIds));
        Assert.Equal(expected.Select(e => e.Labels), fromCli.Select(e => e.Labels));
        Assert.Contains($"{expected.Count} examples", stdout);

        // A job file on the raw dataset (relative paths) gets the same examples from the config's knobs.
        File.Copy(src, Path.Combine(dir, "raw.jsonl"));
        var jobPath = Path.Combine(dir, "job.json");
        File.WriteAllText(jobPath, new JsonObject
        {
            ["model_name_or_path"] = "model", ["tokenizer_name_or_path"] = tokenizer, ["chat_template"] = "chatml",
            ["train_file"] = "raw.jsonl", ["eval_file"] = "train.tok.jsonl",
            ["assistant_only_loss"] = true, ["max_length"] = 64, ["packing"] = true,
        }.ToJsonString());
        var job = TrainJob.Load(jobPath);
        Assert.False(TrainJob.IsPreTokenized(job.TrainFile));
        Assert.True(TrainJob.IsPreTokenized(job.EvalFile!));
        var train = job.LoadTrainExamples();
        Assert.Equal(expected.Select(e => e.Labels), train.Select(e => e.Labels));
        Assert.Equal(fromCli.Select(e => e.InputIds), job.LoadEvalExamples()!.Select(e => e.InputIds));
        Assert.IsType<PackedBatcher>(job.CreateBatcher(0));
        Assert.IsType<PaddedBatcher>((job with { Config = job.Config with { Packing = false } }).CreateBatcher(0));
        Assert.IsType<PaddingFreeBatcher>((job with { Config = job.Config with { Packing = false, PaddingFree = true } }).CreateBatcher(0));
    }

    [Fact]
    public void PrepareStopsAtABadRowOrSkipsItWhenLenient()
    {
        var src = DataFixtures.WriteFile("pc.jsonl", "{\"prompt\": \"2+2=\", \"completion\": \"4\"}", "{\"prompt\": \"3+3=\", \"completion\": 6}", "{\"prompt\": \"1+1=\", \"completion\": \"2\"}");
        var outPath = Path.Combine(DataFixtures.TempDir(), "out.jsonl");
        var tokenizer = DataFixtures.TokenizerFolder("qwen3");
        var strict = CliRunner.Run("data", "prepare", src, "--tokenizer", tokenizer, "--out", outPath);
        Assert.NotEqual(0, strict.ExitCode);
        Assert.Contains($"{src}:2: completion: expected a string, got a number", strict.StdErr);
        Assert.False(File.Exists(outPath)); // nothing half-written

        var lenient = CliRunner.Run("data", "prepare", src, "--tokenizer", tokenizer, "--out", outPath, "--lenient");
        Assert.True(lenient.ExitCode == 0, lenient.StdErr);
        Assert.Contains($"skipped: {src}:2: completion", lenient.StdErr);
        var examples = TrainJob.ReadTokenized(outPath);
        Assert.Equal(2, examples.Count);
        // Completion-only by default: the prompt is masked, the completion and the EOS learned.
        var qwen = DataFixtures.Tokenizer("qwen3");
        Assert.Equal("4" + qwen.EosToken, qwen.Decode(examples[0].InputIds.Where((_, i) => examples[0].Labels[i] != TokenizedExample.IgnoreIndex).Select(x => (int)x), skipSpecialTokens: false));
    }
}
