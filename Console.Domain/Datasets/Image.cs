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
        foreach (var box in _boxes.Where(b => b.LabelId == from))
        {
            box.Relabel(to);
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
        var box = new Box(this, label.Id, rect, createdBy, createdAt);
        _boxes.Add(box);
        Version++;
        return box;
    }
}

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
