using System.Globalization;
using System.Text.RegularExpressions;
using SftLab.Tests.Oracles;

namespace SftLab.Tests.Cli;

/// <summary>
/// `sftlab bench-train` with the smallest settings: every section runs and prints its table, and the
/// python3-torch peer, fed the same checkpoint and batch, computes the same first loss as SftLab (the
/// bench compares two implementations of one computation, not two computations). No speed is asserted.
/// </summary>
public sealed partial class TrainBenchSmokeTests
{
    [GeneratedRegex(@"loss at step 1 (?<cs>[0-9.]+) vs (?<peer>[0-9.]+); at step \d+ (?<cs2>[0-9.]+) vs (?<peer2>[0-9.]+) \(embedded \(tiny\)\)")]
    private static partial Regex Losses();

    [Fact]
    public void EverySectionRunsAndBothSidesComputeTheSameLoss()
    {
        if (!File.Exists(PythonOracle.Python)) Assert.Fail($"{PythonOracle.Python} is missing: run scripts/setup.sh");
        var (code, stdout, stderr) = CliRunner.Run(
            ["bench-train", "--shape", "tiny", "--tiny-steps", "2", "--warmup", "1", "--layers", "1", "--pack-examples", "16", "--pack-length", "256"],
            null, timeoutMs: 600_000);
        Assert.True(code == 0, $"bench-train failed ({code}):\n{stdout}\n{stderr}");
        foreach (var section in new[] { "1. Training tokens/s", "the cost of gradient checkpointing", "2. MFU", "3. Packed vs padded", "4. Peak RSS" })
            Assert.Contains(section, stdout);
        Assert.Matches(@"PackedBatcher: .* \d+\.\d\dx  ≥ 1\.5x", stdout);
        Assert.Matches(@"LoRA, gradient checkpointing .* \d+\.\d\dx +\d+\.\d\dx  ≤ 0\.5x", stdout);
        var m = Losses().Match(stdout);
        Assert.True(m.Success, $"no loss line for the embedded shape in:\n{stdout}");
        double L(string g) => double.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        Assert.Equal(L("cs"), L("peer"), 4);
        Assert.Equal(L("cs2"), L("peer2"), 3);
        Assert.True(L("cs2") < L("cs"), "two AdamW steps should lower the loss on the same batch");
    }
}
