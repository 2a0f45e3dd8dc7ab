using System.Globalization;
using System.Text;
using System.Text.Json;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Import;
using static VisionConsole.Tests.Domain.Import.ImportTestData;

namespace VisionConsole.Tests.Domain.Import;

/// <summary>The real raccoon set (200 images, 217 boxes) read through Pascal VOC, its CSV in AutoML form, and COCO.</summary>
public sealed class RaccoonImportTests
{
    private static readonly List<(string File, string Label, double XMin, double YMin, double XMax, double YMax, int Width, int Height)> Voc = RaccoonVocBoxes();

    [Fact]
    public void Plan_RaccoonVocFolderWithImages_Gives200ItemsAnd217NormalizedBoxes()
    {
        var files = Directory.EnumerateFiles(Path.Combine(Raccoon, "annotations")).Order(StringComparer.Ordinal)
            .Select(p => UploadedFile.FromPath(p, "raccoon/annotations/" + Path.GetFileName(p)))
            .Concat(Directory.EnumerateFiles(Path.Combine(Raccoon, "images")).Order(StringComparer.Ordinal)
                .Select(p => UploadedFile.FromPath(p, "raccoon/images/" + Path.GetFileName(p))));
        using var upload = new ImportUpload(files);

        var plan = ImportPlanner.Plan(upload);

        Assert.Equal(ImportFormat.PascalVoc, plan.Format);
        Assert.Empty(plan.Issues);
        Assert.Equal(200, plan.Items.Count);
        Assert.Equal(217, plan.Items.Sum(i => i.Boxes.Count));
        Assert.All(plan.Items, i => Assert.False(i.NeedsImageSize));
        Assert.Equal(["raccoon"], plan.Labels);
        Assert.Equal(DatasetKind.ObjectDetection, plan.SuggestedKind);
        AssertMatchesVoc(plan);
    }

    [Fact]
    public void Plan_RaccoonCsvConvertedToAutoMlWithImages_Gives200ItemsAnd217BoxesWithSplits()
    {
        using var temp = new TempFolder();
        var test = File.ReadAllLines(Path.Combine(Raccoon, "data", "test_labels.csv")).Skip(1)
            .Select(l => l.Split(',')[0]).ToHashSet(StringComparer.Ordinal);
        // The raccoon CSV is pixel corners with a header; AutoML wants SET,PATH,LABEL,X1,Y1,,,X2,Y2,, relative 0-1, no header.
        var csv = new StringBuilder();
        foreach (var line in File.ReadAllLines(Path.Combine(Raccoon, "data", "raccoon_labels.csv")).Skip(1))
        {
            var f = line.Split(',');
            double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
            var (w, h) = (D(1), D(2));
            var set = test.Contains(f[0]) ? "TEST" : "TRAIN";
            csv.Append(CultureInfo.InvariantCulture, $"{set},gs://raccoon-bucket/images/{f[0]},{f[3]},{Format(D(4) / w)},{Format(D(5) / h)},,,{Format(D(6) / w)},{Format(D(7) / h)},,\r\n");
        }
        var csvPath = temp.Write("raccoon_automl.csv", csv.ToString());
        using var upload = new ImportUpload(RaccoonImages().Prepend(UploadedFile.FromPath(csvPath)));

        var plan = ImportPlanner.Plan(upload);

        Assert.Equal(ImportFormat.Csv, plan.Format);
        Assert.Empty(plan.Issues);
        Assert.Equal(200, plan.Items.Count);
        Assert.Equal(217, plan.Items.Sum(i => i.Boxes.Count));
        Assert.All(plan.Items, i => Assert.Equal(test.Contains(i.FileName) ? DataSplit.Test : DataSplit.Train, i.Split));
        Assert.Equal(test.Count, plan.Items.Count(i => i.Split == DataSplit.Test));
        AssertMatchesVoc(plan);
    }

