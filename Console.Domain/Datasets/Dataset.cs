namespace VisionConsole.Domain.Datasets;

/// <summary>A named collection of images and the labels they may carry.</summary>
public sealed class Dataset
{
    /// <summary>Longest display name accepted.</summary>
    public const int MaxDisplayNameLength = 128;

    private readonly List<Label> _labels = [];

    private Dataset()
    {
        DisplayName = string.Empty;
        CreatedBy = string.Empty;
    }

    /// <summary>Creates a dataset in a project; the display name is trimmed and must not be empty.</summary>
    public Dataset(long projectId, string displayName, DatasetKind kind, string createdBy, DateTimeOffset createdAt)
    {
        ProjectId = projectId;
        DisplayName = CheckDisplayName(displayName);
        if (!Enum.IsDefined(kind))
        {
            throw new DomainException("invalid-kind", $"Dataset kind '{kind}' is not one of {string.Join(", ", Enum.GetNames<DatasetKind>())}.");
        }
        Kind = kind;
        CreatedBy = createdBy;
        CreatedAt = createdAt;
    }

    public long Id { get; private set; }

    public long ProjectId { get; private set; }

    public string DisplayName { get; private set; }

    /// <summary>Free text for people; added by the second schema step.</summary>
    public string? Description { get; set; }

    public DatasetKind Kind { get; private set; }

    public string CreatedBy { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>The dataset's labels; load them before calling <see cref="AddLabel"/>.</summary>
    public IReadOnlyCollection<Label> Labels => _labels;

    /// <summary>Renames the dataset.</summary>
    public void Rename(string displayName) => DisplayName = CheckDisplayName(displayName);

    /// <summary>
    /// Adds a label after checking the name rules and that no label of this dataset has the same name
    /// ignoring case. <see cref="Labels"/> must be loaded.
    /// </summary>
    public Label AddLabel(string name, DateTimeOffset createdAt)
    {
        var check = LabelName.Check(name, _labels.Select(l => l.Name));
        if (!check.IsValid)
        {
            throw new DomainException(check.Code!, check.Error!);
        }
        var label = new Label(this, name, createdAt);
        _labels.Add(label);
        return label;
    }

    /// <summary>
    /// Renames one of the dataset's labels after the same checks as <see cref="AddLabel"/> (another label may not have the
    /// name; changing only its case is allowed). <see cref="Labels"/> must be loaded.
    /// </summary>
    public void RenameLabel(Label label, string name)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (!_labels.Contains(label))
        {
            throw new DomainException("invalid-label", $"Label '{label.Name}' belongs to another dataset.");
        }
        var check = LabelName.Check(name, _labels.Where(l => l != label).Select(l => l.Name));
        if (!check.IsValid)
        {
            throw new DomainException(check.Code!, check.Error!);
        }
        label.Rename(name);
    }

    private static string CheckDisplayName(string displayName)
    {
        var trimmed = displayName?.Trim() ?? string.Empty;
        if (trimmed.Length == 0 || trimmed.Length > MaxDisplayNameLength)
        {
            throw new DomainException("invalid-name", $"Dataset name must be 1-{MaxDisplayNameLength} characters (got {trimmed.Length}).");
        }
        return trimmed;
    }
}
