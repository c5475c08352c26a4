using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;

namespace SftLab.Kernel.Engine;

/// <summary>
/// The assemblies every cell can use: the .NET and ASP.NET Core shared frameworks, SftLab, this kernel and
/// the formatting package, each with its XML documentation when one is found (for inspect requests).
/// </summary>
internal static class ScriptReferences
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> Defaults = new(Build);

    public static ImmutableArray<MetadataReference> All => Defaults.Value;

    private static ImmutableArray<MetadataReference> Build()
    {
        var paths = new List<string>();
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string tpa)
        {
            foreach (var p in tpa.Split(Path.PathSeparator))
            {
                // Framework assemblies only: the app's own dependencies (Roslyn, System.CommandLine...) stay private.
                var dir = Path.GetDirectoryName(p) ?? "";
                if (dir.Contains($"{Path.DirectorySeparatorChar}shared{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                    paths.Add(p);
            }
        }
        foreach (var a in new[]
                 {
                     typeof(object).Assembly, typeof(Enumerable).Assembly, typeof(Console).Assembly,
                     typeof(Torch.Tensor).Assembly, typeof(ScriptReferences).Assembly,
                     typeof(Microsoft.DotNet.Interactive.Formatting.Formatter).Assembly,
                     typeof(Microsoft.AspNetCore.Html.HtmlString).Assembly,
                 })
            if (!string.IsNullOrEmpty(a.Location)) paths.Add(a.Location);
        var refPack = FindReferencePackDocs();
        return [.. paths.Distinct(StringComparer.Ordinal).Where(File.Exists).Select(p => Create(p, refPack))];
    }

    /// <summary>A metadata reference with the assembly's XML docs (beside it, or in the SDK's reference pack).</summary>
    public static PortableExecutableReference Create(string path, IReadOnlyList<string>? docDirectories = null)
    {
        var xml = Path.ChangeExtension(path, ".xml");
        if (!File.Exists(xml) && docDirectories != null)
            xml = docDirectories.Select(d => Path.Combine(d, Path.GetFileNameWithoutExtension(path) + ".xml")).FirstOrDefault(File.Exists) ?? xml;
        return File.Exists(xml)
            ? MetadataReference.CreateFromFile(path, documentation: new XmlDocs(xml))
            : MetadataReference.CreateFromFile(path);
    }

    /// <summary>
    /// The folders of the .NET SDK's reference packs (packs/Microsoft.NETCore.App.Ref/VERSION/ref/netX.Y), which hold
    /// the XML docs of the framework (the runtime folders ship none). Empty when no SDK is installed.
    /// </summary>
    private static List<string> FindReferencePackDocs()
    {
        var result = new List<string>();
        try
        {
            // .../dotnet/shared/Microsoft.NETCore.App/10.0.x/System.Private.CoreLib.dll → .../dotnet
            var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location);
            var root = runtimeDir is null ? null : Directory.GetParent(runtimeDir)?.Parent?.Parent?.FullName;
            if (root is null) return result;
            var tfm = $"net{Environment.Version.Major}.{Environment.Version.Minor}";
            foreach (var pack in new[] { "Microsoft.NETCore.App.Ref", "Microsoft.AspNetCore.App.Ref" })
            {
                var packDir = Path.Combine(root, "packs", pack);
                if (!Directory.Exists(packDir)) continue;
                var best = Directory.GetDirectories(packDir)
                    .Select(d => (Dir: d, Version: Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : null))
                    .Where(x => x.Version != null && x.Version.Major == Environment.Version.Major)
                    .OrderByDescending(x => x.Version)
                    .Select(x => Path.Combine(x.Dir, "ref", tfm))
                    .FirstOrDefault(Directory.Exists);
                if (best != null) result.Add(best);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return result;
    }
}

/// <summary>
/// Resolves <c>#r</c> in cells: "nuget: Name, Version" through <see cref="NuGetRestorer"/>; a path (relative
/// to the notebook's folder) or an assembly name through Roslyn's script resolver.
/// </summary>
internal sealed class KernelMetadataResolver(ScriptMetadataResolver inner, bool allowRestore) : MetadataReferenceResolver
{
    public bool AllowRestore => allowRestore;

    public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties)
    {
        if (NuGetRestorer.IsNuGetReference(reference))
        {
            if (!allowRestore) return [];
            // Errors become a diagnostic "could not be found" plus this message on stderr of the cell.
            try
            {
                return [.. NuGetRestorer.Restore(reference).Select(p => ScriptReferences.Create(p))];
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException or IOException)
            {
                CellContext.Current?.Write("stderr", e.Message + "\n");
                return [];
            }
        }
        return inner.ResolveReference(reference, baseFilePath, properties);
    }

    public override bool ResolveMissingAssemblies => inner.ResolveMissingAssemblies;

    public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity) =>
        inner.ResolveMissingAssembly(definition, referenceIdentity);

    public override bool Equals(object? other) =>
        other is KernelMetadataResolver r && r.AllowRestore == allowRestore && inner.Equals(r.Inner);

    public override int GetHashCode() => HashCode.Combine(inner.GetHashCode(), allowRestore);

    private ScriptMetadataResolver Inner => inner;
}

