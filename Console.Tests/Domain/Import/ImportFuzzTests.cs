using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using CsCheck;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Import;
using VisionConsole.Trainer.Imaging;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Domain.Import;

/// <summary>
/// Mutation fuzzing of what reads user files: each of the importer's formats (AutoML CSV, COCO JSON, Pascal VOC XML, CVAT XML,
/// a zip of them) through <see cref="ImportPlanner.Plan"/>, which promises never to throw for bad content, and image headers
/// through the libvips codec, which may only refuse with <see cref="ImageRejectedException"/>. Seeds are real files of
/// <c>../shared/datasets</c> (raccoon's own VOC XML and CSV, COCO, CVAT and AutoML CSV written from raccoon's boxes,
/// hymenoptera's photos); CsCheck mutates them (bit flips, bytes set, inserted, deleted, repeated, truncated, and tokens
/// each format cares about spliced in) and shrinks a failure to a reproducible seed. Each input must also finish within
/// <see cref="Deadline"/> and allocate at most <see cref="AllocationLimit"/>. The default run takes
/// <see cref="DefaultIterations"/> inputs per parser; <c>VISIONCONSOLE_FUZZ_ITERATIONS</c> sets another count (the long mode:
/// 100000).
/// </summary>
public sealed class ImportFuzzTests(ITestOutputHelper output)
{
    private const int DefaultIterations = 10000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private const long AllocationLimit = 256L * 1024 * 1024;

    private static readonly byte[][] Tokens = [.. new[]
    {
        ",", "\"", "\n", "\r\n", "\0", "<", ">", "</", "/>", "&amp;", "&#0;", "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>", "{", "}", "[", "]", ":", "null",
        "-1", "0", "1e309", "NaN", "-0", "99999999999999999999", "..", "../", "/", "\\", "gs://b/", "TRAIN", "UNASSIGNED", "\u202e", "\uFFFD",
    }.Select(Encoding.UTF8.GetBytes)];

