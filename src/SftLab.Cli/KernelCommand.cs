using System.CommandLine;
using System.Diagnostics;
using SftLab.Kernel;
using SftLab.Kernel.Engine;
using SftLab.Kernel.Notebooks;
using SftLab.Kernel.Protocol;

namespace SftLab.Cli;

/// <summary>
/// `sftlab kernel`: the C# Jupyter kernel. `install` writes the kernelspec so VS Code, JupyterLab and
/// nbclient can start it; `run -f CONNECTION_FILE` is what the kernelspec runs; `bench` measures start
/// time and cell round trip through Jupyter's own client, next to ipykernel in the same run.
/// </summary>
internal sealed class KernelCommand : ICommandFactory
{
    public Command Create()
    {
        var user = new Option<bool>("--user") { Description = $"Install for the current user ({KernelSpec.UserKernelsDirectory}) instead of system-wide ({KernelSpec.SystemKernelsDirectory})." };
        var name = new Option<string>("--name") { Description = "The kernelspec name notebooks refer to.", DefaultValueFactory = _ => KernelSpec.DefaultName };
        var displayName = new Option<string>("--display-name") { Description = "The name kernel pickers show.", DefaultValueFactory = _ => KernelSpec.DefaultDisplayName };
        var prefix = new Option<string?>("--jupyter-path") { Description = "Install into DIR/kernels instead (use DIR in JUPYTER_PATH)." };
        var install = new Command("install", "Install the SftLab C# kernelspec for Jupyter clients (VS Code, JupyterLab, Notebook, nbclient).")
        {
            user, name, displayName, prefix,
        };
        install.SetAction(p =>
        {
            var dir = p.GetValue(prefix) is { } jp ? Path.Combine(Path.GetFullPath(jp), "kernels")
                : p.GetValue(user) ? KernelSpec.UserKernelsDirectory
                : KernelSpec.SystemKernelsDirectory;
            try
            {
                var folder = KernelSpec.Install(dir, p.GetValue(name)!, p.GetValue(displayName)!);
                Console.WriteLine($"Installed kernelspec {p.GetValue(name)} in {folder}");
                Console.WriteLine($"  command: {string.Join(' ', KernelSpec.CurrentLauncher())} kernel run -f {{connection_file}}");
                return 0;
            }
            catch (UnauthorizedAccessException e)
            {
                Console.Error.WriteLine($"cannot write {dir}: {e.Message}. Use --user to install for your user only.");
                return 1;
            }
        });

        var file = new Option<string>("--connection-file", "-f") { Description = "The connection file written by the Jupyter client.", Required = true };
        var run = new Command("run", "Run the kernel for a Jupyter client (the kernelspec calls this).") { file };
        run.SetAction(p => RunKernel(p.GetValue(file)!));

        var count = new Option<int>("-n") { Description = "Round trips to time.", DefaultValueFactory = _ => 50 };
        var starts = new Option<int>("--starts") { Description = "Kernel starts to time.", DefaultValueFactory = _ => 3 };
        var bench = new Command("bench", "Kernel start time and trivial-cell round trip through jupyter_client, next to ipykernel (python3) measured in the same run.")
        {
            count, starts,
        };
        bench.SetAction(p => Bench(p.GetValue(count), p.GetValue(starts)));

        return new Command("kernel", "The SftLab C# Jupyter kernel: install it, run it, benchmark it.") { install, run, bench };
    }

    private static int RunKernel(string connectionFile)
    {
        var log = Console.Error;
        ConnectionInfo info;
        try
        {
            info = ConnectionInfo.Load(connectionFile);
        }
        catch (FormatException e)
        {
            log.WriteLine(e.Message);
            return 2;
        }
        var engine = new ScriptEngine(Environment.CurrentDirectory);
        try
        {
            using var kernel = new SftLab.Kernel.JupyterKernel(info, engine, log);
            return kernel.Run();
        }
        catch (SftLab.Kernel.Zmq.ZmqException e)
        {
            log.WriteLine($"[sftlab kernel] {e.Message}");
            return 3;
        }
    }

    private static int Bench(int n, int starts)
    {
        var jupyterPath = NotebookRunner.CreateTemporaryJupyterPath();
        try
        {
            var psi = new ProcessStartInfo(NotebookRunner.DefaultPython) { UseShellExecute = false };
            foreach (var a in new[] { Path.Combine(NotebookRunner.ScriptsDirectory, "kernel_bench.py"), "--kernel", KernelSpec.DefaultName, "--peer", "python3", "-n", n.ToString(), "--starts", starts.ToString() })
                psi.ArgumentList.Add(a);
            psi.Environment["JUPYTER_PATH"] = NotebookRunner.JupyterPathWith(jupyterPath);
            psi.Environment["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"; // ipykernel's debugger chatter
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            return p.ExitCode;
        }
        finally
        {
            Directory.Delete(jupyterPath, recursive: true);
        }
    }
}
