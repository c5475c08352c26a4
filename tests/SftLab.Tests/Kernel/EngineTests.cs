using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SftLab.Kernel.Display;
using SftLab.Kernel.Engine;

namespace SftLab.Tests.Kernel;

/// <summary>Collects a cell's outputs in memory.</summary>
internal sealed class RecordingSink : IOutputSink
{
    public List<(string Name, string Text)> Streams { get; } = [];
    public List<(MimeBundle Bundle, string Id, bool Update)> Displays { get; } = [];

    public void Stream(string name, string text)
    {
        lock (Streams) Streams.Add((name, text));
    }

    public void Display(MimeBundle bundle, string displayId, bool update)
    {
        lock (Displays) Displays.Add((bundle, displayId, update));
    }

    public string? RequestInput(string prompt, bool password) => null;
}

/// <summary>The script engine in-process: state across cells, references, errors, interrupts.</summary>
[Collection(JupyterCollection.Name)]
public sealed class EngineTests
{
    private static async Task<CellResult> Run(ScriptEngine engine, string code, RecordingSink? sink = null) =>
        await engine.ExecuteAsync(code, sink ?? new RecordingSink());

    [Fact]
    public async Task VariablesMethodsAndTypesCarryAcrossCells()
    {
        var engine = new ScriptEngine(Path.GetTempPath());
        Assert.Equal(CellStatus.Ok, (await Run(engine, "var n = 20;")).Status);
        Assert.Equal(CellStatus.Ok, (await Run(engine, "int Twice(int x) => 2 * x;\nrecord Point(int X, int Y);")).Status);
        var r = await Run(engine, "new Point(Twice(n), 1).X + 2");
        Assert.Equal(CellStatus.Ok, r.Status);
        Assert.True(r.HasValue);
        Assert.Equal(42, r.Value);
        Assert.Equal(3, engine.ExecutionCount);
        Assert.Equal(20, engine.Variables["n"]);
    }

    [Fact]
    public async Task StatementsAndVoidCallsHaveNoValue()
    {
        var engine = new ScriptEngine(Path.GetTempPath());
        Assert.False((await Run(engine, "var a = 1;")).HasValue);
        Assert.False((await Run(engine, "System.Diagnostics.Debug.WriteLine(\"x\")")).HasValue);
        var nullValue = await Run(engine, "(string?)null");
        Assert.True(nullValue.HasValue);
        Assert.Null(nullValue.Value);
    }

    [Fact]
    public async Task TopLevelAwaitWorks()
    {
        var engine = new ScriptEngine(Path.GetTempPath());
        var r = await Run(engine, "await Task.Delay(5);\nawait Task.FromResult(7)");
        Assert.Equal(7, r.Value);
    }

    [Fact]
    public async Task RuntimeErrorNamesTheCellLineEvenInsideRewrittenLoops()
    {
        var engine = new ScriptEngine(Path.GetTempPath());
        // Line 4 is inside a loop body the interrupt rewriter changed; the line must still be 4.
        var code = "var total = 0;\nfor (var i = 0; i < 3; i++)\n{\n    total += 10 / (2 - i);\n}";
        var r = await Run(engine, code);
        Assert.Equal(CellStatus.Error, r.Status);
        Assert.Equal("DivideByZeroException", r.ErrorName);
        Assert.Contains("   at Cell In[1], line 4", r.Traceback);
        Assert.Equal(15, engine.Variables["total"]); // 10/2 + 10/1 before the failure
    }

    [Fact]
    public async Task TopLevelUsingDeclarationGetsAHint()
    {
        var r = await Run(new ScriptEngine(Path.GetTempPath()), "using var s = new MemoryStream();");
        Assert.Equal("CompilationError", r.ErrorName);
        Assert.Contains(r.Traceback, l => l.Contains("hint: `using var` is not allowed at the top level", StringComparison.Ordinal));
    }

