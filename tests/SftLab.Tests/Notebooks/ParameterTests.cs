using SftLab.Kernel.Engine;
using SftLab.Kernel.Notebooks;
using SftLab.Tests.Kernel;

namespace SftLab.Tests.Notebooks;

/// <summary>Papermill-style parameters: declarations read from the parameters cell, overrides typed after them.</summary>
[Collection(JupyterCollection.Name)]
public sealed class ParameterTests
{
    private const string ParametersCell = """
        // defaults
        int steps = 200;
        double learningRate = 3e-4;
        string model = "tiny";
        bool verbose = false;
        long tokens = 1_000_000L;
        var warmup = 0.1;
        float scale = 1f;
        """;

    [Fact]
    public void DeclarationsAreReadFromTheParametersCell()
    {
        var d = NotebookParameters.Declarations(ParametersCell);
        Assert.Equal(["steps", "learningRate", "model", "verbose", "tokens", "warmup", "scale"], d.Select(x => x.Name));
        Assert.Equal("double", d.Single(x => x.Name == "learningRate").Type);
        Assert.Equal("0.1", d.Single(x => x.Name == "warmup").Initializer);
    }

    /// <summary>The injected code, compiled and run after the parameters cell, must leave exactly the given values.</summary>
    [Fact]
    public async Task InjectedValuesRoundTripThroughTheCompiler()
    {
        const string tricky = "quote \" backslash \\ newline \n tab \t unicode é 😀 {braces}";
        var overrides = NotebookParameters.ParseArguments([
            "steps=20", "learningRate=1e-5", $"model={tricky}", "verbose=True", "tokens=5000000000", "warmup=2", "scale=0.5",
        ]);
        var code = NotebookParameters.InjectedCode(overrides, NotebookParameters.Declarations(ParametersCell), "nb.ipynb");
        var engine = new ScriptEngine(Path.GetTempPath());
        Assert.Equal(CellStatus.Ok, (await engine.ExecuteAsync(ParametersCell, new RecordingSink())).Status);
        var r = await engine.ExecuteAsync(code, new RecordingSink());
        Assert.True(r.Status == CellStatus.Ok, code + "\n" + string.Join("\n", r.Traceback));
        var v = engine.Variables;
        Assert.Equal(20, v["steps"]);
        Assert.Equal(1e-5, v["learningRate"]);
        Assert.Equal(tricky, v["model"]);
        Assert.Equal(true, v["verbose"]);
        Assert.Equal(5_000_000_000L, v["tokens"]);
        Assert.Equal(2.0, v["warmup"]);   // `var warmup = 0.1` is a double: 2 stays a double
        Assert.Equal(0.5f, v["scale"]);
    }

    [Fact]
    public void WithoutADeclarationTheTypeIsInferred()
    {
        var code = NotebookParameters.InjectedCode(NotebookParameters.ParseArguments(["a=3", "b=2.5", "c=true", "d=hello", "e=12345678901"]), null, "nb.ipynb");
        Assert.Contains("var a = 3;", code);
        Assert.Contains("var b = 2.5;", code);
        Assert.Contains("var c = true;", code);
        Assert.Contains("var d = \"hello\";", code);
        Assert.Contains("var e = 12345678901L;", code);
    }

    [Fact]
    public void BadOverridesNameTheParameter()
    {
        var declared = NotebookParameters.Declarations(ParametersCell);
        var e = Assert.Throws<FormatException>(() => NotebookParameters.InjectedCode(NotebookParameters.ParseArguments(["steps=many"]), declared, "x.ipynb"));
        Assert.Contains("'steps'", e.Message);
        Assert.Contains("x.ipynb", e.Message);
        var unknown = Assert.Throws<FormatException>(() => NotebookParameters.InjectedCode(NotebookParameters.ParseArguments(["epochs=3"]), declared, "x.ipynb"));
        Assert.Contains("'epochs' is not declared", unknown.Message);
        Assert.Contains("learningRate", unknown.Message);
        Assert.Contains("-p oops", Assert.Throws<FormatException>(() => NotebookParameters.ParseArguments(["oops"])).Message);
        Assert.Contains("not a C# identifier", Assert.Throws<FormatException>(() => NotebookParameters.ParseArguments(["1x=2"])).Message);
    }
}
