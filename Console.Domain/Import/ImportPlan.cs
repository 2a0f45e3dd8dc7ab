using System.Globalization;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Domain.Import;

/// <summary>How bad an import finding is. Neither stops the import: an Error drops one row, entry or box; a Warning keeps it.</summary>
public enum ImportSeverity { Warning, Error }

/// <summary>The annotation format an import was read as.</summary>
public enum ImportFormat
{
    /// <summary>Decide from the uploaded files (annotation files first: COCO, then Pascal VOC, then CVAT XML, then CSV; else folders).</summary>
    Auto,
    /// <summary>Folder per label, optionally under train/val/test folders (Firebase "Option 1", ImageFolder); root images are unlabeled.</summary>
    FolderTree,
    /// <summary>Google AutoML / Vertex CSV: <c>[SET,]PATH,LABEL...</c> or boxes with relative vertices; also the headed pixel CSV of TensorFlow / Roboflow.</summary>
    Csv,
    /// <summary>COCO JSON (pixel <c>bbox</c>, or the relative variant of Azure Custom Vision exports).</summary>
    Coco,
    /// <summary>Pascal VOC XML, one file per image, pixel boxes.</summary>
    PascalVoc,
    /// <summary>CVAT's "CVAT for images 1.1" XML: one file, <c>&lt;image&gt;</c> elements with <c>&lt;box&gt;</c> and <c>&lt;tag&gt;</c>.</summary>
    CvatXml,
}

/// <summary>How COCO <c>bbox</c> values are read.</summary>
public enum CocoBoxUnits
{
    /// <summary>Pixels unless every value is within 0..1 while the images are far larger (see <see cref="CocoReader"/>).</summary>
    Auto,
    /// <summary><c>[x, y, width, height]</c> in pixels, as COCO defines it.</summary>
    Pixels,
    /// <summary><c>[left, top, width, height]</c> as fractions 0..1 of the image (Azure Custom Vision exports).</summary>
    Relative,
}

/// <summary>The first findings of an import report and how many it has in all.</summary>
public sealed record ImportReportPage(IReadOnlyList<ImportIssue> Issues, int Total);

/// <summary>
/// One finding about the upload. <see cref="Line"/> is the 1-based line in a text file (CSV row start, XML element);
/// <see cref="Entry"/> is the 1-based position of a zip entry or of a COCO array element.
/// </summary>
/// <param name="Severity">Error: the row, entry or box was dropped. Warning: it was kept (perhaps changed, see <paramref name="SuggestedFix"/>).</param>
/// <param name="Source">The file the finding is about; for a file inside a zip <c>upload.zip!dir/file.csv</c>.</param>
/// <param name="Line">1-based line number, when the source is a text file.</param>
/// <param name="Entry">1-based zip entry or COCO array position, when that is the better address.</param>
/// <param name="Message">What is wrong, in words a person can act on.</param>
/// <param name="SuggestedFix">A replacement value that was applied or could be, e.g. a sanitized label name.</param>
public sealed record ImportIssue(ImportSeverity Severity, string Source, int? Line, int? Entry, string Message, string? SuggestedFix = null)
{
    /// <summary><c>Error labels.csv line 7: ...</c>, the form lists and logs show.</summary>
    public override string ToString()
    {
        var where = Line is { } l ? $" line {l.ToString(CultureInfo.InvariantCulture)}"
            : Entry is { } e ? $" entry {e.ToString(CultureInfo.InvariantCulture)}" : "";
        var fix = SuggestedFix is null ? "" : $" (fix: {SuggestedFix})";
        return $"{Severity} {Source}{where}: {Message}{fix}";
    }
}

/// <summary>Where an image's bytes are: a file uploaded as it is, or an entry of an uploaded zip.</summary>
/// <param name="UploadName">The uploaded file's name (as <see cref="UploadedFile.Name"/>).</param>
/// <param name="EntryName">The zip entry's full name, or null when the upload itself is the image.</param>
public sealed record ImageReference(string UploadName, string? EntryName)
{
    /// <summary><c>upload.zip!dir/a.jpg</c> or <c>a.jpg</c>.</summary>
    public override string ToString() => EntryName is null ? UploadName : $"{UploadName}!{EntryName}";
}

/// <summary>A box with fractions 0..1 of the image's width and height (origin top-left).</summary>
public sealed record ImportBox(string Label, double Left, double Top, double Width, double Height);