    [Fact]
    public void RewriterAddsChecksWithoutMovingLines()
    {
        var code = "var n = 0;\nwhile (n < 10)\n    n++;\ndo { n--; } while (n > 0);\nforeach (var x in new[] { 1 }) n += x;\n" +
                   "int F(int k) { return k; }\nvar f = () => { return 1; };\nint G(int k) => k + 1;\nvoid H() => throw new System.Exception();";
        var options = new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script);
        var rewritten = InterruptRewriter.Rewrite(code, options);
        Assert.Equal(code.Split('\n').Length, rewritten.Split('\n').Length);
        const string loopCheck = "global::SftLab.Kernel.Interrupt.ThrowIfRequested();";
        const string methodCheck = "global::SftLab.Kernel.Interrupt.EnterMethod();";
        Assert.Equal(3, rewritten.Split(loopCheck).Length - 1);   // while, do, foreach
        Assert.Equal(4, rewritten.Split(methodCheck).Length - 1); // F, the lambda, G and H (expression bodies became blocks)
        // Each original line's code is still on the same line.
        var before = code.Split('\n');
        var after = rewritten.Split('\n');
        for (var i = 0; i < before.Length; i++)
            Assert.Equal(Normalize(before[i]), Normalize(after[i].Replace(loopCheck, "").Replace(methodCheck, "")));
        // And it still compiles as a script.
        var compilation = CSharpCompilation.CreateScriptCompilation("check", CSharpSyntaxTree.ParseText(rewritten, options),
            [MetadataReference.CreateFromFile(typeof(object).Assembly.Location), MetadataReference.CreateFromFile(typeof(SftLab.Kernel.Interrupt).Assembly.Location),
             MetadataReference.CreateFromFile(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "System.Runtime.dll"))]);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        static string Normalize(string s) => string.Concat(s.Replace("return", "").Replace("=>", "").Where(c => !char.IsWhiteSpace(c) && c is not '{' and not '}'));
    }

    [Fact]
    public async Task RunawayRecursionIsAnErrorNotADeadKernel()
    {
        var engine = new ScriptEngine(Path.GetTempPath());
        var r = await Run(engine, "int Down(int n) => Down(n + 1) + 1;\nDown(0)");
        Assert.Equal(CellStatus.Error, r.Status);
        Assert.Equal("InsufficientExecutionStackException", r.ErrorName);
        Assert.Contains(r.Traceback, l => l.Contains("line 1 (in Down)", StringComparison.Ordinal));
        Assert.Equal(5, (await Run(engine, "2 + 3")).Value);
    }

    [Fact]
    public async Task InterruptStopsAnInfiniteLoopAndKeepsState()
    {
        var engine = new ScriptEngine(Path.GetTempPath());
        await Run(engine, "var kept = \"still here\";");
        var running = Run(engine, "long spins = 0;\nwhile (true) { spins++; }");
        await Task.Delay(300);
        var sw = Stopwatch.StartNew();
        engine.Interrupt();
        var r = await running;
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"stopped after {sw.Elapsed.TotalSeconds:F2} s");
        Assert.True(r.Interrupted);
        Assert.Equal("OperationCanceledException", r.ErrorName);
        Assert.Equal("still here", (await Run(engine, "kept")).Value);
        Assert.True((long)(await Run(engine, "spins")).Value! > 0);
        // The next cell is not interrupted by the earlier request.
        Assert.Equal(CellStatus.Ok, (await Run(engine, "for (var i = 0; i < 1000; i++) { }")).Status);
    }

    [Fact]
    public async Task CancellationTokenGlobalStopsAwaits()
    {
        var engine = new ScriptEngine(Path.GetTempPath());
        var running = Run(engine, "await Task.Delay(60000, CancellationToken);");
        await Task.Delay(300);
        var sw = Stopwatch.StartNew();
        engine.Interrupt();
        var r = await running;
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"stopped after {sw.Elapsed.TotalSeconds:F2} s");
        Assert.True(r.Interrupted);
    }

    [Fact]
    public async Task DisplayUpdateAndConsoleGoToTheSink()
    {
        var engine = new ScriptEngine(Path.GetTempPath());
        var sink = new RecordingSink();
        var r = await Run(engine, "var d = display(HTML(\"<i>a</i>\"));\nd.Update(HTML(\"<i>b</i>\"));\n\"x\".Display();\nd", sink);
        Assert.Equal(CellStatus.Ok, r.Status);
        Assert.False(r.HasValue); // a DisplayedValue is already on screen
        Assert.Equal(3, sink.Displays.Count);
        Assert.Equal("<i>a</i>", sink.Displays[0].Bundle.Html);
        Assert.Equal((sink.Displays[0].Id, true), (sink.Displays[1].Id, sink.Displays[1].Update));
        Assert.Equal("<i>b</i>", sink.Displays[1].Bundle.Html);
        Assert.Equal("x", sink.Displays[2].Bundle.PlainText);
        Assert.NotEqual(sink.Displays[0].Id, sink.Displays[2].Id);
    }

    [Fact]
    public async Task LiveViewsRedrawTheirOutputWhenTheyChangeEvenAfterTheCell()
    {
        var engine = new ScriptEngine(Path.GetTempPath());
        var sink = new RecordingSink();
        // As a cell's value: shown with a display id (not as execute_result), so updates can find it.
        const string counterClass = """
            class Counter : SftLab.Visualization.ILiveView
            {
                public int Value;
                public event EventHandler Changed;
                public void Increment() { Value++; Changed?.Invoke(this, EventArgs.Empty); }
                public string ToHtml() => $"<span>{Value}</span>";
            }
            var counter = new Counter();
            counter
            """;
        var r = await Run(engine, counterClass, sink);
        Assert.Equal(CellStatus.Ok, r.Status);
        Assert.False(r.HasValue);
        var shown = Assert.Single(sink.Displays);
        Assert.Equal("<span>0</span>", shown.Bundle.Html);
        // A later cell changes it; the first output is redrawn in place.
        await Run(engine, "counter.Increment(); counter.Increment();", new RecordingSink());
        Assert.Equal(3, sink.Displays.Count);
        Assert.All(sink.Displays.Skip(1), d => Assert.Equal((shown.Id, true), (d.Id, d.Update)));
        Assert.Equal("<span>2</span>", sink.Displays[^1].Bundle.Html);
    }

    [Fact]
    public async Task ReferencesADllAndLoadsAScriptRelativeToTheNotebookFolder()
    {
        using var dir = JupyterTools.CreateTempDir("sftlab-refs");
        var lib = Path.Combine(dir.Path, "lib");
        Directory.CreateDirectory(lib);
        CompileLibrary(Path.Combine(lib, "Greeter.dll"), "namespace Demo { public static class Greeter { public static string Hello(string n) => \"hello \" + n; } }");
        File.WriteAllText(Path.Combine(dir.Path, "helpers.csx"), "int Square(int x) => x * x;\n");
        var engine = new ScriptEngine(dir.Path);
        var r = await Run(engine, "#r \"lib/Greeter.dll\"\n#load \"helpers.csx\"\nDemo.Greeter.Hello(\"dll\") + \" \" + Square(7)");
        Assert.True(r.Status == CellStatus.Ok, string.Join("\n", r.Traceback));
        Assert.Equal("hello dll 49", r.Value);
        var missing = await Run(engine, "#r \"lib/Missing.dll\"");
        Assert.Equal("CompilationError", missing.ErrorName);
        Assert.Contains("Missing.dll", missing.ErrorValue);
    }

    internal static void CompileLibrary(string path, string source)
    {
        var refs = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p) is "System.Runtime.dll" or "System.Private.CoreLib.dll")
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create(Path.GetFileNameWithoutExtension(path), [CSharpSyntaxTree.ParseText(source)], refs,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var result = compilation.Emit(path);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
    }

    [Theory]
    [InlineData("for (var i = 0; i < 3; i++) {", "incomplete")]
    [InlineData("var x = 1;", "complete")]
    [InlineData("class A { void M() { }", "incomplete")]
    [InlineData("var x = ;", "invalid")]
    public void IsCompleteClassifiesCode(string code, string expected) =>
        Assert.Equal(expected, ScriptEngine.IsComplete(code).Status);

    [Fact]
    public async Task CompletionKnowsVariablesOfEarlierCells()
    {
        var engine = new ScriptEngine(Path.GetTempPath());
        await engine.ExecuteAsync("var learningRate = 0.1; var layers = new List<int>();", new RecordingSink());
        var global = engine.Complete("var x = learn", "var x = learn".Length);
        Assert.Contains(global.Items, i => i.Text == "learningRate" && i.Kind == "variable");
        var members = engine.Complete("layers.", "layers.".Length);
        Assert.Contains(members.Items, i => i.Text == "Add");
        Assert.Contains(members.Items, i => i.Text == "Count" && i.Kind == "property");
        Assert.Contains(members.Items, i => i.Text == "Select"); // LINQ extension methods
    }
}
