using System.Globalization;
using System.Text.Json;

namespace VisionConsole.Domain.Import;

/// <summary>
/// Reads COCO JSON: <c>images</c> (id, file_name, width, height), <c>categories</c> (id, name) and <c>annotations</c>
/// (image_id, category_id, optional bbox). An annotation without a bbox gives its image a whole-image label (the
/// classification form). Images are found by <c>file_name</c> relative to the JSON's folder, else by file name
/// (URLs too), else through <c>coco_url</c> / <c>absolute_url</c>. A JSON inside a split-named folder
/// (Roboflow's <c>train/_annotations.coco.json</c>) gives its images that split.
/// <para>
/// Box units. COCO defines <c>bbox</c> as <c>[x, y, width, height]</c> in pixels. Azure Custom Vision exports used the
/// same field for <c>[left, top, width, height]</c> as fractions 0..1 of the image. With <see cref="CocoBoxUnits.Auto"/>
/// a file is read as relative when it has at least one bbox, every bbox value of the file lies within 0..1, and every
/// image that carries a box either has no size or is at least 16 x 16 pixels (as pixels every such box would be under
/// one pixel, which no annotation tool produces). Otherwise it is read as pixels. Choosing relative adds a Warning that
/// says so; <see cref="ImportOptions.CocoBoxes"/> forces either reading.
/// </para>
/// </summary>
public static class CocoReader
{
    /// <summary>Smallest side, in pixels, of an image whose 0..1 bbox values are taken as relative by <see cref="CocoBoxUnits.Auto"/>.</summary>
    public const int RelativeDetectionMinSide = 16;

    internal static bool IsCoco(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("images", out var images) && images.ValueKind == JsonValueKind.Array;

    internal static void Read(ImportContext context, UploadNode json, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            byte[] bytes;
            using (var stream = context.OpenBytes(json))
            using (var copy = new MemoryStream())
            {
                stream.CopyTo(copy);
                bytes = copy.ToArray();
            }
            // The parser checks UTF-8 only where a string is read later: a bad byte would then throw mid-import.
            if (InvalidUtf8At(bytes) is { } offset)
            {
                context.Error(json.Display, 1 + bytes.AsSpan(0, offset).Count((byte)'\n'), null, $"The JSON is not valid UTF-8: byte {offset:N0} (0x{bytes[offset]:X2}) starts no character. Save the file as UTF-8.");
                return;
            }
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            context.Error(json.Display, ex.LineNumber is { } l ? (int)l + 1 : null, null, $"The JSON is malformed: {ex.Message}");
            return;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            context.Error(json.Display, null, null, $"The JSON could not be read: {ex.Message}");
            return;
        }
        using (document)
        {
            var root = document.RootElement;
            if (!IsCoco(root))
            {
                context.Warning(json.Display, null, null, "This JSON is not COCO (no \"images\" array); ignored.");
                return;
            }
            ReadDocument(context, json, root, cancellationToken);
        }
    }

    private static void ReadDocument(ImportContext context, UploadNode json, JsonElement root, CancellationToken cancellationToken)
    {
        var source = json.Display;
        var split = SplitNames.FromDirectory(json.Directory);

        var categories = new Dictionary<long, string?>();
        if (root.TryGetProperty("categories", out var cats) && cats.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var cat in cats.EnumerateArray())
            {
                i++;
                if (Long(cat, "id") is not { } id || Str(cat, "name") is not { Length: > 0 } name)
                {
                    context.Error(source, null, i, $"categories[{i - 1}] needs a numeric \"id\" and a \"name\"; category skipped.");
                    continue;
                }
                if (categories.ContainsKey(id))
                {
                    context.Error(source, null, i, $"categories[{i - 1}] repeats category id {id}; the first one is used.");
                    continue;
                }
                categories[id] = context.Label(name, source, null, i);
            }
        }

        var images = new Dictionary<long, (ItemBuilder? Item, int Width, int Height)>();
        var index = 0;
        foreach (var image in root.GetProperty("images").EnumerateArray())
        {
            index++;
            cancellationToken.ThrowIfCancellationRequested();
            if (Long(image, "id") is not { } id)
            {
                context.Error(source, null, index, $"images[{index - 1}] has no numeric \"id\"; image skipped.");
                continue;
            }
            if (images.ContainsKey(id))
            {
                context.Error(source, null, index, $"images[{index - 1}] repeats image id {id}; the first one is used.");
                continue;
            }
            var width = (int)(Double(image, "width") ?? 0);
            var height = (int)(Double(image, "height") ?? 0);
            var names = new[] { Str(image, "file_name"), Str(image, "coco_url"), Str(image, "absolute_url") }.Where(n => !string.IsNullOrWhiteSpace(n)).ToList();
            UploadNode? node = null;
            var reason = "it has no \"file_name\"";
            foreach (var name in names)
            {
                node = context.Resolve(name!, json.Directory, out reason);
                if (node is not null)
                    break;
            }
            if (node is null)
            {
                context.Error(source, null, index, $"images[{index - 1}] (id {id}, '{names.FirstOrDefault()}') is missing: {reason}. Its annotations are skipped.");
                images[id] = (null, width, height);
                continue;
            }
            var item = context.Item(node);
            if (split is { } s)
                context.SetSplit(item, s, source, null, index);
            images[id] = (item, width, height);
        }

