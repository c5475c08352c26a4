using System.Text.Json.Nodes;
using SftLab.ChatTemplates;
using SftLab.Tests.Cli;

namespace SftLab.Tests.ChatTemplates;

/// <summary>`sftlab template`: JSONL in, JSONL out, same text as the library; bad lines are named.</summary>
public sealed class TemplateCliTests
{
    [Fact]
    public void RendersEachLineWithTheConfigsTemplate()
    {
        var dir = Directory.CreateTempSubdirectory("sftlab-template-cli").FullName;
        try
        {
            var input = Path.Combine(dir, "in.jsonl");
            var output = Path.Combine(dir, "out.jsonl");
            var convs = ParityCases.Conversations.Where(c => c.TemplateKey == "qwen3").Take(6).ToList();
            File.WriteAllLines(input, convs.Select(c =>
            {
                var o = new JsonObject { ["messages"] = c.Messages.DeepClone(), ["add_generation_prompt"] = c.AddGenerationPrompt };
                if (c.Tools is not null) o["tools"] = c.Tools.DeepClone();
                return o.ToJsonString();
            }));
            var (code, stdout, stderr) = CliRunner.Run("template", "--config", JinjaOracles.LenmlConfig("qwen3"), "--input", input, "--output", output);
            Assert.True(code == 0, stdout + stderr);
            var lines = File.ReadAllLines(output);
            Assert.Equal(convs.Count, lines.Length);
            for (var i = 0; i < convs.Count; i++)
                Assert.Equal(JinjaOracles.HuggingFace[convs[i].Id].Text, JsonNode.Parse(lines[i])!["text"]!.GetValue<string>());

            File.WriteAllText(input, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n{\"messages\": 5}\n");
            var (code2, _, err2) = CliRunner.Run("template", "--builtin", "chatml", "--input", input, "--output", output);
            Assert.NotEqual(0, code2);
            Assert.Contains("in.jsonl:2", err2);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
