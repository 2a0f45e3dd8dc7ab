namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>
/// The images picked in the grid, by id, across pages: a click toggles one, ctrl/cmd-click adds one,
/// shift-click adds the range from the last clicked image, "select all filtered" takes every matching id.
/// </summary>
public sealed class ImageSelection
{
    private readonly HashSet<long> _ids = [];
    private long? _anchor;

    public int Count => _ids.Count;

    public IReadOnlySet<long> Ids => _ids;

    public bool Contains(long id) => _ids.Contains(id);

    /// <summary>Applies a click on <paramref name="id"/>; <paramref name="visibleIds"/> is the page in grid order (for shift ranges).</summary>
    public void Click(long id, IReadOnlyList<long> visibleIds, bool add, bool range)
    {
        ArgumentNullException.ThrowIfNull(visibleIds);
        if (range && _anchor is { } anchor && IndexOf(visibleIds, anchor) is var from && from >= 0 && IndexOf(visibleIds, id) is var to && to >= 0)
        {
            for (var i = Math.Min(from, to); i <= Math.Max(from, to); i++)
            {
                _ids.Add(visibleIds[i]);
            }
            return;
        }
        if (add)
        {
            _ids.Add(id);
        }
        else if (!_ids.Remove(id))
        {
            _ids.Add(id);
        }
        _anchor = id;
    }

    /// <summary>Replaces the selection with these ids (every image matching the filters).</summary>
    public void SelectAll(IEnumerable<long> ids)
    {
        _ids.Clear();
        _ids.UnionWith(ids);
        _anchor = null;
    }

    public void Clear()
    {
        _ids.Clear();
        _anchor = null;
    }

    private static int IndexOf(IReadOnlyList<long> ids, long id)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] == id)
            {
                return i;
            }
        }
        return -1;
    }
}

/// <summary>A click on a grid tile, with its modifier keys.</summary>
public sealed record ImageTileClick(VisionConsole.Domain.Datasets.ImageSummary Image, Microsoft.AspNetCore.Components.Web.MouseEventArgs Mouse);
