using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using SftLab.Kernel.Display;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using KernelInterrupt = SftLab.Kernel.Interrupt;

namespace SftLab.Kernel.Engine;

/// <summary>
/// Runs C# cells in order on one Roslyn scripting state, like a notebook: a variable, method or class
/// declared in one cell is visible in the next. Supports <c>#r "path.dll"</c> (relative to
/// <see cref="BaseDirectory"/>, the notebook's folder), <c>#r "nuget: Name, Version"</c>, <c>#load "file.csx"</c>,
/// top-level <c>await</c>, and a prelude of usings (System, System.Linq, SftLab.Torch...). Console output,
/// <c>display(...)</c> and the value of a cell's last expression go to an <see cref="IOutputSink"/>.
/// </summary>
public sealed class ScriptEngine
{
    /// <summary>Namespaces every cell starts with (those that exist in the loaded assemblies).</summary>
    public static readonly IReadOnlyList<string> PreludeNamespaces =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Text", "System.Threading",
        "System.Threading.Tasks", "SftLab", "SftLab.Torch", "SftLab.IO", "SftLab.Interactive", "SftLab.Visualization",
        "SftLab.Tokenization", "SftLab.ChatTemplates", "SftLab.Data", "SftLab.Models", "SftLab.Training",
        "SftLab.Evaluation", "SftLab.Retrieval", "SftLab.Kernel.Display", "Microsoft.DotNet.Interactive.Formatting",
    ];

    /// <summary>How long an interrupted cell may take to reach an interrupt check before the kernel gives up waiting.</summary>
    public static readonly TimeSpan InterruptGracePeriod = TimeSpan.FromSeconds(1.5);

    private static readonly CSharpParseOptions ParseOptions =
        new(LanguageVersion.Latest, DocumentationMode.Parse, SourceCodeKind.Script);

    private readonly KernelGlobals _globals = new();
    private readonly ScriptOptions _options;
    private readonly ScriptOptions _completionOptions;
    private readonly Lock _lock = new();
    private ScriptState<object>? _state;
    private CancellationTokenSource? _running;

    /// <summary>An engine whose <c>#r</c> and <c>#load</c> paths are relative to <paramref name="baseDirectory"/> (default: the current directory).</summary>
    public ScriptEngine(string? baseDirectory = null)
        : this(baseDirectory, ScriptReferences.All)
    {
    }

    /// <summary>An engine whose cells reference <paramref name="references"/> (tests give each engine its own).</summary>
    internal ScriptEngine(string? baseDirectory, IEnumerable<MetadataReference> references)
    {
        BaseDirectory = Path.GetFullPath(baseDirectory ?? Environment.CurrentDirectory);
        ValueFormatter.RegisterFormatters();
        var assemblies = new[] { typeof(object).Assembly, typeof(Torch.Tensor).Assembly, typeof(ScriptEngine).Assembly, typeof(Microsoft.DotNet.Interactive.Formatting.Formatter).Assembly };
        var imports = PreludeNamespaces.Where(ns => ns.StartsWith("System", StringComparison.Ordinal) || AssemblyNamespaces.Exists(ns, assemblies)).ToArray();
        var resolver = ScriptMetadataResolver.Default.WithBaseDirectory(BaseDirectory).WithSearchPaths(BaseDirectory);
        _options = ScriptOptions.Default
            .WithReferences(references)
            .WithImports(imports)
            .WithMetadataResolver(new KernelMetadataResolver(resolver, allowRestore: true))
            .WithSourceResolver(ScriptSourceResolver.Default.WithBaseDirectory(BaseDirectory).WithSearchPaths(BaseDirectory))
            .WithLanguageVersion(LanguageVersion.Latest)
            .WithOptimizationLevel(OptimizationLevel.Release)
            .WithEmitDebugInformation(true)
            .WithFileEncoding(Encoding.UTF8)
            .WithAllowUnsafe(true);
        _completionOptions = _options.WithMetadataResolver(new KernelMetadataResolver(resolver, allowRestore: false)).WithEmitDebugInformation(false);
        Imports = imports;
    }

    /// <summary>The folder that relative <c>#r</c> and <c>#load</c> paths start from.</summary>
    public string BaseDirectory { get; }

    /// <summary>The namespaces imported into every cell.</summary>
    public IReadOnlyList<string> Imports { get; }

    /// <summary>The number of cells run so far (Jupyter's execution_count).</summary>
    public int ExecutionCount { get; private set; }

    /// <summary>The names and values of the variables cells have declared, in declaration order (the last wins).</summary>
    public IReadOnlyDictionary<string, object?> Variables
    {
        get
        {
            var result = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (_state != null)
                foreach (var v in _state.Variables) result[v.Name] = v.Value;
            return result;
        }
    }

    /// <summary>The file path a cell compiles under (it names the cell in diagnostics and stack traces).</summary>
    public string CellPath(int executionCount) => Path.Combine(BaseDirectory, $"cell{executionCount}.csx");

    /// <summary>
    /// Compiles and runs one cell. Never throws for errors in the cell: they come back as a <see cref="CellResult"/>
    /// with status Error, and the engine keeps its state (variables of earlier cells stay). Output goes to
    /// <paramref name="sink"/> while the cell runs.
    /// </summary>
    public async Task<CellResult> ExecuteAsync(string code, IOutputSink sink, bool storeHistory = true)
    {
        var count = storeHistory ? ++ExecutionCount : ExecutionCount;
        var path = CellPath(count);
        var cts = new CancellationTokenSource();
        var interrupted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cts.Token.Register(() =>
        {
            KernelInterrupt.MarkPending();
            interrupted.TrySetResult();
        });
        lock (_lock) _running = cts;
        var context = new CellContext(sink, count, cts.Token);
        Task<ScriptState<object>>? run = null;
        var detached = false;
        try
        {
            CellContext.Enter(context);
            KernelInterrupt.Enter(cts.Token);

            // Compile on the calling thread: #r "nuget:" restores happen here, and errors need no run.
            var options = _options.WithFilePath(path);
            var script = Compile(InterruptRewriter.Rewrite(code, ParseOptions), options, out var errors);
            if (errors.Length > 0)
            {
                // Report against the user's own text (the rewritten one has extra calls on some lines).
                var original = Compile(code, options, out var originalErrors);
                if (originalErrors.Length > 0) return ErrorReport.FromDiagnostics(originalErrors, count, path, code);
                script = original;
            }
            var hasValue = EndsWithValue(script, path);
            if (cts.IsCancellationRequested)
                return ErrorReport.FromException(new OperationCanceledException("The cell was interrupted before it started.", cts.Token), count, code, path, interrupted: true);

            run = RunOnCellThread(script, context, cts.Token);
            var grace = interrupted.Task.ContinueWith(_ => Task.Delay(InterruptGracePeriod), TaskScheduler.Default).Unwrap();
            if (await Task.WhenAny(run, grace).ConfigureAwait(false) != run && !run.IsCompleted)
            {
                // The cell did not reach an interrupt check in time (a long native call, a wait without the token):
                // leave it running detached and give the user the kernel back.
                detached = true;
                return new CellResult
                {
                    Status = CellStatus.Error,
                    ExecutionCount = count,
                    ErrorName = "OperationCanceledException",
                    ErrorValue = "The cell was interrupted.",
                    Interrupted = true,
                    Traceback =
                    [
                        $"Interrupted: Cell In[{count}] did not stop within {InterruptGracePeriod.TotalSeconds:0.#} s (it is in a call that does not check for interrupts).",
                        "It was detached and may still be running in the background; the kernel and its variables are available.",
                        "Tip: pass CancellationToken to long waits, e.g. await Task.Delay(1000, CancellationToken).",
                    ],
                };
            }
            ScriptState<object> state;
            try
            {
                state = await run.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                return ErrorReport.FromException(e, count, code, path, IsInterrupt(e, cts.Token));
            }
            _state = state;
            if (state.Exception is { } ex)
                return ErrorReport.FromException(ex, count, code, path, IsInterrupt(ex, cts.Token));
            var value = state.ReturnValue;
            if (hasValue && value is SftLab.Visualization.ILiveView)
            {
                // A live view as the cell's value is shown with a display id, so later updates find it.
                KernelGlobals.Show(value, [], context);
                hasValue = false;
            }
            return new CellResult
            {
                Status = CellStatus.Ok,
                ExecutionCount = count,
                HasValue = hasValue && value is not DisplayedValue,
                Value = value,
            };
        }
        catch (CompilationErrorException e)
        {
            return ErrorReport.FromDiagnostics(e.Diagnostics, count, path, code);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The compiler or a resolver failed (not the cell's code): still an answer, never a hung client.
            return ErrorReport.FromException(e, count, code, path, interrupted: false);
        }
        finally
        {
            bool wasInterrupted;
            lock (_lock)
            {
                _running = null;
                wasInterrupted = cts.IsCancellationRequested; // Interrupt() cancels under the same lock
            }
            void Release()
            {
                context.Dispose();
                if (wasInterrupted) KernelInterrupt.ClearPending();
            }
            if (detached) _ = run!.ContinueWith(_ => Release(), TaskScheduler.Default);
            else Release();
        }
    }

    /// <summary>Interrupts the running cell (no effect when none runs). The cell ends with an OperationCanceledException.</summary>
    public void Interrupt()
    {
        lock (_lock)
            if (_running is { IsCancellationRequested: false } cts)
                cts.Cancel();
    }

    /// <summary>True while a cell runs.</summary>
    public bool IsRunning
    {
        get { lock (_lock) return _running != null; }
    }

    /// <summary>
    /// Compiles and runs two throwaway submissions and a completion on a separate state, so that the JIT has
    /// compiled the compiler's hot paths before the first real cell (the kernel calls it in the background at start).
    /// It may run while cells run: compilations bind their references one at a time, so a cell that starts during the
    /// warm-up waits for the warm-up's binding and then reuses its assembly symbols (one <c>int</c> for all cells).
    /// </summary>
    public void WarmUp()
    {
        try
        {
            var path = Path.Combine(BaseDirectory, "warmup.csx");
            var code = InterruptRewriter.Rewrite("var warm = new[] { 1, 2 }.Sum(); for (var i = 0; i < 2; i++) { warm += i; }", ParseOptions);
            var first = CSharpScript.Create(code, _options.WithFilePath(path), typeof(KernelGlobals));
            ReferenceBinding.BoundCompilation(first);
            first.Compile();
            var state = first.RunAsync(new KernelGlobals()).GetAwaiter().GetResult();
            var second = state.Script.ContinueWith("warm + 1", _options.WithFilePath(path));
            EndsWithValue(second, path);
            state = second.RunFromAsync(state).GetAwaiter().GetResult();
            var editing = ReferenceBinding.BoundCompilation(state.Script.ContinueWith("Console.Wri", _completionOptions.WithFilePath(path)));
            var tree = editing.SyntaxTrees.First(t => t.FilePath == path);
            CodeCompletion.Complete((editing.GetSemanticModel(tree), tree), "Console.Wri", 11);
            ValueFormatter.Format(new[] { new { A = 1 } });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Warming up is an optimisation only.
        }
    }

    /// <summary>True when the cell ends with an expression without a semicolon whose type is not void.</summary>
    private static bool EndsWithValue(Script script, string path)
    {
        var compilation = ReferenceBinding.BoundCompilation(script);
        var tree = compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == path);
        if (tree?.GetRoot() is not CompilationUnitSyntax unit) return false;
        if (unit.Members.LastOrDefault() is not GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } last })
            return false;
        var type = compilation.GetSemanticModel(tree).GetTypeInfo(last.Expression).Type;
        return type is not null && type.SpecialType != SpecialType.System_Void;
    }

    private Script<object> Compile(string code, ScriptOptions options, out Diagnostic[] errors)
    {
        var script = _state is null
            ? CSharpScript.Create(code, options, typeof(KernelGlobals))
            : _state.Script.ContinueWith(code, options);
        ReferenceBinding.BoundCompilation(script); // never at the same time as the warm-up or another engine
        errors = [.. script.Compile().Where(d => d.Severity == DiagnosticSeverity.Error)];
        return script;
    }

    /// <summary>Runs the script on a fresh thread with a large stack (its synchronous part; awaits continue on the pool).</summary>
    private Task<ScriptState<object>> RunOnCellThread(Script<object> script, CellContext context, CancellationToken token)
    {
        var tcs = new TaskCompletionSource<ScriptState<object>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var previous = _state;
        var thread = new Thread(() =>
        {
            CellContext.Enter(context);
            KernelInterrupt.Enter(token);
            try
            {
                var task = previous is null
                    ? script.RunAsync(_globals, _ => true)
                    : script.RunFromAsync(previous, _ => true);
                task.ContinueWith(t =>
                {
                    if (t.IsFaulted) tcs.TrySetException(t.Exception!.InnerExceptions);
                    else if (t.IsCanceled) tcs.TrySetException(new OperationCanceledException("The cell was interrupted.", token));
                    else tcs.TrySetResult(t.Result);
                }, TaskContinuationOptions.ExecuteSynchronously);
            }
            catch (Exception e)
            {
                tcs.TrySetException(e);
            }
        }, maxStackSize: 16 * 1024 * 1024)
        {
            IsBackground = true,
            Name = $"cell {context.ExecutionCount}",
        };
        thread.Start();
        return tcs.Task;
    }

    private static bool IsInterrupt(Exception e, CancellationToken token)
    {
        for (Exception? x = e; x != null; x = x.InnerException)
            if (x is OperationCanceledException && token.IsCancellationRequested) return true;
        return false;
    }

    // ---- editor services -----------------------------------------------------------------------

    /// <summary>Completions at <paramref name="cursor"/> (a UTF-16 offset into <paramref name="code"/>).</summary>
    public CompletionResult Complete(string code, int cursor) =>
        CodeCompletion.Complete(CompileForEditing(code), code, Math.Clamp(cursor, 0, code.Length));

    /// <summary>Quick info (signature and documentation) for the symbol at <paramref name="cursor"/>, or null.</summary>
    public string? Inspect(string code, int cursor) =>
        CodeCompletion.Inspect(CompileForEditing(code), code, Math.Clamp(cursor, 0, code.Length));

    /// <summary>Jupyter's is_complete: "complete", "incomplete" (with an indent to continue) or "invalid".</summary>
    public static (string Status, string Indent) IsComplete(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, ParseOptions);
        if (!SyntaxFactory.IsCompleteSubmission(tree))
        {
            var depth = 0;
            foreach (var token in tree.GetRoot().DescendantTokens())
            {
                if (token.IsKind(SyntaxKind.OpenBraceToken)) depth++;
                else if (token.IsKind(SyntaxKind.CloseBraceToken) && !token.IsMissing) depth--;
            }
            return ("incomplete", new string(' ', 4 * Math.Max(depth, 0)));
        }
        return tree.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error) ? ("invalid", "") : ("complete", "");
    }

    private (SemanticModel Model, SyntaxTree Tree) CompileForEditing(string code)
    {
        // #r / #load lines are blanked (same length) so completion never restores packages or reads files.
        var lines = code.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var t = lines[i].TrimStart();
            if (t.StartsWith("#r", StringComparison.Ordinal) || t.StartsWith("#load", StringComparison.Ordinal))
                lines[i] = new string(' ', lines[i].Length);
        }
        var path = Path.Combine(BaseDirectory, "completion.csx");
        var text = string.Join('\n', lines);
        var script = _state is null
            ? CSharpScript.Create(text, _completionOptions.WithFilePath(path), typeof(KernelGlobals))
            : _state.Script.ContinueWith(text, _completionOptions.WithFilePath(path));
        var compilation = ReferenceBinding.BoundCompilation(script);
        var tree = compilation.SyntaxTrees.First(t => t.FilePath == path);
        return (compilation.GetSemanticModel(tree), tree);
    }
}
