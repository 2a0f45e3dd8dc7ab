using System.Xml;
using System.Xml.Linq;
using System.Text;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Domain.Import;

/// <summary>The state one reading of an upload shares between the format readers.</summary>
internal sealed class ImportContext
{
    private readonly Dictionary<string, string?> _labelCache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ItemBuilder> _items = new(StringComparer.Ordinal);
    private readonly List<ItemBuilder> _order = [];
    private readonly Dictionary<string, UploadNode> _byPath;
    private readonly Dictionary<string, List<UploadNode>> _byPathIgnoreCase;
    private readonly Dictionary<string, List<UploadNode>> _byName;

    public ImportContext(ImportUpload upload, ImportOptions options, List<UploadNode> nodes, List<ImportIssue> issues)
    {
        Upload = upload;
        Options = options;
        Nodes = nodes;
        Issues = issues;
        var images = nodes.Where(n => n.Kind == NodeKind.Image).ToList();
        Images = images;
        _byPath = images.ToDictionary(n => n.Path, StringComparer.Ordinal);
        _byPathIgnoreCase = images.GroupBy(n => n.Path, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.OrdinalIgnoreCase);
        _byName = images.GroupBy(n => n.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.OrdinalIgnoreCase);
    }

    public ImportUpload Upload { get; }
    public ImportOptions Options { get; }
    public List<UploadNode> Nodes { get; }
    public List<UploadNode> Images { get; }
    public List<ImportIssue> Issues { get; }

    /// <summary>Images by file name without extension (Pascal VOC pairs <c>a.xml</c> with <c>a.jpg</c>).</summary>
    public Dictionary<string, List<UploadNode>> ImagesByStem => _byStem ??=
        Images.GroupBy(n => System.IO.Path.GetFileNameWithoutExtension(n.Name), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.OrdinalIgnoreCase);

    private Dictionary<string, List<UploadNode>>? _byStem;

