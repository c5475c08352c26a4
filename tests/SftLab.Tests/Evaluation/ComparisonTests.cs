using System.Text.Json.Nodes;
using SftLab.Evaluation;
using SftLab.Models;
using SftLab.Tests.Cli;
using SftLab.Tests.Models;
using SftLab.Tests.Oracles;
using SftLab.Tokenization;

namespace SftLab.Tests.Evaluation;

public sealed class ComparisonTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sftlab-compare-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string TinyModelFolder() => TinyModels.Folder(Path.Combine(_dir, "model"), TinyModels.KnowledgeBaseCorpus());

    [Fact]
    public void CompareCommandRunsEveryMethodAndWritesTheReport()
    {
        var model = TinyModelFolder();
        var datasets = Path.Combine(PythonOracle.RepoRoot, "datasets");
        var config = Path.Combine(_dir, "compare.json");
        File.WriteAllText(config, new JsonObject
        {
            ["base_model"] = model, ["sft_model"] = model, ["max_items"] = 4, ["max_new_tokens"] = 4, ["seeds"] = new JsonArray(0, 1),
            ["test_file"] = Path.Combine(datasets, "sft", "test.jsonl"), ["knowledge_base"] = Path.Combine(datasets, "knowledge-base", "documents.jsonl"),
            ["house_style"] = Path.Combine(datasets, "house-style.json"), ["few_shot_pool"] = Path.Combine(datasets, "sft", "train.jsonl"),
            ["output"] = Path.Combine(_dir, "out"), ["bootstrap_resamples"] = 200,
        }.ToJsonString());
        var (code, stdout, stderr) = CliRunner.Run("compare", "--config", config);
        Assert.True(code == 0, stdout + stderr);
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "out", "results.json")))!;
        var runs = results["runs"]!.AsArray();
        Assert.Equal(12, runs.Count); // 6 methods × 2 seeds
        Assert.Equal(["RAG (top 3)", "SFT", "SFT+RAG (top 3)", "few-shot (3, nearest)", "few-shot (3, random)", "zero-shot"],
            runs.Select(r => r!["method"]!.GetValue<string>()).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(12, Directory.GetFiles(Path.Combine(_dir, "out"), "outputs-*.jsonl").Length);
        var html = File.ReadAllText(Path.Combine(_dir, "out", "report.html"));
        Assert.Contains("<table", html);
        Assert.Contains("text/x-sftlab-plotly", html); // plotly.js embedded once: the page works offline
        Assert.Contains("| zero-shot |", stdout);
        Assert.InRange(results["retrieval_recall"]!.GetValue<double>(), 0.75, 1.0);
    }

    [Fact]
    public void UnknownMethodsAndFieldsAreRefusedByName()
    {
        Directory.CreateDirectory(_dir);
        var config = Path.Combine(_dir, "bad.json");
        File.WriteAllText(config, """{"methods": ["telepathy"], "max_items": 1}""");
        var (code, _, stderr) = CliRunner.Run("compare", "--config", config);
        Assert.NotEqual(0, code);
        Assert.Contains("unknown method(s) 'telepathy'", stderr);
        File.WriteAllText(config, """{"methodz": ["rag"]}""");
        (code, _, stderr) = CliRunner.Run("compare", "--config", config);
        Assert.NotEqual(0, code);
        Assert.Contains("methodz", stderr);
    }
}
