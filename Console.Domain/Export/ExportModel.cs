using VisionConsole.Domain.Datasets;

namespace VisionConsole.Domain.Export;

/// <summary>The archive layouts a dataset can be exported as; each is read back by the importer.</summary>
public enum ExportFormat
{
    /// <summary>Folder per label (<c>train/ants/a.jpg</c>), split folders only when the dataset has splits. Whole-image labels only.</summary>
    FolderZip,
    /// <summary><c>labels.csv</c> in Google AutoML form with a SET column (detection in the two-vertex form) and <c>images/</c>.</summary>
    AutoMlCsv,
    /// <summary>One COCO JSON per split folder (<c>train/_annotations.coco.json</c>, Roboflow's layout) beside its images; pixel bbox.</summary>
    Coco,
    /// <summary><c>Annotations/*.xml</c>, <c>JPEGImages/</c> and <c>ImageSets/Main/{train,val,test}.txt</c>. Boxes only.</summary>
    PascalVoc,
}

/// <summary>A box as fractions 0..1 of the image's width and height.</summary>
public sealed record ExportBox(string Label, double Left, double Top, double Width, double Height);

/// <summary>One image to export.</summary>
/// <param name="FileName">The name the image had (made unique per archive by the writer).</param>
/// <param name="Sha256">The blob to copy the original bytes from.</param>
/// <param name="Width">Width in pixels after EXIF orientation (boxes refer to this).</param>
/// <param name="Height">Height in pixels after EXIF orientation.</param>
/// <param name="Split">The image's split.</param>
/// <param name="Labels">Whole-image labels.</param>
/// <param name="Boxes">Boxes, normalized.</param>
public sealed record ExportImage(string FileName, string Sha256, int Width, int Height, DataSplit Split, IReadOnlyList<string> Labels, IReadOnlyList<ExportBox> Boxes);

/// <summary>What to export: the dataset's kind, its labels in a stable order (COCO category ids follow it) and its images.</summary>
public sealed record ExportModel(DatasetKind Kind, IReadOnlyList<string> Labels, IReadOnlyList<ExportImage> Images);

/// <summary>Choices for an export.</summary>
public sealed record ExportOptions
{
    /// <summary>
    /// What AutoML CSV paths start with. The default <c>images/</c> points into the archive; a <c>gs://bucket/dir/</c>
    /// prefix makes a CSV Google's tools accept once the images are copied there (the importer matches it by file name).
    /// </summary>
    public string CsvImagePathPrefix { get; init; } = "images/";
}
