using System.Text;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Import;
using static VisionConsole.Tests.Domain.Import.ImportTestData;

namespace VisionConsole.Tests.Domain.Import;

/// <summary>The real hymenoptera set (train 245 / val 153, ants and bees, one GIF placeholder) as a folder zip and as AutoML CSV.</summary>
public sealed class HymenopteraImportTests
{
    private static List<(string Split, string Label, string File)> RealFiles() =>
        (from split in new[] { "train", "val" }
         from label in new[] { "ants", "bees" }
         from file in Directory.EnumerateFiles(Path.Combine(Hymenoptera, split, label)).Order(StringComparer.Ordinal)
         select (split, label, file)).ToList();

    [Fact]
    public void Plan_FolderPerLabelZipWithTrainValParents_Gives245TrainAnd153ValInTheRightLabels()
    {
        using var temp = new TempFolder();
        var files = RealFiles();
        // Zipped the way people zip a folder: everything under one top folder.
        var zip = WriteZip(temp.File("hymenoptera.zip"),
            files.Select(f => ($"hymenoptera_data/{f.Split}/{f.Label}/{Path.GetFileName(f.File)}", (string?)f.File, (byte[]?)null)));
        using var upload = new ImportUpload([UploadedFile.FromPath(zip)]);

        var plan = ImportPlanner.Plan(upload);

        Assert.Equal(ImportFormat.FolderTree, plan.Format);
        Assert.Empty(plan.Issues);
        Assert.Equal(398, plan.Items.Count);
        Assert.Equal(245, plan.Items.Count(i => i.Split == DataSplit.Train));
        Assert.Equal(153, plan.Items.Count(i => i.Split == DataSplit.Validation));
        Assert.Equal(["ants", "bees"], plan.Labels);
        Assert.Equal(DatasetKind.SingleLabel, plan.SuggestedKind);
        foreach (var (split, label, file) in files)
        {
            var item = Assert.Single(plan.Items, i => i.Path == $"hymenoptera_data/{split}/{label}/{Path.GetFileName(file)}");
            Assert.Equal([label], item.Labels);
            Assert.Equal(split == "train" ? DataSplit.Train : DataSplit.Validation, item.Split);
            Assert.Equal(new ImageReference("hymenoptera.zip", item.Path), item.Source);
        }
        // The GIF placeholder is listed like any file; the image intake decides about its content later.
        Assert.Contains(plan.Items, i => i.FileName == "imageNotFound.gif" && i.Labels.SequenceEqual(["ants"]));
    }

    [Fact]
    public void OpenImage_ItemFromZip_StreamsTheOriginalBytes()
    {
        using var temp = new TempFolder();
        var files = RealFiles().Take(3).ToList();
        var zip = WriteZip(temp.File("few.zip"), files.Select(f => ($"{f.Label}/{Path.GetFileName(f.File)}", (string?)f.File, (byte[]?)null)),
            System.IO.Compression.CompressionLevel.Optimal);
        using var upload = new ImportUpload([UploadedFile.FromPath(zip)]);
        var plan = ImportPlanner.Plan(upload);

        foreach (var (_, _, file) in files)
        {
            var item = plan.Items.Single(i => i.FileName == Path.GetFileName(file));
            using var stream = upload.OpenImage(item.Source);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            Assert.Equal(File.ReadAllBytes(file), copy.ToArray());
        }
    }

    [Fact]
    public void Plan_AutoMlCsvWithGsPathsAndLooseImages_GivesSameSplitsAndLabels()
    {
        using var temp = new TempFolder();
        var files = RealFiles();
        var csv = new StringBuilder("\uFEFF");
        foreach (var (split, label, file) in files)
            csv.Append($"{(split == "train" ? "train" : "VALIDATION")},gs://my-bucket/hymenoptera/{split}/{label}/{Path.GetFileName(file)},{label}\r\n");
        var csvPath = temp.Write("hymenoptera.csv", csv.ToString());
        var uploads = files.Select(f => UploadedFile.FromPath(f.File, $"{f.Split}/{f.Label}/{Path.GetFileName(f.File)}")).Prepend(UploadedFile.FromPath(csvPath));
        using var upload = new ImportUpload(uploads);

        var plan = ImportPlanner.Plan(upload);

        Assert.Equal(ImportFormat.Csv, plan.Format);
        Assert.Empty(plan.Issues);
        Assert.Equal(398, plan.Items.Count);
        Assert.Equal(245, plan.Items.Count(i => i.Split == DataSplit.Train));
        Assert.Equal(153, plan.Items.Count(i => i.Split == DataSplit.Validation));
        Assert.Equal(124 + 70, plan.Items.Count(i => i.Labels.SequenceEqual(["ants"])));
        Assert.Equal(121 + 83, plan.Items.Count(i => i.Labels.SequenceEqual(["bees"])));
        Assert.All(plan.Items, i => Assert.Equal(i.Path.Split('/')[1], i.Labels.Single()));
    }

