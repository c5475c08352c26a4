using System.Text;
using System.Text.Json.Nodes;
using SftLab.Kernel;
using SftLab.Kernel.Display;
using SftLab.Kernel.Protocol;
using SftLab.Torch;

namespace SftLab.Tests.Kernel;

/// <summary>Connection files, message signing and value formatting, in-process.</summary>
public sealed class WireAndFormatTests
{
    [Fact]
    public void ConnectionFileErrorsNameTheFileAndField()
    {
        using var dir = JupyterTools.CreateTempDir("sftlab-conn");
        var path = Path.Combine(dir.Path, "kernel-1.json");
        File.WriteAllText(path, """{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": "x", "hb_port": 5, "key": "k"}""");
        var e = Assert.Throws<FormatException>(() => ConnectionInfo.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("\"control_port\"", e.Message);

        File.WriteAllText(path, "{ not json");
        Assert.Contains(path, Assert.Throws<FormatException>(() => ConnectionInfo.Load(path)).Message);

        File.WriteAllText(path, """{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5, "key": "k", "signature_scheme": "hmac-md5"}""");
        Assert.Contains("hmac-sha256", Assert.Throws<FormatException>(() => ConnectionInfo.Load(path)).Message);

        File.WriteAllText(path, """{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5, "key": "k", "ip": "127.0.0.1"}""");
        var ok = ConnectionInfo.Load(path);
        Assert.Equal("tcp://127.0.0.1:4", ok.Endpoint(ok.ControlPort));
    }

    [Fact]
    public void TamperedMessagesAreRejected()
    {
        var codec = new MessageCodec("secret");
        var message = new JupyterMessage
        {
            Identities = [Encoding.ASCII.GetBytes("client")],
            Header = JupyterMessage.NewHeader("execute_request", "s1"),
            Content = new JsonObject { ["code"] = "1 + 1" },
        };
        var frames = codec.Encode(message);
        var back = codec.Decode(frames);
        Assert.Equal("execute_request", back.MessageType);
        Assert.Equal("client", Encoding.ASCII.GetString(back.Identities.Single()));

        // Change the code after signing: the signature no longer matches.
        var tampered = frames.Select(f => f.ToArray()).ToList();
        tampered[^1] = Encoding.UTF8.GetBytes("""{"code":"System.IO.File.Delete(\"x\")"}""");
        Assert.Throws<InvalidSignatureException>(() => codec.Decode(tampered));
        // Another key signs differently.
        Assert.Throws<InvalidSignatureException>(() => new MessageCodec("other").Decode(frames));
        // No delimiter: malformed.
        Assert.Throws<FormatException>(() => codec.Decode([Encoding.ASCII.GetBytes("x")]));
    }

    [Fact]
    public void KernelSpecRunsThisCliWithTheConnectionFile()
    {
        var spec = KernelSpec.Create(["/opt/dotnet/dotnet", "/opt/sftlab/SftLab.Cli.dll"]);
        Assert.Equal(["/opt/dotnet/dotnet", "/opt/sftlab/SftLab.Cli.dll", "kernel", "run", "-f", "{connection_file}"],
            spec["argv"]!.AsArray().Select(a => (string?)a));
        Assert.Equal("SftLab C#", (string?)spec["display_name"]);
        Assert.Equal("C#", (string?)spec["language"]);
        Assert.Equal("message", (string?)spec["interrupt_mode"]);
    }

    [Fact]
    public void ScalarsAndStringsArePlainTextObjectsAreHtml()
    {
        Assert.Equal(["text/plain"], ValueFormatter.Format(3.5).Data.Keys);
        Assert.Equal("3.5", ValueFormatter.Format(3.5).PlainText);
        Assert.Equal("<b>", ValueFormatter.Format("<b>").PlainText);
        Assert.Equal("null", ValueFormatter.Format(null).PlainText);
        var obj = ValueFormatter.Format(new Uri("file:///tmp/x"));
        Assert.NotNull(obj.Html);
        Assert.Equal("file:///tmp/x", obj.PlainText);
    }

    private sealed record Row(string Prompt, int Tokens, double Loss);

    [Fact]
    public void CollectionTableHasOneColumnPerPublicProperty()
    {
        var rows = Enumerable.Range(0, 30).Select(i => new Row($"p{i}", i, i / 10.0)).ToList();
        var html = ValueFormatter.Format(rows).Html!;
        var expected = typeof(Row).GetProperties().Select(p => $"<th>{p.Name}</th>");
        Assert.All(expected, h => Assert.Contains(h, html));
        // At most CollectionRowLimit rows, then a note.
        Assert.Equal(ValueFormatter.CollectionRowLimit, html.Split("<tr><td>").Length - 1);
        Assert.Contains("more rows not shown", html);
    }

    private sealed class View : SftLab.Interactive.IHtmlDisplay
    {
        public string ToHtml() => "<svg id=\"view\"></svg>";
    }

    [Fact]
    public void HtmlDisplaysRenderTheirOwnHtml()
    {
        var b = ValueFormatter.Format(new View());
        Assert.Equal("<svg id=\"view\"></svg>", b.Html);
        Assert.Equal("[View]", b.PlainText);
        // Inside a collection too.
        Assert.Contains("<svg id=\"view\"></svg>", ValueFormatter.Format(new[] { new View() }).Html);
    }

    [Fact]
    public void DisposedTensorsSayTheyAreDisposed()
    {
        var t = Tensor.Zeros(2, 2);
        t.Dispose();
        Assert.Contains("disposed", ValueFormatter.Format(t).Html);
    }

    [Fact]
    public void CursorPositionsCountCodePoints()
    {
        const string code = "var s = \"😀\"; s.";
        // Jupyter counts the emoji as one position; .NET as two UTF-16 units.
        var utf16 = code.Length;
        var codePoints = code.EnumerateRunes().Count();
        Assert.Equal(utf16 - 1, codePoints);
        Assert.Equal(utf16, CodePoints.ToUtf16(code, codePoints));
        Assert.Equal(codePoints, CodePoints.FromUtf16(code, utf16));
    }
}
