using System.IO.Compression;
using System.Security.Cryptography;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Import;
using VisionConsole.Tests.Domain.Import;
using static VisionConsole.Tests.Domain.Import.ImportTestData;

namespace VisionConsole.Tests.Domain.Export;

/// <summary>Every export layout, written from real images and read back by the importer: same labels, boxes (1e-6) and splits.</summary>
public sealed class ExportRoundTripTests
{
    private static readonly DataSplit[] Splits = [DataSplit.Train, DataSplit.Validation, DataSplit.Test, DataSplit.Unassigned];

    /// <summary>Raccoon images with their real VOC boxes, plus made-up extra boxes and an image with none, over all four splits.</summary>
    private static (ExportModel Model, Dictionary<string, string> Blobs) DetectionModel()
    {
        var blobs = new Dictionary<string, string>();
        var images = new List<ExportImage>();
        var groups = RaccoonVocBoxes().GroupBy(v => v.File).Take(24).ToList();
        for (var i = 0; i < groups.Count; i++)
        {
            var g = groups.ToList()[i].ToList();
            var path = Path.Combine(Raccoon, "images", g[0].File);
            var sha = Sha(path);
            blobs[sha] = path;
            var boxes = g.Select(v => new ExportBox("raccoon", v.XMin / v.Width, v.YMin / v.Height, (v.XMax - v.XMin) / v.Width, (v.YMax - v.YMin) / v.Height)).ToList();
            if (i % 3 == 0)
                boxes.Add(new ExportBox("tail", 0.123456789, 1 / 3.0, 0.2 / 7, 0.5)); // non-round values
            if (i == 5)
                boxes.Clear();
            images.Add(new ExportImage(g[0].File, sha, g[0].Width, g[0].Height, Splits[i % 4], [], boxes));
        }
        return (new ExportModel(DatasetKind.ObjectDetection, ["raccoon", "tail"], images), blobs);
    }

    /// <summary>Hymenoptera images, labels ants/bees, all four splits, some unlabeled, one with two labels in the multi-label variant.</summary>
    private static (ExportModel Model, Dictionary<string, string> Blobs) ClassificationModel(bool multiLabel)
    {
        var blobs = new Dictionary<string, string>();
        var images = new List<ExportImage>();
        var i = 0;
        foreach (var label in new[] { "ants", "bees" })
        {
            foreach (var path in Directory.EnumerateFiles(Path.Combine(Hymenoptera, "val", label)).Order(StringComparer.Ordinal).Take(10))
            {
                var sha = Sha(path);
                blobs[sha] = path;
                IReadOnlyList<string> labels = i % 7 == 3 ? [] : multiLabel && i % 5 == 0 ? [label, "insect"] : [label];
                images.Add(new ExportImage(Path.GetFileName(path), sha, 500, 375, Splits[i % 4], labels, []));
                i++;
            }
        }
        // Two different images with the same name must both survive (the writer renames one).
        var extra = Directory.EnumerateFiles(Path.Combine(Hymenoptera, "train", "bees")).Order(StringComparer.Ordinal).First();
        blobs[Sha(extra)] = extra;
        images.Add(new ExportImage(images[0].FileName, Sha(extra), 500, 375, DataSplit.Train, ["bees"], []));
        var kind = multiLabel ? DatasetKind.MultiLabel : DatasetKind.SingleLabel;
        return (new ExportModel(kind, multiLabel ? ["ants", "bees", "insect"] : ["ants", "bees"], images), blobs);
    }

    [Theory]
    [InlineData(ExportFormat.AutoMlCsv)]
    [InlineData(ExportFormat.Coco)]
    [InlineData(ExportFormat.PascalVoc)]
    public async Task WriteZipAsync_DetectionDataset_ReadsBackTheSameBoxesAndSplits(ExportFormat format)
    {
        var (model, blobs) = DetectionModel();

        var plan = await ExportAndImport(model, blobs, format);

        Assert.Empty(plan.Issues);
        AssertSame(model, plan, boxes: true);
    }

    [Theory]
    [InlineData(ExportFormat.FolderZip, false)]
    [InlineData(ExportFormat.AutoMlCsv, false)]
    [InlineData(ExportFormat.AutoMlCsv, true)]
    [InlineData(ExportFormat.Coco, false)]
    [InlineData(ExportFormat.Coco, true)]
    public async Task WriteZipAsync_ClassificationDataset_ReadsBackTheSameLabelsAndSplits(ExportFormat format, bool multiLabel)
    {
        var (model, blobs) = ClassificationModel(multiLabel);

        var plan = await ExportAndImport(model, blobs, format);

        Assert.Empty(plan.Issues);
        AssertSame(model, plan, boxes: false);
    }

    [Fact]
    public async Task WriteZipAsync_FolderZipAllUnassigned_WritesLabelFoldersAtTheRoot()
    {
        var (model, blobs) = ClassificationModel(false);
        model = model with { Images = model.Images.Select(i => i with { Split = DataSplit.Unassigned }).ToList() };
        using var temp = new TempFolder();
        var zip = temp.File("export.zip");
        await using (var output = File.Create(zip))
            await DatasetExporter.WriteZipAsync(model, ExportFormat.FolderZip, sha => File.OpenRead(blobs[sha]), output);

        using (var archive = ZipFile.OpenRead(zip))
            Assert.All(archive.Entries, e => Assert.True(e.FullName.StartsWith("ants/", StringComparison.Ordinal) || e.FullName.StartsWith("bees/", StringComparison.Ordinal) || !e.FullName.Contains('/', StringComparison.Ordinal)));
        using var upload = new ImportUpload([UploadedFile.FromPath(zip)]);
        var plan = ImportPlanner.Plan(upload);
        Assert.Empty(plan.Issues);
        Assert.All(plan.Items, i => Assert.Null(i.Split));
        AssertSame(model, plan, boxes: false);
    }