        var annotations = root.TryGetProperty("annotations", out var anns) && anns.ValueKind == JsonValueKind.Array
            ? anns.EnumerateArray().ToList() : [];
        var relative = DecideRelative(context, source, annotations, images);
        var hasBoxes = annotations.Any(a => Bbox(a) is not null);
        if (hasBoxes)
            foreach (var (item, _, _) in images.Values)
            {
                if (item is not null)
                    item.Annotated = true;
            }

        index = 0;
        foreach (var ann in annotations)
        {
            index++;
            cancellationToken.ThrowIfCancellationRequested();
            var at = $"annotations[{index - 1}]" + (Long(ann, "id") is { } annId ? $" (id {annId})" : "");
            if (Long(ann, "image_id") is not { } imageId || !images.TryGetValue(imageId, out var image))
            {
                context.Error(source, null, index, $"{at} points to image id {Raw(ann, "image_id")}, which is not in \"images\"; annotation skipped.");
                continue;
            }
            if (image.Item is null)
                continue; // its image is missing, reported once above
            if (Long(ann, "category_id") is not { } categoryId || !categories.TryGetValue(categoryId, out var label))
            {
                context.Error(source, null, index, $"{at} points to category id {Raw(ann, "category_id")}, which is not in \"categories\" (a dangling category id); annotation skipped.");
                continue;
            }
            if (label is null)
                continue; // the category's name was unusable, reported once
            if (!ann.TryGetProperty("bbox", out var bboxElement) || bboxElement.ValueKind == JsonValueKind.Null
                || (bboxElement.ValueKind == JsonValueKind.Array && bboxElement.GetArrayLength() == 0))
            {
                image.Item.AddLabel(label);
                continue;
            }
            if (Bbox(ann) is not { } b)
            {
                context.Error(source, null, index, $"{at} has a \"bbox\" that is not 4 numbers; annotation skipped.");
                continue;
            }
            if (relative)
            {
                if (BoxRules.FromCorners(label, b[0], b[1], b[0] + b[2], b[1] + b[3], source, null, index, context.Issues) is { } box)
                    image.Item.Boxes.Add(box);
            }
            else if (image.Width > 0 && image.Height > 0)
            {
                if (BoxRules.FromPixels(label, b[0], b[1], b[0] + b[2], b[1] + b[3], image.Width, image.Height, source, null, index, context.Issues) is { } box)
                    image.Item.Boxes.Add(box);
            }
            else
            {
                image.Item.PixelBoxes.Add(new PixelBox(label, b[0], b[1], b[0] + b[2], b[1] + b[3], source, null, index));
            }
        }
    }

    private static bool DecideRelative(ImportContext context, string source, List<JsonElement> annotations,
        Dictionary<long, (ItemBuilder? Item, int Width, int Height)> images)
    {
        switch (context.Options.CocoBoxes)
        {
            case CocoBoxUnits.Pixels:
                return false;
            case CocoBoxUnits.Relative:
                context.Warning(source, null, null, "bbox values are read as relative [left, top, width, height] fractions 0..1, as the import options ask.");
                return true;
        }
        var any = false;
        var smallestSide = int.MaxValue;
        foreach (var ann in annotations)
        {
            if (Bbox(ann) is not { } b)
                continue;
            any = true;
            if (b.Any(v => v < 0 || v > 1))
                return false;
            if (Long(ann, "image_id") is { } id && images.TryGetValue(id, out var image) && image.Width > 0 && image.Height > 0)
                smallestSide = Math.Min(smallestSide, Math.Min(image.Width, image.Height));
        }
        if (!any || smallestSide < RelativeDetectionMinSide)
            return false;
        var sizes = smallestSide == int.MaxValue ? "the images have no sizes"
            : $"the images are at least {smallestSide.ToString(CultureInfo.InvariantCulture)} px a side";
        context.Warning(source, null, null,
            $"Every bbox value is within 0..1 while {sizes}, so bbox is read as relative [left, top, width, height] fractions (the Azure Custom Vision export form), not COCO pixels. Import with CocoBoxes = Pixels to read them as pixels.");
        return true;
    }

    private static double[]? Bbox(JsonElement ann)
    {
        if (!ann.TryGetProperty("bbox", out var b) || b.ValueKind != JsonValueKind.Array || b.GetArrayLength() != 4)
            return null;
        var values = new double[4];
        var i = 0;
        foreach (var v in b.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out values[i]))
                return null;
            i++;
        }
        return values;
    }

    /// <summary>The offset of the first byte that is not valid UTF-8, or null when all are.</summary>
    private static int? InvalidUtf8At(byte[] bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
            return null;
        var rest = bytes.AsSpan();
        var offset = 0;
        while (!rest.IsEmpty)
        {
            var status = System.Text.Rune.DecodeFromUtf8(rest, out _, out var consumed);
            if (status != System.Buffers.OperationStatus.Done)
                return offset;
            offset += consumed;
            rest = rest[consumed..];
        }
        return null;
    }

    private static long? Long(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v))
            return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n))
            return n;
        return v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out n) ? n : null;
    }

    private static double? Double(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) ? d : null;

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Raw(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetRawText() : "(none)";
}
