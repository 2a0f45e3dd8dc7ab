using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Storage;
using VisionConsole.Domain.Training;
using VisionConsole.Trainer.Embedding;
using VisionConsole.Trainer.Imaging;
using VisionConsole.Trainer.Jobs;
using VisionConsole.Trainer.Inference;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Bench;

/// <summary>
/// Issue 5: per model type, training on hymenoptera through the product (domain + trainer services as the console
/// registers them, a real SQLite file in a fresh data folder, the hosted trainer), cold then warm feature cache;
/// validation accuracy from the model's evaluation; prediction latency and throughput; model size. The baseline,
/// measured in the same run, is plain feature extraction of the same images (libvips decode + EmbeddingService, one view).
/// </summary>
internal static class TrainingBenchmark
{
    private static readonly string[] ModelTypes = ["mobile-low-latency-1", "mobile-versatile-1", "mobile-high-accuracy-1"];
    private const int Batch = 16;
    private const string User = "bench";

    private sealed record Split(string Folder, DataSplit DataSplit, string Label, string Path, byte[] Bytes);

    private sealed record TrainingRun(double Seconds, OperationSummary Operation);

    private sealed record TypeResult(
        string ModelType, int ImportedImages, double ImportSeconds, TrainingRun Cold, TrainingRun Warm, string Backbone,
        int TrainingViews, double? Accuracy, int EvaluatedImages, double P50, double P95, double Batch1, double Batch16,
        long OnnxBytes, long PackageBytes, string? Error);

    public static async Task<int> RunAsync(string[] args)
    {
        var root = ZooBenchmark.RepositoryRoot();
        var mirror = ZooBenchmark.FindMirror(args, root);
        var dataset = ZooBenchmark.FindHymenoptera(args, root);
        var only = ZooBenchmark.Option(args, "--only")?.Split(',');
        var zooData = Directory.CreateDirectory(Path.Combine(root, ".cache", "bench")).FullName;
        var npmCache = Path.Combine(root, ".cache", "npm-pack");

        // hymenoptera holds out val/, food10 and flowers12 test/: either becomes VALIDATION, the evaluation set.
        var heldOut = Directory.Exists(Path.Combine(dataset, "val")) ? "val" : "test";
        var labels = Directory.GetDirectories(Path.Combine(dataset, "train")).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray();
        var images = (from folder in new[] { ("train", DataSplit.Train), (heldOut, DataSplit.Validation) }
                      from label in labels
                      from file in Directory.EnumerateFiles(Path.Combine(dataset, folder.Item1, label)).Order(StringComparer.Ordinal)
                      select new Split(folder.Item1, folder.Item2, label, file, File.ReadAllBytes(file))).ToList();
        var validation = images.Where(i => i.DataSplit == DataSplit.Validation).ToList();

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {ZooBenchmark.CpuModel()}, load average {ZooBenchmark.LoadAverage()}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"ONNX Runtime {new OrtRuntime(Options.Create(new OrtOptions())).Version}; mirror {mirror}; dataset {dataset} ({images.Count} files)");

        // The backbone files are prepared once (converted from the mirror into .cache/bench, as `zoo` does) so that
        // neither the baseline nor a cold training pays for that one-off conversion; every data folder below is fresh.
        var zoo = new ModelZoo(new ZooOptions(zooData, mirror, npmCache, AllowDownloads: false));
        var backbone = zoo.Catalog.Single(b => b.Id == ZooCatalog.MobileNetV2Int8);
        var backbonePath = await zoo.GetModelPathAsync(backbone.Id);

        var baseline = MeasureBaseline(backbone, backbonePath, images, validation);
        Console.WriteLine($"  baseline done: {baseline.AllSeconds:0.00} s for {images.Count} images (load average {ZooBenchmark.LoadAverage()})");

        var results = new List<TypeResult>();
        foreach (var modelType in ModelTypes.Where(t => only is null || only.Contains(t)))
        {
            var result = await MeasureModelTypeAsync(modelType, mirror, zooData, npmCache, images, validation);
            results.Add(result);
            Console.WriteLine($"  {modelType} done{(result.Error is null ? "" : ": " + result.Error)} (load average {ZooBenchmark.LoadAverage()})");
        }

