using System.Globalization;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Domain.Import;

/// <summary>
/// Reads CSV annotation files. Two forms are recognised per file:
/// <list type="bullet">
/// <item>Google AutoML / Vertex (no header): classification <c>[SET,]PATH[,LABEL...]</c>; detection
/// <c>[SET,]PATH,LABEL,X1,Y1,,,X2,Y2,,</c> or <c>[SET,]PATH,LABEL,X1,Y1,X2,Y1,X2,Y2,X1,Y2</c> with coordinates relative 0-1.
/// SET is TRAIN, VALIDATION, TEST or UNASSIGNED in any case. A file is read as detection when most labeled rows have a label and
/// eight coordinate fields. In detection files a row with an empty label marks an image with no objects.</item>
/// <item>The headed pixel form of TensorFlow's object-detection tools and Roboflow: columns
/// <c>filename,width,height,class,xmin,ymin,xmax,ymax</c> in any order.</item>
/// </list>
/// Every row is checked on its own; a bad row is reported with its line number and the rest are read.
/// </summary>
internal static class CsvReader
{
    private static readonly string[] PixelColumns = ["filename", "width", "height", "class", "xmin", "ymin", "xmax", "ymax"];
    private static readonly HashSet<string> HeaderWords = new(StringComparer.OrdinalIgnoreCase)
    { "set", "ml_use", "split", "path", "image", "image_path", "gcs_file_path", "file", "filename", "file_name", "label", "labels", "class", "uri" };

    public static void Read(ImportContext context, UploadNode csv, CancellationToken cancellationToken)
    {
        List<CsvRecord> records;
        var parser = default(CsvRecordReader);
        try
        {
            using var text = context.OpenText(csv);
            parser = new CsvRecordReader(text);
            records = parser.ReadAll().ToList();
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            context.Error(csv.Display, null, null, $"The CSV could not be read: {ex.Message}");
            return;
        }
        if (parser.UnterminatedQuoteLine is { } open)
            context.Error(csv.Display, open, null, "A quoted field opened on this line is never closed; the file ends inside it.");
        if (records.Count == 0)
        {
            context.Warning(csv.Display, null, null, "The CSV has no rows.");
            return;
        }

        var header = records[0].Fields.Select(f => f.Trim()).ToList();
        if (PixelColumns.All(c => header.Contains(c, StringComparer.OrdinalIgnoreCase)))
        {
            ReadPixelCsv(context, csv, header, records.Skip(1), cancellationToken);
            return;
        }
        if (LooksLikeHeader(header))
        {
            context.Warning(csv.Display, records[0].Line, null, "The first line looks like a header (AutoML CSVs have none); skipped.");
            records.RemoveAt(0);
        }
        ReadAutoMl(context, csv, records, cancellationToken);
    }

    private static bool LooksLikeHeader(List<string> fields) =>
        SplitNames.FromSet(fields[0]) is null && fields.Any(f => HeaderWords.Contains(f)) && !fields.Any(LooksLikePath);

