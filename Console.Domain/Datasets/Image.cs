using VisionConsole.Domain.Imaging;

namespace VisionConsole.Domain.Datasets;

/// <summary>
/// An image of a dataset. The bytes live in the blob store under <see cref="Sha256"/>; one blob may
/// back images in several datasets. <see cref="Version"/> guards concurrent edits.
/// </summary>
public sealed class Image
{
    private readonly List<ImageLabel> _labels = [];
    private readonly List<Box> _boxes = [];

    private Image()
    {
        Sha256 = string.Empty;
        FileName = string.Empty;
        AddedBy = string.Empty;
    }

    /// <summary>Registers a stored image in a dataset; its split starts UNASSIGNED.</summary>
    public Image(long datasetId, StoredImage stored, string fileName, string addedBy, DateTimeOffset addedAt)
    {
        ArgumentNullException.ThrowIfNull(stored);
        DatasetId = datasetId;
        Sha256 = stored.Sha256;
        FileName = string.IsNullOrWhiteSpace(fileName) ? stored.Sha256 : Path.GetFileName(fileName);
        Format = stored.Format;
        Width = stored.Width;
        Height = stored.Height;
        ByteSize = stored.ByteSize;
        PerceptualHash = stored.PerceptualHash;
        Split = DataSplit.Unassigned;
        AddedBy = addedBy;
        AddedAt = addedAt;
        Version = 1;
    }

    public long Id { get; private set; }

    public long DatasetId { get; private set; }

    /// <summary>Lower-case hex sha256 of the original bytes; unique within a dataset.</summary>
    public string Sha256 { get; private set; }

    /// <summary>The uploaded file's name (without any folder).</summary>
    public string FileName { get; private set; }

    public ImageFormat Format { get; private set; }

    public int Width { get; private set; }

    public int Height { get; private set; }

    public long ByteSize { get; private set; }

    /// <summary>The thumbnail's difference hash (<see cref="Imaging.PerceptualHash"/>); null for images stored before it was kept, until the health page fills it in.</summary>
    public long? PerceptualHash { get; private set; }

    /// <summary>The split a user chose, or <see cref="DataSplit.Unassigned"/>.</summary>
    public DataSplit Split { get; private set; }

    public string AddedBy { get; private set; }

    public DateTimeOffset AddedAt { get; private set; }

    /// <summary>Optimistic concurrency token: every change increments it; a write based on an older value is refused.</summary>
    public long Version { get; private set; }

    /// <summary>
    /// A person said the image shows none of the dataset's objects (detection): a labeled negative, distinct from
    /// "not yet labeled" (no boxes and this false). Only an image without boxes can be marked; drawing a box clears it.
    /// </summary>
    public bool NoObjects { get; private set; }

    /// <summary>
    /// The boxes' concurrency token: moves on with every change to the image's boxes or <see cref="NoObjects"/> (and only then,
    /// so a split change does not make a box save stale). A whole-image box save names the value it was based on.
    /// </summary>
    public long BoxesVersion { get; private set; }

    /// <summary>Who last changed the boxes or <see cref="NoObjects"/> (null before anyone did): a refused stale save names them.</summary>
    public string? BoxesChangedBy { get; private set; }

    /// <summary>When the boxes or <see cref="NoObjects"/> last changed.</summary>
    public DateTimeOffset? BoxesChangedAt { get; private set; }

    /// <summary>Where the image stands for box labeling.</summary>
    public BoxLabelState BoxState => _boxes.Count > 0 ? BoxLabelState.Boxes : NoObjects ? BoxLabelState.NoObjects : BoxLabelState.NotLabeled;

    /// <summary>When the image was deleted; a deleted image is hidden everywhere (a query filter) until it is restored or purged.</summary>
    public DateTimeOffset? DeletedAt { get; private set; }

    /// <summary>The delete action that removed it (one per request): <see cref="Restore"/> brings back one action's images together.</summary>
    public string? DeletionBatch { get; private set; }

