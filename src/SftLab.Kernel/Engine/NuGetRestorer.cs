using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace SftLab.Kernel.Engine;

/// <summary>
/// Resolves <c>#r "nuget: Name, Version"</c>: restores a temporary project that references the package
/// (through <c>dotnet build</c>, so the configured NuGet feeds and the local package cache are used) and
/// returns the runtime assemblies of the package and its dependencies. Results are cached per package and
/// version under <c>~/.cache/sftlab/nuget</c> (or <c>$SFTLAB_NUGET_CACHE</c>), so a rerun is instant.
/// </summary>
public static partial class NuGetRestorer
{
    private static readonly ConcurrentDictionary<string, IReadOnlyList<string>> Resolved = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Where restored packages' assembly lists are cached.</summary>
    public static string CacheDirectory =>
        Environment.GetEnvironmentVariable("SFTLAB_NUGET_CACHE") is { Length: > 0 } d
            ? d
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "sftlab", "nuget");

    [GeneratedRegex(@"^\s*nuget\s*:\s*(?<name>[A-Za-z0-9_.\-]+)\s*(,\s*(?<version>[^,\s]+)\s*)?$", RegexOptions.IgnoreCase)]
    private static partial Regex NuGetReference();

    /// <summary>True for a reference of the form "nuget: Name[, Version]".</summary>
    public static bool IsNuGetReference(string reference) => reference.TrimStart().StartsWith("nuget:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses "nuget: Name, Version" (the version may be omitted: the newest stable one).</summary>
    public static (string Name, string? Version) Parse(string reference)
    {
        var m = NuGetReference().Match(reference);
        if (!m.Success)
            throw new FormatException($"#r \"{reference}\": expected \"nuget: PackageName, Version\" (the version is optional)");
        return (m.Groups["name"].Value, m.Groups["version"].Success ? m.Groups["version"].Value : null);
    }

    /// <summary>Paths of the runtime assemblies of the package and its dependencies (restoring it if needed).</summary>
    public static IReadOnlyList<string> Restore(string reference)
    {
        var (name, version) = Parse(reference);
        var key = $"{name}/{version ?? "*"}";
        return Resolved.GetOrAdd(key, _ => RestoreUncached(name, version));
    }

    private static IReadOnlyList<string> RestoreUncached(string name, string? version)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{name.ToLowerInvariant()}/{version ?? "*"}/{Environment.Version}")))[..16];
        var dir = Path.Combine(CacheDirectory, $"{name}-{version ?? "latest"}-{hash}");
        var list = Path.Combine(dir, "assemblies.txt");
        if (version != null && File.Exists(list))
        {
            var cached = File.ReadAllLines(list).Where(l => l.Length > 0).ToList();
            if (cached.All(File.Exists)) return cached;
        }
        Directory.CreateDirectory(dir);
        var project = Path.Combine(dir, "restore.csproj");
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net{Environment.Version.Major}.{Environment.Version.Minor}</TargetFramework>
                <CopyLocalLockFileAssemblies>true</CopyLocalLockFileAssemblies>
                <GenerateDocumentationFile>false</GenerateDocumentationFile>
                <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
                <ImplicitUsings>disable</ImplicitUsings>
                <EnableDefaultCompileItems>false</EnableDefaultCompileItems>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{name}" Version="{version ?? "*"}" />
              </ItemGroup>
              <Target Name="SftLabListAssemblies" AfterTargets="Build">
                <ItemGroup>
                  <SftLabDll Include="@(ReferenceCopyLocalPaths)" Condition="'%(Extension)' == '.dll'" />
                </ItemGroup>
                <WriteLinesToFile File="$(MSBuildProjectDirectory)/assemblies.tmp" Lines="@(SftLabDll->'%(FullPath)')" Overwrite="true" />
              </Target>
            </Project>
            """);
        // An empty Directory.Build.props stops the repo's own build settings from leaking in.
        File.WriteAllText(Path.Combine(dir, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(dir, "Directory.Build.targets"), "<Project />");
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "build", project, "-c", "Release", "-nologo", "-v:q", "-clp:ErrorsOnly" }) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start `dotnet build`");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000))
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"#r \"nuget: {name}, {version}\": restoring the package took more than 5 minutes");
        }
        if (p.ExitCode != 0)
        {
            var output = (stdout.Result + stderr.Result).Trim();
            var errors = string.Join("\n", output.Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Take(5));
            throw new InvalidOperationException(
                $"#r \"nuget: {name}{(version is null ? "" : ", " + version)}\": the package could not be restored:\n{(errors.Length > 0 ? errors : output)}");
        }
        var tmp = Path.Combine(dir, "assemblies.tmp");
        var assemblies = File.Exists(tmp)
            ? File.ReadAllLines(tmp).Where(l => l.Length > 0).Distinct().ToList()
            : [];
        File.WriteAllLines(list, assemblies);
        return assemblies;
    }
}