    [Fact]
    public async Task WriteZipAsync_ExportedImages_AreTheOriginalBytes()
    {
        var (model, blobs) = DetectionModel();
        using var temp = new TempFolder();
        var zip = temp.File("export.zip");
        await using (var output = File.Create(zip))
            await DatasetExporter.WriteZipAsync(model, ExportFormat.Coco, sha => File.OpenRead(blobs[sha]), output);
        using var upload = new ImportUpload([UploadedFile.FromPath(zip)]);
        var plan = ImportPlanner.Plan(upload);

        foreach (var item in plan.Items)
        {
            using var stream = upload.OpenImage(item.Source);
            var expected = model.Images.Single(i => i.FileName == item.FileName).Sha256;
            Assert.Equal(expected, Convert.ToHexStringLower(SHA256.HashData(stream)));
        }
    }

    [Fact]
    public async Task WriteZipAsync_LayoutThatCannotHoldTheDataset_ThrowsDomainException()
    {
        var (detection, blobs) = DetectionModel();
        var (classification, _) = ClassificationModel(false);

        var folders = await Assert.ThrowsAsync<DomainException>(() => DatasetExporter.WriteZipAsync(detection, ExportFormat.FolderZip, sha => File.OpenRead(blobs[sha]), Stream.Null));
        var voc = await Assert.ThrowsAsync<DomainException>(() => DatasetExporter.WriteZipAsync(classification, ExportFormat.PascalVoc, sha => File.OpenRead(blobs[sha]), Stream.Null));

        Assert.Equal("export-unsupported", folders.Code);
        Assert.Equal("export-unsupported", voc.Code);
    }

    [Fact]
    public void WriteAutoMlCsv_DetectionDataset_WritesTwoVertexRowsWithTheSetColumn()
    {
        var model = new ExportModel(DatasetKind.ObjectDetection, ["cat"], [
            new ExportImage("a.jpg", "00", 100, 100, DataSplit.Validation, [], [new ExportBox("cat", 0.1, 0.2, 0.3, 0.4)]),
            new ExportImage("b,c.jpg", "01", 100, 100, DataSplit.Unassigned, [], []),
        ]);
        using var writer = new StringWriter();

        DatasetExporter.WriteAutoMlCsv(writer, model, i => "gs://bucket/dir/" + model.Images[i].FileName);

        Assert.Equal("VALIDATION,gs://bucket/dir/a.jpg,cat,0.1,0.2,,,0.4,0.6000000000000001,,\nUNASSIGNED,\"gs://bucket/dir/b,c.jpg\",,,,,,,,,\n", writer.ToString());
    }

    private static async Task<ImportPlan> ExportAndImport(ExportModel model, Dictionary<string, string> blobs, ExportFormat format)
    {
        using var temp = new TempFolder();
        var zip = temp.File("export.zip");
        // A non-seekable target, like an HTTP response body.
        await using (var file = File.Create(zip))
        await using (var output = new ForwardOnlyStream(file))
            await DatasetExporter.WriteZipAsync(model, format, sha => File.OpenRead(blobs[sha]), output);
        using var upload = new ImportUpload([UploadedFile.FromPath(zip)]);
        return ImportPlanner.Plan(upload);
    }

    private static void AssertSame(ExportModel model, ImportPlan plan, bool boxes)
    {
        var names = DatasetExporter.UniqueFileNames(model.Images);
        var expectedItems = model.Kind == DatasetKind.MultiLabel && plan.Format == ImportFormat.FolderTree
            ? model.Images.Sum(i => Math.Max(1, i.Labels.Count)) : model.Images.Count;
        Assert.Equal(expectedItems, plan.Items.Count);
        for (var i = 0; i < model.Images.Count; i++)
        {
            var image = model.Images[i];
            var items = plan.Items.Where(p => p.FileName == names[i]).ToList();
            Assert.NotEmpty(items);
            Assert.All(items, item => Assert.Equal(image.Split, item.Split ?? DataSplit.Unassigned));
            Assert.Equal(image.Labels.Order(StringComparer.Ordinal), items.SelectMany(x => x.Labels).Order(StringComparer.Ordinal));
            if (!boxes)
                continue;
            var item = Assert.Single(items);
            Assert.True(item.Annotated);
            var expected = image.Boxes.OrderBy(b => b.Left).ThenBy(b => b.Top).ToList();
            var actual = item.Boxes.OrderBy(b => b.Left).ThenBy(b => b.Top).ToList();
            Assert.Equal(expected.Count, actual.Count);
            for (var b = 0; b < expected.Count; b++)
            {
                Assert.Equal(expected[b].Label, actual[b].Label);
                Assert.Equal(expected[b].Left, actual[b].Left, 1e-6);
                Assert.Equal(expected[b].Top, actual[b].Top, 1e-6);
                Assert.Equal(expected[b].Width, actual[b].Width, 1e-6);
                Assert.Equal(expected[b].Height, actual[b].Height, 1e-6);
            }
        }
    }

    private static string Sha(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>A write-only, non-seekable wrapper (like an HTTP response body or a pipe).</summary>
    private sealed class ForwardOnlyStream(Stream inner) : Stream
    {
        private long _written;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        // ZipArchive writes data descriptors synchronously even on its async path, so sync writes must work.
        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            _written += count;
        }
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            _written += buffer.Length;
        }
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
