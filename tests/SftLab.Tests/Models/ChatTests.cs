using System.Text.Json.Nodes;
using SftLab.ChatTemplates;
using SftLab.Models;
using SftLab.Tests.Cli;
using SftLab.Tokenization;

namespace SftLab.Tests.Models;

public sealed class ChatTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sftlab-chat-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string MakeFolder() => TinyModels.Folder(_dir,
        Enumerable.Range(0, 200).Select(i => $"The quick brown fox {i} jumps over the lazy dog. Hello there, how are you {i % 7}?"), seed: 3);

    [Fact]
    public void PromptIsTheRenderedTemplateWithoutAddedSpecialTokens()
    {
        using var chat = Chat.FromPretrained(MakeFolder());
        var messages = JsonNode.Parse("""[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"}]""")!.AsArray();
        var ids = chat.EncodePrompt(messages);
        var text = chat.Tokenizer.Decode(ids.Select(i => (int)i), skipSpecialTokens: false);
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n", text);
        Assert.Contains((long)chat.Tokenizer.TokenToId("<|im_end|>")!.Value, chat.StopTokenIds);
    }

    [Fact]
    public void StreamedPiecesAddUpToTheReply()
    {
        using var chat = Chat.FromPretrained(MakeFolder());
        var pieces = new List<string>();
        var reply = chat.Ask("Hello there", config: new GenerationConfig { MaxNewTokens = 12, EosTokenIds = [] }, onText: pieces.Add);
        Assert.NotEmpty(pieces);
        Assert.Equal(reply, string.Concat(pieces).Trim());
    }

    [Fact]
    public void GenerateCommandStreamsAContinuation()
    {
        var folder = MakeFolder();
        var (code, stdout, stderr) = CliRunner.Run("generate", "--model", folder, "--prompt", "The quick", "--max-new-tokens", "5", "--device", "cpu");
        Assert.True(code == 0, stderr);
        Assert.StartsWith("The quick", stdout);
        Assert.True(stdout.TrimEnd().Length > "The quick".Length);
    }
}
