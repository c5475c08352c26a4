namespace SftLab.ChatTemplates;

/// <summary>
/// The sandbox's bounds on one render. A chat template comes from a downloaded file, so it is treated as
/// untrusted code: it can only read the data it is given (no .NET members are reachable), and these limits
/// stop a template that loops or recurses without end. Exceeding one throws <see cref="TemplateLimitException"/>.
/// </summary>
public sealed record RenderLimits
{
    /// <summary>The defaults: generous for any real chat template, small enough to stop a runaway one quickly.</summary>
    public static RenderLimits Default { get; } = new();

    /// <summary>Total loop iterations (all <c>for</c> loops together) in one render. Default 1,000,000.</summary>
    public long MaxLoopIterations { get; init; } = 1_000_000;

    /// <summary>Nesting depth of macro calls (and <c>caller()</c>). Default 200.</summary>
    public int MaxRecursionDepth { get; init; } = 200;

    /// <summary>Largest output, and largest single string built, in characters. Default 64 Mi characters.</summary>
    public long MaxOutputLength { get; init; } = 64L << 20;

    /// <summary>Wall-clock limit of one render. Default 5 seconds.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest <c>range(...)</c> the template may create (Jinja's sandbox uses 100,000). Default 100,000.</summary>
    public int MaxRange { get; init; } = 100_000;
}
