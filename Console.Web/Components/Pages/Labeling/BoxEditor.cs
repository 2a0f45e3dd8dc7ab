using System.Collections.Immutable;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Web.Components.Pages.Labeling;

/// <summary>One box being edited: <see cref="Id"/> is the stored box it came from (null: drawn here, not saved yet).</summary>
public sealed record EditorBox(long? Id, long LabelId, BoxRect Rect);

/// <summary>
/// The labeling page's state for one image: its boxes in normalized coordinates, the selection, "no objects", undo and
/// redo, and what is saved. Plain C# so the geometry and history are unit-tested; the canvas script only draws and
/// reports gestures. Every change bumps <see cref="Revision"/>; the page saves until <see cref="SavedRevision"/> catches up.
/// </summary>
public sealed class BoxEditor
{
    /// <summary>Smallest side a box keeps (a fraction of the image), so a resize never makes an empty box.</summary>
    public const double MinSize = 1e-4;

    private readonly Stack<Snapshot> _undo = new();
    private readonly Stack<Snapshot> _redo = new();
    private Snapshot _now = new([], false);

    private sealed record Snapshot(ImmutableList<EditorBox> Boxes, bool NoObjects);

    /// <summary>The image being edited (0 before <see cref="Load"/>).</summary>
    public long ImageId { get; private set; }

    /// <summary>Full-resolution width in pixels (nudges move by its pixels).</summary>
    public int Width { get; private set; } = 1;

    /// <summary>Full-resolution height in pixels.</summary>
    public int Height { get; private set; } = 1;

    /// <summary>The boxes' version the next save is based on.</summary>
    public long BaseVersion { get; private set; }

    public IReadOnlyList<EditorBox> Boxes => _now.Boxes;

    public bool NoObjects => _now.NoObjects;

    /// <summary>The selected box's index, or null.</summary>
    public int? Selected { get; private set; }

    public bool CanUndo => _undo.Count > 0;

    public bool CanRedo => _redo.Count > 0;

    /// <summary>Moves on with every change.</summary>
    public long Revision { get; private set; }

    /// <summary>The revision the last successful save held.</summary>
    public long SavedRevision { get; private set; }

    /// <summary>True while a change is not saved yet.</summary>
    public bool Dirty => Revision != SavedRevision;

    /// <summary>Starts over on <paramref name="image"/> as stored: its boxes, no history, nothing to save.</summary>
    public void Load(ImageBoxes image)
    {
        ArgumentNullException.ThrowIfNull(image);
        ImageId = image.ImageId;
        Width = Math.Max(1, image.Width);
        Height = Math.Max(1, image.Height);
        BaseVersion = image.Version;
        _now = new Snapshot([.. image.Boxes.Select(b => new EditorBox(b.Id, b.LabelId, new BoxRect(b.Left, b.Top, b.Width, b.Height)))], image.State == BoxLabelState.NoObjects);
        _undo.Clear();
        _redo.Clear();
        Selected = null;
        Revision++;
        SavedRevision = Revision;
    }

    /// <summary>Selects a box (null: none); not an edit.</summary>
    public void Select(int? index) => Selected = index is { } i && i >= 0 && i < Boxes.Count ? i : null;

    /// <summary>Draws a box (clamped into the image) and selects it; drawing clears "no objects". False when it is empty.</summary>
    public bool Add(long labelId, BoxRect rect)
    {
        if (Clamp(rect) is not { } clamped)
        {
            return false;
        }
        Change(new Snapshot(_now.Boxes.Add(new EditorBox(null, labelId, clamped)), false));
        Selected = Boxes.Count - 1;
        return true;
    }

    /// <summary>Moves or resizes box <paramref name="index"/> to <paramref name="rect"/> (clamped into the image).</summary>
    public bool SetRect(int index, BoxRect rect)
    {
        if (!Valid(index) || Clamp(rect) is not { } clamped || clamped == Boxes[index].Rect)
        {
            return false;
        }
        Change(_now with { Boxes = _now.Boxes.SetItem(index, Boxes[index] with { Rect = clamped }) });
        Selected = index;
        return true;
    }

    /// <summary>Moves the selected box by whole pixels of the full-resolution image, stopping at the edges.</summary>
    public bool Nudge(int dx, int dy)
    {
        if (Selected is not { } index)
        {
            return false;
        }
        var r = Boxes[index].Rect;
        var left = Math.Clamp(r.Left + (double)dx / Width, 0, 1 - r.Width);
        var top = Math.Clamp(r.Top + (double)dy / Height, 0, 1 - r.Height);
        return SetRect(index, r with { Left = left, Top = top });
    }

    /// <summary>Gives box <paramref name="index"/> another label.</summary>
    public bool Relabel(int index, long labelId)
    {
        if (!Valid(index) || Boxes[index].LabelId == labelId)
        {
            return false;
        }
        Change(_now with { Boxes = _now.Boxes.SetItem(index, Boxes[index] with { LabelId = labelId }) });
        return true;
    }

