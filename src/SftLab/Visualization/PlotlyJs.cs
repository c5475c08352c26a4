namespace SftLab.Visualization;

/// <summary>
/// Where SftLab finds plotly.js (the npm package <c>plotly.js-dist-min</c> that
/// <c>scripts/setup.sh</c> installs into <c>vendor/plotly</c>) and how notebook outputs share it.
/// </summary>
public static class PlotlyJs
{
    /// <summary>The file name of the library: plotly.min.js.</summary>
    public const string FileName = "plotly.min.js";

    /// <summary>The environment variable that points at a plotly.min.js to use instead of the repo's.</summary>
    public const string EnvironmentVariable = "SFTLAB_PLOTLY_JS";

    private static readonly string RelativePath = Path.Combine("vendor", "plotly", "node_modules", "plotly.js-dist-min", FileName);
    private static readonly Lock Gate = new();
    private static string? cachedPath;
    private static string? cachedSource;
    private static int carried;

    /// <summary>
    /// The path of plotly.min.js: <c>$SFTLAB_PLOTLY_JS</c> when set, else
    /// <c>vendor/plotly/node_modules/plotly.js-dist-min/plotly.min.js</c> in the first folder above
    /// the application (or the current directory) that has it. Throws <see cref="FileNotFoundException"/>
    /// telling how to install it.
    /// </summary>
    public static string Locate()
    {
        lock (Gate)
        {
            if (cachedPath is not null && File.Exists(cachedPath)) return cachedPath;
            return cachedPath = Locate(Environment.GetEnvironmentVariable(EnvironmentVariable),
                [AppContext.BaseDirectory, Environment.CurrentDirectory]);
        }
    }

    /// <summary>The search behind <see cref="Locate()"/>, from an explicit variable value and start folders.</summary>
    internal static string Locate(string? fromEnv, IEnumerable<string> startFolders)
    {
        if (!string.IsNullOrEmpty(fromEnv))
        {
            if (!File.Exists(fromEnv))
            {
                throw new FileNotFoundException($"{EnvironmentVariable} is set to '{fromEnv}', which does not exist.", fromEnv);
            }
            return Path.GetFullPath(fromEnv);
        }
        var tried = new List<string>();
        foreach (var start in startFolders)
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, RelativePath);
                if (File.Exists(candidate)) return candidate;
                if (File.Exists(Path.Combine(dir.FullName, "SftLab.sln"))) tried.Add(candidate);
            }
        }
        var where = tried.Count > 0 ? $" (looked for {string.Join(", ", tried.Distinct())})" : "";
        throw new FileNotFoundException(
            $"plotly.js was not found{where}. Run scripts/setup.sh in the SftLab repository (it installs the npm " +
            $"package plotly.js-dist-min into vendor/plotly), or set {EnvironmentVariable} to the path of a plotly.min.js.");
    }

    /// <summary>The library's source text (read once, ~4.6 MB).</summary>
    public static string Source
    {
        get
        {
            lock (Gate)
            {
                return cachedSource ??= File.ReadAllText(Locate());
            }
        }
    }

    /// <summary>The library version, read from its header comment ("4.1.2").</summary>
    public static string Version
    {
        get
        {
            var head = Source.AsSpan(0, Math.Min(200, Source.Length));
            var at = head.IndexOf("plotly.js v");
            if (at < 0) return "unknown";
            var rest = head[(at + "plotly.js v".Length)..];
            var end = rest.IndexOfAny(" \r\n*");
            return (end < 0 ? rest : rest[..end]).ToString();
        }
    }

    /// <summary>
    /// How <see cref="Figure.ToHtml"/> brings plotly.js into a notebook page.
    /// <see cref="NotebookPlotlyMode.OncePerSession"/> (default): the first fragment of this process
    /// carries the library, later ones use the page's copy. <see cref="NotebookPlotlyMode.Always"/>:
    /// every fragment carries it (each output stands alone, ~4.6 MB each). <see cref="NotebookPlotlyMode.Never"/>:
    /// none does (the page already has plotly.js).
    /// </summary>
    public static NotebookPlotlyMode NotebookMode { get; set; } = NotebookPlotlyMode.OncePerSession;

    /// <summary>
    /// Forgets that plotly.js was sent, so the next fragment carries it again. A kernel calls this
    /// when its front-end page is new (the notebook was reopened or its outputs cleared).
    /// </summary>
    public static void ResetNotebookSession() => Interlocked.Exchange(ref carried, 0);

    /// <summary>True for the fragment that must carry the library (and marks it sent).</summary>
    internal static bool TakeNotebookCarrier() => NotebookMode switch
    {
        NotebookPlotlyMode.Always => true,
        NotebookPlotlyMode.Never => false,
        _ => Interlocked.Exchange(ref carried, 1) == 0,
    };
}

/// <summary>How notebook fragments bring plotly.js into the page; see <see cref="PlotlyJs.NotebookMode"/>.</summary>
public enum NotebookPlotlyMode
{
    /// <summary>The first fragment of the process carries the library; later ones wait for it.</summary>
    OncePerSession,

    /// <summary>Every fragment carries the library.</summary>
    Always,

    /// <summary>No fragment carries it; the page must already have window.Plotly.</summary>
    Never,
}