    /// <summary>True while the image is deleted and can still be restored.</summary>
    public bool IsDeleted => DeletedAt is not null;

    public IReadOnlyCollection<ImageLabel> Labels => _labels;

    public IReadOnlyCollection<Box> Boxes => _boxes;

    /// <summary>The split training uses: the user's choice, else 80/10/10 by hash.</summary>
    public DataSplit EffectiveSplit => SplitAssignment.Resolve(Split, Sha256);

    /// <summary>Deletes the image as part of the delete action <paramref name="batch"/>; its labels and boxes stay with it for an undo.</summary>
    public void MarkDeleted(string batch, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrEmpty(batch);
        if (IsDeleted)
        {
            throw new DomainException("invalid-transition", $"Image {Id} ('{FileName}') is already deleted.");
        }
        DeletedAt = at;
        DeletionBatch = batch;
        Version++;
    }

    /// <summary>Undoes <see cref="MarkDeleted"/>: the image is back with its labels, boxes and split.</summary>
    public void Restore()
    {
        if (!IsDeleted)
        {
            throw new DomainException("invalid-transition", $"Image {Id} ('{FileName}') is not deleted; there is nothing to restore.");
        }
        DeletedAt = null;
        DeletionBatch = null;
        Version++;
    }

    /// <summary>Sets the split by hand (or back to UNASSIGNED to let the hash decide).</summary>
    public void OverrideSplit(DataSplit split)
    {
        if (!Enum.IsDefined(split))
        {
            throw new DomainException("invalid-split", $"Split '{split}' is not one of {string.Join(", ", Enum.GetNames<DataSplit>())}.");
        }
        if (split != Split)
        {
            Split = split;
            Version++;
        }
    }

    /// <summary>Gives the image a whole-image label; returns false when it already had it. <see cref="Labels"/> must be loaded.</summary>
    public bool AddLabel(Label label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (label.DatasetId != DatasetId)
        {
            throw new DomainException("invalid-label", $"Label '{label.Name}' belongs to another dataset.");
        }
        if (_labels.Any(l => l.LabelId == label.Id))
        {
            return false;
        }
        _labels.Add(new ImageLabel(this, label));
        Version++;
        return true;
    }

    /// <summary>Takes a whole-image label off; returns false when the image did not have it. <see cref="Labels"/> must be loaded.</summary>
    public bool RemoveLabel(long labelId)
    {
        var existing = _labels.FirstOrDefault(l => l.LabelId == labelId);
        if (existing is null)
        {
            return false;
        }
        _labels.Remove(existing);
        Version++;
        return true;
    }

    /// <summary>
    /// Takes the <paramref name="remove"/> labels off, then gives the <paramref name="add"/> labels, as one edit:
    /// the version moves on once, and only when the label set changed. Returns whether it changed. <see cref="Labels"/> must be loaded.
    /// </summary>
    public bool ChangeLabels(IEnumerable<Label> add, IEnumerable<long> remove)
    {
        ArgumentNullException.ThrowIfNull(add);
        ArgumentNullException.ThrowIfNull(remove);
        var version = Version;
        var changed = false;
        foreach (var labelId in remove)
        {
            changed |= RemoveLabel(labelId);
        }
        foreach (var label in add)
        {
            changed |= AddLabel(label);
        }
        Version = changed ? version + 1 : version;
        return changed;
    }

    /// <summary>
    /// Moves every use of label <paramref name="from"/> (the whole-image label and boxes) to <paramref name="to"/>, as when two labels
    /// are merged; an image that had both keeps one. Returns whether the image changed. <see cref="Labels"/> and <see cref="Boxes"/> must be loaded.
    /// </summary>
    public bool ReplaceLabel(long from, Label to)
    {
        ArgumentNullException.ThrowIfNull(to);
        var version = Version;
        var changed = false;
        if (_labels.Any(l => l.LabelId == from))
        {
            RemoveLabel(from);
            AddLabel(to);
            changed = true;
        }
        var relabeled = false;
        foreach (var box in _boxes.Where(b => b.LabelId == from))
        {
            box.Relabel(to);
            relabeled = true;
        }
        if (relabeled)
        {
            // A box save based on the boxes before the merge is stale now.
            BoxesVersion++;
            changed = true;
        }
        Version = changed ? version + 1 : version;
        return changed;
    }

