using SftLab.Visualization;

namespace SftLab.Tests.Visualization;

/// <summary>Small deterministic inputs for the standard views (no randomness: the same pictures every run).</summary>
internal static class Samples
{
    internal static TrainingDashboard Dashboard(int steps = 120, int evalEvery = 20, int epochLength = 60)
    {
        var dash = new TrainingDashboard("Training: tiny model", minInterval: TimeSpan.FromHours(1));
        for (var step = 1; step <= steps; step++)
        {
            var loss = 3.2 * Math.Exp(-step / 35.0) + 0.65 + 0.08 * Math.Sin(step * 1.7);
            var warmup = Math.Min(1.0, step / 10.0);
            var lr = 3e-4 * warmup * 0.5 * (1 + Math.Cos(Math.PI * step / steps));
            var grad = 2.5 * Math.Exp(-step / 50.0) + 0.4 + 0.15 * Math.Abs(Math.Sin(step * 0.9));
            var tps = 1850 + 120 * Math.Sin(step * 0.3);
            dash.Log(step, loss, lr, grad, tps);
            if (step % evalEvery == 0) dash.LogEval(step, loss + 0.12);
            if (step % epochLength == 0) dash.MarkEpoch(step);
        }
        return dash;
    }

    internal static readonly TokenInfo[] ChatTokens =
    [
        new("<|im_start|>", 1, IsSpecial: true, IsMasked: true),
        new("user", 882, IsMasked: true),
        new("\n", 198, IsMasked: true),
        new("What", 3838, IsMasked: true),
        new(" is", 374, IsMasked: true),
        new(" the", 279, IsMasked: true),
        new(" capital", 6722, IsMasked: true),
        new(" of", 315, IsMasked: true),
        new(" France", 9625, IsMasked: true),
        new("?", 30, IsMasked: true),
        new("<|im_end|>", 2, IsSpecial: true, IsMasked: true),
        new("\n", 198, IsMasked: true),
        new("<|im_start|>", 1, IsSpecial: true, IsMasked: true),
        new("assistant", 77091, IsMasked: true),
        new("\n", 198, IsMasked: true),
        new("The", 785),
        new(" capital", 6722),
        new(" of", 315),
        new(" France", 9625),
        new(" is", 374),
        new(" Paris", 12095),
        new(".", 13),
        new(" <b>&</b>", 4321),
        new("<|im_end|>", 2, IsSpecial: true),
    ];

    /// <summary>A loss for every unmasked token (NaN for masked ones).</summary>
    internal static double[] ChatLosses() =>
        ChatTokens.Select((t, i) => t.IsMasked ? double.NaN : 0.05 + 3.0 * Math.Abs(Math.Sin(i * 2.3))).ToArray();

    /// <summary>300 lengths from a deterministic generator, spread like real chat data (a long tail).</summary>
    internal static int[] SequenceLengths()
    {
        var lengths = new int[300];
        uint state = 12345;
        for (var i = 0; i < lengths.Length; i++)
        {
            state = state * 1664525 + 1013904223;
            var u1 = (state >> 8) / (double)(1 << 24);
            state = state * 1664525 + 1013904223;
            var u2 = (state >> 8) / (double)(1 << 24);
            var normal = Math.Sqrt(-2 * Math.Log(1 - u1)) * Math.Cos(2 * Math.PI * u2);
            lengths[i] = (int)Math.Round(Math.Exp(5.4 + 0.55 * normal));
        }
        return lengths;
    }

    internal static readonly int[][] PackedDocumentLengths =
    [
        [20, 31, 10],
        [64],
        [12, 12, 12, 12, 12],
        [40, 18],
        [7, 50],
        [33],
    ];

    internal static readonly string[] AttentionTokens = ["<s>", "The", " cat", " sat", " on", " the", " mat", "."];

    /// <summary>Causal attention weights: row i is a softmax over keys 0..i (zeros above the diagonal).</summary>
    internal static double[][] AttentionWeights()
    {
        var n = AttentionTokens.Length;
        var rows = new double[n][];
        for (var q = 0; q < n; q++)
        {
            var scores = Enumerable.Range(0, q + 1).Select(k => k == 0 ? 1.5 : Math.Cos(q * 0.7 + k * 1.3) * 2 + (k == q ? 1 : 0)).ToArray();
            var max = scores.Max();
            var exps = scores.Select(s => Math.Exp(s - max)).ToArray();
            var sum = exps.Sum();
            rows[q] = Enumerable.Range(0, n).Select(k => k <= q ? exps[k] / sum : 0).ToArray();
        }
        return rows;
    }

    internal static readonly MethodScore[] Scores =
    [
        new("zero-shot", "exact match", 0.21, 0.03),
        new("few-shot", "exact match", 0.34, 0.035),
        new("RAG", "exact match", 0.47, 0.04),
        new("SFT", "exact match", 0.62, 0.03),
        new("zero-shot", "ROUGE-L", 0.38, 0.02),
        new("few-shot", "ROUGE-L", 0.45, 0.025),
        new("RAG", "ROUGE-L", 0.55, 0.02),
        new("SFT", "ROUGE-L", 0.71, 0.02),
    ];
}