    [Fact]
    public void Plan_RaccoonHeadedPixelCsvAsIs_Gives200ItemsAnd217Boxes()
    {
        using var upload = new ImportUpload(RaccoonImages().Prepend(UploadedFile.FromPath(Path.Combine(Raccoon, "data", "raccoon_labels.csv"))));

        var plan = ImportPlanner.Plan(upload);

        Assert.Equal(ImportFormat.Csv, plan.Format);
        Assert.Empty(plan.Issues);
        Assert.Equal(200, plan.Items.Count);
        Assert.Equal(217, plan.Items.Sum(i => i.Boxes.Count));
        AssertMatchesVoc(plan);
    }

    [Fact]
    public void Plan_CocoGeneratedFromRaccoonVoc_Gives200ItemsAnd217Boxes()
    {
        using var temp = new TempFolder();
        var json = CocoFromVoc(relative: false);
        var jsonPath = temp.Write("raccoon.coco.json", json);
        using var upload = new ImportUpload(RaccoonImages().Prepend(UploadedFile.FromPath(jsonPath)));

        var plan = ImportPlanner.Plan(upload);

        Assert.Equal(ImportFormat.Coco, plan.Format);
        Assert.Empty(plan.Issues);
        Assert.Equal(200, plan.Items.Count);
        Assert.Equal(217, plan.Items.Sum(i => i.Boxes.Count));
        Assert.All(plan.Items, i => Assert.True(i.Annotated));
        AssertMatchesVoc(plan);
    }

    [Fact]
    public void Plan_CocoWithRelativeBboxes_DetectsAzureFormWarnsAndGivesSameBoxes()
    {
        using var temp = new TempFolder();
        var jsonPath = temp.Write("azure.coco.json", CocoFromVoc(relative: true));
        using var upload = new ImportUpload(RaccoonImages().Prepend(UploadedFile.FromPath(jsonPath)));

        var plan = ImportPlanner.Plan(upload);

        var warning = Assert.Single(plan.Issues);
        Assert.Equal(ImportSeverity.Warning, warning.Severity);
        Assert.Contains("read as relative [left, top, width, height]", warning.Message, StringComparison.Ordinal);
        Assert.Equal(217, plan.Items.Sum(i => i.Boxes.Count));
        AssertMatchesVoc(plan);
    }

    [Fact]
    public void Plan_CocoRelativeBboxesForcedToPixels_ReadsThemAsSubPixelBoxes()
    {
        using var temp = new TempFolder();
        var jsonPath = temp.Write("azure.coco.json", CocoFromVoc(relative: true));
        using var upload = new ImportUpload(RaccoonImages().Prepend(UploadedFile.FromPath(jsonPath)));

        var plan = ImportPlanner.Plan(upload, new ImportOptions { CocoBoxes = CocoBoxUnits.Pixels });

        Assert.DoesNotContain(plan.Issues, i => i.Message.Contains("relative", StringComparison.Ordinal));
        Assert.All(plan.Items.SelectMany(i => i.Boxes), b => Assert.True(b.Width < 0.01));
    }

