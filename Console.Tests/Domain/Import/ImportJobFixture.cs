using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Import;
using VisionConsole.Trainer.Imaging;
using static VisionConsole.Tests.Domain.Import.ImportTestData;

namespace VisionConsole.Tests.Domain.Import;

/// <summary>A real SQLite file, the real libvips image store and the import/export jobs over them.</summary>
internal static class ImportJobFixture
{
    public static Task<TestDatabase> CreateAsync() => TestDatabase.CreateAsync(AddImaging);

    /// <summary>The real libvips image store over the data folder's blobs.</summary>
    public static void AddImaging(IServiceCollection services)
    {
        services.AddVipsImaging();
        services.AddOptions<ImageStoreOptions>().Configure<ConsoleOptions>((store, console) => store.BlobFolder = console.BlobFolder);
    }

    private static long _nextOperation = 1000;

    public static long NextOperationId() => Interlocked.Increment(ref _nextOperation);

    public static async Task<ImportResult> ImportAsync(this TestDatabase db, long datasetId, IEnumerable<ImportFile> files,
        IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default, ImportFormat format = ImportFormat.Auto) =>
        await db.Get<ImportJob>().RunAsync(NextOperationId(), new ImportRequest(datasetId, files.ToList(), format, User: "ann"), progress, cancellationToken);

    public static async Task<string> ExportAsync(this TestDatabase db, long datasetId, ExportFormat format)
    {
        var result = await db.Get<ExportJob>().RunAsync(NextOperationId(), new ExportRequest(datasetId, format), null, CancellationToken.None);
        return Path.Combine(db.Options.DataFolder, result.File);
    }

    public static IEnumerable<ImportFile> Loose(string folder, string prefix) =>
        Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal).Select(p => new ImportFile(prefix + Path.GetFileName(p), p));

    public static List<(string Split, string Label, string File)> HymenopteraFiles() =>
        (from split in new[] { "train", "val" }
         from label in new[] { "ants", "bees" }
         from file in Directory.EnumerateFiles(Path.Combine(Hymenoptera, split, label)).Order(StringComparer.Ordinal)
         select (split, label, file)).ToList();

    public static string Sha256Of(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>A dataset's content keyed by image sha256: split, sorted whole-image labels, boxes sorted.</summary>
    public static async Task<Dictionary<string, ImageContent>> SnapshotAsync(this TestDatabase db, long datasetId)
    {
        await using var context = db.OpenContext();
        var images = await context.Images.AsNoTracking().Where(i => i.DatasetId == datasetId)
            .Include(i => i.Labels).ThenInclude(l => l.Label).Include(i => i.Boxes).ThenInclude(b => b.Label).ToListAsync();
        return images.ToDictionary(i => i.Sha256, i => new ImageContent(
            i.FileName, i.Split,
            i.Labels.Select(l => l.Label!.Name).Order(StringComparer.Ordinal).ToList(),
            i.Boxes.Select(b => (b.Label!.Name, b.Left, b.Top, b.Width, b.Height)).OrderBy(b => b.Left).ThenBy(b => b.Top).ThenBy(b => b.Width).ToList()));
    }

    /// <summary>Asserts two snapshots hold the same images, splits and labels, and boxes equal to 1e-6.</summary>
    public static void AssertSameContent(Dictionary<string, ImageContent> expected, Dictionary<string, ImageContent> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (sha, e) in expected)
        {
            var a = actual[sha];
            Assert.Equal(e.Split, a.Split);
            Assert.Equal(e.Labels, a.Labels);
            Assert.Equal(e.Boxes.Count, a.Boxes.Count);
            for (var k = 0; k < e.Boxes.Count; k++)
            {
                Assert.Equal(e.Boxes[k].Label, a.Boxes[k].Label);
                Assert.Equal(e.Boxes[k].Left, a.Boxes[k].Left, 1e-6);
                Assert.Equal(e.Boxes[k].Top, a.Boxes[k].Top, 1e-6);
                Assert.Equal(e.Boxes[k].Width, a.Boxes[k].Width, 1e-6);
                Assert.Equal(e.Boxes[k].Height, a.Boxes[k].Height, 1e-6);
            }
        }
    }

    /// <summary>Reads the import report CSV back: (severity, source, line, entry, message, fix) per row.</summary>
    public static List<string[]> ReadReport(string path)
    {
        var rows = new List<string[]>();
        using var reader = new StreamReader(path, Encoding.UTF8);
        foreach (var record in new CsvRecordReader(reader).ReadAll())
            rows.Add(record.Fields.ToArray());
        return rows;
    }

    public static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

internal sealed record ImageContent(string FileName, DataSplit Split, List<string> Labels, List<(string Label, double Left, double Top, double Width, double Height)> Boxes);
