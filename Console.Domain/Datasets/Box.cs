namespace VisionConsole.Domain.Datasets;

/// <summary>
/// A rectangle in normalized image coordinates (0-1 on both axes, origin top-left).
/// Valid when it has a positive size and lies inside the image.
/// </summary>
public readonly record struct BoxRect(double Left, double Top, double Width, double Height)
{
    // Clients send doubles computed from pixels; a right edge of 1.0000000001 is still the edge.
    private const double Tolerance = 1e-9;

    /// <summary>Throws <see cref="DomainException"/> (<c>invalid-box</c>) naming the broken rule.</summary>
    public void Validate()
    {
        if (!double.IsFinite(Left) || !double.IsFinite(Top) || !double.IsFinite(Width) || !double.IsFinite(Height))
        {
            throw new DomainException("invalid-box", $"Box {this} has a coordinate that is not a finite number.");
        }
        if (Width <= 0 || Height <= 0)
        {
            throw new DomainException("invalid-box", $"Box {this} must have a positive width and height.");
        }
        if (Left < -Tolerance || Top < -Tolerance || Left + Width > 1 + Tolerance || Top + Height > 1 + Tolerance)
        {
            throw new DomainException("invalid-box", $"Box {this} reaches outside the image (coordinates are normalized 0-1).");
        }
    }
}

/// <summary>An object drawn on an image (detection). <see cref="Version"/> guards concurrent edits.</summary>
public sealed class Box
{
    private Box()
    {
        CreatedBy = string.Empty;
    }

    internal Box(Image image, Label label, BoxRect rect, string createdBy, DateTimeOffset createdAt)
    {
        rect.Validate();
        Image = image;
        ImageId = image.Id;
        LabelId = label.Id;
        Label = label;
        (Left, Top, Width, Height) = rect;
        CreatedBy = createdBy;
        CreatedAt = createdAt;
        Version = 1;
    }

    public long Id { get; private set; }

    public long ImageId { get; private set; }

    public Image? Image { get; private set; }

    public long LabelId { get; private set; }

    public Label? Label { get; private set; }

    public double Left { get; private set; }

    public double Top { get; private set; }

    public double Width { get; private set; }

    public double Height { get; private set; }

    public string CreatedBy { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>Optimistic concurrency token: every change increments it.</summary>
    public long Version { get; private set; }

    public BoxRect Rect => new(Left, Top, Width, Height);

    /// <summary>Moves or resizes the box; the new rectangle must be valid.</summary>
    public void MoveTo(BoxRect rect)
    {
        rect.Validate();
        (Left, Top, Width, Height) = rect;
        Version++;
    }

    /// <summary>Relabels and/or moves the box as one edit (null leaves that part as it is); the version moves on once, only when it changed.</summary>
    internal bool Change(Label? label, BoxRect? rect)
    {
        rect?.Validate();
        var changed = false;
        if (label is not null && label.Id != LabelId)
        {
            LabelId = label.Id;
            Label = label;
            changed = true;
        }
        if (rect is { } r && r != Rect)
        {
            (Left, Top, Width, Height) = r;
            changed = true;
        }
        if (changed)
        {
            Version++;
        }
        return changed;
    }

    /// <summary>Gives the box another label of the same dataset.</summary>
    public void Relabel(Label label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (Image is not null && label.DatasetId != Image.DatasetId)
        {
            throw new DomainException("invalid-label", $"Label '{label.Name}' belongs to another dataset.");
        }
        LabelId = label.Id;
        Label = label;
        Version++;
    }
}
