using System.Text.Json;
using System.Text.Json.Nodes;
using SftLab.ChatTemplates;
using SftLab.Data;
using SftLab.Visualization;

namespace SftLab.Tests.Data;

/// <summary>
/// The dataset report against independent counts: roles counted from the raw JSON, token lengths from the
/// reference pipeline (@huggingface/jinja + @huggingface/tokenizers), truncation from those lengths, duplicates
/// planted on purpose, skipped rows from lenient loading, and the crude language mix on texts of known language.
/// </summary>
public sealed class ReportTests
{
    [Fact]
    public void CountsAndLengthsMatchIndependentComputations()
    {
        var path = DataFixtures.Dataset("sft/validation.jsonl");
        var data = Dataset.Load(path);
        var qwen = DataFixtures.Tokenizer("qwen3");
        var builder = new ExampleBuilder(qwen, ChatTemplate.FromBuiltin("chatml"), new ExampleOptions { AssistantOnlyLoss = true });
        var report = data.Inspect(builder, maxLength: 64);

        // Roles, from the raw JSON.
        var roles = File.ReadLines(path).SelectMany(l => JsonDocument.Parse(l).RootElement.GetProperty("messages").EnumerateArray())
            .GroupBy(m => m.GetProperty("role").GetString()!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(roles.OrderBy(kv => kv.Key), report.Roles.OrderBy(kv => kv.Key));
        Assert.Equal(data.Count, report.Rows);
        Assert.Equal("tokens", report.LengthUnit);

        // Lengths: the reference ids of each rendered conversation (ChatML adds no BOS, Qwen's tokenizer asks for none).
        var (_, ids) = DataFixtures.ReferenceIds(BuiltinChatTemplates.ChatMLSource, null, "<|im_end|>", "qwen3", [.. data.Select(r => r.ConversationForTemplate())]);
        var lengths = ids.Select(x => x.Length).ToArray();
        Assert.Equal(lengths, report.Lengths);
        Assert.Equal(lengths.Count(l => l > 64), report.TruncatedRows);
        Assert.True(report.TruncatedRows > 0 && report.TruncatedRows < data.Count, "max_length 64 should cut some rows and not others");
        Assert.Equal((double)lengths.Count(l => l > 64) / lengths.Length, report.TruncationRate, 12);
        Assert.Equal(lengths.Sum(), report.TotalTokens);
        var sorted = lengths.Order().ToArray();
        Assert.Equal((sorted[0], sorted[^1], sorted[(sorted.Length + 1) / 2 - 1]), (report.LengthStats.Min, report.LengthStats.Max, report.LengthStats.P50));
        Assert.Equal(lengths.Average(), report.LengthStats.Mean, 9);
        Assert.True(report.LearnedTokens > 0 && report.LearnedTokens < report.TotalTokens);
        Assert.Equal(data.Count, report.Languages["en"]);

        // The table and the notebook view carry the same entries; the figure is the standard length histogram.
        var html = report.ToHtml();
        Assert.StartsWith("<table", html);
        foreach (var (k, _) in report.Entries()) Assert.Contains(System.Net.WebUtility.HtmlEncode(k), html);
        Assert.Contains("truncated at max_length 64", report.ToTable());
        var figure = report.LengthsFigure();
        Assert.Equal(report.Lengths.Count, figure.Data.OfType<Histogram>().Sum(h => h.X!.Count));
    }

    [Fact]
    public void ReportsDuplicatesEmptyTurnsSkippedRowsAndLanguages()
    {
        string Chat(string user, string assistant) => new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = user }, new JsonObject { ["role"] = "assistant", ["content"] = assistant }),
        }.ToJsonString();
        var path = DataFixtures.WriteFile("mix.jsonl",
            Chat("What is the capital of France and why is it famous?", "The capital of France is Paris, and it is famous for the Eiffel Tower and its museums."),
            Chat("What is the capital of France and why is it famous?", "The capital of France is Paris, and it is famous for the Eiffel Tower and its museums."),
            Chat("What is the capital of France and why is it famous?", "The capital of France is Paris, and it is famous for the Eiffel Tower and its many museums."),
            Chat("Wie spät ist es, und wo ist der Bahnhof?", "Es ist drei Uhr, und der Bahnhof ist nicht weit von hier, gleich um die Ecke."),
            Chat("Où est la gare, s'il vous plaît ?", "La gare est à deux minutes, vous prenez la première rue à gauche et c'est sur la droite."),
            Chat("今天天气怎么样？", "今天天气很好，阳光明媚。"),
            Chat("Say nothing.", "   "),
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"user\", \"content\": \"Hi again\"}]}",
            "{\"messages\": oops}");
        var data = Dataset.Load(path, new DatasetLoadOptions { Lenient = true, AllowEmptyTurns = true });
        var report = data.Inspect();
        Assert.Equal(7, report.Rows);
        Assert.Equal("characters", report.LengthUnit);
        Assert.Equal(data.Select(r => r.ContentText.Length), report.Lengths);
        Assert.Equal(1, report.ExactDuplicates);
        Assert.Equal(1, report.NearDuplicates);
        Assert.Equal(1, report.EmptyTurns);
        Assert.Equal([(8L, RowProblem.NonAlternating), (9L, RowProblem.InvalidSyntax)], report.Skipped.Select(s => (s.Line, s.Problem)).OrderBy(x => x.Line));
        Assert.Equal(3, report.Languages["en"]);
        Assert.Equal(1, report.Languages["Latin (other)"]); // "Say nothing." has no function word to go by
        Assert.Equal(1, report.Languages["de"]);
        Assert.Equal(1, report.Languages["fr"]);
        Assert.Equal(1, report.Languages["Han"]);
        Assert.Contains("NonAlternating 1", report.ToTable());
    }

    [Fact]
    public void RowsThatFailToBuildAreListedNotDropped()
    {
        // Test items end with the user's question: with assistant-only loss they have nothing to learn.
        var data = Dataset.Load(DataFixtures.Dataset("sft/test.jsonl"));
        var builder = new ExampleBuilder(DataFixtures.Tokenizer("qwen3"), ChatTemplate.FromBuiltin("chatml"), new ExampleOptions { AssistantOnlyLoss = true });
        var report = data.Inspect(builder);
        Assert.Equal(data.Count, report.FailedToBuild.Count);
        Assert.All(report.FailedToBuild, f => Assert.Equal(RowProblem.NothingToLearn, f.Problem));
        Assert.Empty(report.Lengths);
    }
}
