namespace VisionConsole.Domain.Import;

/// <summary>Limits that keep a hostile or broken zip from exhausting disk or memory. All are checked from the central directory before anything is extracted.</summary>
public sealed record ZipLimits
{
    /// <summary>Most entries one zip may list (its end record is read first, so a huge directory is refused before it is parsed).</summary>
    public int MaxEntries { get; init; } = 200_000;

    /// <summary>Most bytes all entries of one zip may claim uncompressed together.</summary>
    public long MaxTotalUncompressedBytes { get; init; } = 20L * 1024 * 1024 * 1024;

    /// <summary>Most bytes one image entry may claim uncompressed (the image intake's own file limit).</summary>
    public long MaxImageEntryBytes { get; init; } = 30L * 1024 * 1024;

    /// <summary>Most bytes one annotation entry (CSV, JSON, XML, TXT) may claim uncompressed.</summary>
    public long MaxAnnotationEntryBytes { get; init; } = 512L * 1024 * 1024;
}

/// <summary>How an upload is read.</summary>
public sealed record ImportOptions
{
    /// <summary>Force a format instead of detecting it.</summary>
    public ImportFormat Format { get; init; } = ImportFormat.Auto;

    /// <summary>How COCO <c>bbox</c> values are interpreted.</summary>
    public CocoBoxUnits CocoBoxes { get; init; } = CocoBoxUnits.Auto;

    /// <summary>Zip limits.</summary>
    public ZipLimits Zip { get; init; } = new();

    /// <summary>
    /// When annotation files (CSV, COCO, VOC) are present, images they never mention are still imported, unlabeled,
    /// with one Warning; set false to leave them out (also with one Warning).
    /// </summary>
    public bool IncludeUnreferencedImages { get; init; } = true;
}