    /// <summary>
    /// Loads an XML annotation file with line numbers (no DTDs, no external entities); a malformed or unreadable
    /// file is reported as an Error naming it (and the line) and gives null.
    /// </summary>
    public XDocument? LoadXml(UploadNode xml)
    {
        try
        {
            using var text = OpenText(xml);
            using var reader = XmlReader.Create(text, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            return XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException ex)
        {
            Error(xml.Display, ex.LineNumber > 0 ? ex.LineNumber : null, null, $"The XML is malformed: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            Error(xml.Display, null, null, $"The XML could not be read: {ex.Message}");
        }
        return null;
    }

    public void Error(string source, int? line, int? entry, string message, string? fix = null) =>
        Issues.Add(new(ImportSeverity.Error, source, line, entry, message, fix));

    public void Warning(string source, int? line, int? entry, string message, string? fix = null) =>
        Issues.Add(new(ImportSeverity.Warning, source, line, entry, message, fix));

    public TextReader OpenText(UploadNode node) =>
        new StreamReader(Upload.Open(node.Reference, Options.Zip.MaxAnnotationEntryBytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);

    public Stream OpenBytes(UploadNode node) => Upload.Open(node.Reference, Options.Zip.MaxAnnotationEntryBytes);

    /// <summary>
    /// Returns the valid form of a label, warning once per distinct raw name when it had to be sanitized;
    /// null (with an Error) when nothing valid can be made of it.
    /// </summary>
    public string? Label(string raw, string source, int? line, int? entry)
    {
        if (_labelCache.TryGetValue(raw, out var known))
        {
            if (known is null)
                Error(source, line, entry, $"Label '{raw}' has no usable characters (labels are 1-32 letters, digits or underscores); label dropped.");
            return known;
        }
        string? result;
        if (LabelNames.IsValid(raw))
        {
            result = raw;
        }
        else
        {
            result = LabelNames.Sanitize(raw);
            if (result is null)
                Error(source, line, entry, $"Label '{raw}' has no usable characters (labels are 1-32 letters, digits or underscores); label dropped.");
            else
                Warning(source, line, entry,
                    $"Label '{raw}' breaks the naming rule (1-32 letters, digits or underscores); imported as '{result}' here and wherever it appears.", result);
        }
        _labelCache[raw] = result;
        return result;
    }

    /// <summary>
    /// Finds the image a path in an annotation file means. URLs (<c>gs://bucket/dir/a.jpg</c>, <c>https://...</c>) match by
    /// file name; relative paths are tried against the annotation file's folder, then the upload root, then as a path
    /// suffix, then by file name. Null (with the reason) when missing or ambiguous.
    /// </summary>
    public UploadNode? Resolve(string raw, string baseDirectory, out string reason)
    {
        reason = "";
        var value = raw.Trim();
        if (value.Length == 0)
        {
            reason = "the image path is empty";
            return null;
        }
        var schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        var isUrl = schemeEnd > 0 && value[..schemeEnd].All(char.IsAsciiLetter);
        if (isUrl)
        {
            var afterScheme = value[(schemeEnd + 3)..];
            var cut = afterScheme.IndexOfAny(['?', '#']);
            if (cut >= 0)
                afterScheme = afterScheme[..cut];
            value = Uri.UnescapeDataString(afterScheme);
            var slash = value.IndexOf('/', StringComparison.Ordinal);
            value = slash >= 0 ? value[(slash + 1)..] : ""; // drop the bucket or host
        }
        value = value.Replace('\\', '/').TrimStart('/');
        if (value.StartsWith("./", StringComparison.Ordinal))
            value = value[2..];
        if (value.Length == 0)
        {
            reason = $"'{raw}' names no file";
            return null;
        }

        if (!isUrl)
        {
            if (baseDirectory.Length > 0 && Lookup(baseDirectory + "/" + value) is { } inBase)
                return inBase;
            if (Lookup(value) is { } atRoot)
                return atRoot;
        }
        var name = value[(value.LastIndexOf('/') + 1)..];
        if (_byName.TryGetValue(name, out var byName))
        {
            if (byName.Count == 1)
                return byName[0];
            // Either path may be the longer one: a gs:// path carries folders the upload lacks, and the other way round.
            var bySuffix = byName.Where(n => ("/" + n.Path).EndsWith("/" + value, StringComparison.OrdinalIgnoreCase)
                || ("/" + value).EndsWith("/" + n.Path, StringComparison.OrdinalIgnoreCase)).ToList();
            if (bySuffix.Count == 1)
                return bySuffix[0];
            var inBaseDir = byName.Where(n => n.Directory.Equals(baseDirectory, StringComparison.OrdinalIgnoreCase)).ToList();
            if (inBaseDir.Count == 1)
                return inBaseDir[0];
            reason = $"several uploaded files are named '{name}' ({string.Join(", ", byName.Take(3).Select(s => s.Path))}) and the path does not say which";
            return null;
        }
        reason = $"no uploaded image is named '{name}'";
        return null;
    }

    private UploadNode? Lookup(string path)
    {
        if (_byPath.TryGetValue(path, out var exact))
            return exact;
        return _byPathIgnoreCase.TryGetValue(path, out var list) && list.Count == 1 ? list[0] : null;
    }

    /// <summary>The item for an image, created on first mention.</summary>
    public ItemBuilder Item(UploadNode node)
    {
        if (!_items.TryGetValue(node.Path, out var item))
        {
            item = new ItemBuilder(node);
            _items.Add(node.Path, item);
            _order.Add(item);
        }
        return item;
    }

    public bool IsReferenced(UploadNode node) => _items.ContainsKey(node.Path);

    /// <summary>Sets an item's split; a second, different split is a Warning and the first stays.</summary>
    public void SetSplit(ItemBuilder item, DataSplit split, string source, int? line, int? entry)
    {
        if (item.Split is null)
            item.Split = split;
        else if (item.Split != split)
            Warning(source, line, entry, $"'{item.Node.Path}' was already given the split {item.Split}; {split} is ignored.");
    }

    public List<ImportItem> BuildItems() => _order.Select(b => b.Build()).ToList();
}

/// <summary>An item while annotations are still being read.</summary>
internal sealed class ItemBuilder(UploadNode node)
{
    public UploadNode Node { get; } = node;
    public DataSplit? Split { get; set; }
    public List<string> Labels { get; } = [];
    public List<ImportBox> Boxes { get; } = [];
    public List<PixelBox> PixelBoxes { get; } = [];
    public bool Annotated { get; set; }

    public void AddLabel(string label)
    {
        if (!Labels.Contains(label, StringComparer.Ordinal))
            Labels.Add(label);
    }

    public ImportItem Build() => new()
    {
        Source = Node.Reference,
        Path = Node.Path,
        Split = Split,
        Labels = Labels.ToArray(),
        Boxes = Boxes.ToArray(),
        PixelBoxes = PixelBoxes.ToArray(),
        Annotated = Annotated,
    };
}

/// <summary>Folder and set names that mean a split.</summary>
internal static class SplitNames
{
    /// <summary>Folder names of ImageFolder / Roboflow trees: train, training, val, valid, validation, test, testing, unassigned.</summary>
    public static DataSplit? FromFolder(string name) => name.ToUpperInvariant() switch
    {
        "TRAIN" or "TRAINING" => DataSplit.Train,
        "VAL" or "VALID" or "VALIDATION" => DataSplit.Validation,
        "TEST" or "TESTING" => DataSplit.Test,
        "UNASSIGNED" => DataSplit.Unassigned,
        _ => null,
    };

    /// <summary>AutoML's ML_USE values, case-insensitive: TRAIN, VALIDATION, TEST, UNASSIGNED.</summary>
    public static DataSplit? FromSet(string name) => name.Trim().ToUpperInvariant() switch
    {
        "TRAIN" => DataSplit.Train,
        "VALIDATION" => DataSplit.Validation,
        "TEST" => DataSplit.Test,
        "UNASSIGNED" => DataSplit.Unassigned,
        _ => null,
    };

    /// <summary>The split named by the nearest folder on <paramref name="directory"/> (e.g. Roboflow's <c>valid/</c>).</summary>
    public static DataSplit? FromDirectory(string directory)
    {
        var parts = directory.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = parts.Length - 1; i >= 0; i--)
            if (FromFolder(parts[i]) is { } split)
                return split;
        return null;
    }
}
