namespace SftLab.Torch;

/// <summary>An indexed list of child modules, named "0", "1", ... in the state dict (like nn.ModuleList).</summary>
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    private readonly List<T> _items = new();

    public ModuleList(IEnumerable<T> items)
    {
        foreach (var m in items) Add(m);
    }

    public void Add(T module) => _items.Add(RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module));

    public T this[int index] => _items[index];
    public int Count => _items.Count;
    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
