using System.IO.Compression;

namespace VisionConsole.Domain.Import;

internal enum NodeKind { Image, Csv, Json, Xml, Text }

/// <summary>One usable file of the upload: a loose upload or a zip entry, at its path in the merged tree.</summary>
internal sealed record UploadNode(string Path, ImageReference Reference, NodeKind Kind, long Length)
{
    /// <summary>The name issues use: <c>a.csv</c> or <c>upload.zip!dir/a.csv</c>.</summary>
    public string Display => Reference.ToString();

    public string Directory => Path.LastIndexOf('/') is var i and >= 0 ? Path[..i] : "";

    public string Name => Path[(Path.LastIndexOf('/') + 1)..];
}

/// <summary>
/// Merges loose uploads and the entries of uploaded zips into one tree of paths, applying the zip safety rules
/// from the central directory alone: nothing is extracted here.
/// </summary>
internal static class UploadTree
{
    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
    { ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".gif", ".bmp", ".ico", ".webp", ".tif", ".tiff", ".heic", ".heif", ".avif" };

    private static readonly HashSet<string> ArchiveExtensions = new(StringComparer.OrdinalIgnoreCase)
    { ".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst" };

    public static bool IsImageName(string name) => ImageExtensions.Contains(System.IO.Path.GetExtension(name));

    public static List<UploadNode> Build(ImportUpload upload, ZipLimits limits, List<ImportIssue> issues)
    {
        var nodes = new List<UploadNode>();
        var seen = new Dictionary<string, UploadNode>(StringComparer.Ordinal);

        void Add(UploadNode node, string source, int? entry)
        {
            if (seen.TryGetValue(node.Path, out var first))
            {
                issues.Add(new(ImportSeverity.Warning, source, null, entry,
                    $"'{node.Path}' appears twice in the upload; the first one ({first.Display}) is used."));
                return;
            }
            seen.Add(node.Path, node);
            nodes.Add(node);
        }

        foreach (var file in upload.Files)
        {
            var ext = System.IO.Path.GetExtension(file.Name);
            if (ext.Equals(".zip", StringComparison.OrdinalIgnoreCase))
            {
                AddZip(upload, file, limits, issues, Add);
                continue;
            }
            if (!TryNormalize(file.Name, out var path))
            {
                issues.Add(new(ImportSeverity.Error, file.Name, null, null,
                    $"The upload name '{file.Name}' is an absolute path or climbs out with '..'; refused."));
                continue;
            }
            if (IsJunk(path))
                continue;
            if (ArchiveExtensions.Contains(ext))
            {
                issues.Add(new(ImportSeverity.Error, file.Name, null, null,
                    $"'{file.Name}' is a {ext} archive; only zip archives can be imported. Upload it as a zip."));
                continue;
            }
            if (Classify(path) is { } kind)
                Add(new UploadNode(path, new ImageReference(file.Name, null), kind, -1), file.Name, null);
            else
                issues.Add(new(ImportSeverity.Warning, file.Name, null, null,
                    $"'{file.Name}' is neither an image nor an annotation file (CSV, JSON, XML, TXT); ignored."));
        }
        return nodes;
    }

