namespace VisionConsole.Domain.Import;

/// <summary>
/// Turns an upload into an <see cref="ImportPlan"/> without storing anything and without reading any image's bytes:
/// zips are checked from their central directory, annotation files are parsed, images are only listed.
/// <para>
/// Format detection (<see cref="ImportFormat.Auto"/>): COCO when a JSON file is present; else Pascal VOC when an XML
/// file's root is <c>&lt;annotation&gt;</c>; else CVAT when an XML file's root is <c>&lt;annotations&gt;</c>; else CSV
/// when a CSV file is present; else folders. Annotation files of a
/// kind not chosen are reported once as ignored. Images no annotation file mentions are imported unlabeled (one
/// Warning) unless <see cref="ImportOptions.IncludeUnreferencedImages"/> is false.
/// </para>
/// </summary>
public static class ImportPlanner
{
    /// <summary>Reads <paramref name="upload"/>. Never throws for bad content: every problem is an <see cref="ImportIssue"/>.</summary>
    public static ImportPlan Plan(ImportUpload upload, ImportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(upload);
        options ??= new ImportOptions();
        var issues = new List<ImportIssue>();
        var nodes = UploadTree.Build(upload, options.Zip, issues);
        var context = new ImportContext(upload, options, nodes, issues);

        var csvs = nodes.Where(n => n.Kind == NodeKind.Csv).ToList();
        var jsons = nodes.Where(n => n.Kind == NodeKind.Json).ToList();
        var xmls = nodes.Where(n => n.Kind == NodeKind.Xml).ToList();
        var roots = options.Format is ImportFormat.Auto or ImportFormat.PascalVoc or ImportFormat.CvatXml
            ? xmls.ToDictionary(x => x, x => VocReader.RootName(context, x)) : [];
        var vocs = xmls.Where(x => roots.GetValueOrDefault(x) == "annotation").ToList();
        var cvats = xmls.Where(x => roots.GetValueOrDefault(x) == "annotations").ToList();

        var format = options.Format;
        if (format == ImportFormat.Auto)
        {
            format = jsons.Count > 0 ? ImportFormat.Coco
                : vocs.Count > 0 ? ImportFormat.PascalVoc
                : cvats.Count > 0 ? ImportFormat.CvatXml
                : csvs.Count > 0 ? ImportFormat.Csv
                : ImportFormat.FolderTree;
        }

        switch (format)
        {
            case ImportFormat.Coco:
                foreach (var json in jsons)
                    CocoReader.Read(context, json, cancellationToken);
                Ignored(context, csvs, "CSV", format);
                Ignored(context, xmls, "XML", format);
                break;
            case ImportFormat.PascalVoc:
                var imageSets = VocReader.ReadImageSets(context);
                foreach (var xml in xmls)
                {
                    if (vocs.Contains(xml))
                        VocReader.Read(context, xml, imageSets, cancellationToken);
                    else
                        context.Warning(xml.Display, null, null, "This XML is not a Pascal VOC annotation (its root is not <annotation>); ignored.");
                }
                Ignored(context, csvs, "CSV", format);
                Ignored(context, jsons, "JSON", format);
                break;
            case ImportFormat.CvatXml:
                foreach (var xml in xmls)
                {
                    if (cvats.Contains(xml))
                        CvatReader.Read(context, xml, cancellationToken);
                    else
                        context.Warning(xml.Display, null, null, "This XML is not a CVAT annotation file (its root is not <annotations>); ignored.");
                }
                Ignored(context, csvs, "CSV", format);
                Ignored(context, jsons, "JSON", format);
                break;
            case ImportFormat.Csv:
                foreach (var csv in csvs)
                    CsvReader.Read(context, csv, cancellationToken);
                Ignored(context, jsons, "JSON", format);
                Ignored(context, xmls, "XML", format);
                break;
            default:
                FolderTreeReader.Read(context, cancellationToken);
                Ignored(context, csvs, "CSV", format);
                Ignored(context, jsons, "JSON", format);
                Ignored(context, xmls, "XML", format);
                break;
        }

        if (format != ImportFormat.FolderTree)
            AddUnreferenced(context);

        if (context.Images.Count == 0)
            context.Error(upload.Files.Count == 1 ? upload.Files[0].Name : "upload", null, null, "The upload holds no images (JPEG, PNG, GIF, BMP, ICO, WEBP, TIFF).");

        return new ImportPlan(format, context.BuildItems(), issues);
    }

    private static void Ignored(ImportContext context, List<UploadNode> files, string kind, ImportFormat format)
    {
        if (files.Count == 0)
            return;
        context.Warning(files[0].Display, null, null,
            $"The upload was read as {format}; {files.Count} {kind} file(s) ({string.Join(", ", files.Take(3).Select(f => f.Path))}{(files.Count > 3 ? ", ..." : "")}) were ignored.");
    }

    private static void AddUnreferenced(ImportContext context)
    {
        var unreferenced = context.Images.Where(i => !context.IsReferenced(i)).ToList();
        if (unreferenced.Count == 0)
            return;
        var names = string.Join(", ", unreferenced.Take(5).Select(i => i.Path)) + (unreferenced.Count > 5 ? ", ..." : "");
        if (context.Options.IncludeUnreferencedImages)
        {
            foreach (var node in unreferenced)
                context.Item(node);
            context.Warning(unreferenced[0].Reference.UploadName, null, null,
                $"{unreferenced.Count} image(s) are not mentioned by any annotation file and are imported unlabeled: {names}.");
        }
        else
        {
            context.Warning(unreferenced[0].Reference.UploadName, null, null,
                $"{unreferenced.Count} image(s) are not mentioned by any annotation file and are left out: {names}.");
        }
    }
}
