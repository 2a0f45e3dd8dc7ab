using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Domain.Import;

/// <summary>
/// Reads Pascal VOC XML, one <c>&lt;annotation&gt;</c> per image: <c>filename</c>, <c>size/width|height</c> and
/// <c>object/name</c> with <c>bndbox/xmin|ymin|xmax|ymax</c> in pixels. The image is found by <c>filename</c> (next to the
/// XML, then anywhere in the upload by name), else by the XML's own name with an image extension, else by <c>path</c>.
/// When <c>size</c> is missing or zero the boxes stay in pixels on the item (<see cref="ImportItem.NeedsImageSize"/>).
/// Splits come from <c>ImageSets/Main/train.txt</c>, <c>val.txt</c>, <c>test.txt</c> (image ids, one a line) or from a
/// split-named folder holding the XML (Roboflow's VOC export).
/// </summary>
internal static class VocReader
{
    /// <summary>The XML's root element name (reads only up to the root), or null when it is not well-formed up to there.</summary>
    public static string? RootName(ImportContext context, UploadNode xml)
    {
        try
        {
            using var text = context.OpenText(xml);
            using var reader = XmlReader.Create(text, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            return reader.MoveToContent() == XmlNodeType.Element ? reader.LocalName : null;
        }
        catch (Exception ex) when (ex is XmlException or IOException or InvalidDataException)
        {
            return null;
        }
    }

    public static Dictionary<string, DataSplit> ReadImageSets(ImportContext context)
    {
        var splits = new Dictionary<string, DataSplit>(StringComparer.OrdinalIgnoreCase);
        foreach (var node in context.Nodes.Where(n => n.Kind == NodeKind.Text
            && n.Directory.EndsWith("ImageSets/Main", StringComparison.OrdinalIgnoreCase)))
        {
            DataSplit? split = System.IO.Path.GetFileNameWithoutExtension(node.Name).ToUpperInvariant() switch
            {
                "TRAIN" => DataSplit.Train,
                "VAL" => DataSplit.Validation,
                "TEST" => DataSplit.Test,
                _ => null, // trainval.txt and per-class lists repeat what the three say
            };
            if (split is null)
                continue;
            using var text = context.OpenText(node);
            var lineNumber = 0;
            while (text.ReadLine() is { } line)
            {
                lineNumber++;
                var id = line.Trim();
                if (id.Length == 0)
                    continue;
                if (splits.TryGetValue(id, out var earlier) && earlier != split)
                    context.Warning(node.Display, lineNumber, null, $"Image '{id}' is also listed for {earlier}; {earlier} is kept.");
                else
                    splits[id] = split.Value;
            }
        }
        return splits;
    }

    public static void Read(ImportContext context, UploadNode xml, Dictionary<string, DataSplit> imageSets, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var source = xml.Display;
        if (context.LoadXml(xml) is not { } document)
        {
            return;
        }
        var root = document.Root!;
        var fileName = Text(root, "filename");
        var node = FindImage(context, xml, fileName, Text(root, "path"), out var reason);
        if (node is null)
        {
            context.Error(source, Line(root.Element("filename") ?? root), null, $"The image of this annotation is missing: {reason}. File skipped.");
            return;
        }
        var item = context.Item(node);
        item.Annotated = true;
        var stem = System.IO.Path.GetFileNameWithoutExtension(node.Name);
        if (imageSets.TryGetValue(stem, out var listed))
            context.SetSplit(item, listed, source, null, null);
        else if (SplitNames.FromDirectory(xml.Directory) is { } folderSplit)
            context.SetSplit(item, folderSplit, source, null, null);

        var size = root.Element("size");
        var width = Int(size, "width");
        var height = Int(size, "height");
        var sizeKnown = width > 0 && height > 0;

        foreach (var obj in root.Elements("object"))
        {
            var line = Line(obj);
            var rawName = Text(obj, "name");
            if (string.IsNullOrEmpty(rawName))
            {
                context.Error(source, line, null, "An <object> has no <name>; object skipped.");
                continue;
            }
            var bndbox = obj.Element("bndbox");
            double?[] v = [Num(bndbox, "xmin"), Num(bndbox, "ymin"), Num(bndbox, "xmax"), Num(bndbox, "ymax")];
            if (bndbox is null || v.Any(x => x is null))
            {
                context.Error(source, line, null, $"Object '{rawName}' needs <bndbox> with numeric xmin, ymin, xmax and ymax; object skipped.");
                continue;
            }
            if (context.Label(rawName, source, line, null) is not { } label)
                continue;
            if (sizeKnown)
            {
                if (BoxRules.FromPixels(label, v[0]!.Value, v[1]!.Value, v[2]!.Value, v[3]!.Value, width, height, source, line, null, context.Issues) is { } box)
                    item.Boxes.Add(box);
            }
            else
            {
                item.PixelBoxes.Add(new PixelBox(label, v[0]!.Value, v[1]!.Value, v[2]!.Value, v[3]!.Value, source, line, null));
            }
        }
    }

    private static UploadNode? FindImage(ImportContext context, UploadNode xml, string? fileName, string? path, out string reason)
    {
        reason = "the XML names no <filename>";
        if (!string.IsNullOrEmpty(fileName) && context.Resolve(fileName, xml.Directory, out reason) is { } byName)
            return byName;
        var stem = System.IO.Path.GetFileNameWithoutExtension(xml.Name);
        var byStem = context.ImagesByStem.TryGetValue(stem, out var found) ? found : [];
        if (byStem.Count == 1)
            return byStem[0];
        var sameFolder = byStem.Where(i => i.Directory == xml.Directory).ToList();
        if (sameFolder.Count == 1)
            return sameFolder[0];
        if (!string.IsNullOrEmpty(path) && context.Resolve(System.IO.Path.GetFileName(path.Replace('\\', '/')), xml.Directory, out _) is { } byPath)
            return byPath;
        return null;
    }

    private static string? Text(XElement? parent, string name) => parent?.Element(name)?.Value.Trim();

    private static int Int(XElement? parent, string name) =>
        Num(parent, name) is { } d && d is > 0 and < int.MaxValue ? (int)Math.Round(d) : 0;

    private static double? Num(XElement? parent, string name) =>
        double.TryParse(Text(parent, name), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null;

    private static int? Line(XElement e) => ((IXmlLineInfo)e).HasLineInfo() ? ((IXmlLineInfo)e).LineNumber : null;
}