    private static void ReadAutoMl(ImportContext context, UploadNode csv, List<CsvRecord> records, CancellationToken cancellationToken)
    {
        // First pass only shapes the rows, to decide classification or detection; findings are reported in line order below.
        var rows = new List<(CsvRecord Record, DataSplit? Split, string Path, string[] Fields, string? Problem)>(records.Count);
        foreach (var record in records)
        {
            var f = record.Fields.Select(x => x.Trim()).ToArray();
            if (f.All(x => x.Length == 0))
                continue;
            var p = 0;
            DataSplit? split = null;
            if (SplitNames.FromSet(f[0]) is { } s)
            {
                split = s;
                p = 1;
            }
            else if (f.Length >= 2 && !LooksLikePath(f[0]) && LooksLikePath(f[1]))
            {
                rows.Add((record, null, "", [], $"Unknown set '{f[0]}'; the set must be TRAIN, VALIDATION, TEST or UNASSIGNED (or left out). Row skipped."));
                continue;
            }
            if (p >= f.Length || f[p].Length == 0)
            {
                rows.Add((record, null, "", [], "The row has no image path; row skipped."));
                continue;
            }
            rows.Add((record, split, f[p], f[(p + 1)..], null));
        }

        var labeled = rows.Where(r => r.Problem is null && r.Fields.Length > 0 && r.Fields[0].Length > 0).ToList();
        var boxShaped = labeled.Count(r => IsBoxShaped(r.Fields));
        var detection = boxShaped > 0 && boxShaped * 2 >= labeled.Count;

        foreach (var (record, split, path, rest, problem) in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var line = record.Line;
            if (problem is not null)
            {
                context.Error(csv.Display, line, null, problem);
                continue;
            }
            var node = context.Resolve(path, csv.Directory, out var reason);
            if (node is null)
            {
                context.Error(csv.Display, line, null, $"Image '{path}' is missing: {reason}. Row skipped.");
                continue;
            }
            if (detection)
                ReadBoxRow(context, csv, line, node, split, rest);
            else
                ReadLabelRow(context, csv, line, node, split, rest);
        }
    }

    private static void ReadLabelRow(ImportContext context, UploadNode csv, int line, UploadNode node, DataSplit? split, string[] rest)
    {
        var labels = new List<string>();
        foreach (var raw in rest.Where(r => r.Length > 0))
        {
            if (context.Label(raw, csv.Display, line, null) is { } label)
                labels.Add(label);
        }
        var item = context.Item(node);
        if (split is { } s)
            context.SetSplit(item, s, csv.Display, line, null);
        foreach (var label in labels)
            item.AddLabel(label);
    }

    private static void ReadBoxRow(ImportContext context, UploadNode csv, int line, UploadNode node, DataSplit? split, string[] rest)
    {
        var rawLabel = rest.Length > 0 ? rest[0] : "";
        if (rawLabel.Length == 0)
        {
            if (rest.Skip(1).Any(r => r.Length > 0))
            {
                context.Error(csv.Display, line, null, "The row has coordinates but no label; row skipped.");
                return;
            }
            var empty = context.Item(node);
            empty.Annotated = true;
            if (split is { } es)
                context.SetSplit(empty, es, csv.Display, line, null);
            return;
        }
        if (rest.Length != 9)
        {
            context.Error(csv.Display, line, null,
                $"A box row needs a label and 8 coordinate fields (X1,Y1,,,X2,Y2,, or four vertices); this one has {rest.Length - 1}. Row skipped.");
            return;
        }
        var c = new double?[8];
        for (var i = 0; i < 8; i++)
        {
            var field = rest[i + 1];
            if (field.Length == 0)
                continue;
            if (!double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                context.Error(csv.Display, line, null, $"Coordinate {i + 1} ('{field}') is not a number; row skipped.");
                return;
            }
            c[i] = v;
        }
        if (c[0] is not { } x1 || c[1] is not { } y1 || c[4] is not { } x2 || c[5] is not { } y2)
        {
            context.Error(csv.Display, line, null, "A box needs X1,Y1 (fields 1-2) and X2,Y2 (fields 5-6); some are empty. Row skipped.");
            return;
        }
        var extra = new[] { c[2], c[3], c[6], c[7] };
        if (extra.Any(e => e is not null))
        {
            if (extra.Any(e => e is null))
            {
                context.Error(csv.Display, line, null, "The four-vertex form needs all 8 coordinates; some are empty. Row skipped.");
                return;
            }
            // Four vertices X1,Y1,X2,Y1,X2,Y2,X1,Y2: take the enclosing rectangle, and say so if it was not axis-aligned.
            var xs = new[] { c[0]!.Value, c[2]!.Value, c[4]!.Value, c[6]!.Value };
            var ys = new[] { c[1]!.Value, c[3]!.Value, c[5]!.Value, c[7]!.Value };
            var aligned = Near(c[2]!.Value, x2) && Near(c[3]!.Value, y1) && Near(c[6]!.Value, x1) && Near(c[7]!.Value, y2);
            if (!aligned)
                context.Warning(csv.Display, line, null, "The four vertices are not an axis-aligned rectangle in X1,Y1,X2,Y1,X2,Y2,X1,Y2 order; their enclosing rectangle is used.");
            (x1, y1, x2, y2) = (xs.Min(), ys.Min(), xs.Max(), ys.Max());
        }
        if (context.Label(rawLabel, csv.Display, line, null) is not { } label)
            return;
        var box = BoxRules.FromCorners(label, x1, y1, x2, y2, csv.Display, line, null, context.Issues);
        if (box is null)
            return;
        var item = context.Item(node);
        item.Annotated = true;
        if (split is { } s)
            context.SetSplit(item, s, csv.Display, line, null);
        item.Boxes.Add(box);
    }

