namespace SftLab.Torch;

/// <summary>
/// Base of neural-network layers (PyTorch's <c>nn.Module</c>). A module registers its parameters,
/// buffers and child modules by name, so <see cref="NamedParameters"/> and <see cref="StateDict"/>
/// produce dotted keys like Hugging Face's (<c>model.layers.0.self_attn.q_proj.weight</c>).
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Parameter? Value)> _parameters = new();
    private readonly List<(string Name, Tensor? Value)> _buffers = new();
    private readonly List<(string Name, Module Value)> _modules = new();

    /// <summary>True in training mode (dropout active), false after <see cref="Eval"/>.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers a parameter (null for an optional one such as a missing bias). Returns it.</summary>
    protected Parameter? RegisterParameter(string name, Parameter? value)
    {
        CheckName(name);
        _parameters.Add((name, value));
        return value;
    }

    /// <summary>Registers a parameter made from <paramref name="value"/>, which becomes owned by the module.</summary>
    protected Parameter RegisterParameter(string name, Tensor value)
    {
        var p = new Parameter(value);
        value.Dispose();
        RegisterParameter(name, p);
        return p;
    }

    /// <summary>Registers a non-trainable tensor that is part of the state dict (e.g. running stats).</summary>
    protected Tensor RegisterBuffer(string name, Tensor value)
    {
        CheckName(name);
        value.DetachFromDisposeScope();
        _buffers.Add((name, value));
        return value;
    }

    /// <summary>Registers a child module. Returns it.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _modules.Add((name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"invalid member name '{name}' (non-empty, no dots)", nameof(name));
        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _modules.Any(m => m.Name == name))
            throw new ArgumentException($"'{name}' is already registered on {GetType().Name}", nameof(name));
    }

    /// <summary>Direct children, by name.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _modules;

    /// <summary>This module and all descendants, with dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, m) in _modules)
            foreach (var sub in m.NamedModules(prefix.Length == 0 ? name : prefix + "." + name))
                yield return sub;
    }

    /// <summary>All parameters with dotted names, depth first in registration order.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        foreach (var (prefix, m) in NamedModules())
            foreach (var (name, p) in m._parameters)
                if (p != null) yield return (prefix.Length == 0 ? name : prefix + "." + name, p);
    }

    /// <summary>All parameters.</summary>
    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>All buffers with dotted names.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers()
    {
        foreach (var (prefix, m) in NamedModules())
            foreach (var (name, b) in m._buffers)
                if (b != null) yield return (prefix.Length == 0 ? name : prefix + "." + name, b);
    }

    /// <summary>Number of parameter elements (optionally only trainable ones).</summary>
    public long ParameterCount(bool trainableOnly = false) =>
        Parameters().Where(p => !trainableOnly || p.RequiresGrad).Sum(p => p.NumEl);

    /// <summary>
    /// Parameters and buffers by dotted name. The tensors are the module's own (not copies):
    /// do not dispose them; <c>.Clone()</c> to keep a snapshot.
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (n, p) in NamedParameters()) d[n] = p;
        foreach (var (n, b) in NamedBuffers()) d[n] = b;
        return d;
    }

    /// <summary>
    /// Copies values into the parameters and buffers by name (converting dtype and device).
    /// With <paramref name="strict"/>, missing or unexpected keys and shape mismatches throw,
    /// naming the keys. Returns the keys that were missing and unexpected.
    /// </summary>
    public (List<string> Missing, List<string> Unexpected) LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = StateDict();
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var mismatched = own.Where(kv => state.TryGetValue(kv.Key, out var v) && !kv.Value.Shape.SequenceEqual(v.Shape))
            .Select(kv => $"{kv.Key}: expected [{string.Join(", ", kv.Value.Shape)}], got [{string.Join(", ", state[kv.Key].Shape)}]")
            .ToList();
        if (mismatched.Count > 0)
            throw new ArgumentException("shape mismatch in state dict: " + string.Join("; ", mismatched));
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new ArgumentException(
                $"state dict does not match {GetType().Name}: " +
                (missing.Count > 0 ? $"missing keys: {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? $" (+{missing.Count - 10} more)" : "")}. " : "") +
                (unexpected.Count > 0 ? $"unexpected keys: {string.Join(", ", unexpected.Take(10))}{(unexpected.Count > 10 ? $" (+{unexpected.Count - 10} more)" : "")}." : ""));
        using (Autograd.NoGrad())
            foreach (var (k, t) in own)
                if (state.TryGetValue(k, out var v)) t.Copy_(v);
        return (missing, unexpected);
    }

    /// <summary>Sets training mode on this module and its descendants.</summary>
    public Module Train(bool on = true)
    {
        foreach (var (_, m) in NamedModules()) m.Training = on;
        return this;
    }

    /// <summary>Sets evaluation mode (dropout off) on this module and its descendants.</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears the gradients of all parameters (sets them to none, as PyTorch 2 does by default).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad = null;
    }

    /// <summary>
    /// Moves (and optionally converts floating-point) parameters and buffers, in place: the same
    /// <see cref="Parameter"/> objects now hold the converted data, so references stay valid.
    /// </summary>
    public Module To(Device device, DType? dtype = null)
    {
        using var scope = DisposeScope.Begin();
        using (Autograd.NoGrad())
            foreach (var t in Parameters().Cast<Tensor>().Concat(NamedBuffers().Select(b => b.Buffer)))
            {
                var requiresGrad = t.RequiresGrad;
                var moved = t.To(device);
                if (dtype is { } dt && t.DType.IsFloatingPoint()) moved = moved.To(dt);
                t.SetData(moved);
                if (requiresGrad) t.RequiresGrad = true;
            }
        return this;
    }

    /// <summary>Converts floating-point parameters and buffers to <paramref name="dtype"/>, in place.</summary>
    public Module To(DType dtype) => To(Parameters().FirstOrDefault()?.Device ?? Device.Cpu, dtype);

    /// <summary>Frees all parameters and buffers of this module and its descendants.</summary>
    public void Dispose()
    {
        OnDispose();
        foreach (var (_, m) in _modules) m.Dispose();
        foreach (var (_, p) in _parameters) p?.Dispose();
        foreach (var (_, b) in _buffers) b?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees what a subclass owns beyond its registered parameters and buffers.</summary>
    protected internal virtual void OnDispose() { }

    /// <summary>A one-line-per-module outline with parameter counts.</summary>
    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        foreach (var (name, m) in NamedModules())
        {
            var depth = name.Length == 0 ? 0 : name.Count(c => c == '.') + 1;
            var own = m._parameters.Where(p => p.Value != null).Sum(p => p.Value!.NumEl);
            sb.Append(new string(' ', depth * 2)).Append(name.Length == 0 ? GetType().Name : $"{name.Split('.').Last()}: {m.GetType().Name}");
            if (own > 0) sb.Append($" ({own:N0} params)");
            sb.AppendLine();
        }
        sb.Append($"total: {ParameterCount():N0} parameters");
        return sb.ToString();
    }
}
