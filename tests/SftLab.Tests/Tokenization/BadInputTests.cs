using System.Text.Json.Nodes;
using SftLab.Tokenization;

namespace SftLab.Tests.Tokenization;

/// <summary>Malformed tokenizer files give exceptions that name the file and JSON path; huge inputs work.</summary>
public sealed class BadInputTests
{
    private static JsonObject Llama3() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(TokenizerOracle.HfFolder("llama3"), "tokenizer.json")))!.AsObject();

    private static TokenizerFormatException LoadFails(JsonObject json, string file = "bad")
    {
        var dir = Path.Combine(Path.GetTempPath(), "sftlab-tok-bad-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, "tokenizer.json");
            File.WriteAllText(path, json.ToJsonString());
            var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromFile(path));
            Assert.Equal(path, e.File);
            Assert.Contains(path, e.Message);
            return e;
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void MissingModelNamesTheField()
    {
        var j = Llama3();
        j.Remove("model");
        var e = LoadFails(j);
        Assert.Equal("$", e.JsonPath);
        Assert.Contains("\"model\"", e.Message);
    }

    [Fact]
    public void UnknownTypesNameTheirPath()
    {
        var j = Llama3();
        j["pre_tokenizer"]!["pretokenizers"]![1]!["type"] = "NoSuchPreTokenizer";
        var e = LoadFails(j);
        Assert.Equal("$.pre_tokenizer.pretokenizers[1].type", e.JsonPath);
        Assert.Contains("NoSuchPreTokenizer", e.Message);

        j = Llama3();
        j["model"]!["type"] = "Mystery";
        Assert.Equal("$.model.type", LoadFails(j).JsonPath);

        j = Llama3();
        j["decoder"] = JsonNode.Parse("""{"type":"Nope"}""");
        Assert.Equal("$.decoder.type", LoadFails(j).JsonPath);

        j = Llama3();
        j["normalizer"] = JsonNode.Parse("""{"type":"Sequence","normalizers":[{"type":"NFC"},{"type":"Upper"}]}""");
        Assert.Equal("$.normalizer.normalizers[1].type", LoadFails(j).JsonPath);
    }

    [Fact]
    public void BrokenMergesNameTheMerge()
    {
        var j = Llama3();
        j["model"]!["merges"]![5] = "Ġzzqq notatoken";
        var e = LoadFails(j);
        Assert.Equal("$.model.merges[5]", e.JsonPath);
        Assert.Contains("not in the vocabulary", e.Message);

        j = Llama3();
        j["model"]!["merges"]![7] = "nospace";
        Assert.Equal("$.model.merges[7]", LoadFails(j).JsonPath);

        j = Llama3();
        j["model"]!["merges"]![2] = 42;
        Assert.Equal("$.model.merges[2]", LoadFails(j).JsonPath);
    }

    [Fact]
    public void InvalidRegexNamesThePattern()
    {
        var j = Llama3();
        j["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"]!["Regex"] = "(unclosed|[a-";
        var e = LoadFails(j);
        Assert.Equal("$.pre_tokenizer.pretokenizers[0].pattern.Regex", e.JsonPath);
        Assert.Contains("invalid regex", e.Message);
    }

    [Fact]
    public void WrongValueTypesNameTheirPath()
    {
        var j = Llama3();
        j["model"]!["vocab"]!["hello"] = "not a number";
        Assert.Equal("$.model.vocab.hello", LoadFails(j).JsonPath);

        j = Llama3();
        j["added_tokens"]![3]!["id"] = "x";
        Assert.Equal("$.added_tokens[3].id", LoadFails(j).JsonPath);
    }

    [Fact]
    public void MalformedJsonNamesTheLine()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sftlab-tok-bad-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, "tokenizer.json");
            File.WriteAllText(path, "{\n  \"model\": {\n    \"type\": \"BPE\",\n    oops\n  }\n}");
            var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromFile(path));
            Assert.StartsWith("line 4", e.JsonPath);

            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{\"bos_token\": 5}");
            File.WriteAllText(path, Llama3().ToJsonString());
            var c = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromFile(path));
            Assert.Equal("$.bos_token", c.JsonPath);
            Assert.EndsWith("tokenizer_config.json", c.File);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void BadTiktokenLinesNameTheLine()
    {
        var path = Path.Combine(Path.GetTempPath(), "sftlab-bad-" + Guid.NewGuid().ToString("N") + ".tiktoken");
        try
        {
            var lines = Enumerable.Range(0, 256).Select(b => Convert.ToBase64String([(byte)b]) + " " + b).ToList();
            lines.Insert(10, "!!!notbase64 300");
            File.WriteAllLines(path, lines);
            var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromTiktoken(path, pattern: @"\S+|\s+"));
            Assert.Equal("line 11", e.JsonPath);
            lines[10] = "QUJD";
            File.WriteAllLines(path, lines);
            Assert.Equal("line 11", Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromTiktoken(path, pattern: @"\S+|\s+")).JsonPath);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MissingFilesAreClear()
    {
        Assert.Throws<DirectoryNotFoundException>(() => Tokenizer.FromFolder("/nonexistent/sftlab/folder"));
        var dir = Directory.CreateTempSubdirectory("sftlab-empty-");
        try
        {
            var e = Assert.Throws<FileNotFoundException>(() => Tokenizer.FromFolder(dir.FullName));
            Assert.Contains("tokenizer.json", e.Message);
        }
        finally { dir.Delete(); }
    }

    [Fact]
    public void UnknownIdInDecodeIsClear()
    {
        var tok = ParityTests.Load("llama3");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => tok.Decode([1, 999_999_999]));
        Assert.Contains("999999999", e.Message);
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("llama2")]
    [InlineData("o200k_base")]
    public void HugeInputsDoNotBlowTheStack(string name)
    {
        var tok = ParityTests.Load(name);
        // 4 MB with a 2 MB word and a 1 MB run of spaces: long words take the heap-based merge loop.
        var text = new string('a', 2_000_000) + new string(' ', 1_000_000) + string.Concat(Enumerable.Repeat("héllo wörld 12345 ", 55_000));
        var enc = tok.Encode(text, addSpecialTokens: false);
        Assert.True(enc.Count > 1000);
        Assert.Equal(text, tok.Decode(enc.Ids, cleanUpTokenizationSpaces: false).TrimStart(name == "llama2" ? ' ' : '\0'));
    }

    [Fact]
    public void DeeplyNestedJsonIsRejectedCleanly()
    {
        var deep = new string('[', 5000) + new string(']', 5000);
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson(deep));
        Assert.Contains("JSON", e.Message);
    }
}