    private static void ReadPixelCsv(ImportContext context, UploadNode csv, List<string> header, IEnumerable<CsvRecord> records, CancellationToken cancellationToken)
    {
        int Col(string name) => header.FindIndex(h => h.Equals(name, StringComparison.OrdinalIgnoreCase));
        var (file, width, height, cls, xmin, ymin, xmax, ymax) =
            (Col("filename"), Col("width"), Col("height"), Col("class"), Col("xmin"), Col("ymin"), Col("xmax"), Col("ymax"));
        var folderSplit = SplitNames.FromDirectory(csv.Directory);
        foreach (var record in records)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var f = record.Fields.Select(x => x.Trim()).ToArray();
            if (f.All(x => x.Length == 0))
                continue;
            var line = record.Line;
            if (f.Length < header.Count)
            {
                context.Error(csv.Display, line, null, $"The row has {f.Length} fields; the header names {header.Count}. Row skipped.");
                continue;
            }
            var node = context.Resolve(f[file], csv.Directory, out var reason);
            if (node is null)
            {
                context.Error(csv.Display, line, null, $"Image '{f[file]}' is missing: {reason}. Row skipped.");
                continue;
            }
            int[] cols = [width, height, xmin, ymin, xmax, ymax];
            var numbers = new double[cols.Length];
            var badColumn = -1;
            for (var i = 0; i < cols.Length && badColumn < 0; i++)
            {
                var text = f[cols[i]];
                if (text.Length == 0 && i < 2)
                    numbers[i] = 0; // an unknown image size: normalized once the image is read
                else if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]))
                    badColumn = cols[i];
            }
            if (badColumn >= 0)
            {
                context.Error(csv.Display, line, null, $"Column '{header[badColumn]}' ('{f[badColumn]}') is not a number; row skipped.");
                continue;
            }
            if (context.Label(f[cls], csv.Display, line, null) is not { } label)
                continue;
            var item = context.Item(node);
            item.Annotated = true;
            if (folderSplit is { } s)
                context.SetSplit(item, s, csv.Display, line, null);
            var (w, h) = ((int)numbers[0], (int)numbers[1]);
            if (w > 0 && h > 0)
            {
                if (BoxRules.FromPixels(label, numbers[2], numbers[3], numbers[4], numbers[5], w, h, csv.Display, line, null, context.Issues) is { } box)
                    item.Boxes.Add(box);
            }
            else
            {
                item.PixelBoxes.Add(new PixelBox(label, numbers[2], numbers[3], numbers[4], numbers[5], csv.Display, line, null));
            }
        }
    }

    private static bool IsBoxShaped(string[] rest) =>
        rest.Length == 9 && IsNumber(rest[1]) && IsNumber(rest[2]) && IsNumber(rest[5]) && IsNumber(rest[6]);

    private static bool IsNumber(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static bool Near(double a, double b) => Math.Abs(a - b) <= 1e-6;

    private static bool LooksLikePath(string s) =>
        s.Contains("://", StringComparison.Ordinal) || s.Contains('/', StringComparison.Ordinal) || s.Contains('\\', StringComparison.Ordinal) || UploadTree.IsImageName(s);
}
