namespace VisionConsole.Domain.Storage;

/// <summary>One area of the data folder and what it holds on disk.</summary>
/// <param name="Name">The area as people call it (Images, Thumbnails...).</param>
/// <param name="Folder">Its folder.</param>
/// <param name="Bytes">Size of every file under it (0 when absent).</param>
/// <param name="Files">How many files.</param>
/// <param name="What">One line on what it holds and whether it can be rebuilt.</param>
public sealed record DataFolderArea(string Name, string Folder, long Bytes, int Files, string What);

/// <summary>
/// Disk usage per area of the data folder, measured by walking each area's files (thumbnails are counted apart
/// from the images they sit beside). A file that vanishes during the walk is skipped.
/// </summary>
public static class DataFolderUsage
{
    /// <summary>The thumbnails' folder inside the image store.</summary>
    public const string ThumbnailFolderName = "thumbs";

    /// <summary>Measures every area; <paramref name="zooFolder"/> is the backbone cache (<c>&lt;zoo data&gt;/zoo</c>).</summary>
    public static IReadOnlyList<DataFolderArea> Measure(ConsoleOptions options, string zooFolder)
    {
        ArgumentNullException.ThrowIfNull(options);
        var thumbnails = Path.Combine(options.BlobFolder, ThumbnailFolderName);
        var (blobBytes, blobFiles) = Sum(options.BlobFolder, exclude: thumbnails);
        var (thumbBytes, thumbFiles) = Sum(thumbnails);
        return
        [
            new("Images", options.BlobFolder, blobBytes, blobFiles, "Every image, once, by content; the database points at them."),
            new("Thumbnails", thumbnails, thumbBytes, thumbFiles, "Grid previews; made again from the images when missing."),
            Area("Features", Path.Combine(options.DataFolder, "features"), "Backbone features cached per image; recomputed by the next training when missing."),
            Area("Models", Path.Combine(options.DataFolder, "models"), "Trained model versions and their packages."),
            Area("Exports", options.ExportFolder, "Dataset export zips waiting to be downloaded."),
            Area("Uploads", options.UploadFolder, "Files of imports in progress; deleted when each import ends."),
            Area("Import reports", options.ReportFolder, "The CSV report of each import."),
            Area("Zoo cache", zooFolder, "Pretrained backbones converted to ONNX; fetched again from the mirror when missing."),
        ];
    }

    private static DataFolderArea Area(string name, string folder, string what)
    {
        var (bytes, files) = Sum(folder);
        return new DataFolderArea(name, folder, bytes, files, what);
    }

    private static (long Bytes, int Files) Sum(string folder, string? exclude = null)
    {
        if (!Directory.Exists(folder))
        {
            return (0, 0);
        }
        long bytes = 0;
        var files = 0;
        var skip = exclude is null ? null : Path.GetFullPath(exclude) + Path.DirectorySeparatorChar;
        var walk = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles("*", walk))
        {
            if (skip is not null && file.FullName.StartsWith(skip, StringComparison.Ordinal))
            {
                continue;
            }
            try
            {
                bytes += file.Length;
                files++;
            }
            catch (FileNotFoundException)
            {
                // Deleted by a sweep while we walked: it no longer uses the space.
            }
        }
        return (bytes, files);
    }
}
