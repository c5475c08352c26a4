using System.CommandLine;
using SftLab.Cli;
using SftLab.Torch;

var root = new RootCommand("sftlab: learn and experiment with supervised fine-tuning of language models, in C#.");

// --version: SftLab's version, the libtorch it loaded, and whether CUDA is available.
foreach (var o in root.Options.OfType<VersionOption>().ToList()) root.Options.Remove(o);
var version = new Option<bool>("--version") { Description = "Print the versions of SftLab and libtorch, and whether CUDA is available." };
root.Options.Add(version);
root.SetAction(parse =>
{
    if (parse.GetValue(version))
    {
        Console.WriteLine($"SftLab {TorchRuntime.SftLabVersion}");
        Console.WriteLine($"libtorch {TorchRuntime.LibTorchVersion}");
        Console.WriteLine(TorchRuntime.CudaIsAvailable
            ? $"CUDA available: yes ({TorchRuntime.CudaDeviceCount} device(s))"
            : "CUDA available: no");
        return 0;
    }
    Console.WriteLine("Usage: sftlab [command] (see --help)");
    return 1;
});

foreach (var type in typeof(ICommandFactory).Assembly.GetTypes()
             .Where(t => typeof(ICommandFactory).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
             .OrderBy(t => t.Name, StringComparer.Ordinal))
    root.Subcommands.Add(((ICommandFactory)Activator.CreateInstance(type)!).Create());

try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (Environment.GetEnvironmentVariable("SFTLAB_DEBUG") != "1")
{
    // A clear one-line message (file, line, field...) instead of a stack trace; SFTLAB_DEBUG=1 shows the trace.
    var prefix = e is TorchException ? "libtorch error" : "error";
    Console.Error.WriteLine($"{prefix}: {e.Message}");
    return e is OperationCanceledException ? 130 : 2;
}