    /// <summary>Draws a box on the image. <see cref="Boxes"/> must be loaded.</summary>
    public Box AddBox(Label label, BoxRect rect, string createdBy, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (label.DatasetId != DatasetId)
        {
            throw new DomainException("invalid-label", $"Label '{label.Name}' belongs to another dataset.");
        }
        var box = new Box(this, label, rect, createdBy, createdAt);
        _boxes.Add(box);
        NoObjects = false;
        TouchBoxes(createdBy, createdAt);
        Version++;
        return box;
    }

    /// <summary>
    /// Refuses a box edit based on <paramref name="expectedBoxesVersion"/> when the boxes moved on since, naming who changed
    /// them and when (<see cref="ImageChangedException"/>).
    /// </summary>
    public void EnsureBoxesVersion(long expectedBoxesVersion)
    {
        if (expectedBoxesVersion != BoxesVersion)
        {
            throw StaleBoxes($"version {expectedBoxesVersion}");
        }
    }

    /// <summary>
    /// Moves, resizes or relabels one box (either may be null: left as it is), refused when the box's version is not
    /// <paramref name="expectedBoxVersion"/>. Returns whether anything changed. <see cref="Boxes"/> must be loaded.
    /// </summary>
    public bool UpdateBox(long boxId, long expectedBoxVersion, Label? label, BoxRect? rect, string user, DateTimeOffset at)
    {
        var box = EnsureBoxVersion(boxId, expectedBoxVersion);
        CheckLabel(label);
        if (!box.Change(label, rect))
        {
            return false;
        }
        TouchBoxes(user, at);
        Version++;
        return true;
    }

    /// <summary>Deletes one box, refused when its version is not <paramref name="expectedBoxVersion"/>. <see cref="Boxes"/> must be loaded.</summary>
    public void RemoveBox(long boxId, long expectedBoxVersion, string user, DateTimeOffset at)
    {
        var box = EnsureBoxVersion(boxId, expectedBoxVersion);
        _boxes.Remove(box);
        TouchBoxes(user, at);
        Version++;
    }

    /// <summary>
    /// Marks the image as showing no objects, or takes that back (it is "not yet labeled" again). Marking an image that has
    /// boxes is refused: it would have to delete them, and nothing is deleted silently. Returns whether it changed.
    /// </summary>
    public bool SetNoObjects(bool noObjects, string user, DateTimeOffset at)
    {
        if (noObjects && _boxes.Count > 0)
        {
            throw new DomainException("invalid-transition", $"Image {Id} ('{FileName}') has {_boxes.Count} box(es): delete them first; marking it as showing no objects removes nothing.");
        }
        if (noObjects == NoObjects)
        {
            return false;
        }
        NoObjects = noObjects;
        TouchBoxes(user, at);
        Version++;
        return true;
    }

