using System.Text.Json;
using System.Text.Json.Nodes;
using SftLab.Evaluation;

namespace SftLab.Tests.Evaluation;

/// <summary>The regex check on the shipped house style, and the JSON-schema subset against python3-jsonschema.</summary>
public class FormatComplianceTests
{
    private static (string Regex, int Group) HouseStyle()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(Oracles.PythonOracle.RepoRoot, "datasets", "house-style.json")));
        return (doc.RootElement.GetProperty("regex").GetString()!, doc.RootElement.GetProperty("answer_group").GetInt32());
    }

    [Fact]
    public void HouseStyleRegexAcceptsTheShippedReferencesAndExtractsTheAnswer()
    {
        var (regex, group) = HouseStyle();
        var check = FormatCheck.Regex(regex, group);
        var lines = File.ReadLines(System.IO.Path.Combine(Oracles.PythonOracle.RepoRoot, "datasets", "sft", "test.jsonl")).Take(50).ToList();
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            var row = JsonNode.Parse(line)!;
            var result = check.Check(row["reference"]!.GetValue<string>());
            Assert.True(result.Passed, result.ToString());
            Assert.Equal(row["answer"]!.GetValue<string>(), result.Answer);
        }
    }

    [Theory]
    [InlineData("Retail")]
    [InlineData("[FH] Answer: Retail\nMilo works in Retail\n-- Fernhollow Support")]   // no final punctuation
    [InlineData("[FH] Answer: Retail\nMilo works in Retail.\n-- Fernhollow Support\nThanks!")]
    [InlineData("")]
    public void HouseStyleRegexRejectsOtherShapesWithAReason(string output)
    {
        var (regex, group) = HouseStyle();
        var result = FormatCheck.Regex(regex, group).Check(output);
        Assert.False(result.Passed);
        Assert.Null(result.Answer);
        var v = Assert.Single(result.Violations);
        Assert.Equal(("$", "regex"), (v.Path, v.Rule));
        Assert.Contains("does not match", v.Message);
        Assert.Equal(0, FormatCheck.Regex(regex).Score(output));
    }

    [Fact]
    public void RegexFullMatchVersusSearch()
    {
        Assert.False(FormatCheck.Regex("[0-9]+").Check("order 42").Passed);
        Assert.True(FormatCheck.Regex("[0-9]+", fullMatch: false).Check("order 42").Passed);
        Assert.Contains("does not compile", Assert.Throws<ArgumentException>(() => FormatCheck.Regex("(unclosed")).Message);
        Assert.Contains("no group 2", Assert.Throws<ArgumentException>(() => FormatCheck.Regex("(a)", answerGroup: 2)).Message);
    }

    private const string PersonSchema = """
    {
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "title": "person",
      "type": "object",
      "required": ["name", "age", "team"],
      "properties": {
        "name": {"type": "string", "minLength": 2, "maxLength": 12, "pattern": "^[A-Z]"},
        "age": {"type": "integer", "minimum": 0, "exclusiveMaximum": 130},
        "team": {"enum": ["Retail", "Research", "Design", null]},
        "email": {"type": ["string", "null"], "pattern": "@"},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}, "minItems": 1, "maxItems": 3},
        "address": {"type": "object", "properties": {"town": {"type": "string"}}, "required": ["town"], "additionalProperties": false},
        "score": {"type": "number", "maximum": 1, "exclusiveMinimum": 0},
        "active": {"const": true}
      },
      "additionalProperties": {"type": ["string", "number"]}
    }
    """;

    public static readonly string[] Instances =
    [
        """{"name": "Milo", "age": 34, "team": "Retail"}""",
        """{"name": "Milo", "age": 34.0, "team": null, "email": null}""",
        """{"name": "m", "age": -1, "team": "Sales"}""",
        """{"name": "milo", "age": 34.5, "team": "Retail", "email": "none"}""",
        """{"age": "34"}""",
        """{"name": "Ölund", "age": 130, "team": "Design", "tags": []}""",
        """{"name": "Ann", "age": 3, "team": "Retail", "tags": ["a", "toolong", 3, "b"]}""",
        """{"name": "Ann", "age": 3, "team": "Retail", "address": {"street": "x"}}""",
        """{"name": "Ann", "age": 3, "team": "Retail", "address": {"town": 5, "zip": 1, "x": 2}}""",
        """{"name": "Ann", "age": 3, "team": "Retail", "score": 0, "active": false}""",
        """{"name": "Ann", "age": 3, "team": "Retail", "score": 1, "active": true, "extra": "ok", "n": 2}""",
        """{"name": "Ann", "age": 3, "team": "Retail", "extra": true, "more": [1]}""",
        """{"name": "AnnAnnAnnAnnAnn", "age": true, "team": 1}""",
        """{"name": "😀😀", "age": 1e2, "team": "Research"}""",
        """["not", "an", "object"]""",
        "42",
        "null",
        """{"name": "Ann", "age": 3, "team": "Retail", "tags": ["ok"], "address": {"town": "Lantry"}}""",
    ];

    [Fact]
    public void JsonSchemaAgreesWithPythonJsonschema()
    {
        var schema = JsonNode.Parse(PersonSchema)!;
        var cases = Instances.Select(i => new { schema, instance = JsonNode.Parse(i) }).ToList();
        var expected = MetricsOracle.Py(new { op = "jsonschema", cases }).AsArray();
        var check = FormatCheck.JsonSchema(PersonSchema);
        var failing = 0;
        for (var i = 0; i < Instances.Length; i++)
        {
            // The reference's errors as "path keyword" strings, in our path notation.
            var want = expected[i]!.AsArray().Select(e => JsonPath(e![0]!.AsArray()) + " " + e[1]!.GetValue<string>()).OrderBy(s => s, StringComparer.Ordinal).ToList();
            var result = check.Check(Instances[i]);
            var got = result.Violations.Select(v => v.Path + " " + v.Rule).OrderBy(s => s, StringComparer.Ordinal).ToList();
            Assert.True(want.SequenceEqual(got), $"instance {i} {Instances[i]}:\n jsonschema: {string.Join("; ", want)}\n ours:       {string.Join("; ", got)}");
            Assert.Equal(want.Count == 0, result.Passed);
            if (!result.Passed) failing++;
        }
        Assert.InRange(failing, 10, Instances.Length - 3);  // the cases exercise both outcomes
    }

    private static string JsonPath(JsonArray parts)
    {
        var s = "$";
        foreach (var p in parts)
            s += p!.GetValueKind() == JsonValueKind.Number ? $"[{p.GetValue<int>()}]"
                : System.Text.RegularExpressions.Regex.IsMatch(p.GetValue<string>(), "^[A-Za-z_][A-Za-z0-9_]*$") ? "." + p.GetValue<string>()
                : $"[{JsonSerializer.Serialize(p.GetValue<string>())}]";
        return s;
    }

    [Fact]
    public void ViolationsExplainThemselves()
    {
        var check = FormatCheck.JsonSchema(PersonSchema);
        var r = check.Check("""{"name": "m", "age": "34", "team": "Sales"}""");
        Assert.Contains(r.Violations, v => v.ToString() == "$.age: type: expected integer, got string \"34\"");
        Assert.Contains(r.Violations, v => v.Path == "$.name" && v.Rule == "minLength" && v.Message.Contains("1 character(s), fewer than minLength 2"));
        Assert.Contains(r.Violations, v => v.Path == "$.team" && v.Message.Contains("expected one of"));
        var missing = check.Check("{}");
        Assert.Equal(3, missing.Violations.Count(v => v.Rule == "required"));
        Assert.Contains(missing.Violations, v => v.Message == "the required property \"team\" is missing");
        var notJson = check.Check("{\"name\": \"Milo\",}");
        Assert.Equal("json", Assert.Single(notJson.Violations).Rule);
        Assert.Contains("not valid JSON", notJson.ToString());
        // Whitespace around the value is fine; a code fence is not JSON.
        Assert.True(check.Check("\n  {\"name\": \"Milo\", \"age\": 3, \"team\": null}\n").Passed);
        Assert.False(check.Check("```json\n{\"name\": \"Milo\", \"age\": 3, \"team\": null}\n```").Passed);
    }

    [Theory]
    [InlineData("""{"type": "object", "uniqueItems": true}""", "$.uniqueItems", "not supported")]
    [InlineData("""{"properties": {"a": {"minLength": -1}}}""", "$.properties.a.minLength", "non-negative integer")]
    [InlineData("""{"type": "text"}""", "$.type", "'type' takes one of")]
    [InlineData("""{"items": [{"type": "string"}]}""", "$.items", "not supported")]
    [InlineData("""{"pattern": "(x"}""", "$.pattern", "does not compile")]
    [InlineData("""{"type": "object",}""", "", "not valid JSON")]
    [InlineData("""[1]""", "$", "must be an object or true/false")]
    public void BadSchemasAreRejectedWithTheirPath(string schema, string path, string message)
    {
        var e = Assert.Throws<FormatException>(() => FormatCheck.JsonSchema(schema));
        Assert.Contains(message, e.Message);
        if (path.Length > 0) Assert.Contains($"JSON schema at {path}:", e.Message);
    }
}
