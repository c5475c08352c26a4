using SftLab.Data;

namespace SftLab.Tests.Data;

/// <summary>
/// Malformed rows are reported precisely: the exception (strict mode) or the skipped-row record (lenient mode)
/// names the file, the line and the field, and says what is wrong. Nothing is dropped silently.
/// </summary>
public sealed class MalformedRowTests
{
    private const string Good = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello!\"}]}";

    public static TheoryData<string, string?, RowProblem, string> Cases() => new()
    {
        // line content, expected field, problem, a phrase of the message
        { "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}", null, RowProblem.InvalidSyntax, "not valid JSON" },
        { "[1, 2]", null, RowProblem.WrongType, "expected a JSON object per line" },
        { "{\"messages\": \"hello\"}", "messages", RowProblem.WrongType, "got a string" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": 42}, {\"role\": \"assistant\", \"content\": \"x\"}]}", "messages[0].content", RowProblem.WrongType, "got a number" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, \"oops\"]}", "messages[1]", RowProblem.WrongType, "got a string" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"content\": \"Hello\"}]}", "messages[1].role", RowProblem.MissingRole, "missing" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": 7, \"content\": \"Hello\"}]}", "messages[1].role", RowProblem.WrongType, "got a number" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"bot\", \"content\": \"Hello\"}]}", "messages[1].role", RowProblem.UnknownRole, "'bot'" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"user\", \"content\": \"Anyone?\"}]}", "messages[1].role", RowProblem.NonAlternating, "'user' follows 'user' (messages[0])" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Yes\"}, {\"role\": \"assistant\", \"content\": \"No\"}]}", "messages[2].role", RowProblem.NonAlternating, "'assistant' follows 'assistant'" },
        { "{\"messages\": [{\"role\": \"assistant\", \"content\": \"Hello\"}]}", "messages[0].role", RowProblem.NonAlternating, "must be the user's" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"system\", \"content\": \"Be nice\"}]}", "messages[1].role", RowProblem.NonAlternating, "system message can only come first" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"tool\", \"content\": \"42\"}]}", "messages[1].role", RowProblem.NonAlternating, "tool result must follow an assistant turn that calls tools" },
        { "{\"messages\": []}", "messages", RowProblem.EmptyMessages, "empty" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"  \\n\"}]}", "messages[1].content", RowProblem.EmptyContent, "empty assistant turn" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\"}]}", "messages[1].content", RowProblem.MissingField, "missing" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Hi\"}]}]}", "messages[0].content", RowProblem.WrongType, "multimodal" },
        { "{\"text\": \"a document\"}", null, RowProblem.FormatMismatch, "missing column 'messages'" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void StrictModeNamesFileLineAndField(string badLine, string? field, RowProblem problem, string phrase)
    {
        // The bad row is line 3 (after a good row and a blank line, which is not a row).
        var path = DataFixtures.WriteFile("bad.jsonl", Good, "", badLine, Good);
        var e = Assert.Throws<DatasetException>(() => Dataset.Load(path));
        Assert.Equal(path, e.File);
        Assert.Equal(3, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Equal(problem, e.Problem);
        Assert.Contains(phrase, e.Message);
        Assert.StartsWith($"{path}:3: " + (field is null ? "" : field + ": "), e.Message);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LenientModeSkipsAndReportsTheSameProblem(string badLine, string? field, RowProblem problem, string phrase)
    {
        var path = DataFixtures.WriteFile("bad.jsonl", Good, "", badLine, Good);
        var data = Dataset.Load(path, new DatasetLoadOptions { Lenient = true });
        Assert.Equal([1L, 4], data.Select(r => r.Line));
        var skipped = Assert.Single(data.Skipped);
        Assert.Equal((path, 3L, field, problem), (skipped.File, skipped.Line, skipped.Field, skipped.Problem));
        Assert.Contains(phrase, skipped.ToString());
    }

    [Fact]
    public void OtherFormatsReportTheirFields()
    {
        void Check(string[] lines, long line, string? field, RowProblem problem)
        {
            var e = Assert.Throws<DatasetException>(() => Dataset.Load(DataFixtures.WriteFile("x.jsonl", lines)));
            Assert.Equal((line, field, problem), (e.Line, e.Field, e.Problem));
        }
        Check(["{\"prompt\": \"a\", \"completion\": \"b\"}", "{\"prompt\": \"a\", \"completion\": 3}"], 2, "completion", RowProblem.WrongType);
        Check(["{\"prompt\": \"a\", \"completion\": \"b\"}", "{\"prompt\": \"a\", \"completion\": \"\"}"], 2, "completion", RowProblem.EmptyContent);
        Check(["{\"prompt\": \"a\", \"completion\": \"b\"}", "{\"prompt\": \"a\"}"], 2, null, RowProblem.FormatMismatch);
        Check(["{\"prompt\": [{\"role\": \"user\", \"content\": \"q\"}], \"completion\": \"b\"}"], 1, "completion", RowProblem.WrongType);
        Check(["{\"prompt\": [{\"role\": \"user\", \"content\": \"q\"}], \"completion\": []}"], 1, "completion", RowProblem.EmptyMessages);
        Check(["{\"prompt\": [{\"role\": \"user\", \"content\": \"q\"}], \"completion\": [{\"role\": \"user\", \"content\": \"q\"}]}"], 1, "completion[0].role", RowProblem.NonAlternating);
        Check(["{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"robot\", \"value\": \"a\"}]}"], 1, "conversations[1].from", RowProblem.UnknownRole);
        Check(["{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"value\": \"a\"}]}"], 1, "conversations[1].from", RowProblem.MissingRole);
        Check(["{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"human\", \"value\": \"a\"}]}"], 1, "conversations[1].role", RowProblem.NonAlternating);
        Check(["{\"instruction\": \"\", \"input\": \"\", \"output\": \"b\"}"], 1, "instruction", RowProblem.EmptyContent);
        Check(["{\"instruction\": \"a\", \"input\": 5, \"output\": \"b\"}"], 1, "input", RowProblem.WrongType);
        Check(["{\"text\": \"a\"}", "{\"text\": null}"], 2, "text", RowProblem.MissingField);
    }

    [Fact]
    public void JsonArrayAndCsvErrorsNameTheLine()
    {
        var json = DataFixtures.WriteFile("a.json", "[", "  {\"text\": \"one\"},", "  {\"text\": \"two\",", "   \"x\": }", "]");
        var e = Assert.Throws<DatasetException>(() => Dataset.Load(json));
        Assert.Equal((4L, "$[1]", RowProblem.InvalidSyntax), (e.Line, e.Field, e.Problem));

        var wrong = DataFixtures.WriteFile("b.json", "[", "  {\"text\": \"one\"},", "  {\"text\": 5}", "]");
        var w = Assert.Throws<DatasetException>(() => Dataset.Load(wrong));
        Assert.Equal((3L, "text", RowProblem.WrongType), (w.Line, w.Field, w.Problem));

        var trailing = DataFixtures.WriteFile("c.json", "[", "  {\"text\": \"one\"},", "]");
        Assert.Equal(3, Assert.Throws<DatasetException>(() => Dataset.Load(trailing)).Line);

        var csv = DataFixtures.WriteFile("d.csv", "prompt,completion", "a,b", "c,d,e", "\"f\"x,g");
        var c = Assert.Throws<DatasetException>(() => Dataset.Load(csv));
        Assert.Equal((3L, RowProblem.InvalidSyntax), (c.Line, c.Problem));
        Assert.Contains("3 fields but the header has 2", c.Message);
        var lenient = Dataset.Load(csv, new DatasetLoadOptions { Lenient = true });
        Assert.Single(lenient);
        Assert.Equal([3L, 4], lenient.Skipped.Select(s => s.Line));

        var cells = DataFixtures.WriteFile("e.csv", "messages", "\"[{\"\"role\"\": \"\"user\"\"\"");
        var m = Assert.Throws<DatasetException>(() => Dataset.Load(cells));
        Assert.Equal((2L, "messages", RowProblem.InvalidSyntax), (m.Line, m.Field, m.Problem));
    }

    [Fact]
    public void LenientModeDetectsTheFormatPastABadFirstRow()
    {
        var path = DataFixtures.WriteFile("f.jsonl", "{\"txet\": \"typo\"}", "{\"text\": \"fine\"}", "not json", "{\"text\": \"also fine\"}");
        var data = Dataset.Load(path, new DatasetLoadOptions { Lenient = true });
        Assert.Equal(DatasetFormat.Text, data.Format);
        Assert.Equal(["fine", "also fine"], data.Select(r => r.Text!));
        Assert.Equal([(1L, RowProblem.FormatMismatch), (3L, RowProblem.InvalidSyntax)], data.Skipped.Select(s => (s.Line, s.Problem)).OrderBy(x => x.Line));
        // Every line is accounted for: kept + skipped = rows in the file.
        Assert.Equal(4, data.Count + data.Skipped.Count);
    }

    [Fact]
    public void EmptyTurnsCanBeAllowedForInspection()
    {
        var path = DataFixtures.WriteFile("g.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"\"}]}");
        Assert.Throws<DatasetException>(() => Dataset.Load(path));
        var data = Dataset.Load(path, new DatasetLoadOptions { AllowEmptyTurns = true });
        Assert.Equal(1, data.Inspect().EmptyTurns);
    }

    [Fact]
    public void ToolTurnsFollowToolCalls()
    {
        var path = DataFixtures.WriteFile("h.jsonl",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Weather?\"}, {\"role\": \"assistant\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\": \"w\", \"arguments\": {}}}]}, " +
            "{\"role\": \"tool\", \"content\": \"sunny\"}, {\"role\": \"assistant\", \"content\": \"Sunny.\"}]}");
        Assert.Single(Dataset.Load(path));
    }
}
