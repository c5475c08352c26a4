using SftLab.Models;
using SftLab.Torch;

namespace SftLab.Tests.Torch;

[Collection(SerialCollection.Name)]
public sealed class MemoryTests
{
    [Fact]
    public void DisposeScopeLeavesNoLiveTensors()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = TorchRuntime.LiveTensorCount;
        Tensor kept;
        using (var scope = DisposeScope.Begin())
        {
            var x = Tensor.Randn([8, 8]).RequiresGrad_();
            var y = Functional.Softmax(x.Matmul(x) + 1.0, -1).Sum();
            y.Backward();
            _ = x.Grad;
            var parts = x.Split(2);
            Assert.Equal(4, parts.Length);
            using (DisposeScope.Begin())
            {
                kept = (x * 2.0).MoveToOuterScope();
                _ = kept + 1.0;
            }
            Assert.True(TorchRuntime.LiveTensorCount > before);
            kept = kept.DetachFromDisposeScope();
        }
        Assert.Equal(before + 1, TorchRuntime.LiveTensorCount);
        Assert.False(kept.IsDisposed);
        kept.Dispose();
        Assert.Equal(before, TorchRuntime.LiveTensorCount);
    }

    [Fact]
    public void NestedScopesFreeOnlyTheirOwn()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = TorchRuntime.LiveTensorCount;
        using (var outer = DisposeScope.Begin())
        {
            var a = Tensor.Zeros(3);
            using (DisposeScope.Begin())
            {
                _ = Tensor.Ones(3);
                _ = a + 1.0;
            }
            Assert.Equal(before + 1, TorchRuntime.LiveTensorCount);
            Assert.False(a.IsDisposed);
            Assert.Same(outer, DisposeScope.Current);
        }
        Assert.Null(DisposeScope.Current);
        Assert.Equal(before, TorchRuntime.LiveTensorCount);
    }

    [Fact]
    public void ThreadCountDefaultsToCoresAndIsSettable()
    {
        var before = TorchRuntime.NumThreads;
        if (Environment.GetEnvironmentVariable("SFTLAB_NUM_THREADS") is null)
            Assert.Equal(Environment.ProcessorCount, before);
        TorchRuntime.NumThreads = 1;
        Assert.Equal(1, TorchRuntime.NumThreads);
        TorchRuntime.NumThreads = before;
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.NumThreads = 0);
    }

    private static long ResidentBytes()
    {
        // /proc/self/statm: size resident shared text lib data dt (in pages)
        var fields = File.ReadAllText("/proc/self/statm").Split(' ');
        return long.Parse(fields[1]) * Environment.SystemPageSize;
    }

    [Fact]
    public void TrainingATinyTransformerLowersTheLossWithFlatNativeMemory()
    {
        const int vocab = 16, context = 16, batch = 8, steps = 200;
        using var model = new TinyCharTransformer(vocab, context, dim: 32, heads: 4, layers: 1, seed: 1);
        var rng = new Random(1);
        // A learnable sequence: a repeating pattern with a little noise.
        var pattern = Enumerable.Range(0, 200).Select(i => (long)((i * 3 + i / 7) % vocab)).ToArray();
        GC.Collect();
        GC.WaitForPendingFinalizers(); // tensors other tests left to the finalizer are freed now, not mid-test
        double firstLoss = 0, lastLoss = 0;
        long rss50 = 0, rss200 = 0;
        // Native tensors alive before and after each step's scope: a leak adds to the count in every step. (The
        // count is process-wide; a finalizer freeing some other test's tensor can only lower it.)
        var deltas = new List<long>();
        for (var step = 1; step <= steps; step++)
        {
            var liveBefore = TorchRuntime.LiveTensorCount;
            using (DisposeScope.Begin())
            {
                var rows = new long[batch * context];
                for (var b = 0; b < batch; b++)
                    Array.Copy(pattern, rng.Next(pattern.Length - context), rows, b * context, context);
                var loss = model.Loss(Tensor.From<long>(rows, [batch, context]));
                model.ZeroGrad();
                loss.Backward();
                Functional.ClipGradNorm(model.Parameters(), 1.0);
                using (Autograd.NoGrad())
                    foreach (var p in model.Parameters())
                        p.Add_(p.Grad!, -0.05);
                if (step == 1) firstLoss = loss.ToDouble();
                lastLoss = loss.ToDouble();
            }
            deltas.Add(TorchRuntime.LiveTensorCount - liveBefore);
            if (step == 50 || step == 200)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                if (step == 50) rss50 = ResidentBytes(); else rss200 = ResidentBytes();
            }
        }
        Assert.True(deltas.All(d => d <= 0) && deltas.Count(d => d == 0) >= steps - 10,
            $"native tensors left alive per step: {string.Join(", ", deltas.Where(d => d != 0).Take(20))}");
        Assert.True(lastLoss < firstLoss * 0.5, $"loss {firstLoss:F3} -> {lastLoss:F3}");
        var change = Math.Abs(rss200 - rss50) / (double)rss50;
        Assert.True(change < 0.05, $"RSS at step 50: {rss50 / 1e6:F1} MB, at step 200: {rss200 / 1e6:F1} MB ({change:P1})");
    }
}