    [Fact]
    public void Plan_AutoMlCsvBesideAZipOfImages_ResolvesPathsInsideTheZip()
    {
        using var temp = new TempFolder();
        var files = RealFiles();
        var zip = WriteZip(temp.File("images.zip"), files.Select(f => ($"{f.Split}/{f.Label}/{Path.GetFileName(f.File)}", (string?)f.File, (byte[]?)null)));
        var csv = temp.Write("labels.csv", string.Concat(files.Select(f =>
            $"{(f.Split == "train" ? "TRAIN" : "TEST")},{f.Split}/{f.Label}/{Path.GetFileName(f.File)},{f.Label}\n")));
        using var upload = new ImportUpload([UploadedFile.FromPath(csv), UploadedFile.FromPath(zip)]);

        var plan = ImportPlanner.Plan(upload);

        Assert.Empty(plan.Issues);
        Assert.Equal(398, plan.Items.Count);
        Assert.All(plan.Items, i => Assert.Equal("images.zip", i.Source.UploadName));
        Assert.Equal(153, plan.Items.Count(i => i.Split == DataSplit.Test));
        Assert.All(plan.Items, i => Assert.Equal(i.Path.Split('/')[1], i.Labels.Single()));
    }

    [Fact]
    public void Plan_AutoMlCsvListingAnImageTwice_GivesItBothLabels()
    {
        using var temp = new TempFolder();
        var (_, _, file) = RealFiles()[0];
        var name = Path.GetFileName(file);
        var csv = temp.Write("multi.csv", $"TRAIN,{name},ant,insect\nTRAIN,{name},golden retriever\n");
        using var upload = new ImportUpload([UploadedFile.FromPath(csv), UploadedFile.FromPath(file)]);

        var plan = ImportPlanner.Plan(upload);

        var item = Assert.Single(plan.Items);
        Assert.Equal(["ant", "insect", "golden_retriever"], item.Labels);
        Assert.Equal(DatasetKind.MultiLabel, plan.SuggestedKind);
        var warning = Assert.Single(plan.Issues);
        Assert.Equal((ImportSeverity.Warning, "multi.csv", 2, "golden_retriever"), (warning.Severity, warning.Source, warning.Line, warning.SuggestedFix));
    }

    [Fact]
    public void Plan_LooseImagesOnly_AreUnlabeledItems()
    {
        var files = RealFiles().Take(5).Select(f => UploadedFile.FromPath(f.File)).ToList();
        using var upload = new ImportUpload(files);

        var plan = ImportPlanner.Plan(upload);

        Assert.Equal(ImportFormat.FolderTree, plan.Format);
        Assert.Equal(5, plan.Items.Count);
        Assert.All(plan.Items, i => { Assert.Empty(i.Labels); Assert.Null(i.Split); });
        Assert.Empty(plan.Issues);
    }

    [Fact]
    public void Plan_UnstructuredZipWithRootImagesAndAReadme_GivesUnlabeledItemsAndWarnsAboutTheReadme()
    {
        using var temp = new TempFolder();
        var files = RealFiles().Take(4).ToList();
        var zip = WriteZip(temp.File("photos.zip"),
            files.Select(f => (Path.GetFileName(f.File), (string?)f.File, (byte[]?)null))
                .Append(("notes.md", null, "hello"u8.ToArray())));
        using var upload = new ImportUpload([UploadedFile.FromPath(zip)]);

        var plan = ImportPlanner.Plan(upload);

        Assert.Equal(4, plan.Items.Count);
        Assert.All(plan.Items, i => Assert.Empty(i.Labels));
        var warning = Assert.Single(plan.Issues);
        Assert.Equal((ImportSeverity.Warning, 5), (warning.Severity, warning.Entry));
        Assert.Contains("notes.md", warning.Message, StringComparison.Ordinal);
    }
}
