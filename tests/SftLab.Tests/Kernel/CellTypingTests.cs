using Microsoft.CodeAnalysis;
using SftLab.Kernel.Engine;

namespace SftLab.Tests.Kernel;

/// <summary>
/// Cells compiled while other compilations bind the same references (the kernel's background warm-up, a second
/// engine in the process) must still see one <c>int</c>: a variable of cell 1 and arithmetic on it in cell 2 have the
/// same type. When compilations bound their references concurrently, Roslyn could build two sets of assembly symbols
/// and cell 2 could pick the other set than cell 1, so <c>new[] { m, 2 * m }</c> failed with CS0826.
/// </summary>
[Collection(JupyterCollection.Name)]
public sealed class CellTypingTests
{
    private const int Runs = 30;

    /// <summary>
    /// The kernel's reference set as new references, whose metadata no other compilation in this process has seen
    /// (with the shared ones, symbols cached by earlier tests would hide the race).
    /// </summary>
    private static MetadataReference[] FreshReferences() =>
        [.. ScriptReferences.All.OfType<PortableExecutableReference>().Select(r => (MetadataReference)MetadataReference.CreateFromFile(r.FilePath!))];

    [Fact]
    public async Task CellsStartedWithTheWarmUpAndAnotherEngineSeeOneIntType()
    {
        var failures = new List<string>();
        for (var run = 0; run < Runs; run++)
        {
            // Engine a's warm-up, a's first cell and b's first cell start together on fresh metadata, like a kernel whose
            // first cell arrives while it warms up (and a second engine in the same process).
            var references = FreshReferences();
            var a = new ScriptEngine(Path.GetTempPath(), references);
            var b = new ScriptEngine(Path.GetTempPath(), references);
            using var start = new Barrier(3);
            var warmUp = Task.Factory.StartNew(() =>
            {
                start.SignalAndWait();
                a.WarmUp();
            }, TaskCreationOptions.LongRunning);
            var firstOfB = Task.Factory.StartNew(() =>
            {
                start.SignalAndWait();
                return b.ExecuteAsync("int m = 5;", new RecordingSink());
            }, TaskCreationOptions.LongRunning).Unwrap();
            start.SignalAndWait();
            var firstOfA = await a.ExecuteAsync("int m = 5;", new RecordingSink());
            await warmUp;

            foreach (var (name, engine, first) in new[] { ("a", a, firstOfA), ("b", b, await firstOfB) })
            {
                // The notebook author's cell (a loop the interrupt rewriter changes), with the value collected instead of printed.
                var sink = new RecordingSink();
                var second = await engine.ExecuteAsync(
                    "var seen = new List<int>();\nforeach (var x in new[] { m, 2 * m }) seen.Add(x);\nforeach (var y in new[] { m, m + 1 }) seen.Add(y);\nstring.Join(\",\", seen)",
                    sink);
                if (first.Status != CellStatus.Ok || second.Status != CellStatus.Ok || second.Value as string != "5,10,5,6")
                    failures.Add($"run {run}, engine {name}: cell 1 {first.Status}; cell 2 {second.Status} {second.ErrorName}: {second.ErrorValue} (value {second.Value})");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {2 * Runs} two-cell runs failed:\n{string.Join("\n", failures)}");
    }
}