/// <summary>Helpers over assemblies loaded by the kernel.</summary>
internal static class AssemblyNamespaces
{
    /// <summary>True if any of the assemblies defines a public type in <paramref name="ns"/>.</summary>
    public static bool Exists(string ns, params Assembly[] assemblies) =>
        assemblies.Any(a => SafeTypes(a).Any(t => t.IsPublic && t.Namespace == ns));

    private static Type[] SafeTypes(Assembly a)
    {
        try
        {
            return a.GetExportedTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return [.. e.Types.OfType<Type>()];
        }
    }
}

/// <summary>Documentation comments read from an assembly's XML doc file, loaded on first use.</summary>
internal sealed class XmlDocs(string path) : DocumentationProvider
{
    private readonly Lazy<Dictionary<string, string>> _members = new(() => Load(path));

    protected override string? GetDocumentationForSymbol(string documentationMemberID, System.Globalization.CultureInfo preferredCulture, CancellationToken cancellationToken = default) =>
        _members.Value.GetValueOrDefault(documentationMemberID);

    private static Dictionary<string, string> Load(string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var doc = System.Xml.Linq.XDocument.Load(path);
            foreach (var m in doc.Descendants("member"))
                if (m.Attribute("name")?.Value is { } name)
                    result[name] = "<member name=\"" + name + "\">" + string.Concat(m.Nodes().Select(n => n.ToString())) + "</member>";
        }
        catch (Exception e) when (e is IOException or System.Xml.XmlException or UnauthorizedAccessException)
        {
        }
        return result;
    }

    public override bool Equals(object? obj) => obj is XmlDocs d && d.Path == Path;

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Path);

    private string Path => path;
}

/// <summary>
/// Binds the references of script compilations one at a time, process-wide.
/// </summary>
/// <remarks>
/// Roslyn caches the assembly symbols it builds for a reference on that reference's metadata, and a new compilation
/// reuses a cached set that fits instead of building its own. All cells share <see cref="ScriptReferences.All"/>, so
/// normally every compilation in the process sees one System.Int32. But two compilations that bind the same
/// references at the same time (the kernel's background warm-up and the first cell, a completion request during the
/// warm-up, two engines in one process) both miss the cache and each build a set; both sets then stay cached. A later
/// submission picks whichever set it finds first, which need not be the one of the submission before it: a variable of
/// cell 1 then has cell 1's <c>int</c> while <c>2 * m</c> in cell 2 has cell 2's, and
/// <c>new[] { m, 2 * m }</c> fails with CS0826 ("No best type found"; elsewhere "cannot convert int to int").
/// Binding under one lock means a compilation always finds the set built by the one before it.
/// </remarks>
internal static class ReferenceBinding
{
    private static readonly Lock Gate = new();

    /// <summary>The script's compilation with its references bound (under the process-wide lock).</summary>
    public static Compilation BoundCompilation(Script script)
    {
        var compilation = script.GetCompilation();
        lock (Gate)
            _ = compilation.Assembly; // the first access to the assembly symbol binds the references
        return compilation;
    }
}
