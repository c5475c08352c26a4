using System.CommandLine;
using SftLab.Kernel.Notebooks;

namespace SftLab.Cli;

/// <summary>
/// `sftlab notebook`: `run` executes a notebook headless through Jupyter's own client with papermill-style
/// parameters; `export --to cs` turns it into a C# file-based app (`dotnet run file.cs`).
/// </summary>
internal sealed class NotebookCommand : ICommandFactory
{
    public Command Create()
    {
        var notebook = new Argument<string>("notebook") { Description = "The .ipynb file." };
        var parameters = new Option<string[]>("--parameter", "-p")
        {
            Description = "Override a variable of the cell tagged \"parameters\": -p steps=20 -p lr=3e-4 -p name=text (repeatable).",
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string?>("--output", "-o") { Description = "Write the executed notebook here (default: in place)." };
        var timeout = new Option<double>("--timeout") { Description = "Seconds a single cell may run.", DefaultValueFactory = _ => 600 };
        var run = new Command("run", "Run every cell through Jupyter's client (nbclient) on the SftLab kernel; the exit code is 1 when a cell fails.")
        {
            notebook, parameters, output, timeout,
        };
        run.SetAction(p => Run(p.GetValue(notebook)!, p.GetValue(parameters) ?? [], p.GetValue(output), p.GetValue(timeout)));

        var exportNotebook = new Argument<string>("notebook") { Description = "The .ipynb file." };
        var to = new Option<string>("--to") { Description = "Target format: cs (a C# file-based app).", DefaultValueFactory = _ => "cs" };
        var exportOutput = new Option<string?>("--output", "-o") { Description = "The .cs file to write (default: beside the notebook)." };
        var project = new Option<string?>("--sftlab-project") { Description = "Path of src/SftLab (default: found from this installation)." };
        var export = new Command("export", "Export a notebook as a C# file-based app (dotnet run file.cs): markdown as comments, display() shims.")
        {
            exportNotebook, to, exportOutput, project,
        };
        export.SetAction(p => Export(p.GetValue(exportNotebook)!, p.GetValue(to)!, p.GetValue(exportOutput), p.GetValue(project)));

        return new Command("notebook", "Run notebooks headless or export them as C# programs.") { run, export };
    }

    private static int Run(string notebook, string[] parameters, string? output, double timeout)
    {
        try
        {
            var result = NotebookRunner.Run(new NotebookRunOptions
            {
                NotebookPath = notebook,
                OutputPath = output,
                Parameters = NotebookParameters.ParseArguments(parameters),
                CellTimeout = TimeSpan.FromSeconds(timeout),
            }, Console.Error);
            if (result.Succeeded)
            {
                Console.WriteLine($"{notebook}: all cells ran; wrote {result.OutputPath}");
                return 0;
            }
            Console.Error.WriteLine(result.Message);
            Console.Error.WriteLine($"(outputs up to the failure were written to {result.OutputPath})");
            return 1;
        }
        catch (Exception e) when (e is FormatException or FileNotFoundException or InvalidOperationException or IOException)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }

    private static int Export(string notebook, string to, string? output, string? project)
    {
        if (to != "cs")
        {
            Console.Error.WriteLine($"--to {to}: only cs is supported (a C# file-based app)");
            return 2;
        }
        try
        {
            var doc = NotebookDocument.Load(notebook);
            var outPath = Path.GetFullPath(output ?? Path.ChangeExtension(notebook, ".cs"));
            var projectPath = project != null ? Path.GetFullPath(project) : FindSftLabProject(Path.GetDirectoryName(Path.GetFullPath(notebook))!);
            if (projectPath is null)
            {
                Console.Error.WriteLine("cannot find src/SftLab/SftLab.csproj from this installation or the notebook's folder; pass --sftlab-project PATH");
                return 2;
            }
            var relative = Path.GetRelativePath(Path.GetDirectoryName(outPath)!, projectPath).Replace('\\', '/');
            var warnings = new List<string>();
            var code = NotebookExporter.ToCSharp(doc, relative, warnings, Path.GetFileName(outPath));
            Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
            var tmp = outPath + $".{Environment.ProcessId}.tmp";
            File.WriteAllText(tmp, code);
            File.Move(tmp, outPath, overwrite: true);
            foreach (var w in warnings) Console.Error.WriteLine($"{notebook}: {w}");
            Console.WriteLine($"wrote {outPath}; run it with: dotnet run {Path.GetFileName(outPath)}");
            return 0;
        }
        catch (Exception e) when (e is FormatException or FileNotFoundException or IOException)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }

    /// <summary>src/SftLab/SftLab.csproj of the repo this CLI was built from (or that holds the notebook).</summary>
    private static string? FindSftLabProject(string notebookDir)
    {
        foreach (var start in new[] { AppContext.BaseDirectory, notebookDir })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "src", "SftLab", "SftLab.csproj");
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }
}