    private static void AddZip(ImportUpload upload, UploadedFile file, ZipLimits limits, List<ImportIssue> issues, Action<UploadNode, string, int?> add)
    {
        long? declared;
        try
        {
            using var probe = file.OpenRead();
            declared = ZipEndRecord.ReadEntryCount(probe);
        }
        catch (IOException ex)
        {
            issues.Add(new(ImportSeverity.Error, file.Name, null, null, $"The zip could not be read: {ex.Message}"));
            return;
        }
        if (declared is null)
        {
            issues.Add(new(ImportSeverity.Error, file.Name, null, null, "This is not a zip file (no end-of-central-directory record was found)."));
            return;
        }
        if (declared > limits.MaxEntries)
        {
            issues.Add(new(ImportSeverity.Error, file.Name, null, null,
                $"The zip lists {declared:N0} entries, more than the limit of {limits.MaxEntries:N0}; refused without reading it. Split it into smaller zips."));
            return;
        }

        IReadOnlyList<ZipArchiveEntry> entries;
        try
        {
            // The central directory is read when the entries are first listed, not when the archive opens.
            entries = upload.Archive(file.Name).Entries;
        }
        catch (InvalidDataException ex)
        {
            issues.Add(new(ImportSeverity.Error, file.Name, null, null, $"The zip's central directory is damaged: {ex.Message}"));
            return;
        }

        long total = 0;
        foreach (var entry in entries)
            total += entry.Length;
        if (total > limits.MaxTotalUncompressedBytes)
        {
            issues.Add(new(ImportSeverity.Error, file.Name, null, null,
                $"The zip's entries claim {Sizes.Format(total)} uncompressed together, more than the limit of {Sizes.Format(limits.MaxTotalUncompressedBytes)}; refused without extracting anything."));
            return;
        }

        var index = 0;
        foreach (var entry in entries)
        {
            index++;
            var name = entry.FullName;
            if (name.EndsWith('/') || name.EndsWith('\\'))
                continue;
            if (!TryNormalize(name, out var path))
            {
                issues.Add(new(ImportSeverity.Error, file.Name, null, index,
                    $"Entry '{name}' is refused: its path is absolute or climbs out of the archive with '..' (zip-slip)."));
                continue;
            }
            if (IsJunk(path))
                continue;
            var ext = System.IO.Path.GetExtension(path);
            if (ArchiveExtensions.Contains(ext))
            {
                issues.Add(new(ImportSeverity.Warning, file.Name, null, index,
                    $"Entry '{name}' is a nested archive; nested archives are not opened, so it is ignored. Upload it separately."));
                continue;
            }
            var kind = Classify(path);
            if (kind is null)
            {
                issues.Add(new(ImportSeverity.Warning, file.Name, null, index,
                    $"Entry '{name}' is neither an image nor an annotation file (CSV, JSON, XML, TXT); ignored."));
                continue;
            }
            var max = kind == NodeKind.Image ? limits.MaxImageEntryBytes : limits.MaxAnnotationEntryBytes;
            if (entry.Length > max)
            {
                issues.Add(new(ImportSeverity.Error, file.Name, null, index,
                    $"Entry '{name}' claims {Sizes.Format(entry.Length)} uncompressed, over the {Sizes.Format(max)} limit for one {(kind == NodeKind.Image ? "image" : "annotation file")}; refused without extracting it."));
                continue;
            }
            add(new UploadNode(path, new ImageReference(file.Name, entry.FullName), kind.Value, entry.Length), file.Name, index);
        }
    }

    private static NodeKind? Classify(string path)
    {
        var ext = System.IO.Path.GetExtension(path).ToUpperInvariant();
        return ext switch
        {
            ".CSV" => NodeKind.Csv,
            ".JSON" => NodeKind.Json,
            ".XML" => NodeKind.Xml,
            ".TXT" => NodeKind.Text,
            _ => IsImageName(path) ? NodeKind.Image : null,
        };
    }

    /// <summary>Normalizes separators; false for absolute paths, drive letters, '..' segments and NUL characters.</summary>
    internal static bool TryNormalize(string raw, out string path)
    {
        path = raw.Replace('\\', '/');
        if (path.Length == 0 || path[0] == '/' || path.Contains('\0', StringComparison.Ordinal)
            || (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0])))
            return false;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Any(p => p == ".."))
            return false;
        path = string.Join('/', parts.Where(p => p != "."));
        return path.Length > 0;
    }

    /// <summary>Operating-system litter that is skipped silently.</summary>
    private static bool IsJunk(string path)
    {
        if (path.StartsWith("__MACOSX/", StringComparison.Ordinal))
            return true;
        var name = path[(path.LastIndexOf('/') + 1)..];
        return name.StartsWith("._", StringComparison.Ordinal) || name is ".DS_Store" or "Thumbs.db" or "desktop.ini";
    }
}
