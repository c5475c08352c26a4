using SftLab.Torch;

namespace SftLab.Tests.Cli;

public sealed class VersionTests
{
    [Fact]
    public void VersionPrintsSftLabLibtorchAndCuda()
    {
        var (code, stdout, stderr) = CliRunner.Run("--version");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal($"SftLab {TorchRuntime.SftLabVersion}", lines[0]);
        Assert.Equal($"libtorch {TorchRuntime.LibTorchVersion}", lines[1]);
        Assert.Equal(TorchRuntime.CudaIsAvailable ? "CUDA available: yes" : "CUDA available: no", lines[2].Split(" (")[0]);
    }

    [Fact]
    public void DemoTrainsAndTheLossFalls()
    {
        var (code, stdout, stderr) = CliRunner.Run("demo", "--steps", "60", "--device", "cpu");
        Assert.True(code == 0, stdout + stderr);
        var losses = stdout.Split('\n').Where(l => l.StartsWith("step", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split("loss")[1].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(losses.Count >= 3);
        Assert.True(losses[^1] < losses[0] * 0.8, string.Join(", ", losses));
    }
}
