using SftLab.Torch;

namespace SftLab.Models;

/// <summary>
/// Keys and values of every layer for the tokens processed so far, so that generating one more
/// token computes attention for that token only instead of re-running the whole prefix.
/// Owns its tensors: dispose it when generation ends.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] _keys, _values;

    public KvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    /// <summary>Number of positions cached.</summary>
    public long Length { get; private set; }

    /// <summary>Appends this step's keys/values [B, kvH, T, d] for a layer and returns the full ones.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var oldK = _keys[layer];
        var oldV = _values[layer];
        var newK = oldK is null ? k.Detach() : Tensor.Cat([oldK, k.Detach()], 2);
        var newV = oldV is null ? v.Detach() : Tensor.Cat([oldV, v.Detach()], 2);
        _keys[layer] = newK.DetachFromDisposeScope();
        _values[layer] = newV.DetachFromDisposeScope();
        oldK?.Dispose();
        oldV?.Dispose();
        // Hand the step a handle of its own, so the step's dispose scope can free it.
        return (newK.Alias(), newV.Alias());
    }

    /// <summary>Called by the model after all layers processed <paramref name="time"/> new positions.</summary>
    internal void Advance(long time) => Length += time;

    /// <summary>Keeps only the batch rows in <paramref name="rows"/> (e.g. after some sequences finished).</summary>
    public void SelectRows(Tensor rows)
    {
        for (var i = 0; i < _keys.Length; i++)
        {
            if (_keys[i] is { } k) { _keys[i] = k.IndexSelect(0, rows).DetachFromDisposeScope(); k.Dispose(); }
            if (_values[i] is { } v) { _values[i] = v.IndexSelect(0, rows).DetachFromDisposeScope(); v.Dispose(); }
        }
    }

    public void Dispose()
    {
        foreach (var t in _keys) t?.Dispose();
        foreach (var t in _values) t?.Dispose();
        Array.Clear(_keys);
        Array.Clear(_values);
        Length = 0;
    }
}
