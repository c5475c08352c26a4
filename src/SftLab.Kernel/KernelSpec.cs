using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SftLab.Kernel;

/// <summary>
/// The Jupyter kernelspec of the SftLab kernel: a folder <c>kernels/sftlab-csharp/</c> with a
/// <c>kernel.json</c> that tells Jupyter clients (VS Code, JupyterLab, nbclient) how to start it.
/// </summary>
public static class KernelSpec
{
    /// <summary>The kernelspec name notebooks refer to in metadata.kernelspec.name.</summary>
    public const string DefaultName = "sftlab-csharp";

    /// <summary>The name shown in kernel pickers.</summary>
    public const string DefaultDisplayName = "SftLab C#";

    /// <summary>The language notebooks declare (metadata.kernelspec.language).</summary>
    public const string Language = "C#";

    /// <summary>The per-user kernels folder Jupyter searches (~/.local/share/jupyter/kernels on Linux).</summary>
    public static string UserKernelsDirectory
    {
        get
        {
            if (Environment.GetEnvironmentVariable("JUPYTER_DATA_DIR") is { Length: > 0 } data) return Path.Combine(data, "kernels");
            var home = Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (OperatingSystem.IsWindows())
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "jupyter", "kernels");
            if (OperatingSystem.IsMacOS()) return Path.Combine(home, "Library", "Jupyter", "kernels");
            var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
            return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "share") : xdg, "jupyter", "kernels");
        }
    }

    /// <summary>The system-wide kernels folder (/usr/local/share/jupyter/kernels on Linux and macOS).</summary>
    public static string SystemKernelsDirectory =>
        OperatingSystem.IsWindows()
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "jupyter", "kernels")
            : "/usr/local/share/jupyter/kernels";

    /// <summary>
    /// The command that starts this kernel: the absolute path of <c>dotnet</c> and of the running SftLab CLI
    /// (or of its native launcher), so the kernelspec works whatever PATH the client has.
    /// </summary>
    public static IReadOnlyList<string> CurrentLauncher()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var entry = Assembly.GetEntryAssembly()?.Location;
        var isHost = Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        if (isHost && !string.IsNullOrEmpty(entry)) return [process, entry];
        return [process];
    }

    /// <summary>The kernel.json content for a launcher command.</summary>
    public static JsonObject Create(IReadOnlyList<string> launcher, string displayName = DefaultDisplayName)
    {
        var argv = new JsonArray();
        foreach (var a in launcher) argv.Add(a);
        foreach (var a in new[] { "kernel", "run", "-f", "{connection_file}" }) argv.Add(a);
        return new JsonObject
        {
            ["argv"] = argv,
            ["display_name"] = displayName,
            ["language"] = Language,
            // The kernel serves interrupt_request on its control socket (and also handles SIGINT).
            ["interrupt_mode"] = "message",
            ["env"] = new JsonObject { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
            ["metadata"] = new JsonObject { ["debugger"] = false },
        };
    }

    /// <summary>
    /// Writes <c>kernelsDirectory/name/kernel.json</c> (replacing an older one) and returns the folder.
    /// </summary>
    public static string Install(string kernelsDirectory, string name = DefaultName, string displayName = DefaultDisplayName, IReadOnlyList<string>? launcher = null)
    {
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny([.. Path.GetInvalidFileNameChars(), ' ']) >= 0)
            throw new ArgumentException($"kernel name '{name}' must be a non-empty folder name without spaces", nameof(name));
        var dir = Path.Combine(kernelsDirectory, name);
        Directory.CreateDirectory(dir);
        var json = Create(launcher ?? CurrentLauncher(), displayName).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var tmp = Path.Combine(dir, $".kernel.json.{Environment.ProcessId}.tmp");
        File.WriteAllText(tmp, json + "\n");
        File.Move(tmp, Path.Combine(dir, "kernel.json"), overwrite: true);
        return dir;
    }
}
