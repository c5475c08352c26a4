using System.Text.Json;
using System.Text.Json.Nodes;
using SftLab.Data;

namespace SftLab.Tests.Data;

/// <summary>
/// Every format is detected from the columns of real files (the kit's datasets/formats and sft sets), and each
/// layout (JSONL, a JSON array, CSV, TSV, gzip) written by Python's standard library reads back to the same rows.
/// </summary>
public sealed class FormatDetectionTests
{
    [Theory]
    [InlineData("sft/train.jsonl", DatasetFormat.Conversational)]
    [InlineData("general/train.jsonl", DatasetFormat.Conversational)]
    [InlineData("formats/sharegpt.jsonl", DatasetFormat.ShareGpt)]
    [InlineData("formats/prompt-completion.jsonl", DatasetFormat.PromptCompletion)]
    [InlineData("formats/conversational-prompt-completion.jsonl", DatasetFormat.ConversationalPromptCompletion)]
    [InlineData("formats/alpaca.jsonl", DatasetFormat.Instruction)]
    [InlineData("formats/text.jsonl", DatasetFormat.Text)]
    [InlineData("pretraining/validation.txt", DatasetFormat.Text)]
    public void DetectsTheFormatOfEveryShippedFile(string file, DatasetFormat expected)
    {
        var path = DataFixtures.Dataset(file);
        var data = Dataset.Load(path);
        Assert.Equal(expected, data.Format);
        Assert.Empty(data.Skipped);
        // Nothing dropped: one row per record, counted independently of the loader.
        var expectedRows = file.EndsWith(".txt")
            ? File.ReadAllText(path).Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length
            : File.ReadLines(path).Count(l => l.Trim().Length > 0);
        Assert.Equal(expectedRows, data.Count);
    }

