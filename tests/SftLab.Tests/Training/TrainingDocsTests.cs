using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SftLab.Models;
using SftLab.Tests.Kernel;
using SftLab.Training;

namespace SftLab.Tests.Training;

/// <summary>
/// docs/training.md documents every key of a job file: each SftConfig and LoraConfig field has a row whose
/// default is the real one, and no row names a field that does not exist.
/// </summary>
public sealed partial class TrainingDocsTests
{
    [GeneratedRegex(@"^\| `(?<key>[a-z0-9_]+)` \| `(?<default>[^`]*)` \|", RegexOptions.Multiline)]
    private static partial Regex Row();

    private static Dictionary<string, string> Table(string heading)
    {
        var text = File.ReadAllText(Path.Combine(JupyterTools.RepoRoot, "docs", "training.md"));
        var start = text.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/training.md has no section '{heading}'");
        var end = text.IndexOf("\n#", start + heading.Length, StringComparison.Ordinal);
        var section = end < 0 ? text[start..] : text[start..end];
        return Row().Matches(section).ToDictionary(m => m.Groups["key"].Value, m => m.Groups["default"].Value);
    }

    private static void AssertDocumented(Dictionary<string, string> rows, JsonObject defaults, IEnumerable<string> allKeys, string what)
    {
        foreach (var key in allKeys)
        {
            Assert.True(rows.ContainsKey(key), $"docs/training.md: no row for {what} key '{key}'");
            var documented = JsonNode.Parse(rows[key]);
            var actual = defaults[key];
            if (actual is null)
                Assert.True(documented is null, $"{what} '{key}': documented default {rows[key]}, actual null");
            else if (actual is JsonValue v && v.TryGetValue<double>(out var number))
                Assert.Equal(number, documented!.GetValue<double>());
            else
                Assert.True(JsonNode.DeepEquals(actual, documented), $"{what} '{key}': documented default {rows[key]}, actual {actual.ToJsonString()}");
        }
        foreach (var key in rows.Keys)
            Assert.True(allKeys.Contains(key), $"docs/training.md documents {what} key '{key}', which does not exist");
    }

    // The names the serializer really uses (an explicit [JsonPropertyName] wins over the snake_case policy).
    private static IEnumerable<string> JsonNames(Type type) =>
        type.GetProperties().Where(p => p.CanWrite).Select(p =>
            p.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonPropertyNameAttribute), false).Cast<System.Text.Json.Serialization.JsonPropertyNameAttribute>().FirstOrDefault()?.Name
            ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name));

    [Fact]
    public void EverySftConfigKeyIsDocumentedWithItsDefault()
    {
        var defaults = JsonNode.Parse(new SftConfig().ToJson())!.AsObject();
        AssertDocumented(Table("## The knobs"), defaults, JsonNames(typeof(SftConfig)).ToList(), "SftConfig");
    }

    [Fact]
    public void EveryLoraConfigKeyIsDocumentedWithItsDefault()
    {
        var defaults = JsonSerializer.SerializeToNode(new LoraConfig(), SftConfig.JsonOptions)!.AsObject();
        AssertDocumented(Table("### `lora`"), defaults, JsonNames(typeof(LoraConfig)).ToList(), "LoraConfig");
    }

    [Fact]
    public void TheExampleJobIsAValidConfig()
    {
        var text = File.ReadAllText(Path.Combine(JupyterTools.RepoRoot, "docs", "training.md"));
        var start = text.IndexOf("```jsonc\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/training.md has no jsonc example");
        start += "```jsonc\n".Length;
        var json = text[start..text.IndexOf("```", start, StringComparison.Ordinal)];
        var o = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        foreach (var jobKey in new[] { "model_name_or_path", "train_file", "eval_file" }) Assert.True(o.Remove(jobKey), jobKey);
        var config = JsonSerializer.Deserialize<SftConfig>(o.ToJsonString(), SftConfig.JsonOptions)!.Validate("docs/training.md");
        Assert.True(config.GradientCheckpointing);
        Assert.Equal(16, config.Lora!.Rank);
    }
}
