using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using SftLab.Torch;

namespace SftLab.Tests.Kernel;

/// <summary>
/// Runs tests/oracles/jupyter/protocol_client.py once: Debian's jupyter_client drives one SftLab kernel through
/// every scenario and records what it saw (jupyter_client itself checks every signature and the wire format).
/// </summary>
public sealed class ProtocolFixture : IDisposable
{
    private readonly TempDir _dir = JupyterTools.CreateTempDir("sftlab-protocol");

    public ProtocolFixture()
    {
        JupyterTools.RequirePython();
        JupyterTools.InstallKernelSpec(_dir.Path);
        var outFile = Path.Combine(_dir.Path, "observations.json");
        JupyterTools.RunOracle("protocol_client.py", ["--kernel", "sftlab-csharp", outFile], _dir.Path);
        Results = JsonNode.Parse(File.ReadAllText(outFile))!.AsObject();
    }

    public JsonObject Results { get; }

    /// <summary>One scenario's observations; fails the test if the client script hit an exception there.</summary>
    public JsonNode Scenario(string name)
    {
        var s = Results[name] ?? throw new Xunit.Sdk.XunitException($"scenario {name} missing");
        if (s is JsonObject o && o["exception"] is { } e) Assert.Fail($"scenario {name}: {e}\n{o["trace"]}");
        return s;
    }

    public void Dispose() => _dir.Dispose();
}

[Collection(JupyterCollection.Name)]
public sealed class ProtocolTests(ProtocolFixture fixture) : IClassFixture<ProtocolFixture>
{
    private static IEnumerable<JsonObject> Iopub(JsonNode run, string type) =>
        run["iopub"]!.AsArray().Select(m => m!.AsObject()).Where(m => (string?)m["msg_type"] == type).Select(m => m["content"]!.AsObject());

    private static string Plain(JsonNode run) =>
        (string?)Iopub(run, "execute_result").Single()["data"]!["text/plain"] ?? "";

    [Fact]
    public void KernelInfoDescribesCSharp()
    {
        var info = fixture.Scenario("kernel_info");
        Assert.Equal("ok", (string?)info["status"]);
        Assert.Equal("5.3", (string?)info["protocol_version"]);
        var lang = info["language_info"]!;
        Assert.Equal("C#", (string?)lang["name"]);
        Assert.Equal(".cs", (string?)lang["file_extension"]);
        Assert.Equal("text/x-csharp", (string?)lang["mimetype"]);
        Assert.Equal("text/x-csharp", (string?)lang["codemirror_mode"]);
    }

    [Theory]
    [InlineData("wrong_key")]
    [InlineData("unsigned")]
    public void MessageWithWrongSignatureIsRejectedNotExecuted(string label)
    {
        var s = fixture.Scenario("bad_signature");
        var forged = s[label]!;
        Assert.Equal(0, (int)forged["replies"]!);   // no execute_reply
        Assert.Equal(0, (int)forged["iopub"]!);     // not even a busy status
        // The forged cell declared forged_<label>; it never ran, so the name does not exist.
        var followup = forged["followup"]!;
        Assert.Equal("error", (string?)followup["status"]);
        Assert.Contains("CS0103", (string?)followup["evalue"]);
        Assert.Contains($"forged_{label}", (string?)followup["evalue"]);
        Assert.Equal("ok", (string?)s["alive"]);
    }

    [Fact]
    public void ThrowingCellReportsTheLineAndKeepsKernelAndState()
    {
        var s = fixture.Scenario("errors");
        Assert.Equal("ok", (string?)s["define"]!["status"]);
        var thrown = s["throw"]!["reply"]!;
        Assert.Equal("error", (string?)thrown["status"]);
        Assert.Equal("InvalidOperationException", (string?)thrown["ename"]);
        Assert.Equal("boom at line three", (string?)thrown["evalue"]);
        var count = (int)thrown["execution_count"]!;
        var traceback = string.Join("\n", thrown["traceback"]!.AsArray().Select(t => (string?)t));
        Assert.Contains($"Cell In[{count}], line 3", traceback);
        Assert.Contains("throw new InvalidOperationException", traceback);
        // The error message went to iopub too (what notebooks show).
        Assert.Equal("InvalidOperationException", (string?)Iopub(s["throw"]!, "error").Single()["ename"]);

        // The kernel is alive and remembers: an earlier cell's variable, and those set before the throw.
        Assert.Equal("42", Plain(s["after"]!));
        Assert.Equal("3", Plain(s["partial"]!));
    }

