namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>
/// The images picked in the grid, by id. It only ever holds what the user can see: a filter change clears it and
/// every newly shown page prunes it to the tiles on screen. The one exception is "select all filtered"
/// (<see cref="SpansPages"/>), which the label bar reports as "N selected, M not shown" and confirms before acting.
/// A click toggles one, ctrl/cmd-click adds one, shift-click adds the range from the last clicked image.
/// </summary>
public sealed class ImageSelection
{
    private readonly HashSet<long> _ids = [];
    private long? _anchor;

    public int Count => _ids.Count;

    public IReadOnlySet<long> Ids => _ids;

    /// <summary>True after "select all filtered": the selection may hold images of other pages.</summary>
    public bool SpansPages { get; private set; }

    public bool Contains(long id) => _ids.Contains(id);

    /// <summary>Applies a click on <paramref name="id"/>; <paramref name="visibleIds"/> is the page in grid order (for shift ranges).</summary>
    public void Click(long id, IReadOnlyList<long> visibleIds, bool add, bool range)
    {
        ArgumentNullException.ThrowIfNull(visibleIds);
        if (SpansPages)
        {
            // Picking tiles by hand ends "all filtered": from here on only what is shown stays selected.
            RetainVisible(visibleIds);
            SpansPages = false;
        }
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

    /// <summary>Selects exactly one image (the keyboard cursor).</summary>
    public void SelectOnly(long id)
    {
        _ids.Clear();
        _ids.Add(id);
        _anchor = id;
        SpansPages = false;
    }

    /// <summary>Replaces the selection with these ids (every image matching the filters, across pages).</summary>
    public void SelectAll(IEnumerable<long> ids)
    {
        _ids.Clear();
        _ids.UnionWith(ids);
        _anchor = null;
        SpansPages = true;
    }

    public void Clear()
    {
        _ids.Clear();
        _anchor = null;
        SpansPages = false;
    }

    /// <summary>
    /// A page was shown (after paging, a reload, or images leaving the filter): keeps only the ids on it,
    /// unless the selection is "all filtered". Returns whether anything was dropped.
    /// </summary>
    public bool OnPageShown(IReadOnlyCollection<long> visibleIds)
    {
        ArgumentNullException.ThrowIfNull(visibleIds);
        return !SpansPages && RetainVisible(visibleIds);
    }

    /// <summary>How many selected images are not among <paramref name="visibleIds"/>.</summary>
    public int HiddenCount(IReadOnlyCollection<long> visibleIds)
    {
        ArgumentNullException.ThrowIfNull(visibleIds);
        var shown = visibleIds as IReadOnlySet<long> ?? visibleIds.ToHashSet();
        return _ids.Count(id => !shown.Contains(id));
    }

    private bool RetainVisible(IEnumerable<long> visibleIds)
    {
        var before = _ids.Count;
        _ids.IntersectWith(visibleIds);
        if (_anchor is { } anchor && !_ids.Contains(anchor))
        {
            _anchor = null;
        }
        return _ids.Count != before;
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
