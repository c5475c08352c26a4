using SftLab.Kernel.Engine;

namespace SftLab.Kernel.Display;

/// <summary>
/// An output a cell displayed, which it can replace in place: <c>var d = display(chart);</c> then, in a
/// training loop, <c>d.Update(chart)</c> redraws the same output (Jupyter's update_display_data)
/// instead of appending a new one. Works as in Polyglot Notebooks.
/// </summary>
public sealed class DisplayedValue
{
    private readonly string[] _mimeTypes;

    internal DisplayedValue(string displayId, object? value, string[] mimeTypes)
    {
        DisplayId = displayId;
        Value = value;
        _mimeTypes = mimeTypes;
    }

    /// <summary>The Jupyter display id that ties the output and its updates together.</summary>
    public string DisplayId { get; }

    /// <summary>The value shown last.</summary>
    public object? Value { get; private set; }

    /// <summary>Re-renders the output with <paramref name="newValue"/> (same MIME types as the first display).</summary>
    public void Update(object? newValue)
    {
        Value = newValue;
        var cell = CellContext.Current
                   ?? throw new InvalidOperationException("Update can only be called while a cell runs in the SftLab kernel.");
        cell.Display(ValueFormatter.Format(newValue, _mimeTypes), DisplayId, update: true);
    }

    /// <summary>Shows the display id (what Polyglot shows for a displayed value).</summary>
    public override string ToString() => $"DisplayedValue({DisplayId})";
}
