using System.Text.Json.Nodes;
using SftLab.Tests.Kernel;

namespace SftLab.Tests.Notebooks;

/// <summary>`sftlab notebook run`: Jupyter's own client (nbclient) executes notebooks on the SftLab kernel.</summary>
[Collection(JupyterCollection.Name)]
public sealed class NotebookRunTests
{
    /// <summary>A notebook file with the given (type, source, tags) cells and the SftLab kernelspec.</summary>
    internal static string WriteNotebook(string path, params (string Type, string Source, string[] Tags)[] cells)
    {
        var array = new JsonArray();
        var n = 0;
        foreach (var (type, source, tags) in cells)
        {
            var cell = new JsonObject
            {
                ["cell_type"] = type,
                ["id"] = $"cell-{n++}",
                ["metadata"] = new JsonObject { ["tags"] = new JsonArray([.. tags.Select(t => (JsonNode?)JsonValue.Create(t))]) },
                ["source"] = source,
            };
            if (type == "code")
            {
                cell["execution_count"] = null;
                cell["outputs"] = new JsonArray();
            }
            array.Add(cell);
        }
        var nb = new JsonObject
        {
            ["cells"] = array,
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["name"] = "sftlab-csharp", ["display_name"] = "SftLab C#", ["language"] = "C#" },
                ["language_info"] = new JsonObject { ["name"] = "C#", ["file_extension"] = ".cs" },
            },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        File.WriteAllText(path, nb.ToJsonString());
        return path;
    }

    internal static (string, string, string[]) Code(string source, params string[] tags) => ("code", source, tags);

    internal static (string, string, string[]) Markdown(string source) => ("markdown", source, []);

    [Fact]
    public void ParametersAreInjectedAfterTheParametersCellAndOutputsWritten()
    {
        JupyterTools.RequirePython();
        using var dir = JupyterTools.CreateTempDir("sftlab-nbrun");
        var input = WriteNotebook(Path.Combine(dir.Path, "params.ipynb"),
            Markdown("# A notebook"),
            Code("int steps = 100;\nstring name = \"default\";\ndouble lr = 0.5;", "parameters"),
            Code("Console.WriteLine($\"steps={steps} name={name} lr={lr}\");\nvar d = display(0);\nfor (var i = 1; i <= 3; i++) d.Update(i);"),
            Code("steps * 2"));
        var output = Path.Combine(dir.Path, "out.ipynb");
        var (code, stdout, stderr) = JupyterTools.Sftlab("notebook", "run", input, "-p", "steps=7", "-p", "name=it's \"quoted\"", "-o", output);
        Assert.True(code == 0, stdout + stderr);

        Assert.Equal("4.5", JupyterTools.ValidateNotebook(output)); // nbformat accepts what we wrote
        var nb = JsonNode.Parse(File.ReadAllText(output))!;
        var cells = nb["cells"]!.AsArray();
        Assert.Equal(5, cells.Count);
        Assert.Equal("injected-parameters", (string?)cells[2]!["metadata"]!["tags"]![0]);
        var outputs = JupyterTools.CodeOutputs(output).ToDictionary(x => x.Index, x => x.Outputs);
        Assert.Equal("steps=7 name=it's \"quoted\" lr=0.5\n", JupyterTools.StreamText(outputs[3]));
        // The live display is one output holding the last value (update_display_data replaced it in place).
        var displays = outputs[3].Where(o => (string?)o!["output_type"] == "display_data").ToList();
        Assert.Single(displays);
        Assert.Equal("3", JupyterTools.SourceText(displays[0]!["data"]!["text/plain"]));
        Assert.Equal("14", JupyterTools.SourceText(outputs[4].Single()!["data"]!["text/plain"]));
        // The input is untouched when -o is given.
        Assert.Equal(4, JsonNode.Parse(File.ReadAllText(input))!["cells"]!.AsArray().Count);
    }

    [Fact]
    public void AFailingCellFailsTheRunNamingNotebookCellAndError()
    {
        JupyterTools.RequirePython();
        using var dir = JupyterTools.CreateTempDir("sftlab-nbfail");
        var input = WriteNotebook(Path.Combine(dir.Path, "fails.ipynb"),
            Code("var ok = 1;\nConsole.WriteLine(\"first cell ran\");"),
            Markdown("text"),
            Code("var a = 1;\nthrow new InvalidOperationException(\"the data file is empty\");"),
            Code("Console.WriteLine(\"never\");"));
        var (code, stdout, stderr) = JupyterTools.Sftlab("notebook", "run", input);
        Assert.Equal(1, code);
        Assert.Contains(input, stderr);
        Assert.Contains("cell 2 ", stderr);
        Assert.Contains("InvalidOperationException: the data file is empty", stderr);
        Assert.Contains("line 2", stderr);
        // Written in place, with the outputs up to the failure.
        var outputs = JupyterTools.CodeOutputs(input).ToDictionary(x => x.Index, x => x.Outputs);
        Assert.Equal("first cell ran\n", JupyterTools.StreamText(outputs[0]));
        Assert.Equal("error", (string?)outputs[2].Single()!["output_type"]);
        Assert.Empty(outputs[3]);
        _ = stdout;
    }

    [Fact]
    public void AnUnknownParameterIsRejectedBeforeRunning()
    {
        using var dir = JupyterTools.CreateTempDir("sftlab-nbparam");
        var input = WriteNotebook(Path.Combine(dir.Path, "p.ipynb"), Code("int steps = 1;", "parameters"));
        var (code, _, stderr) = JupyterTools.Sftlab("notebook", "run", input, "-p", "epochs=3");
        Assert.Equal(2, code);
        Assert.Contains("'epochs' is not declared", stderr);
        Assert.Contains("p.ipynb", stderr);
    }

    [Fact]
    public void ReferencesAreResolvedRelativeToTheNotebookIncludingNuGet()
    {
        JupyterTools.RequirePython();
        using var dir = JupyterTools.CreateTempDir("sftlab-nbrefs");
        Directory.CreateDirectory(Path.Combine(dir.Path, "bin"));
        EngineTests.CompileLibrary(Path.Combine(dir.Path, "bin", "Shapes.dll"),
            "namespace Shapes { public static class Area { public static double Square(double s) => s * s; } }");
        File.WriteAllText(Path.Combine(dir.Path, "util.csx"), "string Shout(string s) => s.ToUpperInvariant() + \"!\";\n");
        var input = WriteNotebook(Path.Combine(dir.Path, "refs.ipynb"),
            Code("#r \"bin/Shapes.dll\"\n#load \"util.csx\"\nConsole.WriteLine(Shout(\"area \" + Shapes.Area.Square(3)));"),
            Code("#r \"nuget: Newtonsoft.Json, 13.0.3\"\nConsole.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new { a = 1, b = new[] { 2, 3 } }));"));
        var cache = Path.Combine(dir.Path, "nuget-cache");
        var env = new Dictionary<string, string> { ["SFTLAB_NUGET_CACHE"] = cache };
        var dll = Path.Combine(AppContext.BaseDirectory, "SftLab.Cli.dll");
        var (code, stdout, stderr) = JupyterTools.Exec("dotnet", [dll, "notebook", "run", input], env, TimeSpan.FromMinutes(5));
        Assert.True(code == 0, stdout + stderr);
        var outputs = JupyterTools.CodeOutputs(input);
        Assert.Equal("AREA 9!\n", JupyterTools.StreamText(outputs[0].Outputs));
        Assert.Equal("{\"a\":1,\"b\":[2,3]}\n", JupyterTools.StreamText(outputs[1].Outputs));
        Assert.Single(Directory.GetDirectories(cache)); // restored once into the cache
    }
}