    /// <summary>Deletes box <paramref name="index"/>; the selection goes.</summary>
    public bool Delete(int index)
    {
        if (!Valid(index))
        {
            return false;
        }
        Change(_now with { Boxes = _now.Boxes.RemoveAt(index) });
        Selected = null;
        return true;
    }

    /// <summary>Adds copies of <paramref name="boxes"/> (another image's) as new boxes, leaving out any this image already has; one undo step.</summary>
    public int CopyFrom(IEnumerable<BoxView> boxes)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        var copies = boxes.Select(b => new EditorBox(null, b.LabelId, new BoxRect(b.Left, b.Top, b.Width, b.Height)))
            .Where(c => !Boxes.Any(b => b.LabelId == c.LabelId && Same(b.Rect, c.Rect))).ToList();
        if (copies.Count == 0)
        {
            return 0;
        }
        Change(new Snapshot(_now.Boxes.AddRange(copies), false));
        Selected = null;
        return copies.Count;
    }

    /// <summary>Marks the image as showing no objects (only while it has no boxes), or takes that back.</summary>
    public bool SetNoObjects(bool noObjects)
    {
        if (noObjects == NoObjects || (noObjects && Boxes.Count > 0))
        {
            return false;
        }
        Change(_now with { NoObjects = noObjects });
        return true;
    }

    public bool Undo() => Step(_undo, _redo);

    public bool Redo() => Step(_redo, _undo);

    /// <summary>What a whole-image save sends now.</summary>
    public IReadOnlyList<BoxEdit> ToEdits() => [.. Boxes.Select(b => new BoxEdit(b.Id, b.LabelId, b.Rect))];

    /// <summary>
    /// A save of <paramref name="revision"/> came back as <paramref name="stored"/>: the next save is based on its version; boxes
    /// drawn here take the ids the store gave them; ids the store no longer has (deleted by that save) are dropped from the
    /// history, so an undo that brings such a box back draws it anew.
    /// </summary>
    public void Saved(long revision, ImageBoxes stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        BaseVersion = stored.Version;
        SavedRevision = Math.Max(SavedRevision, revision);
        var live = stored.Boxes.Select(b => b.Id).ToHashSet();
        var claimed = Boxes.Where(b => b.Id is { } id && live.Contains(id)).Select(b => b.Id!.Value).ToHashSet();
        var boxes = _now.Boxes.Select(b =>
        {
            if (b.Id is { } id)
            {
                return live.Contains(id) ? b : b with { Id = null };
            }
            var match = stored.Boxes.FirstOrDefault(s => !claimed.Contains(s.Id) && s.LabelId == b.LabelId && Same(new BoxRect(s.Left, s.Top, s.Width, s.Height), b.Rect));
            if (match is null)
            {
                return b;
            }
            claimed.Add(match.Id);
            return b with { Id = match.Id };
        }).ToImmutableList();
        _now = _now with { Boxes = boxes };
        Rewrite(_undo, live);
        Rewrite(_redo, live);
    }

    private static void Rewrite(Stack<Snapshot> stack, HashSet<long> live)
    {
        var items = stack.Reverse().Select(s => s with { Boxes = s.Boxes.Select(b => b.Id is { } id && !live.Contains(id) ? b with { Id = null } : b).ToImmutableList() }).ToList();
        stack.Clear();
        foreach (var item in items)
        {
            stack.Push(item);
        }
    }

    private bool Step(Stack<Snapshot> from, Stack<Snapshot> to)
    {
        if (from.Count == 0)
        {
            return false;
        }
        to.Push(_now);
        _now = from.Pop();
        Selected = Selected is { } s && s < Boxes.Count ? s : null;
        Revision++;
        return true;
    }

    private void Change(Snapshot next)
    {
        _undo.Push(_now);
        _redo.Clear();
        _now = next;
        Revision++;
    }

    private bool Valid(int index) => index >= 0 && index < Boxes.Count;

    /// <summary>The part of <paramref name="rect"/> inside the image, or null when too little is left.</summary>
    private static BoxRect? Clamp(BoxRect rect)
    {
        if (!double.IsFinite(rect.Left) || !double.IsFinite(rect.Top) || !double.IsFinite(rect.Width) || !double.IsFinite(rect.Height))
        {
            return null;
        }
        var left = Math.Clamp(Math.Min(rect.Left, rect.Left + rect.Width), 0, 1);
        var top = Math.Clamp(Math.Min(rect.Top, rect.Top + rect.Height), 0, 1);
        var right = Math.Clamp(Math.Max(rect.Left, rect.Left + rect.Width), 0, 1);
        var bottom = Math.Clamp(Math.Max(rect.Top, rect.Top + rect.Height), 0, 1);
        return right - left < MinSize || bottom - top < MinSize ? null : new BoxRect(left, top, right - left, bottom - top);
    }

    private static bool Same(BoxRect a, BoxRect b) =>
        Math.Abs(a.Left - b.Left) < 1e-9 && Math.Abs(a.Top - b.Top) < 1e-9 && Math.Abs(a.Width - b.Width) < 1e-9 && Math.Abs(a.Height - b.Height) < 1e-9;
}
