using System.Runtime.CompilerServices;
using SftLab.Kernel.Engine;
using SftLab.Visualization;

namespace SftLab.Kernel.Display;

/// <summary>
/// Keeps displayed <see cref="ILiveView"/>s (live figures, training dashboards) up to date: the first
/// display subscribes to the view's <see cref="ILiveView.Changed"/> event, and each event re-renders every
/// output that shows the view (Jupyter's update_display_data, matched by display id), from whatever
/// thread raised it, also after the cell that displayed it has finished.
/// </summary>
internal static class LiveViews
{
    private static readonly ConditionalWeakTable<ILiveView, Binding> Bindings = new();

    public static void Bind(ILiveView view, string displayId, string[] mimeTypes, CellContext cell)
    {
        var binding = Bindings.GetValue(view, v =>
        {
            var b = new Binding(v);
            v.Changed += b.OnChanged;
            return b;
        });
        binding.Add(displayId, mimeTypes, cell);
    }

    private sealed class Binding(ILiveView view)
    {
        private readonly List<(string Id, string[] MimeTypes, CellContext Cell)> _targets = [];
        private readonly Lock _lock = new();

        public void Add(string id, string[] mimeTypes, CellContext cell)
        {
            lock (_lock) _targets.Add((id, mimeTypes, cell));
        }

        public void OnChanged(object? sender, EventArgs e)
        {
            (string Id, string[] MimeTypes, CellContext Cell)[] targets;
            lock (_lock) targets = [.. _targets];
            foreach (var (id, mimeTypes, cell) in targets)
            {
                try
                {
                    cell.Display(ValueFormatter.Format(view, mimeTypes), id, update: true);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // A closed client must not crash the code that updated the view.
                }
            }
        }
    }
}
