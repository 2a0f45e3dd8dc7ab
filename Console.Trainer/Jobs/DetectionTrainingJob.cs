using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VisionConsole.Domain;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Metrics;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Storage;
using VisionConsole.Domain.Training;
using VisionConsole.Trainer.Detection;
using VisionConsole.Trainer.Embedding;
using VisionConsole.Trainer.Export;
using VisionConsole.Trainer.Training;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Trainer.Jobs;

/// <summary>
/// Trains an object detector from a boxed dataset, the <see cref="IOperationJob"/> of kind <c>train-detector</c> run by the
/// one hosted runner: plan, the CenterNet backbone's stride-4 head input computed once per image and view (the image
/// stretched to 512, and its mirror) into the <see cref="FeatureCache"/>, class heatmap and box heads trained on them
/// (<see cref="DetectorHeadTrainer"/>), <c>model.onnx</c> with the decoding inside (<see cref="DetectorOnnxExporter"/>), the
/// <c>tfjs/</c> graph model (<see cref="DetectorTfjsConverter"/>) and the download zip (<see cref="WritePackage"/>),
/// evaluation of that very file on held-out images (<see cref="DetectionEvaluation"/>), and a completion that creates the
/// model, version and evaluation in the store's transaction. Failure reasons: <c>datasetEmpty</c> (no boxed images),
/// <c>datasetCorrupt</c> (no training image decodes), <c>notEnoughBudget</c> (the budget ran out before head training
/// could start), <c>diverged</c> (the loss stopped being finite). Cancellation is honoured between images and batches.
/// </summary>
public sealed partial class DetectionTrainingJob(
    IDbContextFactory<ConsoleDbContext> contextFactory,
    IImageStore store,
    EmbeddingService embedding,
    FeatureCache cache,
    IModelZoo zoo,
    DetectorInference inference,
    ConsoleOptions consoleOptions,
    IOptions<TrainerOptions> trainerOptions,
    TimeProvider time,
    ILogger<DetectionTrainingJob> logger) : IOperationJob
{
    /// <summary>The feature cache's name for the stride-4 maps (the pooled CenterNet features use the backbone id itself).</summary>
    public const string CacheName = DetectorPresets.CenterNetBackbone + ".s4";

    /// <summary>The view ids in the cache: the stretched image and its mirror.</summary>
    public static readonly IReadOnlyList<string> ViewIds = ["stretch", "stretch-flip"];

    /// <summary>File of the trained heads in a version folder (a later training warm-starts from it).</summary>
    public const string HeadsFile = "heads.json";

    /// <summary>The version folder's package manifest.</summary>
    public const string ManifestFile = "manifest.json";

    /// <inheritdoc />
    public string Kind => DetectorTrainingRequest.DetectionKind;

    /// <summary>Runs the training of a Running operation up to its completion (the commit is the store's).</summary>
    public async Task<OperationCompletion> RunAsync(OperationRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var request = run.Request as DetectorTrainingRequest
            ?? throw new ArgumentException($"Operation {run.OperationId}'s request is a {run.Request.GetType().Name}, not a detector training request.", nameof(run));
        var clock = Stopwatch.StartNew();
        var budget = trainerOptions.Value.ResolveBudget(request.AsTrainingRequest());
        var history = new List<EpochPoint>();
        var computed = 0;
        var cached = 0;
        void Report(TrainingPhase phase, string message, int done = 0, int total = 0, int maxEpochs = 0) =>
            run.Progress.Report(new TrainingProgress(phase, done, total, computed, cached, history.Count, maxEpochs, history.ToArray(), clock.Elapsed.TotalSeconds, phase == TrainingPhase.Done ? 0 : null, message));
        Report(TrainingPhase.Preparing, "reading the dataset");

        DetectionPlan plan;
        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            plan = await DetectionPlan.BuildAsync(db, request, consoleOptions.DataFolder, cancellationToken).ConfigureAwait(false);
        }
        var backbone = zoo.Catalog.FirstOrDefault(b => b.Id == plan.Preset.BackboneId)
            ?? throw new InvalidOperationException($"The model zoo has no backbone '{plan.Preset.BackboneId}'.");
        var backbonePath = await zoo.GetModelPathAsync(backbone.Id, cancellationToken).ConfigureAwait(false);
        var initial = plan.BaseVersionFolder is { } baseFolder
            ? await ReadBaseHeadsAsync(baseFolder, cancellationToken).ConfigureAwait(false)
            : DetectorOnnxExporter.Pretrained(SourceFolder(backbonePath), plan.Labels.Count);
        var grid = plan.Preset.InputSide / initial.Stride;
        var dimension = initial.Channels * grid * grid;

        var stopOnValidation = plan.Test.Count > 0 && plan.Validation.Count > 0;
        var evaluation = plan.Test.Count > 0 ? plan.Test : plan.Validation;
        var stopping = stopOnValidation ? plan.Validation : [];

        // Features: both views of the training images, the plain view of the stopping images.
        var work = plan.Train.Select(i => (Image: i, Views: 2)).Concat(stopping.Select(i => (Image: i, Views: 1))).ToList();
        var unreadable = new HashSet<long>();
        for (var k = 0; k < work.Count; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (image, views) = work[k];
            var missing = Enumerable.Range(0, views).Where(v => !cache.Contains(CacheName, ViewIds[v], image.Sha256, dimension)).ToArray();
            cached += views - missing.Length;
            if (missing.Length > 0)
            {
                RgbImage framed;
                try
                {
                    framed = inference.Frame(await store.ReadOriginalAsync(image.Sha256, cancellationToken).ConfigureAwait(false));
                }
                catch (ImageRejectedException ex)
                {
                    LogUnreadable(image.Id, image.FileName, ex.Message);
                    unreadable.Add(image.Id);
                    continue;
                }
                var rendered = missing.Select(v => v == 0 ? framed : ImageViews.FlipHorizontal(framed)).ToArray();
                var maps = embedding.EmbedOutput(backbone, backbonePath, DetectorOnnxExporter.FeatureValue, rendered, cancellationToken);
                for (var m = 0; m < missing.Length; m++)
                {
                    cache.Add(CacheName, ViewIds[missing[m]], image.Sha256, ToChannelsFirst(maps[m], grid, initial.Channels));
                    computed++;
                }
            }
            Report(TrainingPhase.Embedding, $"embedding {k + 1}/{work.Count}", k + 1, work.Count);
        }
        var train = plan.Train.Where(i => !unreadable.Contains(i.Id)).ToList();
        if (train.Count == 0)
        {
            throw new DomainException("datasetCorrupt", $"None of the {plan.Train.Count} boxed TRAIN images of dataset {plan.DatasetId} could be decoded.");
        }
        var remaining = budget - clock.Elapsed;
        if (remaining <= TimeSpan.Zero)
        {
            throw new DomainException("notEnoughBudget", string.Create(CultureInfo.InvariantCulture,
                $"The budget ({budget.TotalMinutes:0.#} min) was spent computing the features of {work.Count} images; give it more time (the features are cached, so a second try starts with them)."));
        }

        PreparedDetectorExample Example(PlannedDetectionImage image, int view)
        {
            var features = new float[dimension];
            if (!cache.TryGet(CacheName, ViewIds[view], image.Sha256, dimension, features))
                throw new InvalidOperationException($"Features of image {image.Sha256} view {ViewIds[view]} are missing from the cache after embedding.");
            var boxes = view == 0 ? image.Boxes : CenterNetTargets.Mirror(image.Boxes);
            return DetectorHeadTrainer.Prepare(new DetectorExample(features, CenterNetTargets.Build(boxes, plan.Labels.Count, grid, grid)), initial, grid, grid);
        }
        var trainExamples = train.SelectMany(i => new[] { Example(i, 0), Example(i, 1) }).ToList();
        var stoppingExamples = stopping.Where(i => !unreadable.Contains(i.Id)).Select(i => Example(i, 0)).ToList();

        var options = new DetectorTrainingOptions
        {
            MaxEpochs = plan.Preset.MaxEpochs,
            LearningRate = plan.Preset.LearningRate,
            TimeBudget = remaining,
        };
        Report(TrainingPhase.Training, "training the heads", maxEpochs: options.MaxEpochs);
        var epochProgress = new SynchronousProgress<DetectorEpoch>(e =>
        {
            history.Add(new EpochPoint(e.Epoch, e.TrainLoss, e.ValidationLoss, null));
            Report(TrainingPhase.Training, string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch}: loss {e.TrainLoss:0.####}"), maxEpochs: e.MaxEpochs);
        });
        DetectorTrainingResult trained;
        try
        {
            trained = DetectorHeadTrainer.Train(trainExamples, stoppingExamples, initial, grid, grid, options, epochProgress, cancellationToken);
        }
        catch (DetectorDivergedException ex)
        {
            throw new DomainException("diverged", ex.Message);
        }
        if (trained.StopReason == TrainingStopReason.Cancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        trainExamples.Clear();
        var stopReason = trained.StopReason switch
        {
            TrainingStopReason.Converged => "converged",
            TrainingStopReason.BudgetReached => "budget-reached",
            _ => "epoch-limit",
        };

        var staging = Path.Combine(consoleOptions.DataFolder, "models", ".staging", $"op-{run.OperationId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");
        var handedOver = false;
        try
        {
            Report(TrainingPhase.Exporting, "exporting model.onnx");
            Directory.CreateDirectory(staging);
            await WriteFilesAsync(staging, plan, trained.Heads, cancellationToken).ConfigureAwait(false);
            var modelPath = Path.Combine(staging, ModelPackageNames.Model);
            var onnx = DetectorOnnxExporter.Build(backbonePath, backbone, trained.Heads, grid, plan.Preset.TestTimeFlip);
            await File.WriteAllBytesAsync(modelPath, onnx, cancellationToken).ConfigureAwait(false);
            Report(TrainingPhase.Exporting, "exporting tfjs/ and package.zip");
            WritePackage(staging, onnx, SourceFolder(backbonePath), trained.Heads, plan.Preset.InputSide, plan.Labels, plan.Preset.TestTimeFlip);
            cancellationToken.ThrowIfCancellationRequested();

            Report(TrainingPhase.Evaluating, $"evaluating model.onnx on {evaluation.Count} {(plan.Test.Count > 0 ? "TEST" : "VALIDATION")} images");
            var images = new List<DetectionImage>(evaluation.Count);
            try
            {
                foreach (var image in evaluation.Where(i => !unreadable.Contains(i.Id)))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    RgbImage framed;
                    try
                    {
                        framed = inference.Frame(await store.ReadOriginalAsync(image.Sha256, cancellationToken).ConfigureAwait(false));
                    }
                    catch (ImageRejectedException ex)
                    {
                        LogUnreadable(image.Id, image.FileName, ex.Message);
                        continue;
                    }
                    images.Add(new DetectionImage(image.Id, image.Boxes, inference.Detect(modelPath, framed, cancellationToken).ToPredictedBoxes()));
                }
            }
            finally
            {
                inference.Forget(modelPath);
            }
            var report = new DetectionEvaluation(plan.Labels, images).Report();
            var record = new TrainingRecord(
                plan.Preset.Id, backbone.Id, plan.Preset.InputSide, plan.Preset.TestTimeFlip, false, plan.Labels,
                ClassificationTrainingJob.ToMilliNodeHours(budget), ClassificationTrainingJob.ToMilliNodeHours(clock.Elapsed), stopReason, trained.EpochsCompleted,
                plan.BaseModelId, report.SuggestedThreshold.Threshold, train.Count, stoppingExamples.Count, images.Count, plan.Test.Count > 0 ? "TEST" : "VALIDATION")
            {
                PredictionViews = [ViewIds[0]],
            };
            var map50 = report.MeanAveragePrecision.Iou50;
            var done = new TrainingProgress(TrainingPhase.Done, work.Count, work.Count, computed, cached, history.Count, options.MaxEpochs, history.ToArray(), clock.Elapsed.TotalSeconds, 0,
                string.Create(CultureInfo.InvariantCulture, $"Finished: mAP@0.5 {(map50 is { } m ? (m * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%" : "n/a")} on {images.Count} held-out images; {stopReason}."));
            LogTrained(run.OperationId, plan.Preset.Id, map50, images.Count, stopReason, clock.Elapsed.TotalSeconds, computed, cached);
            handedOver = true;
            return new DetectionCompletion(time, consoleOptions.DataFolder, request, plan, record, run.CreatedBy, staging, report, images, stopReason, done);
        }
        finally
        {
            if (!handedOver && Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>NHWC <c>[H, W, C]</c> (as the graph gives it) to <c>[C, H, W]</c> (as the heads read it).</summary>
    public static float[] ToChannelsFirst(float[] nhwc, int side, int channels)
    {
        ArgumentNullException.ThrowIfNull(nhwc);
        if (nhwc.Length != side * side * channels)
            throw new ArgumentException($"The feature map has {nhwc.Length} values; [{side}, {side}, {channels}] needs {side * side * channels}.", nameof(nhwc));
        var result = new float[nhwc.Length];
        var cells = side * side;
        for (var cell = 0; cell < cells; cell++)
            for (var c = 0; c < channels; c++)
                result[c * cells + cell] = nhwc[cell * channels + c];
        return result;
    }

    private static async Task WriteFilesAsync(string folder, DetectionPlan plan, DetectorHeads heads, CancellationToken cancellationToken)
    {
        await File.WriteAllTextAsync(Path.Combine(folder, ClassifierFiles.LabelsFile), string.Concat(plan.Labels.Select(l => l + "\n")), new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        await File.WriteAllBytesAsync(Path.Combine(folder, HeadsFile), JsonSerializer.SerializeToUtf8Bytes(heads, ClassifierFiles.Json), cancellationToken).ConfigureAwait(false);
        await File.WriteAllBytesAsync(Path.Combine(folder, ManifestFile),
            ModelPackageWriter.Manifest(PackageModelType.ObjectDetection, DetectorOnnxExporter.ManifestDetails(plan.Preset.InputSide)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The zoo's CenterNet TF.js source folder beside its prepared ONNX file.</summary>
    public static string SourceFolder(string backbonePath) => Path.Combine(Path.GetDirectoryName(backbonePath)!, "source");

    /// <summary>
    /// Writes a detector's <c>tfjs/</c> folder (<see cref="DetectorTfjsConverter"/>), its <c>model.tflite</c>
    /// (<see cref="DetectorTfliteConverter"/>) and its download zip (<c>package.zip</c>: <c>model.onnx</c>, <c>dict.txt</c>,
    /// <c>manifest.json</c>, <c>model.tflite</c>, <c>tfjs/</c>) into a version folder, as the classifier's export step does.
    /// </summary>
    public static void WritePackage(string folder, byte[] onnx, string sourceFolder, DetectorHeads heads, int side, IReadOnlyList<string> labels, bool testTimeFlip)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        var tfjs = Path.Combine(folder, ModelPackageWriter.TfjsFolder);
        DetectorTfjsConverter.Write(tfjs, sourceFolder, heads, side, labels, testTimeFlip);
        var tflite = DetectorTfliteConverter.Convert(sourceFolder, heads, side, labels, testTimeFlip);
        File.WriteAllBytes(Path.Combine(folder, ClassifierModelExporter.TfliteFile), tflite);
        using var zip = File.Create(Path.Combine(folder, ClassifierModelExporter.PackageFile));
        ModelPackageWriter.Write(zip, onnx, labels, tfjs, PackageModelType.ObjectDetection, DetectorOnnxExporter.ManifestDetails(side), tflite);
    }

    /// <summary>Reads a version folder's trained heads.</summary>
    public static async Task<DetectorHeads> ReadHeadsAsync(string folder, CancellationToken cancellationToken)
    {
        var path = Path.Combine(folder, HeadsFile);
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<DetectorHeads>(stream, ClassifierFiles.Json, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException($"{path} is empty.");
    }

    private static async Task<DetectorHeads> ReadBaseHeadsAsync(string folder, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(folder, HeadsFile)))
            throw new DomainException("invalid-training", $"The base model's folder has no {HeadsFile} to resume from.");
        return await ReadHeadsAsync(folder, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the model, version and evaluation and moves the staged files, inside the store's completion transaction.</summary>
    private sealed class DetectionCompletion(
        TimeProvider time, string dataFolder, DetectorTrainingRequest request, DetectionPlan plan, TrainingRecord record, string createdBy, string staging,
        DetectionEvaluationReport report, IReadOnlyList<DetectionImage> evaluated, string stopReason, TrainingProgress done) : OperationCompletion
    {
        private string? _final;

        public override string StopReason => stopReason;

        public override async Task<OperationResult> CommitAsync(ConsoleDbContext db, Operation operation, CancellationToken cancellationToken)
        {
            if (operation.State == OperationState.Cancelling)
            {
                throw new OperationCanceledException($"Operation {operation.Id} was cancelled before its model was saved.");
            }
            var now = time.GetUtcNow();
            var model = new Model(plan.ProjectId, plan.DatasetId, request.DisplayName, DatasetKind.ObjectDetection, plan.Labels, createdBy, now);
            db.Models.Add(model);
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            var relative = Path.Combine("models", model.Id.ToString(CultureInfo.InvariantCulture), "v1");
            var files = new ModelFiles(Path.Combine(relative, ModelPackageNames.Model), Path.Combine(relative, ClassifierFiles.LabelsFile), null);
            var version = model.AddVersion(plan.Preset.Id, files, operation.Id, now, record);
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            var final = Path.Combine(dataFolder, relative);
            if (Directory.Exists(final))
            {
                Directory.Delete(final, recursive: true);
            }
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            Directory.Move(staging, final);
            _final = final;
            db.Evaluations.Add(new Evaluation(version.Id, JsonSerializer.Serialize(report, ClassifierFiles.Json), JsonSerializer.Serialize(evaluated, ClassifierFiles.Json), now));
            operation.ReportProgress(done);
            db.AuditEvents.Add(AuditEvent.Of(createdBy, now, "model", model.Id, "created", null, new { model.DisplayName, plan.DatasetId, plan.Preset.Id, operationId = operation.Id, stopReason }));
            return new TrainingResult(model.Id, version.Id);
        }

        public override void Abandon()
        {
            foreach (var folder in new[] { _final, staging })
            {
                if (folder is not null && Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
        }
    }

    private sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image {ImageId} ({FileName}) cannot be decoded and is left out: {Reason}")]
    private partial void LogUnreadable(long imageId, string fileName, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Operation {OperationId} trained a {ModelType} detector: mAP@0.5 {Map50} on {Images} images, {StopReason}, {Seconds:0.0} s, {Computed} feature maps computed, {Cached} cached")]
    private partial void LogTrained(long operationId, string modelType, double? map50, int images, string stopReason, double seconds, int computed, int cached);
}

/// <summary>File names shared by the model folders.</summary>
internal static class ModelPackageNames
{
    public const string Model = "model.onnx";
}
