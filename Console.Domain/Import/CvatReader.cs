using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace VisionConsole.Domain.Import;

/// <summary>
/// Reads CVAT's "CVAT for images 1.1" XML: <c>&lt;annotations&gt;</c> with one <c>&lt;image name width height subset&gt;</c>
/// per image, holding <c>&lt;box label xtl ytl xbr ybr&gt;</c> (pixels) and <c>&lt;tag label&gt;</c> (whole-image labels).
/// <c>subset</c> Train / Validation / Test gives the split. Polygons, polylines, points, ellipses, masks and cuboids are
/// not boxes: each file reports how many it skipped, once.
/// </summary>
internal static class CvatReader
{
    private static readonly HashSet<string> OtherShapes = new(StringComparer.Ordinal) { "polygon", "polyline", "points", "ellipse", "mask", "cuboid", "skeleton" };

    public static void Read(ImportContext context, UploadNode xml, CancellationToken cancellationToken)
    {
        var source = xml.Display;
        if (context.LoadXml(xml) is not { } document)
        {
            return;
        }

        var skippedShapes = 0;
        var firstSkippedLine = default(int?);
        foreach (var image in document.Root!.Elements("image"))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var line = Line(image);
            var name = (string?)image.Attribute("name");
            if (string.IsNullOrWhiteSpace(name))
            {
                context.Error(source, line, null, "An <image> has no name; skipped.");
                continue;
            }
            var node = context.Resolve(name, xml.Directory, out var reason);
            if (node is null)
            {
                context.Error(source, line, null, $"Image '{name}' is missing: {reason}. Its annotations are skipped.");
                continue;
            }
            var item = context.Item(node);
            item.Annotated = true;
            if ((string?)image.Attribute("subset") is { } subset && SplitNames.FromFolder(subset) is { } split)
                context.SetSplit(item, split, source, line, null);
            var width = Number(image, "width") is { } w && w >= 1 ? (int)w : 0;
            var height = Number(image, "height") is { } h && h >= 1 ? (int)h : 0;

            foreach (var shape in image.Elements())
            {
                var shapeLine = Line(shape);
                if (OtherShapes.Contains(shape.Name.LocalName))
                {
                    skippedShapes++;
                    firstSkippedLine ??= shapeLine;
                    continue;
                }
                if (shape.Name.LocalName is not ("box" or "tag"))
                    continue;
                var rawLabel = (string?)shape.Attribute("label");
                if (string.IsNullOrWhiteSpace(rawLabel))
                {
                    context.Error(source, shapeLine, null, $"A <{shape.Name.LocalName}> has no label; skipped.");
                    continue;
                }
                if (context.Label(rawLabel, source, shapeLine, null) is not { } label)
                    continue;
                if (shape.Name.LocalName == "tag")
                {
                    item.AddLabel(label);
                    continue;
                }
                double?[] v = [Number(shape, "xtl"), Number(shape, "ytl"), Number(shape, "xbr"), Number(shape, "ybr")];
                if (v.Any(x => x is null))
                {
                    context.Error(source, shapeLine, null, $"Box '{rawLabel}' needs numeric xtl, ytl, xbr and ybr; box skipped.");
                    continue;
                }
                if (width > 0 && height > 0)
                {
                    if (BoxRules.FromPixels(label, v[0]!.Value, v[1]!.Value, v[2]!.Value, v[3]!.Value, width, height, source, shapeLine, null, context.Issues) is { } box)
                        item.Boxes.Add(box);
                }
                else
                {
                    item.PixelBoxes.Add(new PixelBox(label, v[0]!.Value, v[1]!.Value, v[2]!.Value, v[3]!.Value, source, shapeLine, null));
                }
            }
        }
        if (skippedShapes > 0)
            context.Warning(source, firstSkippedLine, null,
                $"{skippedShapes} shape(s) that are not boxes (polygons, polylines, points, ellipses, masks) were skipped; export them from CVAT as boxes to keep them.");
    }

    private static double? Number(XElement e, string attribute) =>
        double.TryParse((string?)e.Attribute(attribute), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null;

    private static int? Line(XElement e) => ((IXmlLineInfo)e).HasLineInfo() ? ((IXmlLineInfo)e).LineNumber : null;
}