    /// <summary>
    /// Makes the image's boxes exactly <paramref name="boxes"/> as one edit: a box with an id keeps it (moved, resized or
    /// relabeled as given), one without is drawn, and a box of the image the list leaves out is deleted. With an empty list,
    /// <paramref name="noObjects"/> says whether the image shows no objects or is not labeled yet; with boxes it must be false.
    /// The versions move on once, and only when something changed. <paramref name="labels"/> are the dataset's labels by id.
    /// <see cref="Boxes"/> must be loaded.
    /// </summary>
    public bool ReplaceBoxes(IReadOnlyList<BoxEdit> boxes, bool noObjects, IReadOnlyDictionary<long, Label> labels, string user, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(labels);
        if (noObjects && boxes.Count > 0)
        {
            throw new DomainException("invalid-argument", $"A save of image {Id} with {boxes.Count} box(es) cannot also say it shows no objects.");
        }
        var ids = new HashSet<long>();
        foreach (var edit in boxes)
        {
            edit.Rect.Validate();
            if (!labels.ContainsKey(edit.LabelId))
            {
                throw new NotFoundException($"Label {edit.LabelId} of dataset {DatasetId}");
            }
            if (edit.Id is { } id && (!ids.Add(id) || _boxes.All(b => b.Id != id)))
            {
                throw new DomainException("invalid-argument", _boxes.Any(b => b.Id == id)
                    ? $"Box {id} is listed twice in the save of image {Id}."
                    : $"Box {id} is not on image {Id} (any more): leave its id out to draw it as a new box, or reload the image's boxes.");
            }
        }
        var changed = false;
        foreach (var gone in _boxes.Where(b => !ids.Contains(b.Id)).ToList())
        {
            _boxes.Remove(gone);
            changed = true;
        }
        foreach (var edit in boxes)
        {
            var label = labels[edit.LabelId];
            CheckLabel(label);
            if (edit.Id is { } id)
            {
                changed |= _boxes.First(b => b.Id == id).Change(label, edit.Rect);
            }
            else
            {
                _boxes.Add(new Box(this, label, edit.Rect, user, at));
                changed = true;
            }
        }
        if (NoObjects != noObjects)
        {
            NoObjects = noObjects;
            changed = true;
        }
        if (changed)
        {
            TouchBoxes(user, at);
            Version++;
        }
        return changed;
    }

    /// <summary>The box <paramref name="boxId"/>, refused when it is missing or its version is not <paramref name="expectedBoxVersion"/>.</summary>
    public Box EnsureBoxVersion(long boxId, long expectedBoxVersion)
    {
        var box = FindBox(boxId);
        if (box.Version != expectedBoxVersion)
        {
            throw StaleBoxes($"box {boxId} at version {expectedBoxVersion} (it is at {box.Version})");
        }
        return box;
    }

    private Box FindBox(long boxId) =>
        _boxes.FirstOrDefault(b => b.Id == boxId) ?? throw new NotFoundException($"Box {boxId} of image {Id}");

    private void CheckLabel(Label? label)
    {
        if (label is not null && label.DatasetId != DatasetId)
        {
            throw new DomainException("invalid-label", $"Label '{label.Name}' belongs to another dataset.");
        }
    }

    private void TouchBoxes(string user, DateTimeOffset at)
    {
        BoxesVersion++;
        BoxesChangedBy = user;
        BoxesChangedAt = at;
        MarkLabeled(user, at);
    }

    /// <summary>Who last changed the image's labels or boxes (null before anyone did): the labeler the review counts.</summary>
    public string? LabeledBy { get; private set; }

    /// <summary>When <see cref="LabeledBy"/> last changed them.</summary>
    public DateTimeOffset? LabeledAt { get; private set; }

    /// <summary>Where the image's labels stand with a reviewer.</summary>
    public ImageReviewState ReviewState { get; private set; }

    /// <summary>The reviewer's comment on a rejection (kept with the image until its next review).</summary>
    public string? ReviewComment { get; private set; }

    /// <summary>Who last accepted or rejected the image's labels.</summary>
    public string? ReviewedBy { get; private set; }

    /// <summary>When they did.</summary>
    public DateTimeOffset? ReviewedAt { get; private set; }

    /// <summary>Whether the image has labels (whole-image labels, boxes, or "no objects") a reviewer can judge.</summary>
    public bool HasLabels => _labels.Count > 0 || _boxes.Count > 0 || NoObjects;

    /// <summary>
    /// Records that <paramref name="user"/> changed the labels or boxes: the change waits for a review again, whatever the
    /// last review said. <see cref="Labels"/> changes call it through the service, box changes here.
    /// </summary>
    public void MarkLabeled(string user, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        LabeledBy = user;
        LabeledAt = at;
        ReviewState = ImageReviewState.Unreviewed;
    }