    [Fact]
    public void CompileErrorNamesCellLineAndColumn()
    {
        var reply = fixture.Scenario("errors")["compile"]!["reply"]!;
        Assert.Equal("CompilationError", (string?)reply["ename"]);
        var count = (int)reply["execution_count"]!;
        var lines = reply["traceback"]!.AsArray().Select(t => (string?)t).ToList();
        // "var broken = undefinedName + 1;" is line 2; undefinedName starts at column 14.
        Assert.Contains(lines, l => l!.StartsWith($"Cell In[{count}], line 2, column 14: error CS0103", StringComparison.Ordinal));
        Assert.Contains(lines, l => l!.Trim() == "var broken = undefinedName + 1;");
    }

    [Fact]
    public void RecursionFramesNameTheMethodAndCollapse()
    {
        var reply = fixture.Scenario("errors")["nested"]!["reply"]!;
        Assert.Equal("ArgumentException", (string?)reply["ename"]);
        var count = (int)reply["execution_count"]!;
        var lines = reply["traceback"]!.AsArray().Select(t => (string)t!).ToList();
        Assert.Contains($"   at Cell In[{count}], line 1 (in Fail)", lines);
        Assert.Contains(lines, l => l.Contains("repeated 3 more times", StringComparison.Ordinal));
        Assert.Contains($"   at Cell In[{count}], line 3", lines); // the call Fail(3) on the cell's last line
    }

    [Theory]
    [InlineData("loop")]
    [InlineData("training_loop")]
    [InlineData("sigint")]
    public void InterruptStopsALoopWithinTwoSeconds(string name)
    {
        var s = fixture.Scenario("interrupt")[name]!;
        var seconds = (double)s["seconds"]!;
        Assert.True(seconds < 2.0, $"the loop stopped {seconds:F2} s after the interrupt");
        var reply = s["reply"]!;
        Assert.Equal("error", (string?)reply["status"]);
        Assert.Equal("OperationCanceledException", (string?)reply["ename"]);
        Assert.StartsWith("Interrupted at Cell In[", (string?)reply["traceback"]![0]);
    }

    [Fact]
    public void InterruptKeepsStateAndTheKernelServes()
    {
        var s = fixture.Scenario("interrupt");
        Assert.Equal("True", Plain(s["after_loop"]!)); // spins was counting when interrupted
        Assert.Equal("3", Plain(s["alive"]!));
    }

    [Fact]
    public void InterruptOfACallWithoutChecksDetachesIt()
    {
        var sleep = fixture.Scenario("interrupt")["sleep"]!;
        Assert.True((double)sleep["seconds"]! < 3.0, $"Thread.Sleep(60000) was detached after {(double)sleep["seconds"]!:F2} s");
        Assert.Equal("OperationCanceledException", (string?)sleep["reply"]!["ename"]);
        Assert.Contains("detached", (string?)sleep["reply"]!["traceback"]![1]);
    }

