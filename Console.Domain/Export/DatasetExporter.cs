using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Import;

namespace VisionConsole.Domain.Export;

/// <summary>
/// Writes a dataset as a zip in one of the <see cref="ExportFormat"/> layouts, streaming: each image is copied from its
/// blob straight into the archive (stored, not recompressed), one at a time. What the importer reads back is the same
/// labels, splits and boxes (to 1e-6 of the image side).
/// </summary>
public static class DatasetExporter
{
    /// <summary>
    /// Writes the archive to <paramref name="output"/> (any writable stream, seekable or not; it is not closed).
    /// ZipArchive still writes each entry's trailer synchronously on its async path, so <paramref name="output"/> must
    /// accept synchronous writes: write to a temporary file in the export operation and serve that, or allow
    /// synchronous IO on the response.
    /// <paramref name="openImage"/> opens an image's original bytes by sha256 (e.g. <c>IImageStore.OpenOriginal</c>).
    /// Throws <see cref="DomainException"/> (<c>export-unsupported</c>) when the layout cannot hold the dataset:
    /// folders hold no boxes, Pascal VOC holds no whole-image labels.
    /// </summary>
    public static async Task WriteZipAsync(ExportModel model, ExportFormat format, Func<string, Stream> openImage, Stream output,
        ExportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(openImage);
        ArgumentNullException.ThrowIfNull(output);
        options ??= new ExportOptions();
        EnsureSupported(model.Kind, format);
        var names = UniqueFileNames(model.Images);

        var archive = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken).ConfigureAwait(false);
        await using (archive.ConfigureAwait(false))
        {
            switch (format)
            {
                case ExportFormat.FolderZip:
                    await WriteFolders(archive, model, names, openImage, cancellationToken).ConfigureAwait(false);
                    break;
                case ExportFormat.AutoMlCsv:
                    await WriteText(archive, "labels.csv", w => WriteAutoMlCsv(w, model, i => options.CsvImagePathPrefix + names[i]), cancellationToken).ConfigureAwait(false);
                    for (var i = 0; i < model.Images.Count; i++)
                        await CopyImage(archive, "images/" + names[i], model.Images[i], openImage, cancellationToken).ConfigureAwait(false);
                    break;
                case ExportFormat.Coco:
                    foreach (var group in Enumerable.Range(0, model.Images.Count).GroupBy(i => model.Images[i].Split).OrderBy(g => g.Key))
                    {
                        var folder = CocoFolder(group.Key);
                        var indices = group.ToList();
                        var entry = archive.CreateEntry(folder + "/_annotations.coco.json", CompressionLevel.Optimal);
                        var stream = await entry.OpenAsync(cancellationToken).ConfigureAwait(false);
                        await using (stream.ConfigureAwait(false))
                        {
                            await using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
                            WriteCoco(json, model, indices.Select(i => (model.Images[i], names[i])));
                        }
                        foreach (var i in indices)
                            await CopyImage(archive, folder + "/" + names[i], model.Images[i], openImage, cancellationToken).ConfigureAwait(false);
                    }
                    break;
                case ExportFormat.PascalVoc:
                    await WriteVoc(archive, model, names, openImage, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(format), format, null);
            }
        }
    }

    /// <summary>Throws <see cref="DomainException"/> <c>export-unsupported</c> when <paramref name="format"/> cannot hold a <paramref name="kind"/> dataset.</summary>
    public static void EnsureSupported(DatasetKind kind, ExportFormat format)
    {
        if (format == ExportFormat.FolderZip && kind == DatasetKind.ObjectDetection)
            throw new DomainException("export-unsupported", "A folder-per-label zip holds whole-image labels only; export an object detection dataset as AutoML CSV, COCO or Pascal VOC.");
        if (format == ExportFormat.PascalVoc && kind != DatasetKind.ObjectDetection)
            throw new DomainException("export-unsupported", "Pascal VOC holds boxes only; export a classification dataset as folders, AutoML CSV or COCO.");
    }

    /// <summary>
    /// Writes Google AutoML CSV rows: <c>SET,PATH[,LABEL...]</c> for classification (unlabeled images have no label),
    /// <c>SET,PATH,LABEL,X1,Y1,,,X2,Y2,,</c> per box for detection and <c>SET,PATH,,,,,,,,,</c> for an image with no objects.
    /// </summary>
    public static void WriteAutoMlCsv(TextWriter writer, ExportModel model, Func<int, string> pathOf)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pathOf);
        for (var i = 0; i < model.Images.Count; i++)
        {
            var image = model.Images[i];
            var set = SetName(image.Split);
            var path = CsvField(pathOf(i));
            if (model.Kind == DatasetKind.ObjectDetection)
            {
                if (image.Boxes.Count == 0)
                    writer.Write($"{set},{path},,,,,,,,,\n");
                foreach (var b in image.Boxes)
                    writer.Write($"{set},{path},{CsvField(b.Label)},{Num(b.Left)},{Num(b.Top)},,,{Num(b.Left + b.Width)},{Num(b.Top + b.Height)},,\n");
            }
            else
            {
                writer.Write(set);
                writer.Write(',');
                writer.Write(path);
                foreach (var label in image.Labels)
                {
                    writer.Write(',');
                    writer.Write(CsvField(label));
                }
                writer.Write('\n');
            }
        }
    }

    /// <summary>
    /// Writes one COCO document for <paramref name="images"/>: categories numbered from 1 in <see cref="ExportModel.Labels"/>
    /// order, pixel <c>bbox</c> <c>[x, y, width, height]</c>, and a bbox-less annotation per whole-image label.
    /// </summary>
    public static void WriteCoco(Utf8JsonWriter json, ExportModel model, IEnumerable<(ExportImage Image, string FileName)> images)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        var categoryIds = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var label in model.Labels)
            categoryIds.TryAdd(label, categoryIds.Count + 1);
        var list = images.ToList();
        foreach (var label in list.SelectMany(x => x.Image.Labels.Concat(x.Image.Boxes.Select(b => b.Label))))
            categoryIds.TryAdd(label, categoryIds.Count + 1);

        json.WriteStartObject();
        json.WriteStartObject("info");
        json.WriteString("description", "Exported by Vision Console");
        json.WriteString("date_created", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        json.WriteEndObject();
        json.WriteStartArray("categories");
        foreach (var (name, id) in categoryIds)
        {
            json.WriteStartObject();
            json.WriteNumber("id", id);
            json.WriteString("name", name);
            json.WriteString("supercategory", "none");
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("images");
        for (var i = 0; i < list.Count; i++)
        {
            json.WriteStartObject();
            json.WriteNumber("id", i + 1);
            json.WriteString("file_name", list[i].FileName);
            json.WriteNumber("width", list[i].Image.Width);
            json.WriteNumber("height", list[i].Image.Height);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("annotations");
        var annotationId = 0;
        for (var i = 0; i < list.Count; i++)
        {
            var image = list[i].Image;
            foreach (var label in image.Labels)
            {
                json.WriteStartObject();
                json.WriteNumber("id", ++annotationId);
                json.WriteNumber("image_id", i + 1);
                json.WriteNumber("category_id", categoryIds[label]);
                json.WriteEndObject();
            }
            foreach (var b in image.Boxes)
            {
                var (x, y, w, h) = (b.Left * image.Width, b.Top * image.Height, b.Width * image.Width, b.Height * image.Height);
                json.WriteStartObject();
                json.WriteNumber("id", ++annotationId);
                json.WriteNumber("image_id", i + 1);
                json.WriteNumber("category_id", categoryIds[b.Label]);
                json.WriteStartArray("bbox");
                json.WriteNumberValue(x);
                json.WriteNumberValue(y);
                json.WriteNumberValue(w);
                json.WriteNumberValue(h);
                json.WriteEndArray();
                json.WriteNumber("area", w * h);
                json.WriteNumber("iscrowd", 0);
                json.WriteStartArray("segmentation");
                json.WriteEndArray();
                json.WriteEndObject();
            }
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The Pascal VOC annotation of one image; pixel corners with up to 9 decimals (whole numbers stay whole).</summary>
    public static XDocument VocAnnotation(ExportImage image, string fileName)
    {
        ArgumentNullException.ThrowIfNull(image);
        var root = new XElement("annotation",
            new XElement("folder", "JPEGImages"),
            new XElement("filename", fileName),
            new XElement("size",
                new XElement("width", image.Width),
                new XElement("height", image.Height),
                new XElement("depth", 3)),
            new XElement("segmented", 0));
        foreach (var b in image.Boxes)
        {
            root.Add(new XElement("object",
                new XElement("name", b.Label),
                new XElement("pose", "Unspecified"),
                new XElement("truncated", 0),
                new XElement("difficult", 0),
                new XElement("bndbox",
                    new XElement("xmin", Px(b.Left * image.Width)),
                    new XElement("ymin", Px(b.Top * image.Height)),
                    new XElement("xmax", Px((b.Left + b.Width) * image.Width)),
                    new XElement("ymax", Px((b.Top + b.Height) * image.Height)))));
        }
        return new XDocument(root);
    }

    /// <summary>
    /// Names every image uniquely in the archive: folders and characters that are unsafe in file names are replaced,
    /// and a name whose stem repeats (case-insensitively; Pascal VOC pairs files by stem) gets the first 8 hex digits of its sha256.
    /// </summary>
    public static IReadOnlyList<string> UniqueFileNames(IReadOnlyList<ExportImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var stems = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var result = new string[images.Count];
        for (var i = 0; i < images.Count; i++)
        {
            var name = SafeFileName(images[i].FileName);
            var stem = Path.GetFileNameWithoutExtension(name);
            var ext = Path.GetExtension(name);
            var candidate = stem;
            var sha = images[i].Sha256.Length >= 8 ? images[i].Sha256[..8] : images[i].Sha256;
            for (var n = 1; !stems.Add(candidate); n++)
                candidate = n == 1 ? $"{stem}-{sha}" : $"{stem}-{sha}-{n}";
            result[i] = candidate + ext;
        }
        return result;
    }

    private static async Task WriteFolders(ZipArchive archive, ExportModel model, IReadOnlyList<string> names, Func<string, Stream> openImage, CancellationToken cancellationToken)
    {
        // Split folders only when the dataset has splits, or when a label's own name would read as one.
        var useSplits = model.Images.Any(i => i.Split != DataSplit.Unassigned)
            || model.Images.SelectMany(i => i.Labels).Any(l => SplitNames.FromFolder(l) is not null);
        for (var i = 0; i < model.Images.Count; i++)
        {
            var image = model.Images[i];
            var prefix = useSplits ? SplitFolder(image.Split) + "/" : "";
            if (image.Labels.Count == 0)
                await CopyImage(archive, prefix + names[i], image, openImage, cancellationToken).ConfigureAwait(false);
            foreach (var label in image.Labels)
                await CopyImage(archive, $"{prefix}{label}/{names[i]}", image, openImage, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task WriteVoc(ZipArchive archive, ExportModel model, IReadOnlyList<string> names, Func<string, Stream> openImage, CancellationToken cancellationToken)
    {
        for (var i = 0; i < model.Images.Count; i++)
        {
            var stem = Path.GetFileNameWithoutExtension(names[i]);
            var document = VocAnnotation(model.Images[i], names[i]);
            await WriteText(archive, $"Annotations/{stem}.xml", w =>
            {
                using var xml = XmlWriter.Create(w, new XmlWriterSettings { Indent = true, OmitXmlDeclaration = true });
                document.Save(xml);
            }, cancellationToken).ConfigureAwait(false);
            await CopyImage(archive, "JPEGImages/" + names[i], model.Images[i], openImage, cancellationToken).ConfigureAwait(false);
        }
        foreach (var (split, file) in new[] { (DataSplit.Train, "train"), (DataSplit.Validation, "val"), (DataSplit.Test, "test") })
        {
            var ids = Enumerable.Range(0, model.Images.Count).Where(i => model.Images[i].Split == split)
                .Select(i => Path.GetFileNameWithoutExtension(names[i])).ToList();
            if (ids.Count > 0)
                await WriteText(archive, $"ImageSets/Main/{file}.txt", w => { foreach (var id in ids) w.Write(id + "\n"); }, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task WriteText(ZipArchive archive, string path, Action<TextWriter> write, CancellationToken cancellationToken)
    {
        // Text is built in memory (annotations, not images) and then written asynchronously.
        var sb = new StringBuilder();
        using (var writer = new StringWriter(sb, CultureInfo.InvariantCulture))
            write(writer);
        var entry = archive.CreateEntry(path, CompressionLevel.Optimal);
        var stream = await entry.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
            await stream.WriteAsync(new UTF8Encoding(false).GetBytes(sb.ToString()), cancellationToken).ConfigureAwait(false);
    }

    private static async Task CopyImage(ZipArchive archive, string path, ExportImage image, Func<string, Stream> openImage, CancellationToken cancellationToken)
    {
        var entry = archive.CreateEntry(path, CompressionLevel.NoCompression);
        var source = openImage(image.Sha256);
        await using (source.ConfigureAwait(false))
        {
            var target = await entry.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (target.ConfigureAwait(false))
                await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string SafeFileName(string fileName)
    {
        var name = Path.GetFileName(fileName.Replace('\\', '/'));
        var sb = new StringBuilder(name.Length);
        foreach (var c in name)
            sb.Append(char.IsControl(c) || "/\\:*?\"<>|".Contains(c, StringComparison.Ordinal) ? '_' : c);
        var safe = sb.ToString().Trim().TrimStart('.');
        return safe.Length == 0 ? "image" : safe;
    }

    private static string SetName(DataSplit split) => split switch
    {
        DataSplit.Train => "TRAIN",
        DataSplit.Validation => "VALIDATION",
        DataSplit.Test => "TEST",
        _ => "UNASSIGNED",
    };

    private static string SplitFolder(DataSplit split) => split switch
    {
        DataSplit.Train => "train",
        DataSplit.Validation => "validation",
        DataSplit.Test => "test",
        _ => "unassigned",
    };

    private static string CocoFolder(DataSplit split) => split == DataSplit.Validation ? "valid" : SplitFolder(split);

    private static string CsvField(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 || value != value.Trim() ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    /// <summary>Shortest round-trip form without an exponent (AutoML expects plain decimals).</summary>
    private static string Num(double value)
    {
        var r = value.ToString("R", CultureInfo.InvariantCulture);
        return r.Contains('E', StringComparison.Ordinal) ? value.ToString("0.#################", CultureInfo.InvariantCulture) : r;
    }

    private static string Px(double value) => value.ToString("0.#########", CultureInfo.InvariantCulture);
}