/// <summary>A box in pixels, kept until the image's real size is known (Pascal VOC without <c>&lt;size&gt;</c>, COCO without width/height).</summary>
public sealed record PixelBox(string Label, double XMin, double YMin, double XMax, double YMax, string Source, int? Line, int? Entry);

/// <summary>One image to import, with everything the annotations said about it.</summary>
public sealed record ImportItem
{
    /// <summary>Where the bytes are; open them with <see cref="ImportUpload.OpenImage"/>.</summary>
    public required ImageReference Source { get; init; }

    /// <summary>The path inside the upload (zip entries and uploaded relative names share one tree), '/' separated.</summary>
    public required string Path { get; init; }

    /// <summary>The file name without folders, as the image will be called in the dataset.</summary>
    public string FileName => System.IO.Path.GetFileName(Path);

    /// <summary>The split the upload assigned, or null when it said nothing (the dataset's default applies).</summary>
    public DataSplit? Split { get; init; }

    /// <summary>Whole-image labels (classification), valid names, no duplicates.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>Boxes already normalized to 0..1.</summary>
    public IReadOnlyList<ImportBox> Boxes { get; init; } = [];

    /// <summary>Boxes in pixels that wait for the image's real size; see <see cref="NeedsImageSize"/> and <see cref="WithImageSize"/>.</summary>
    public IReadOnlyList<PixelBox> PixelBoxes { get; init; } = [];

    /// <summary>True when the annotations said this image has been looked at for objects (detection formats), so "no boxes" means "no objects", not "unlabeled".</summary>
    public bool Annotated { get; init; }

    /// <summary>True when some boxes are still in pixels: call <see cref="WithImageSize"/> once the image's size is read.</summary>
    public bool NeedsImageSize => PixelBoxes.Count > 0;

    /// <summary>
    /// Normalizes <see cref="PixelBoxes"/> by the image's real size (after EXIF orientation) and applies the box rules;
    /// boxes that break a rule are dropped with an Error added to <paramref name="issues"/>, tiny ones kept with a Warning.
    /// </summary>
    public ImportItem WithImageSize(int width, int height, ICollection<ImportIssue> issues)
    {
        ArgumentNullException.ThrowIfNull(issues);
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), "The image size must be positive.");
        if (PixelBoxes.Count == 0)
            return this;
        var boxes = new List<ImportBox>(Boxes);
        foreach (var p in PixelBoxes)
        {
            var box = BoxRules.FromPixels(p.Label, p.XMin, p.YMin, p.XMax, p.YMax, width, height, p.Source, p.Line, p.Entry, issues);
            if (box is not null)
                boxes.Add(box);
        }
        return this with { Boxes = boxes, PixelBoxes = [] };
    }
}

/// <summary>What an upload would import, and everything found wrong with it. Nothing is stored yet.</summary>
/// <param name="Format">The format the upload was read as.</param>
/// <param name="Items">One per distinct image, in the order first met.</param>
/// <param name="Issues">Findings in the order met; no finding stopped the reading.</param>
public sealed record ImportPlan(ImportFormat Format, IReadOnlyList<ImportItem> Items, IReadOnlyList<ImportIssue> Issues)
{
    /// <summary>Every label used by an item or a box, sorted ordinally.</summary>
    public IReadOnlyList<string> Labels { get; } =
        Items.SelectMany(i => i.Labels.Concat(i.Boxes.Select(b => b.Label)).Concat(i.PixelBoxes.Select(b => b.Label)))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>Number of Error findings (dropped rows, entries or boxes).</summary>
    public int ErrorCount => Issues.Count(i => i.Severity == ImportSeverity.Error);

    /// <summary>Number of Warning findings.</summary>
    public int WarningCount => Issues.Count(i => i.Severity == ImportSeverity.Warning);

    /// <summary>The dataset kind this upload fits: detection when it has boxes or is a box format, multi-label when an image has several labels.</summary>
    public DatasetKind SuggestedKind =>
        Items.Any(i => i.Boxes.Count > 0 || i.PixelBoxes.Count > 0) ? DatasetKind.ObjectDetection
        : Items.Any(i => i.Labels.Count > 1) ? DatasetKind.MultiLabel
        : DatasetKind.SingleLabel;
}
