using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Labeling;

namespace VisionConsole.Tests.Web.Components;

/// <summary>The labeling page's box geometry and history, without a browser.</summary>
public sealed class BoxEditorTests
{
    private static ImageBoxes Stored(long version, params BoxView[] boxes) =>
        new(7, 1, "raccoon-1.jpg", new string('a', 64), 400, 200, version, boxes.Length > 0 ? BoxLabelState.Boxes : BoxLabelState.NotLabeled, boxes, null, null);

    private static BoxEditor Loaded(params BoxView[] boxes)
    {
        var editor = new BoxEditor();
        editor.Load(Stored(3, boxes));
        return editor;
    }

    [Fact]
    public void Add_DraggedBackwardsAndPastTheEdge_NormalizedClampedAndSelected()
    {
        var editor = Loaded();

        var added = editor.Add(5, new BoxRect(0.9, 0.5, -0.2, 0.7));

        Assert.True(added);
        var box = Assert.Single(editor.Boxes);
        Assert.Equal((null, 5L), (box.Id, box.LabelId));
        Assert.Equal(0.7, box.Rect.Left, 9);
        Assert.Equal(0.2, box.Rect.Width, 9);
        Assert.Equal((0.5, 0.5), (box.Rect.Top, box.Rect.Height));
        Assert.Equal(0, editor.Selected);
        Assert.True(editor.Dirty);
    }

    [Fact]
    public void Add_OutsideTheImage_Refused()
    {
        var editor = Loaded();

        Assert.False(editor.Add(5, new BoxRect(1.2, 0.1, 0.1, 0.1)));
        Assert.Empty(editor.Boxes);
        Assert.False(editor.Dirty);
    }

    [Fact]
    public void Nudge_OneAndTenPixelsOfTheFullImage_StopsAtTheEdge()
    {
        var editor = Loaded(new BoxView(1, 5, "raccoon", 0.5, 0.5, 0.25, 0.25, 1));
        editor.Select(0);

        editor.Nudge(1, 0);
        editor.Nudge(0, 10);
        var afterNudges = editor.Boxes[0].Rect;
        editor.Nudge(1000, 1000);

        Assert.Equal(0.5 + 1.0 / 400, afterNudges.Left, 12);
        Assert.Equal(0.5 + 10.0 / 200, afterNudges.Top, 12);
        Assert.Equal(new BoxRect(0.75, 0.75, 0.25, 0.25), editor.Boxes[0].Rect);
    }

    [Fact]
    public void Nudge_NothingSelected_NoChange()
    {
        var editor = Loaded(new BoxView(1, 5, "raccoon", 0.5, 0.5, 0.25, 0.25, 1));

        Assert.False(editor.Nudge(1, 0));
        Assert.False(editor.CanUndo);
    }

    [Fact]
    public void UndoRedo_ThroughMoveRelabelDelete_StatesComeBackAndANewEditDropsRedo()
    {
        var editor = Loaded(new BoxView(1, 5, "raccoon", 0.1, 0.1, 0.2, 0.2, 1));
        editor.SetRect(0, new BoxRect(0.3, 0.3, 0.2, 0.2));
        editor.Relabel(0, 6);
        editor.Delete(0);

        Assert.True(editor.Undo());
        Assert.Equal((6L, 0.3), (editor.Boxes[0].LabelId, editor.Boxes[0].Rect.Left));
        Assert.True(editor.Undo());
        Assert.Equal(5L, editor.Boxes[0].LabelId);
        Assert.True(editor.Redo());
        Assert.Equal(6L, editor.Boxes[0].LabelId);
        editor.Select(0);
        Assert.True(editor.Nudge(1, 0));
        Assert.False(editor.CanRedo);
        Assert.True(editor.Undo());
        Assert.True(editor.Undo());
        Assert.True(editor.Undo());
        Assert.False(editor.Undo());
        Assert.Equal(new BoxRect(0.1, 0.1, 0.2, 0.2), editor.Boxes[0].Rect);
        Assert.Equal(1L, editor.Boxes[0].Id);
    }

    [Fact]
    public void CopyFrom_PreviousImagesBoxes_AddedAsNewBoxesSkippingOnesAlreadyThere()
    {
        var editor = Loaded(new BoxView(1, 5, "raccoon", 0.1, 0.1, 0.2, 0.2, 1));

        var copied = editor.CopyFrom([new BoxView(8, 5, "raccoon", 0.1, 0.1, 0.2, 0.2, 1), new BoxView(9, 6, "dog", 0.5, 0.5, 0.3, 0.3, 2)]);

        Assert.Equal(1, copied);
        Assert.Equal([(1L, 5L), (null, 6L)], editor.Boxes.Select(b => (b.Id, b.LabelId)));
        Assert.True(editor.Undo());
        Assert.Single(editor.Boxes);
    }

    [Fact]
    public void SetNoObjects_WithBoxesRefused_DrawingClearsIt()
    {
        var withBox = Loaded(new BoxView(1, 5, "raccoon", 0.1, 0.1, 0.2, 0.2, 1));
        var empty = Loaded();

        Assert.False(withBox.SetNoObjects(true));
        Assert.True(empty.SetNoObjects(true));
        Assert.True(empty.NoObjects);
        empty.Add(5, new BoxRect(0.1, 0.1, 0.1, 0.1));
        Assert.False(empty.NoObjects);
        empty.Undo();
        Assert.True(empty.NoObjects);
    }

    [Fact]
    public void Saved_NewBoxesTakeStoredIds_DeletedIdsLeaveTheHistory()
    {
        var editor = Loaded(new BoxView(1, 5, "raccoon", 0.1, 0.1, 0.2, 0.2, 1));
        editor.Delete(0);
        editor.Add(6, new BoxRect(0.5, 0.5, 0.2, 0.2));
        var revision = editor.Revision;

        editor.Saved(revision, Stored(4, new BoxView(12, 6, "dog", 0.5, 0.5, 0.2, 0.2, 1)));

        Assert.False(editor.Dirty);
        Assert.Equal(4, editor.BaseVersion);
        Assert.Equal(12L, Assert.Single(editor.Boxes).Id);
        editor.Undo();
        editor.Undo();
        // Box 1 was deleted by that save: bringing it back draws it anew rather than naming a box the store no longer has.
        Assert.Null(Assert.Single(editor.Boxes).Id);
        Assert.Equal([(null, 5L, 0.1)], editor.ToEdits().Select(e => (e.Id, e.LabelId, e.Rect.Left)));
    }

    [Fact]
    public void Saved_OfAnOlderRevision_StillDirty()
    {
        var editor = Loaded();
        editor.Add(5, new BoxRect(0.1, 0.1, 0.2, 0.2));
        var revision = editor.Revision;
        editor.Nudge(1, 0);

        editor.Saved(revision, Stored(4, new BoxView(12, 5, "raccoon", 0.1, 0.1, 0.2, 0.2, 1)));

        Assert.True(editor.Dirty);
        Assert.Equal(4, editor.BaseVersion);
        // Moved since the save: matched by nothing, so the next save draws it anew and the stored one goes.
        Assert.Null(editor.Boxes[0].Id);
    }
}