    [Fact]
    public void Plan_CvatXmlGeneratedFromRaccoonVoc_Gives200ItemsAnd217BoxesSubsetsAndSkipsPolygons()
    {
        using var temp = new TempFolder();
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotations>\n  <version>1.1</version>\n");
        var n = 0;
        foreach (var group in Voc.GroupBy(v => v.File))
        {
            var first = group.First();
            var subset = n++ % 2 == 0 ? "Train" : "Validation";
            xml.Append(CultureInfo.InvariantCulture, $"  <image id=\"{n}\" name=\"images/{first.File}\" subset=\"{subset}\" width=\"{first.Width}\" height=\"{first.Height}\">\n");
            foreach (var v in group)
                xml.Append(CultureInfo.InvariantCulture, $"    <box label=\"{v.Label}\" source=\"manual\" occluded=\"0\" xtl=\"{Format(v.XMin)}\" ytl=\"{Format(v.YMin)}\" xbr=\"{Format(v.XMax)}\" ybr=\"{Format(v.YMax)}\" z_order=\"0\"></box>\n");
            if (n == 3)
                xml.Append("    <polygon label=\"raccoon\" points=\"1,1;5,5;1,5\"></polygon>\n    <tag label=\"night time\"></tag>\n");
            xml.Append("  </image>\n");
        }
        xml.Append("</annotations>\n");
        var xmlPath = temp.Write("annotations.xml", xml.ToString());
        using var upload = new ImportUpload(RaccoonImages().Prepend(UploadedFile.FromPath(xmlPath)));

        var plan = ImportPlanner.Plan(upload);

        Assert.Equal(ImportFormat.CvatXml, plan.Format);
        Assert.Equal(200, plan.Items.Count);
        Assert.Equal(217, plan.Items.Sum(i => i.Boxes.Count));
        Assert.Equal(100, plan.Items.Count(i => i.Split == DataSplit.Train));
        Assert.Equal(100, plan.Items.Count(i => i.Split == DataSplit.Validation));
        Assert.Equal(["night_time"], plan.Items[2].Labels);
        Assert.Equal(2, plan.Issues.Count);
        Assert.Contains(plan.Issues, i => i.Severity == ImportSeverity.Warning && i.SuggestedFix == "night_time");
        Assert.Contains(plan.Issues, i => i.Severity == ImportSeverity.Warning && i.Message.StartsWith("1 shape(s) that are not boxes", StringComparison.Ordinal));
        AssertMatchesVoc(plan);
    }

    /// <summary>COCO built here from the VOC files: ids, pixel [x,y,w,h] bbox (or the relative variant).</summary>
    private static string CocoFromVoc(bool relative)
    {
        var files = Voc.Select(v => (v.File, v.Width, v.Height)).Distinct().ToList();
        var imageIds = files.Select((f, i) => (f.File, Id: i + 1)).ToDictionary(x => x.File, x => x.Id);
        var doc = new
        {
            images = files.Select(f => new { id = imageIds[f.File], file_name = f.File, width = f.Width, height = f.Height }),
            categories = new[] { new { id = 7, name = "raccoon", supercategory = "animal" } },
            annotations = Voc.Select((v, i) => new
            {
                id = i + 1,
                image_id = imageIds[v.File],
                category_id = 7,
                bbox = relative
                    ? new[] { v.XMin / v.Width, v.YMin / v.Height, (v.XMax - v.XMin) / v.Width, (v.YMax - v.YMin) / v.Height }
                    : new[] { v.XMin, v.YMin, v.XMax - v.XMin, v.YMax - v.YMin },
                iscrowd = 0,
            }),
        };
        return JsonSerializer.Serialize(doc);
    }

    private static void AssertMatchesVoc(ImportPlan plan)
    {
        var byFile = plan.Items.ToDictionary(i => i.FileName, StringComparer.Ordinal);
        foreach (var group in Voc.GroupBy(v => v.File))
        {
            var item = byFile[group.Key];
            var expected = group.Select(v => (v.XMin / v.Width, v.YMin / v.Height, (v.XMax - v.XMin) / v.Width, (v.YMax - v.YMin) / v.Height))
                .OrderBy(b => b.Item1).ThenBy(b => b.Item2).ToList();
            var actual = item.Boxes.OrderBy(b => b.Left).ThenBy(b => b.Top).ToList();
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.Equal("raccoon", actual[i].Label);
                Assert.Equal(expected[i].Item1, actual[i].Left, 1e-9);
                Assert.Equal(expected[i].Item2, actual[i].Top, 1e-9);
                Assert.Equal(expected[i].Item3, actual[i].Width, 1e-9);
                Assert.Equal(expected[i].Item4, actual[i].Height, 1e-9);
            }
        }
    }
}