    private static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable("VISIONCONSOLE_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : DefaultIterations;

    [Fact]
    public void Plan_MutatedAutoMlCsv_NeverThrows() => FuzzPlan("automl.csv", Encoding.UTF8.GetBytes(AutoMlCsv()));

    [Fact]
    public void Plan_MutatedUpstreamRaccoonCsv_NeverThrows() => FuzzPlan("train_labels.csv", File.ReadAllBytes(Path.Combine(ImportTestData.Raccoon, "data", "train_labels.csv"))[..4096]);

    [Fact]
    public void Plan_MutatedCocoJson_NeverThrows() => FuzzPlan("instances.json", Encoding.UTF8.GetBytes(CocoJson()));

    [Fact]
    public void Plan_MutatedPascalVocXml_NeverThrows() => FuzzPlan("raccoon-1.xml", File.ReadAllBytes(Path.Combine(ImportTestData.Raccoon, "annotations", "raccoon-1.xml")));

    [Fact]
    public void Plan_MutatedCvatXml_NeverThrows() => FuzzPlan("annotations.xml", Encoding.UTF8.GetBytes(CvatXml()));

    [Fact]
    public void Plan_MutatedZip_NeverThrows()
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var name in new[] { "raccoon-1.xml", "raccoon-2.xml" })
                archive.CreateEntryFromFile(Path.Combine(ImportTestData.Raccoon, "annotations", name), "annotations/" + name);
            using var csv = new StreamWriter(archive.CreateEntry("labels.csv").Open());
            csv.Write(AutoMlCsv()[..600]);
        }
        FuzzPlan("upload.zip", zip.ToArray());
    }

    [Fact]
    public void ReadHeader_MutatedPhotos_OnlyRefusesWithTheReason()
    {
        var codec = new VipsImageCodec();
        var seeds = new[] { "train/ants/0013035.jpg", "train/bees/2405441001_b06c36fa72.jpg" }
            .Select(f => File.ReadAllBytes(ImportTestData.Hymenoptera + "/" + f))
            .Append(File.ReadAllBytes(Directory.GetFiles(ImportTestData.Hymenoptera, "*.gif", SearchOption.AllDirectories).Single()))
            .ToArray();
        var refused = 0;
        var gen = Gen.Int[0, seeds.Length - 1].SelectMany(i => Mutated(seeds[i]));
        // libvips decodes headers in native code: fewer inputs than the managed parsers get, the same rules.
        Run(gen, bytes =>
        {
            try
            {
                var header = codec.ReadHeader(bytes);
                Assert.True(header.Width > 0 && header.Height > 0, $"a header of {header.Width} x {header.Height}");
            }
            catch (ImageRejectedException ex)
            {
                Assert.False(string.IsNullOrWhiteSpace(ex.Message));
                Interlocked.Increment(ref refused);
            }
        }, Math.Max(100, Iterations / 5));
        output.WriteLine($"image headers: {refused} of the mutated photos refused with a reason, the rest read");
    }

    /// <summary>Plans an upload of one mutated file: no exception, and every issue names a file and says why.</summary>
    private void FuzzPlan(string name, byte[] seed)
    {
        // The seed itself plans without a crash, and it is a real case for the parser (it yields items or issues).
        var baseline = Plan(name, seed);
        Assert.True(baseline.Items.Count > 0, $"{name}: the seed gives no items ({string.Join("; ", baseline.Issues.Take(3).Select(i => i.Message))})");
        var issues = 0L;
        Run(Mutated(seed), bytes =>
        {
            var plan = Plan(name, bytes);
            Assert.All(plan.Issues, i => Assert.False(string.IsNullOrWhiteSpace(i.Message) || string.IsNullOrWhiteSpace(i.Source), $"an issue without a file or a reason: {i}"));
            Interlocked.Add(ref issues, plan.Issues.Count);
        }, Iterations);
        output.WriteLine($"{name}: the seed plans {baseline.Items.Count} items ({baseline.Items.Sum(i => i.Boxes.Count + i.PixelBoxes.Count)} boxes, {baseline.Issues.Count} issues); {Iterations} mutated inputs planned without a crash, {issues} issues reported");
    }

    /// <summary>
    /// The mutated file with the raccoon photos its seed names (listed, never read, by the planner), so that what still
    /// parses becomes items and boxes and their checks run too.
    /// </summary>
    private static ImportPlan Plan(string name, byte[] bytes) =>
        ImportPlanner.Plan(new ImportUpload(Photos.Select(p => UploadedFile.FromPath(p, "images/" + Path.GetFileName(p)))
            .Prepend(new UploadedFile(name, () => new MemoryStream(bytes, writable: false)))));

    private static readonly string[] Photos = [.. Boxes().Select(b => b.File).Distinct().Select(f => Path.Combine(ImportTestData.Raccoon, "images", f))];

    /// <summary>Samples <paramref name="gen"/> <paramref name="iterations"/> times; each input must finish in time and within the allocation limit.</summary>
    private static void Run(Gen<byte[]> gen, Action<byte[]> check, int iterations) =>
        gen.Sample(bytes =>
        {
            var task = Task.Factory.StartNew(() =>
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                check(bytes);
                return GC.GetAllocatedBytesForCurrentThread() - before;
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            if (!task.Wait(Deadline))
                throw new TimeoutException($"an input of {bytes.Length} bytes took more than {Deadline.TotalSeconds} s");
            var allocated = task.GetAwaiter().GetResult();
            Assert.True(allocated < AllocationLimit, $"an input of {bytes.Length} bytes allocated {allocated:N0} bytes, more than the limit");
        }, iter: iterations, threads: 2, print: bytes => Convert.ToBase64String(bytes.Length > 2048 ? bytes[..2048] : bytes));

    /// <summary>One to eight mutations of <paramref name="seed"/>, each an operation at a position with a length, a byte and a token.</summary>
    private static Gen<byte[]> Mutated(byte[] seed) =>
        Gen.Select(Gen.Int[0, 6], Gen.Double.Unit, Gen.Int[1, 64], Gen.Byte, Gen.Int[0, Tokens.Length - 1], (op, at, length, value, token) => (op, at, length, value, token))
            .Array[1, 8]
            .Select(mutations =>
            {
                var bytes = new List<byte>(seed);
                foreach (var (op, at, length, value, token) in mutations)
                {
                    var i = (int)(at * bytes.Count);
                    var n = Math.Min(length, bytes.Count - i);
                    switch (op)
                    {
                        case 0 when i < bytes.Count: bytes[i] ^= (byte)(1 << (value % 8)); break;
                        case 1 when i < bytes.Count: bytes[i] = value; break;
                        case 2: bytes.InsertRange(i, Enumerable.Repeat(value, length)); break;
                        case 3 when n > 0: bytes.RemoveRange(i, n); break;
                        case 4 when n > 0: bytes.InsertRange(i, bytes.GetRange(i, n)); break;
                        case 5: bytes.RemoveRange(i, bytes.Count - i); break;
                        default: bytes.InsertRange(i, Tokens[token]); break;
                    }
                }
                return bytes.ToArray();
            });

    private static List<(string File, string Label, double XMin, double YMin, double XMax, double YMax, int Width, int Height)> Boxes() =>
        [.. ImportTestData.RaccoonVocBoxes().Take(24)];

    private static string AutoMlCsv() => string.Join('\n', Boxes().Select((b, k) => string.Create(CultureInfo.InvariantCulture,
        $"{(k % 5 == 0 ? "TEST" : "TRAIN")},gs://raccoons/images/{b.File},{b.Label},{b.XMin / b.Width:0.####},{b.YMin / b.Height:0.####},,,{b.XMax / b.Width:0.####},{b.YMax / b.Height:0.####},,")));

    private static string CocoJson()
    {
        var byFile = Boxes().GroupBy(b => b.File).ToList();
        return JsonSerializer.Serialize(new
        {
            images = byFile.Select((g, i) => new { id = i + 1, file_name = g.Key, width = g.First().Width, height = g.First().Height }),
            categories = new[] { new { id = 1, name = "raccoon" } },
            annotations = byFile.SelectMany((g, i) => g.Select(b => new { image_id = i + 1, category_id = 1, bbox = new[] { b.XMin, b.YMin, b.XMax - b.XMin, b.YMax - b.YMin } }))
                .Select((a, k) => new { id = k + 1, a.image_id, a.category_id, a.bbox }),
        });
    }

    private static string CvatXml()
    {
        var text = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotations><version>1.1</version>\n");
        foreach (var (g, i) in Boxes().GroupBy(b => b.File).Select((g, i) => (g, i)))
        {
            text.Append(CultureInfo.InvariantCulture, $"<image id=\"{i}\" name=\"{g.Key}\" width=\"{g.First().Width}\" height=\"{g.First().Height}\">");
            foreach (var b in g)
                text.Append(CultureInfo.InvariantCulture, $"<box label=\"{b.Label}\" xtl=\"{b.XMin}\" ytl=\"{b.YMin}\" xbr=\"{b.XMax}\" ybr=\"{b.YMax}\" occluded=\"0\"/>");
            text.Append("</image>\n");
        }
        return text.Append("</annotations>\n").ToString();
    }
}