    [Fact]
    public void CompletionAfterTensorDotListsItsStaticMembers()
    {
        var c = fixture.Scenario("complete")["static"]!;
        var matches = c["matches"]!.AsArray().Select(m => (string)m!).ToHashSet();
        // Reference: reflection over SftLab's Tensor, the type the completion is about.
        var expected = typeof(Tensor).GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName).Select(m => m.Name).ToHashSet();
        Assert.Contains("Zeros", expected);
        Assert.Empty(expected.Except(matches));
        // Instance members do not complete after the type name.
        Assert.DoesNotContain("Matmul", matches);
        Assert.Equal("Tensor.".Length, (int)c["cursor_start"]!);
        var types = c["metadata"]!["_jupyter_types_experimental"]!.AsArray();
        Assert.Equal("method", (string?)types.First(t => (string?)t!["text"] == "Zeros")!["type"]);
    }

    [Fact]
    public void CompletionOfAVariableListsInstanceMembers()
    {
        var matches = fixture.Scenario("complete")["instance"]!["matches"]!.AsArray().Select(m => (string)m!).ToHashSet();
        var expected = typeof(Tensor).GetMembers(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m is PropertyInfo p && p.GetIndexParameters().Length == 0 || m is MethodInfo { IsSpecialName: false })
            .Select(m => m.Name).ToHashSet();
        Assert.Contains("Shape", expected);
        Assert.Empty(expected.Except(matches));
        Assert.DoesNotContain("Zeros", matches); // static
        Assert.Contains("Display", matches);     // the .Display() extension of notebooks
    }

    [Fact]
    public void CompletionFiltersByPrefixAndReplacesIt()
    {
        var s = fixture.Scenario("complete");
        Assert.Equal(["Zeros"], s["static_prefix"]!["matches"]!.AsArray().Select(m => (string)m!).Where(m => m.StartsWith("Ze", StringComparison.Ordinal)));
        Assert.Equal(7, (int)s["static_prefix"]!["cursor_start"]!);
        Assert.Equal(9, (int)s["static_prefix"]!["cursor_end"]!);
        Assert.Contains("WriteLine", s["console"]!["matches"]!.AsArray().Select(m => (string?)m));
        Assert.Contains("Tensor", s["global"]!["matches"]!.AsArray().Select(m => (string?)m));
        var mid = s["mid"]!;
        Assert.Contains("Zeros", mid["matches"]!.AsArray().Select(m => (string?)m));
        Assert.Equal("var a = Tensor.".Length, (int)mid["cursor_start"]!);
    }

    [Fact]
    public void InspectShowsSignatureAndTheXmlDocSummary()
    {
        var r = fixture.Scenario("inspect")["tensor_zeros"]!;
        Assert.True((bool)r["found"]!);
        var text = (string)r["data"]!["text/plain"]!;
        Assert.StartsWith("Tensor Tensor.Zeros(", text);
        // Reference: the summary the compiler wrote into SftLab.xml for Tensor.Zeros(long[], DType, Device?).
        var xml = XDocument.Load(Path.ChangeExtension(typeof(Tensor).Assembly.Location, ".xml"));
        var member = xml.Descendants("member").First(m => ((string?)m.Attribute("name"))!.StartsWith("M:SftLab.Torch.Tensor.Zeros(System.Int64[],", StringComparison.Ordinal));
        var summary = Regex.Replace(member.Element("summary")!.Value, @"\s+", " ").Trim();
        Assert.Contains(summary, text);
        Assert.StartsWith("void Console.WriteLine(", (string?)fixture.Scenario("inspect")["console_writeline"]!["data"]!["text/plain"]);
    }

    [Fact]
    public void IsCompleteFollowsBraces()
    {
        var s = fixture.Scenario("is_complete");
        Assert.Equal("incomplete", (string?)s["for (var i = 0; i < 3; i++) {"]!["status"]);
        Assert.Equal("    ", (string?)s["for (var i = 0; i < 3; i++) {"]!["indent"]);
        Assert.Equal("complete", (string?)s["var x = 1;"]!["status"]);
        Assert.Equal("complete", (string?)s["if (true) { }"]!["status"]);
        Assert.Equal("incomplete", (string?)s["var s = \"open"]!["status"]);
    }

    [Fact]
    public void LiveUpdateSendsUpdateDisplayDataForTheSameOutput()
    {
        var run = fixture.Scenario("update_display");
        var shown = Iopub(run, "display_data").ToList();
        var updates = Iopub(run, "update_display_data").ToList();
        Assert.Single(shown);                 // one output...
        Assert.Equal(3, updates.Count);       // ...redrawn three times, not three more outputs
        var id = (string?)shown[0]["transient"]!["display_id"];
        Assert.False(string.IsNullOrEmpty(id));
        Assert.All(updates, u => Assert.Equal(id, (string?)u["transient"]!["display_id"]));
        Assert.Equal(["2", "3", "4"], updates.Select(u => (string?)u["data"]!["text/plain"]));
        Assert.Equal("1", (string?)shown[0]["data"]!["text/plain"]);
    }

    [Fact]
    public void ConsoleOutputStreamsWhileTheCellRuns()
    {
        // The cell waited for a file that the client created only after it received "ready".
        var s = fixture.Scenario("stream");
        Assert.True((bool)s["ready_streamed_while_running"]!);
        Assert.Equal("ok", (string?)s["reply"]!["status"]);
        Assert.Contains(Iopub(s, "stream"), m => ((string?)m["text"])!.Contains("done", StringComparison.Ordinal));
    }

    [Fact]
    public void ConsoleReadLineAsksTheClient()
    {
        var s = fixture.Scenario("stdin");
        Assert.False((bool)s["request"]!["password"]!);
        Assert.Equal("hello Ada\n", string.Concat(Iopub(s, "stream").Select(m => (string?)m["text"])));
    }

    [Fact]
    public void RestartStartsAFreshKernel()
    {
        var s = fixture.Scenario("restart");
        Assert.Equal("error", (string?)s["after"]!["status"]);
        Assert.Contains("beforeRestart", (string?)s["after"]!["evalue"]);
        Assert.Equal(1, (int)s["after"]!["execution_count"]!);
        Assert.Equal("42", Plain(s["fresh"]!));
    }

    [Fact]
    public void HtmlMarkdownAndMimeSelectionPassThrough()
    {
        var s = fixture.Scenario("rich");
        var html = Iopub(s["html"]!, "display_data").Single()["data"]!.AsObject();
        Assert.Equal("<b>bold</b>", (string?)html["text/html"]);
        Assert.Null(html["text/plain"]);
        Assert.Equal("*md*", (string?)Iopub(s["markdown"]!, "execute_result").Single()["data"]!["text/markdown"]);
        Assert.Equal("shown", (string?)Iopub(s["extension"]!, "display_data").Single()["data"]!["text/plain"]);
        var mime = Iopub(s["mime"]!, "display_data").Single()["data"]!.AsObject();
        Assert.Equal(["text/html"], mime.Select(kv => kv.Key));
    }

    [Fact]
    public void CollectionsOfObjectsRenderAsTablesWithAColumnPerProperty()
    {
        var html = (string)Iopub(fixture.Scenario("rich")["table"]!, "execute_result").Single()["data"]!["text/html"]!;
        var table = ParseTable(html);
        Assert.Equal(["index", "Name", "Count"], table.Header);
        Assert.Equal([["0", "a", "1"], ["1", "b", "2"]], table.Rows);
    }

    [Theory]
    [InlineData("tensor", new long[] { 3, 4 }, "int64")]
    [InlineData("tensor_big", new long[] { 20, 30 }, "float32")]
    [InlineData("tensor_3d", new long[] { 2, 3, 4 }, "int64")]
    public void TensorsRenderShapeDtypeAndTheValuesTorchComputes(string name, long[] shape, string dtype)
    {
        var data = Iopub(fixture.Scenario("rich")[name]!, "execute_result").Single()["data"]!;
        var html = (string)data["text/html"]!;
        Assert.Contains($"shape <code>[{string.Join(", ", shape)}]</code>", html);
        Assert.Contains($"dtype <code>{dtype}</code>", html);
        Assert.Contains("device <code>cpu</code>", html);

        // Reference values from python3-torch; for rank 3 the table shows [0, :, :].
        var reference = fixture.Scenario("torch_reference")[name]!.AsArray();
        if (shape.Length == 3) reference = reference[0]!.AsArray();
        var table = ParseTable(html);
        var columns = table.Header.Skip(1).ToList();
        Assert.Equal(shape[^1] > 8 ? 7 : (int)shape[^1], columns.Count(c => c != "…"));
        foreach (var row in table.Rows)
        {
            if (row[0] == "⋮") continue;
            var r = int.Parse(row[0], CultureInfo.InvariantCulture);
            for (var j = 0; j < columns.Count; j++)
            {
                if (columns[j] == "…") continue;
                var c = int.Parse(columns[j], CultureInfo.InvariantCulture);
                var expected = (double)reference[r]![c]!;
                var shown = double.Parse(row[j + 1], CultureInfo.InvariantCulture);
                Assert.True(Math.Abs(shown - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"[{r},{c}] shows {shown}, torch has {expected}");
            }
        }
        var shownRows = table.Rows.Where(r => r[0] != "⋮").Select(r => int.Parse(r[0], CultureInfo.InvariantCulture)).ToList();
        var dim0 = shape[^2];
        Assert.Equal(0, shownRows.First());
        Assert.Equal((int)dim0 - 1, shownRows.Last());
    }

    private static (List<string> Header, List<List<string>> Rows) ParseTable(string html)
    {
        var table = Regex.Match(html, "<table.*?</table>", RegexOptions.Singleline).Value;
        var doc = XElement.Parse(table);
        var header = doc.Element("thead")!.Descendants("th").Select(e => e.Value).ToList();
        var rows = doc.Element("tbody")!.Elements("tr").Select(tr => tr.Elements().Select(e => e.Value).ToList()).ToList();
        return (header, rows);
    }
}