    [Fact]
    public void NormalizesEveryFormatToWhatTheFileSays()
    {
        // ShareGPT: from/value become role/content, human → user, gpt → assistant.
        var share = Dataset.Load(DataFixtures.Dataset("formats/sharegpt.jsonl"));
        var raw = JsonDocument.Parse(File.ReadLines(DataFixtures.Dataset("formats/sharegpt.jsonl")).First()).RootElement.GetProperty("conversations");
        var map = new Dictionary<string, string> { ["human"] = "user", ["gpt"] = "assistant", ["system"] = "system" };
        Assert.Equal(raw.EnumerateArray().Select(t => (map[t.GetProperty("from").GetString()!], t.GetProperty("value").GetString()!)),
            share[0].Messages!.Select(m => (m!["role"]!.GetValue<string>(), m["content"]!.GetValue<string>())));

        // Alpaca: the user turn is the instruction, a blank line and the input (when there is one); the output is the completion.
        var alpaca = Dataset.Load(DataFixtures.Dataset("formats/alpaca.jsonl"));
        var lines = File.ReadLines(DataFixtures.Dataset("formats/alpaca.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        for (var i = 0; i < lines.Count; i++)
        {
            var input = lines[i].GetProperty("input").GetString()!;
            var instruction = lines[i].GetProperty("instruction").GetString()!;
            Assert.Equal(input.Length == 0 ? instruction : instruction + "\n\n" + input, alpaca[i].Prompt!.Single()!["content"]!.GetValue<string>());
            Assert.Equal(lines[i].GetProperty("output").GetString(), alpaca[i].Completion!.Single()!["content"]!.GetValue<string>());
            Assert.Equal(i + 1, alpaca[i].Line);
        }

        var pc = Dataset.Load(DataFixtures.Dataset("formats/prompt-completion.jsonl"));
        var first = JsonDocument.Parse(File.ReadLines(DataFixtures.Dataset("formats/prompt-completion.jsonl")).First()).RootElement;
        Assert.Equal(first.GetProperty("prompt").GetString(), pc[0].PromptText);
        Assert.Equal(first.GetProperty("completion").GetString(), pc[0].CompletionText);
        Assert.True(pc[0].HasCompletion);
        Assert.False(pc[0].IsConversational);

        var test = Dataset.Load(DataFixtures.Dataset("sft/test.jsonl"));
        // Extra columns (id, answer...) are kept, and a conversation may end with the user (an evaluation prompt).
        Assert.Equal("test-0001", test[0].Raw["id"]!.GetValue<string>());
        Assert.Equal("user", test[0].Messages![^1]!["role"]!.GetValue<string>());
    }

    [Fact]
    public void RefusesPreferenceAndPromptOnlyDataWithAnExplanation()
    {
        var e = Assert.Throws<DatasetException>(() => Dataset.Load(DataFixtures.Dataset("formats/preference.jsonl")));
        Assert.Equal(RowProblem.UnsupportedFormat, e.Problem);
        Assert.Contains("preference", e.Message);
        Assert.Contains("'chosen' to 'completion'", e.Message);
        Assert.EndsWith("preference.jsonl", e.File);
        Assert.Equal(1, e.Line);

        var promptOnly = DataFixtures.WriteFile("p.jsonl", "{\"prompt\": \"Say hi\"}");
        Assert.Contains("prompt-only", Assert.Throws<DatasetException>(() => Dataset.Load(promptOnly)).Message);

        var unknown = DataFixtures.WriteFile("u.jsonl", "{\"question\": \"a\", \"answer\": \"b\"}");
        var u = Assert.Throws<DatasetException>(() => Dataset.Load(unknown));
        Assert.Contains("'question', 'answer'", u.Message);
        Assert.Contains("'messages'", u.Message);
    }

    public static TheoryData<string, string> Layouts() => new()
    {
        { "sft/validation.jsonl", "csv" },
        { "sft/validation.jsonl", "json" },
        { "formats/sharegpt.jsonl", "tsv" },
        { "formats/conversational-prompt-completion.jsonl", "csv" },
        { "formats/alpaca.jsonl", "csv" },
        { "formats/alpaca.jsonl", "json" },
        { "formats/prompt-completion.jsonl", "jsonl.gz" },
        { "formats/text.jsonl", "csv" },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void EveryFileLayoutReadsBackTheSameRows(string file, string layout)
    {
        var jsonl = DataFixtures.Dataset(file);
        var converted = DataFixtures.PythonConvert(jsonl, layout, Path.Combine(DataFixtures.TempDir(), Path.GetFileNameWithoutExtension(file) + "." + layout));
        var expected = Dataset.Load(jsonl);
        var actual = Dataset.Load(converted);
        Assert.Equal(expected.Format, actual.Format);
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++) Assert.Equal(expected[i].ContentText, actual[i].ContentText);
        if (layout == "json")
        {
            // Elements of an indented array start on the line of their '{', counted independently here.
            var starts = File.ReadLines(converted).Select((l, i) => (l, i + 1)).Where(x => x.l == "  {").Select(x => (long)x.Item2).ToArray();
            Assert.Equal(starts, actual.Select(r => r.Line).ToArray());
        }
        if (layout is "csv" or "tsv")
            Assert.Equal(2, actual[0].Line); // line 1 is the header
    }

    [Fact]
    public void CsvQuotedFieldsKeepDelimitersQuotesAndLineBreaks()
    {
        var path = DataFixtures.WriteFile("q.csv",
            "prompt,completion",
            "\"Say \"\"hi\"\", please\",\"Hi,",
            "there\"",
            "plain,answer");
        var data = Dataset.Load(path);
        Assert.Equal(DatasetFormat.PromptCompletion, data.Format);
        Assert.Equal("Say \"hi\", please", data[0].PromptText);
        Assert.Equal("Hi,\nthere", data[0].CompletionText);
        Assert.Equal(2, data[0].Line);
        Assert.Equal(4, data[1].Line);
    }

    [Fact]
    public void TextFilesAreCutByParagraphLineOrDocument()
    {
        var path = DataFixtures.WriteFile("t.txt", "first doc", "still first", "", "", "second doc", "", "third");
        var para = Dataset.Load(path);
        Assert.Equal(["first doc\nstill first", "second doc", "third"], para.Select(r => r.Text!));
        Assert.Equal([1L, 5, 7], para.Select(r => r.Line));
        Assert.Equal(4, Dataset.Load(path, new DatasetLoadOptions { TextSampleBy = TextSampleBy.Line }).Count);
        Assert.Single(Dataset.Load(path, new DatasetLoadOptions { TextSampleBy = TextSampleBy.Document }));
    }

    [Fact]
    public void DetectOrdersTheColumnsAsTrlDoes()
    {
        static DatasetFormat D(string json) => DatasetFormats.Detect(JsonNode.Parse(json)!.AsObject());
        Assert.Equal(DatasetFormat.Conversational, D("{\"messages\": [], \"text\": \"x\"}"));
        Assert.Equal(DatasetFormat.ShareGpt, D("{\"conversations\": []}"));
        Assert.Equal(DatasetFormat.PromptCompletion, D("{\"prompt\": \"a\", \"completion\": \"b\", \"text\": \"c\"}"));
        Assert.Equal(DatasetFormat.ConversationalPromptCompletion, D("{\"prompt\": [], \"completion\": []}"));
        Assert.Equal(DatasetFormat.Instruction, D("{\"instruction\": \"a\", \"input\": \"\", \"output\": \"b\"}"));
        Assert.Equal(DatasetFormat.Text, D("{\"text\": \"a\", \"id\": 3}"));
    }

    [Fact]
    public void StreamingReadsRowsLazilyWithoutLoadingTheFile()
    {
        // Line 3 is broken: a streaming reader hands out rows 1 and 2 before it ever reads line 3.
        var path = DataFixtures.WriteFile("s.jsonl", "{\"text\": \"one\"}", "{\"text\": \"two\"}", "{\"text\": ");
        using var e = Dataset.Stream(path).GetEnumerator();
        Assert.True(e.MoveNext());
        Assert.Equal("one", e.Current.Text);
        Assert.True(e.MoveNext());
        Assert.Equal("two", e.Current.Text);
        var error = Assert.Throws<DatasetException>(() => e.MoveNext());
        Assert.Equal(3, error.Line);
        Assert.Throws<ArgumentException>(() => Dataset.Stream(path, new DatasetLoadOptions { Lenient = true }).ToList());
    }
}
