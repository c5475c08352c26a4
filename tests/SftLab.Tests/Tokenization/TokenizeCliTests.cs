using System.Text.Json;
using SftLab.Tests.Cli;

namespace SftLab.Tests.Tokenization;

/// <summary>`sftlab tokenize` end to end: ids equal the reference's; decode gives the text back; bad lines are named.</summary>
public sealed class TokenizeCliTests
{
    [Fact]
    public void EncodesJsonLinesLikeTheReferenceAndDecodesThemBack()
    {
        var data = TokenizerOracle.Get();
        var expected = data.CorpusIds("llama2");
        var dir = Directory.CreateTempSubdirectory("sftlab-tokcli-");
        try
        {
            var input = Path.Combine(dir.FullName, "in.jsonl");
            var docs = data.Docs.Take(25).ToArray();
            File.WriteAllLines(input, docs.Select(d => JsonSerializer.Serialize(new { text = d })));
            var output = Path.Combine(dir.FullName, "out.jsonl");
            var (code, _, err) = CliRunner.Run("tokenize", "--tokenizer", TokenizerOracle.HfFolder("llama2"), "--add-special-tokens", "--input", input, "--output", output);
            Assert.True(code == 0, err);
            var lines = File.ReadAllLines(output);
            Assert.Equal(docs.Length, lines.Length);
            for (var i = 0; i < docs.Length; i++)
            {
                using var doc = JsonDocument.Parse(lines[i]);
                var ids = doc.RootElement.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
                Assert.Equal(expected[i], ids);
                Assert.Equal(ids.Length, doc.RootElement.GetProperty("tokens").GetArrayLength());
            }
            // Decode, without special tokens: Mistral's pipeline gives the text back.
            var decoded = Path.Combine(dir.FullName, "decoded.jsonl");
            (code, _, err) = CliRunner.Run("tokenize", "--tokenizer", Path.Combine(TokenizerOracle.HfFolder("llama2"), "tokenizer.json"), "--decode", "--skip-special-tokens", "--input", output, "--output", decoded);
            Assert.True(code == 0, err);
            var texts = File.ReadAllLines(decoded).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()).ToArray();
            var roundTrips = data.RoundTrips("llama2");
            for (var i = 0; i < docs.Length; i++) if (roundTrips[i]) Assert.Equal(docs[i], texts[i]);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void StdinToStdoutWithTiktoken()
    {
        var (code, stdout, err) = CliRunner.Run(["tokenize", "--tokenizer", TokenizerOracle.TiktokenFile("o200k_base")], "{\"text\": \"hello world\"}\n");
        Assert.True(code == 0, err);
        var ids = JsonDocument.Parse(stdout.Trim()).RootElement.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var reference = TokenizerOracle.Get().EdgeResults("o200k_base").First(e => e.GetProperty("name").GetString() == "hello");
        Assert.Equal(ParityTests.Load("o200k_base").Encode("hello world").Ids, ids);
        Assert.NotEmpty(reference.GetProperty("ids").EnumerateArray());
    }

    [Fact]
    public void BadLinesAreNamedAndNoOutputIsLeft()
    {
        var dir = Directory.CreateTempSubdirectory("sftlab-tokcli-");
        try
        {
            var input = Path.Combine(dir.FullName, "in.jsonl");
            File.WriteAllText(input, "{\"text\": \"ok\"}\n{\"txt\": \"wrong field\"}\n");
            var output = Path.Combine(dir.FullName, "out.jsonl");
            var (code, _, err) = CliRunner.Run("tokenize", "--tokenizer", TokenizerOracle.HfFolder("llama3"), "--input", input, "--output", output);
            Assert.NotEqual(0, code);
            Assert.Contains("line 2", err);
            Assert.False(File.Exists(output));
            Assert.Empty(Directory.GetFiles(dir.FullName, "out.jsonl*"));

            File.WriteAllText(input, "{\"ids\": [1, 2]}\n{\"ids\": [1, 99999999]}\n");
            (code, _, err) = CliRunner.Run("tokenize", "--tokenizer", TokenizerOracle.HfFolder("llama3"), "--decode", "--input", input, "--output", output);
            Assert.NotEqual(0, code);
            Assert.Contains("line 2", err);
            Assert.Contains("99999999", err);

            (code, _, err) = CliRunner.Run("tokenize", "--tokenizer", input, "--input", input);
            Assert.NotEqual(0, code);
            Assert.Contains("in.jsonl", err);
        }
        finally { dir.Delete(true); }
    }
}
