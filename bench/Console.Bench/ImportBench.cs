using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Storage;
using VisionConsole.Trainer.Imaging;

namespace VisionConsole.Bench;

/// <summary>
/// Issue 4: a 2,000-image import (hymenoptera's JPEGs, each copy made unique by a JPEG comment segment) through the
/// import job, against the image store alone and a plain copy of the same entries, with peak memory per phase; and
/// the dataset health query at 10,000 images.
/// </summary>
internal static class ImportBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 && int.TryParse(args[0], CultureInfo.InvariantCulture, out var n) ? n : 2000;
        var repository = ZooBenchmark.RepositoryRoot();
        var hymenoptera = ZooBenchmark.Option(args, "--dataset")
            ?? new[] { Path.Combine(repository, "..", "shared", "datasets", "hymenoptera"), Path.Combine(repository, "..", "..", "shared", "datasets", "hymenoptera") }
                .Select(Path.GetFullPath).FirstOrDefault(Directory.Exists)
            ?? throw new DirectoryNotFoundException("No hymenoptera dataset: pass --dataset DIR.");
        var root = Path.Combine(Path.GetTempPath(), "vc-bench-import-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            var (zip, totalBytes) = BuildZip(hymenoptera, Path.Combine(root, "upload.zip"), count);
            // Warm the page cache so no phase pays the first read.
            await using (var warm = File.OpenRead(zip))
                await warm.CopyToAsync(Stream.Null);

            var rows = new List<Row>();
            rows.Add(await MeasureAsync("copy zip entries to files (I/O floor)", count, async () =>
            {
                using var upload = new ImportUpload([UploadedFile.FromPath(zip)]);
                var plan = ImportPlanner.Plan(upload);
                var target = Path.Combine(root, "copy");
                Directory.CreateDirectory(target);
                foreach (var item in plan.Items)
                {
                    await using var input = upload.OpenImage(item.Source);
                    await using var output = File.Create(Path.Combine(target, "x"));
                    await input.CopyToAsync(output);
                }
            }));

            await using (var storeOnly = await ServicesAsync(Path.Combine(root, "store-only")))
            {
                var store = storeOnly.GetRequiredService<IImageStore>();
                rows.Add(await MeasureAsync("IImageStore.StoreAsync alone (baseline)", count, async () =>
                {
                    using var upload = new ImportUpload([UploadedFile.FromPath(zip)]);
                    foreach (var item in ImportPlanner.Plan(upload).Items)
                    {
                        await using var input = upload.OpenImage(item.Source);
                        await store.StoreAsync(item.FileName, input);
                    }
                }));
            }

            ImportResult? result = null;
            await using (var full = await ServicesAsync(Path.Combine(root, "import")))
            {
                var dataset = await full.GetRequiredService<IDatasetService>().CreateAsync("bench", DatasetKind.SingleLabel, "bench");
                var job = full.GetRequiredService<ImportJob>();
                rows.Add(await MeasureAsync("ImportJob: plan + store + register + labels", count, async () =>
                    result = await job.RunAsync(1, new ImportRequest(dataset.Id, [new ImportFile("upload.zip", zip)]), null, CancellationToken.None)));
            }
            if (result is null || result.Imported != count || result.Refused != 0)
            {
                Console.Error.WriteLine($"Import did not take every image: {result}");
                return 1;
            }

            var health = await HealthAsync(Path.Combine(root, "health"));

            var baseline = rows[1].Seconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Import of {count} JPEGs ({totalBytes / 1048576.0:0.0} MiB in a stored zip), {Environment.ProcessorCount} logical processors, {DateTime.UtcNow:yyyy-MM-dd}"));
            Console.WriteLine("| phase | images | seconds | images/s | time vs StoreAsync alone | peak RSS (MiB) | peak managed heap (MiB) |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            foreach (var r in rows)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Name} | {r.Images} | {r.Seconds:0.00} | {r.Images / r.Seconds:0.0} | {r.Seconds / baseline:0.00} | {r.PeakRssMiB:0} | {r.PeakManagedMiB:0} |"));
            }
            var growth = rows[2].PeakRssMiB - rows[2].StartRssMiB;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"\nAll {count} images together: {totalBytes / 1048576.0:0} MiB. The import's peak RSS was {rows[2].PeakRssMiB:0} MiB, {growth:0} MiB above the {rows[2].StartRssMiB:0} MiB the process held before it (runtime, libvips, SQLite): the import's own working set is {growth * 1048576.0 / totalBytes:P0} of the images' total size, and its managed heap peaked at {rows[2].PeakManagedMiB:0} MiB."));
            Console.WriteLine("\n| health query (10,000 images, 2 labels, 5,000 boxes, 200 near-duplicate pairs) | ms | ratio to one COUNT(*) of the images |");
            Console.WriteLine("|---|---|---|");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| SELECT COUNT(*) (baseline) | {health.CountMs:0.0} | 1.0 |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| DatasetHealthService.GetAsync | {health.HealthMs:0.0} | {health.HealthMs / health.CountMs:0.0} |"));
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    private sealed record Row(string Name, int Images, double Seconds, double PeakRssMiB, double PeakManagedMiB, double StartRssMiB);

    /// <summary>Runs a phase with the peak-RSS counter reset (Linux clear_refs 5) and the managed heap sampled every 20 ms.</summary>
    private static async Task<Row> MeasureAsync(string name, int images, Func<Task> phase)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var resetWorked = TryResetPeakRss();
        var startRss = ReadStatusKiB("VmRSS") / 1024.0;
        double sampledRss = startRss, managed = GC.GetTotalMemory(false) / 1048576.0;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                sampledRss = Math.Max(sampledRss, ReadStatusKiB("VmRSS") / 1024.0);
                managed = Math.Max(managed, GC.GetTotalMemory(false) / 1048576.0);
                try { await Task.Delay(20, stop.Token); } catch (OperationCanceledException) { }
            }
        });
        var watch = Stopwatch.StartNew();
        await phase();
        watch.Stop();
        await stop.CancelAsync();
        await sampler;
        // VmHWM is exact when clear_refs could reset it; otherwise the 20 ms samples are the figure.
        var peak = resetWorked ? ReadStatusKiB("VmHWM") / 1024.0 : sampledRss;
        return new Row(name, images, watch.Elapsed.TotalSeconds, peak, managed, startRss);
    }

    private static bool TryResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return ReadStatusKiB("VmHWM") <= ReadStatusKiB("VmRSS") + 1024;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long ReadStatusKiB(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
                return long.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        return 0;
    }

    /// <summary>
    /// A stored (uncompressed) folder-per-label zip of <paramref name="count"/> JPEGs: hymenoptera's photos in turn, each
    /// copy given a JPEG comment segment after SOI naming the copy, so every file's sha256 differs and it still decodes.
    /// </summary>
    private static (string Zip, long TotalBytes) BuildZip(string hymenoptera, string zipPath, int count)
    {
        var photos = Directory.EnumerateFiles(hymenoptera, "*", SearchOption.AllDirectories)
            .Where(p => p.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).Select(p => (Path: p, Bytes: File.ReadAllBytes(p)))
            .Where(p => p.Bytes.Length > 2 && p.Bytes[0] == 0xFF && p.Bytes[1] == 0xD8).ToList();
        long total = 0;
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        using var stream = File.Create(zipPath);
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create);
        for (var i = 0; i < count; i++)
        {
            var (path, bytes) = photos[i % photos.Count];
            var comment = Encoding.ASCII.GetBytes($"vision-console bench copy {i}");
            var copy = new byte[bytes.Length + 4 + comment.Length];
            bytes.AsSpan(0, 2).CopyTo(copy);
            copy[2] = 0xFF;
            copy[3] = 0xFE; // COM segment: length (2 bytes, including itself) then the text.
            BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(4), (ushort)(comment.Length + 2));
            comment.CopyTo(copy, 6);
            bytes.AsSpan(2).CopyTo(copy.AsSpan(6 + comment.Length));
            hashes.Add(Convert.ToHexStringLower(SHA256.HashData(copy)));
            var label = Path.GetFileName(Path.GetDirectoryName(path))!;
            var entry = zip.CreateEntry($"{label}/{i:D5}-{Path.GetFileName(path)}", CompressionLevel.NoCompression);
            using var target = entry.Open();
            target.Write(copy);
            total += copy.Length;
        }
        if (hashes.Count != count)
            throw new InvalidOperationException("The copies are not all distinct.");
        return (zipPath, total);
    }

    private static async Task<ServiceProvider> ServicesAsync(string dataFolder)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddConsoleDomain(new ConsoleOptions { DataFolder = dataFolder });
        services.AddVipsImaging();
        services.AddOptions<ImageStoreOptions>().Configure<ConsoleOptions>((store, console) => store.BlobFolder = console.BlobFolder);
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<ConsoleDatabase>().InitializeAsync();
        return provider;
    }

    /// <summary>Health of a 10,000-image detection dataset (rows only, with perceptual hashes: 200 near-duplicate pairs), median of 5 runs, against a COUNT(*) of its images.</summary>
    private static async Task<(double CountMs, double HealthMs)> HealthAsync(string dataFolder)
    {
        await using var services = await ServicesAsync(dataFolder);
        var datasets = services.GetRequiredService<IDatasetService>();
        var summary = await datasets.CreateAsync("health", DatasetKind.ObjectDetection, "bench");
        await datasets.AddLabelAsync(summary.Id, "car", "bench");
        await datasets.AddLabelAsync(summary.Id, "person", "bench");
        var factory = services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            var dataset = await db.Datasets.SingleAsync(d => d.Id == summary.Id);
            var labels = await db.Labels.Where(l => l.DatasetId == summary.Id).OrderBy(l => l.Name).ToListAsync();
            for (var i = 0; i < 10_000; i++)
            {
                var digest = SHA256.HashData(BitConverter.GetBytes(i));
                var sha = Convert.ToHexStringLower(digest);
                // Unrelated pictures' hashes, and every 50th image a near copy of the one before (2 bits flipped).
                var hash = BitConverter.ToInt64(i % 50 == 1 ? SHA256.HashData(BitConverter.GetBytes(i - 1)) : digest) ^ (i % 50 == 1 ? 0b101L : 0);
                var image = new Image(dataset.Id, new StoredImage(sha, ImageFormat.Jpeg, 640, 480, 50_000, false, hash), $"{i}.jpg", "bench", DateTimeOffset.UtcNow);
                if (i % 2 == 0)
                    image.AddBox(labels[i % 4 == 0 ? 0 : 1], new BoxRect(0.1, 0.1, 0.005 + (i % 100) / 200.0, 0.3), "bench", DateTimeOffset.UtcNow);
                db.Images.Add(image);
            }
            await db.SaveChangesAsync();
        }
        var health = services.GetRequiredService<DatasetHealthService>();
        var first = await health.GetAsync(summary.Id);
        if (first.Warnings.FirstOrDefault(w => w.Code == "duplicates") is not { } duplicates || !duplicates.Message.StartsWith("200 group(s)", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The health query did not find the 200 planted near-duplicate pairs.");
        }
        var countMs = new List<double>();
        var healthMs = new List<double>();
        for (var run = 0; run < 5; run++)
        {
            var watch = Stopwatch.StartNew();
            await using (var db = await factory.CreateDbContextAsync())
                await db.Images.CountAsync(i => i.DatasetId == summary.Id);
            countMs.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            await health.GetAsync(summary.Id);
            healthMs.Add(watch.Elapsed.TotalMilliseconds);
        }
        return (countMs.Order().ElementAt(2), healthMs.Order().ElementAt(2));
    }
}