        Print(baseline, results, images.Count, backbone.Id);
        return results.Any(r => r.Error is not null) ? 1 : 0;
    }

    private sealed record Baseline(double AllSeconds, double P50, double P95, double Batch1, double Batch16, long BackboneBytes, int ValidationImages);

    /// <summary>
    /// Plain feature extraction, the floor under any training or prediction: decode at the input size (centre crop,
    /// libvips) and one backbone pass per image through a fresh EmbeddingService (session creation included, as in a
    /// cold training), no cache, no database, no head.
    /// </summary>
    private static Baseline MeasureBaseline(BackboneInfo backbone, string model, List<Split> images, List<Split> validation)
    {
        var codec = new VipsImageCodec();
        var side = backbone.Preprocessing.Width;
        RgbImage Decode(Split image) => codec.DecodeRgb(image.Bytes, side, side, FitMode.CenterCrop);

        double allSeconds;
        using (var cold = new EmbeddingService(new OrtRuntime(Options.Create(new OrtOptions())), Options.Create(new EmbeddingOptions { BatchSize = Batch })))
        {
            var watch = Stopwatch.StartNew();
            foreach (var chunk in images.Chunk(Batch))
            {
                cold.Embed(backbone, model, chunk.Where(IsDecodable(codec)).Select(Decode).ToArray());
            }
            allSeconds = watch.Elapsed.TotalSeconds;
        }

        using var service = new EmbeddingService(new OrtRuntime(Options.Create(new OrtOptions())), Options.Create(new EmbeddingOptions { BatchSize = Batch }));
        var usable = validation.Where(IsDecodable(codec)).ToList();
        service.Embed(backbone, model, usable.Take(Batch).Select(Decode).ToArray());
        var (p50, p95, batch1) = Latencies(usable, image => service.Embed(backbone, model, [Decode(image)]));
        var batch16 = Throughput16(usable, chunk => service.Embed(backbone, model, chunk.Select(Decode).ToArray()));
        return new Baseline(allSeconds, p50, p95, batch1, batch16, new FileInfo(model).Length, usable.Count);
    }

    private static Func<Split, bool> IsDecodable(IImageCodec codec) => image =>
    {
        try
        {
            codec.DecodeRgb(image.Bytes, 8, 8, FitMode.CenterCrop);
            return true;
        }
        catch (ImageRejectedException)
        {
            return false;
        }
    };

    private static async Task<TypeResult> MeasureModelTypeAsync(string modelType, string mirror, string zooData, string npmCache, List<Split> images, List<Split> validation)
    {
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"vc-trainbench-{Guid.NewGuid():N}")).FullName;
        try
        {
            using var host = BuildHost(folder, mirror, zooData, npmCache);
            await host.StartAsync();
            try
            {
                var services = host.Services;
                var importWatch = Stopwatch.StartNew();
                var (datasetId, imported) = await ImportAsync(services, images);
                var importSeconds = importWatch.Elapsed.TotalSeconds;

                var training = services.GetRequiredService<ITrainingService>();
                var operations = services.GetRequiredService<IOperationService>();
                var cold = await TrainAsync(training, operations, datasetId, modelType, "cold");
                var warm = await TrainAsync(training, operations, datasetId, modelType, "warm");
                var failed = new[] { cold, warm }.FirstOrDefault(r => r.Operation.State != OperationState.Succeeded);
                if (failed is not null)
                {
                    return Failed(modelType, imported, importSeconds, cold, warm, $"training {failed.Operation.State}: {failed.Operation.Error}");
                }

                var models = services.GetRequiredService<IModelService>();
                var modelId = warm.Operation.ResultModelId!.Value;
                var evaluation = await models.GetEvaluationAsync(modelId);
                var summary = await models.GetAsync(modelId);

                // Single images through the product's :predict path: model lookup in SQLite, decode and frame, model.onnx.
                var accepted = validation.Where(v => IsDecodable(services.GetRequiredService<IImageCodec>())(v)).ToList();
                for (var warmUp = 0; warmUp < 3; warmUp++)
                {
                    await models.PredictAsync(modelId, accepted[warmUp].Bytes);
                }
                var (p50, p95, batch1) = Latencies(accepted, image => models.PredictAsync(modelId, image.Bytes).GetAwaiter().GetResult());

                // Batch 16: the product's batch scoring, the one inference path: frame each image as the version was
                // evaluated, then one run of the exported model.onnx over the 16.
                var versionFolder = await VersionFolderAsync(services, summary.LatestVersionId);
                var inference = services.GetRequiredService<Trainer.Inference.ClassifierInference>();
                var record = summary.Training ?? throw new InvalidOperationException($"Model {modelId} has no training record.");
                var modelPath = Path.Combine(versionFolder, ClassifierModelExporter.ModelFile);
                void PredictBatch(Split[] chunk)
                {
                    var framed = chunk.Select(image => inference.Frame(image.Bytes, PredictionFraming.Input(record))).ToArray();
                    inference.Score(modelPath, framed, CancellationToken.None);
                }
                PredictBatch(accepted.Take(Batch).ToArray());
                var batch16 = Throughput16(accepted, PredictBatch);

                var preset = Trainer.Training.ModelTypePresets.Get(modelType);
                return new TypeResult(modelType, imported, importSeconds, cold, warm, record.BackboneId, preset.TrainingViews.Count,
                    evaluation.Report.Top1Accuracy, evaluation.Report.ImageCount, p50, p95, batch1, batch16,
                    new FileInfo(Path.Combine(versionFolder, ClassifierModelExporter.ModelFile)).Length,
                    new FileInfo(Path.Combine(versionFolder, ClassifierModelExporter.PackageFile)).Length, null);
            }
            finally
            {
                await host.StopAsync();
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static TypeResult Failed(string modelType, int imported, double importSeconds, TrainingRun cold, TrainingRun warm, string error) =>
        new(modelType, imported, importSeconds, cold, warm, "?", 0, null, 0, double.NaN, double.NaN, double.NaN, double.NaN, 0, 0, error);

    /// <summary>The domain and the trainer as <c>ConsoleHost</c> registers them, over a fresh data folder, without the web layer.</summary>
    private static IHost BuildHost(string folder, string mirror, string zooData, string npmCache)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Zoo:Mirror"] = mirror,
            ["Zoo:DataFolder"] = zooData,
            ["Zoo:NpmCacheFolder"] = npmCache,
            ["Zoo:AllowDownloads"] = "false",
        });
        builder.Services.AddConsoleDomain(new ConsoleOptions { DataFolder = folder });
        builder.Services.AddConsoleTrainer(builder.Configuration);
        return builder.Build();
    }

    /// <summary>All of train/ as TRAIN and the held-out folder as VALIDATION, one label per class folder, through the real intake; files it refuses (the GIF) are skipped, as the console does.</summary>
    private static async Task<(long DatasetId, int Imported)> ImportAsync(IServiceProvider services, List<Split> images)
    {
        var datasets = services.GetRequiredService<IDatasetService>();
        var intake = services.GetRequiredService<IImageIntake>();
        var factory = services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>();
        var dataset = await datasets.CreateAsync("bench", DatasetKind.SingleLabel, User);
        foreach (var label in images.Select(i => i.Label).Distinct().Order(StringComparer.Ordinal))
        {
            await datasets.AddLabelAsync(dataset.Id, label, User);
        }
        var imported = 0;
        foreach (var image in images)
        {
            await using var stream = new MemoryStream(image.Bytes, writable: false);
            var result = await intake.AddAsync(dataset.Id, Path.GetFileName(image.Path), stream, User);
            if (!result.Accepted || result.Duplicate)
            {
                continue;
            }
            await using var db = await factory.CreateDbContextAsync();
            var entity = await db.Images.Include(i => i.Labels).SingleAsync(i => i.Id == result.ImageId);
            entity.AddLabel(await db.Labels.SingleAsync(l => l.DatasetId == dataset.Id && l.Name == image.Label));
            entity.OverrideSplit(image.DataSplit);
            await db.SaveChangesAsync();
            imported++;
        }
        return (dataset.Id, imported);
    }

    /// <summary>From the request to the operation seen done (queue, embedding, head, evaluation, export, commit).</summary>
    private static async Task<TrainingRun> TrainAsync(ITrainingService training, IOperationService operations, long datasetId, string modelType, string name)
    {
        var watch = Stopwatch.StartNew();
        var operation = await training.StartTrainingAsync(new TrainingRequest($"{modelType} {name}", datasetId, modelType, TrainBudgetMilliNodeHours: 1000), User);
        while (!operation.Done)
        {
            await Task.Delay(20);
            operation = await operations.GetAsync(operation.Id);
        }
        return new TrainingRun(watch.Elapsed.TotalSeconds, operation);
    }

    private static async Task<string> VersionFolderAsync(IServiceProvider services, long versionId)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContextAsync();
        var version = await db.ModelVersions.AsNoTracking().SingleAsync(v => v.Id == versionId);
        return Path.Combine(services.GetRequiredService<ConsoleOptions>().DataFolder, Path.GetDirectoryName(version.ModelFile)!);
    }

    /// <summary>Each image once, one at a time: p50 and p95 (nearest rank) in ms, and images per second over the whole pass.</summary>
    private static (double P50, double P95, double PerSecond) Latencies(List<Split> images, Action<Split> run)
    {
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        foreach (var image in images)
        {
            var start = Stopwatch.GetTimestamp();
            run(image);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        var perSecond = images.Count / total.Elapsed.TotalSeconds;
        times.Sort();
        return (Percentile(times, 0.50), Percentile(times, 0.95), perSecond);
    }

    /// <summary>Images per second over every full group of 16 images.</summary>
    private static double Throughput16(List<Split> images, Action<Split[]> run)
    {
        var chunks = images.Chunk(Batch).Where(c => c.Length == Batch).ToList();
        var watch = Stopwatch.StartNew();
        chunks.ForEach(run);
        return chunks.Count * Batch / watch.Elapsed.TotalSeconds;
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static void Print(Baseline baseline, List<TypeResult> results, int files, string backboneId)
    {
        string F(double value, string format = "0.00") => double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);
        string Mb(long bytes) => (bytes / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " MB";
        string Aim(string modelType, double seconds, double limit) =>
            modelType == "mobile-versatile-1" ? $" (aim < {limit:0} s: {(seconds < limit ? "met" : "MISSED")})" : "";
        string Cache(OperationSummary operation) => operation.TrainingProgress is { } p ? $"{p.EmbeddingsComputed}/{p.EmbeddingsCached}" : "?";

        Console.WriteLine();
        Console.WriteLine($"training on hymenoptera ({files} files; imported through the intake, GIF refused), wall time from the request to the operation done");
        Console.WriteLine("| model type | backbone | views / train image | cold s | warm s | cold / baseline | warm / baseline | embeddings computed/cached (cold; warm) | epochs, stop (warm) | val top-1 (images) | model.onnx | package.zip |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        Console.WriteLine($"| baseline: decode + 1 backbone pass per image, EmbeddingService batch 16, no cache/DB/head | {backboneId} | 1 | {F(baseline.AllSeconds)} | n/a | 1.00 | n/a | n/a | n/a | n/a | {Mb(baseline.BackboneBytes)} (backbone) | n/a |");
        foreach (var r in results)
        {
            Console.WriteLine($"| {r.ModelType} | {r.Backbone} | {r.TrainingViews} | {F(r.Cold.Seconds)}{Aim(r.ModelType, r.Cold.Seconds, 30)} | {F(r.Warm.Seconds)}{Aim(r.ModelType, r.Warm.Seconds, 3)} | " +
                $"{F(r.Cold.Seconds / baseline.AllSeconds)} | {F(r.Warm.Seconds / baseline.AllSeconds)} | {Cache(r.Cold.Operation)}; {Cache(r.Warm.Operation)} | " +
                $"{r.Warm.Operation.TrainingProgress?.Epoch}, {r.Warm.Operation.StopReason} | {(r.Accuracy is { } a ? F(a, "0.000") : "n/a")} ({r.EvaluatedImages}) | {Mb(r.OnnxBytes)} | {Mb(r.PackageBytes)} |");
        }
        Console.WriteLine();
        Console.WriteLine($"prediction on the {baseline.ValidationImages} decodable validation JPEGs: batch 1 = IModelService.PredictAsync per image (SQLite model lookup, decode, embed, head), each image once;");
        Console.WriteLine("batch 16 = FeatureExtractor.Render per image + one EmbeddingService call over the 16 images' views + head per image, every full group of 16");
        Console.WriteLine("| model type | p50 ms | p95 ms | p50 / baseline | batch 1 img/s | batch 16 img/s | batch 1 / baseline | batch 16 / baseline |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        Console.WriteLine($"| baseline: decode + embed centre crop, no head | {F(baseline.P50, "0.0")} | {F(baseline.P95, "0.0")} | 1.00 | {F(baseline.Batch1, "0.0")} | {F(baseline.Batch16, "0.0")} | 1.00 | 1.00 |");
        foreach (var r in results)
        {
            Console.WriteLine($"| {r.ModelType} | {F(r.P50, "0.0")} | {F(r.P95, "0.0")} | {F(r.P50 / baseline.P50)} | {F(r.Batch1, "0.0")} | {F(r.Batch16, "0.0")} | {F(r.Batch1 / baseline.Batch1)} | {F(r.Batch16 / baseline.Batch16)} |");
        }
        Console.WriteLine();
        Console.WriteLine(string.Join("; ", results.Select(r => $"{r.ModelType}: import {r.ImportedImages} images {F(r.ImportSeconds, "0.0")} s (not in training time)")));
    }
}
