namespace SftLab.Torch;

/// <summary>
/// Frees every tensor created on this thread while the scope is open, when it is disposed,
/// except those moved out with <see cref="Tensor.MoveToOuterScope"/> or
/// <see cref="Tensor.DetachFromDisposeScope"/>. Wrap a training step in one so native memory
/// stays flat: <c>using (DisposeScope.Begin()) { var loss = ...; loss.Backward(); }</c>.
/// Scopes nest; they are per thread (do not <c>await</c> inside one).
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly List<Tensor> _tensors = new();
    private bool _disposed;

    /// <summary>The scope enclosing this one, if any.</summary>
    public DisposeScope? Outer { get; }

    private DisposeScope(DisposeScope? outer) => Outer = outer;

    /// <summary>The innermost open scope of this thread, or null.</summary>
    public static DisposeScope? Current => _current;

    /// <summary>Opens a scope; new tensors of this thread belong to it until it is disposed.</summary>
    public static DisposeScope Begin()
    {
        var scope = new DisposeScope(_current);
        _current = scope;
        return scope;
    }

    /// <summary>Number of tensors this scope will free.</summary>
    public int Count => _tensors.Count(t => t.Scope == this && !t.IsDisposed);

    internal void Add(Tensor t) => _tensors.Add(t);

    /// <summary>Frees the scope's tensors and closes it.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _tensors)
            if (t.Scope == this) t.Dispose();
        _tensors.Clear();
        // Scopes close innermost first; if an outer one is disposed early, skip past it.
        if (_current == this) _current = Outer;
        while (_current is { _disposed: true }) _current = _current.Outer;
    }
}