    /// <summary>A reviewer accepts the image's labels as they are at <paramref name="expectedVersion"/>.</summary>
    /// <exception cref="DomainException"><c>not-labeled</c> when there is nothing to review.</exception>
    /// <exception cref="ConcurrencyConflictException">The labels changed since that version.</exception>
    public void Accept(long expectedVersion, string reviewer, DateTimeOffset at) => Review(ImageReviewState.Accepted, null, expectedVersion, reviewer, at);

    /// <summary>A reviewer rejects the image's labels with <paramref name="comment"/>; the image goes back to the labeling queue.</summary>
    /// <exception cref="DomainException"><c>not-labeled</c>, or <c>invalid-comment</c> when the comment is empty or longer than <see cref="MaxReviewCommentLength"/>.</exception>
    /// <exception cref="ConcurrencyConflictException">The labels changed since that version.</exception>
    public void Reject(string comment, long expectedVersion, string reviewer, DateTimeOffset at)
    {
        if (string.IsNullOrWhiteSpace(comment) || comment.Trim().Length > MaxReviewCommentLength)
        {
            throw new DomainException("invalid-comment", $"A rejection needs a comment of 1 to {MaxReviewCommentLength} characters saying what to fix.");
        }
        Review(ImageReviewState.Rejected, comment.Trim(), expectedVersion, reviewer, at);
    }

    /// <summary>The longest review comment kept.</summary>
    public const int MaxReviewCommentLength = 1000;

    private void Review(ImageReviewState state, string? comment, long expectedVersion, string reviewer, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrEmpty(reviewer);
        if (expectedVersion != Version)
        {
            throw new ConcurrencyConflictException($"Image {Id} ('{FileName}') changed since version {expectedVersion} (now {Version}, labeled by {LabeledBy ?? "nobody"}); look at it again before reviewing.");
        }
        if (!HasLabels)
        {
            throw new DomainException("not-labeled", $"Image {Id} ('{FileName}') has no labels yet; there is nothing to review.");
        }
        ReviewState = state;
        ReviewComment = comment;
        ReviewedBy = reviewer;
        ReviewedAt = at;
        Version++;
    }

    private ImageChangedException StaleBoxes(string basedOn)
    {
        var who = BoxesChangedBy is null ? "" : $" by {BoxesChangedBy} at {BoxesChangedAt:yyyy-MM-dd HH:mm:ss}Z";
        return new ImageChangedException(
            $"Image {Id} ('{FileName}') changed since this edit was based on {basedOn}: its boxes were saved{who} (now version {BoxesVersion}). Reload its boxes and make the edit again.",
            BoxesVersion, BoxesChangedBy, BoxesChangedAt);
    }
}

/// <summary>Where an image's labels stand with a reviewer.</summary>
public enum ImageReviewState
{
    /// <summary>Not reviewed since its labels last changed (or never labeled).</summary>
    Unreviewed,

    /// <summary>A reviewer accepted the labels.</summary>
    Accepted,

    /// <summary>A reviewer rejected the labels with a comment; the image is back in the labeling queue.</summary>
    Rejected,
}

/// <summary>Where an image stands for box labeling.</summary>
public enum BoxLabelState
{
    /// <summary>No boxes, and nobody said it shows no objects.</summary>
    NotLabeled,

    /// <summary>Someone said it shows none of the objects: a labeled negative.</summary>
    NoObjects,

    /// <summary>It has at least one box.</summary>
    Boxes,
}

/// <summary>One box of a whole-image save: <paramref name="Id"/> names a box the image has (null draws a new one).</summary>
public sealed record BoxEdit(long? Id, long LabelId, BoxRect Rect);

/// <summary>A whole-image label (classification).</summary>
public sealed class ImageLabel
{
    private ImageLabel()
    {
    }

    internal ImageLabel(Image image, Label label)
    {
        Image = image;
        ImageId = image.Id;
        Label = label;
        LabelId = label.Id;
    }

    public long ImageId { get; private set; }

    public Image? Image { get; private set; }

    public long LabelId { get; private set; }

    public Label? Label { get; private set; }
}
