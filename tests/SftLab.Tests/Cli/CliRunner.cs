using System.Diagnostics;

namespace SftLab.Tests.Cli;

/// <summary>Runs the `sftlab` CLI (SftLab.Cli.dll, copied beside the tests) as a child process.</summary>
public static class CliRunner
{
    public static (int ExitCode, string StdOut, string StdErr) Run(params string[] args) => Run(args, null);

    public static (int ExitCode, string StdOut, string StdErr) Run(string[] args, string? stdin, int timeoutMs = 120_000)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "SftLab.Cli.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin != null };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (stdin != null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"sftlab {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
