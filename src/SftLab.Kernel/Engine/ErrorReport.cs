using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace SftLab.Kernel.Engine;

/// <summary>
/// Turns compiler diagnostics and exceptions into Jupyter error fields whose traceback names the cell and
/// line: "cell 3, line 2, column 9: error CS0103: The name 'x' does not exist..." followed by the source line.
/// </summary>
internal static partial class ErrorReport
{
    [GeneratedRegex(@"cell(?<n>\d+)\.csx$")]
    private static partial Regex CellFile();

    /// <summary>"Cell In[3]" (as ipykernel names cells) for a cell's file, else the file name (a #load'ed script).</summary>
    public static string DescribeFile(string? path) =>
        path is null ? "Cell" : CellFile().Match(path) is { Success: true } m ? $"Cell In[{m.Groups["n"].Value}]" : Path.GetFileName(path);

    public static CellResult FromDiagnostics(IEnumerable<Diagnostic> diagnostics, int executionCount, string cellPath, string code)
    {
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).OrderBy(d => d.Location.SourceSpan.Start).ToList();
        var lines = code.Split('\n');
        var traceback = new List<string>();
        foreach (var d in errors)
        {
            var span = d.Location.GetLineSpan();
            var where = d.Location.IsInSource
                ? $"{DescribeFile(span.Path)}, line {span.StartLinePosition.Line + 1}, column {span.StartLinePosition.Character + 1}"
                : DescribeFile(cellPath);
            traceback.Add($"{where}: error {d.Id}: {d.GetMessage()}");
            if (d.Location.IsInSource && span.Path == cellPath && span.StartLinePosition.Line < lines.Length)
            {
                var src = lines[span.StartLinePosition.Line].TrimEnd('\r');
                traceback.Add("    " + src);
                traceback.Add("    " + new string(' ', Math.Min(span.StartLinePosition.Character, src.Length)) + "^");
                if (Hint(d, src) is { } hint) traceback.Add("    hint: " + hint);
            }
        }
        var first = errors.FirstOrDefault();
        var firstSpan = first?.Location.GetLineSpan();
        return new CellResult
        {
            Status = CellStatus.Error,
            ExecutionCount = executionCount,
            ErrorName = "CompilationError",
            ErrorValue = first is null ? "compilation failed"
                : first.Location.IsInSource
                    ? $"({DescribeFile(firstSpan!.Value.Path)}, line {firstSpan.Value.StartLinePosition.Line + 1}) {first.Id}: {first.GetMessage()}"
                    : $"{first.Id}: {first.GetMessage()}",
            Traceback = traceback,
        };
    }

    /// <summary>A short hint for errors that notebook cells (C# scripts) make differently from programs.</summary>
    private static string? Hint(Diagnostic d, string line)
    {
        var t = line.TrimStart();
        if (t.StartsWith("using var ", StringComparison.Ordinal) || t.StartsWith("await using var ", StringComparison.Ordinal))
            return "`using var` is not allowed at the top level of a notebook cell (cells are C# scripts); write `var x = ...;` and dispose it in a later cell, or put the `using` inside a block { ... }";
        if (d.Id == "CS0246" && t.StartsWith("using ", StringComparison.Ordinal))
            return "reference the assembly first: #r \"nuget: PackageName, Version\" or #r \"path/to/library.dll\"";
        return null;
    }

    public static CellResult FromException(Exception exception, int executionCount, string code, string cellPath, bool interrupted)
    {
        var e = Unwrap(exception);
        var lines = code.Split('\n');
        var traceback = new List<string>();
        var location = "";
        string? previous = null;
        var repeats = 0;
        foreach (var (frameText, file, line) in Frames(e))
        {
            // Deep recursion: one line per distinct frame, with a count.
            if (frameText == previous)
            {
                repeats++;
                continue;
            }
            if (repeats > 0) traceback.Add($"   ... the frame above repeated {repeats} more time{(repeats > 1 ? "s" : "")}");
            repeats = 0;
            previous = frameText;
            traceback.Add("   at " + frameText);
            if (file == cellPath && line >= 1 && line <= lines.Length)
            {
                traceback.Add("        " + lines[line - 1].Trim());
                if (location.Length == 0) location = $"{DescribeFile(file)}, line {line}";
            }
            else if (file != null && location.Length == 0 && CellFile().IsMatch(file))
                location = $"{DescribeFile(file)}, line {line}";
        }
        if (repeats > 0) traceback.Add($"   ... the frame above repeated {repeats} more time{(repeats > 1 ? "s" : "")}");
        var header = interrupted
            ? $"Interrupted{(location.Length > 0 ? $" at {location}" : "")}: {e.Message}"
            : $"{e.GetType().Name}{(location.Length > 0 ? $" at {location}" : "")}: {e.Message}";
        traceback.Insert(0, header);
        for (var inner = e.InnerException; inner != null; inner = inner.InnerException)
            traceback.Add($" ---> {inner.GetType().Name}: {inner.Message}");
        return new CellResult
        {
            Status = CellStatus.Error,
            ExecutionCount = executionCount,
            ErrorName = e.GetType().Name,
            ErrorValue = e.Message,
            Traceback = traceback,
            Interrupted = interrupted,
            Exception = e,
        };
    }

    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case TargetInvocationException { InnerException: { } i }:
                    e = i;
                    continue;
                case AggregateException { InnerExceptions.Count: 1 } a:
                    e = a.InnerExceptions[0];
                    continue;
                default:
                    return e;
            }
        }
    }

    /// <summary>The frames worth showing: cell code by cell and line, library code by method; the scripting machinery is hidden.</summary>
    private static IEnumerable<(string Text, string? File, int Line)> Frames(Exception e)
    {
        var trace = new StackTrace(e, fNeedFileInfo: true);
        foreach (var frame in trace.GetFrames())
        {
            var method = frame.GetMethod();
            var type = method?.DeclaringType;
            var ns = type?.Namespace ?? "";
            var file = frame.GetFileName();
            var line = frame.GetFileLineNumber();
            if (file != null && CellFile().IsMatch(file))
            {
                var name = MethodName(method);
                yield return ($"{DescribeFile(file)}, line {line}{(name is null ? "" : $" (in {name})")}", file, line);
                continue;
            }
            if (method is null || type is null) continue;
            if (ns.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal)
                || ns.StartsWith("System.Runtime.CompilerServices", StringComparison.Ordinal)
                || ns.StartsWith("System.Runtime.ExceptionServices", StringComparison.Ordinal)
                || (ns.StartsWith("System.Threading", StringComparison.Ordinal) && type.Name.Contains("Task", StringComparison.Ordinal))
                || type.FullName?.StartsWith("Submission#", StringComparison.Ordinal) == true
                || method.DeclaringType == typeof(Interrupt))
                continue;
            var where = file != null ? $" in {Path.GetFileName(file)}:line {line}" : "";
            yield return ($"{FriendlyTypeName(type)}.{method.Name}({string.Join(", ", method.GetParameters().Select(p => FriendlyTypeName(p.ParameterType)))}){where}", file, line);
        }
    }

    private static string? MethodName(MethodBase? method)
    {
        if (method is null) return null;
        var name = method.Name;
        var type = method.DeclaringType;
        // Async state machines and lambdas: <Name>d__0.MoveNext, <<Initialize>>b__0_0 → Name.
        if (name == "MoveNext" && type?.Name.StartsWith('<') == true) name = type.Name;
        var m = Regex.Match(name, @"^<+(?<n>[^>]+)>");
        if (m.Success) name = m.Groups["n"].Value;
        return name is "Initialize" or "<Initialize>" ? null : name;
    }

    private static string FriendlyTypeName(Type t)
    {
        if (t.IsGenericType)
        {
            var n = t.Name;
            var tick = n.IndexOf('`');
            return (tick > 0 ? n[..tick] : n) + "<" + string.Join(", ", t.GetGenericArguments().Select(FriendlyTypeName)) + ">";
        }
        var full = t.FullName ?? t.Name;
        return full.StartsWith("Submission#", StringComparison.Ordinal) ? t.Name : full.Replace('+', '.');
    }
}
