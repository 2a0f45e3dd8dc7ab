using System.Diagnostics;
using System.Globalization;
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
using VisionConsole.Trainer.Inference;
using VisionConsole.Domain.Storage;
using VisionConsole.Domain.Training;
using VisionConsole.Trainer.Training;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Trainer.Jobs;

/// <summary>
/// Trains an image classifier from a dataset: plan, features (cached per sha256, backbone and view), head with
/// early stopping, evaluation on images never used for fitting or stopping, files written to a staging folder,
/// export, and a completion that creates the model, its version (with its training record) and evaluation in the same
/// transaction in which the store completes the operation. It is the <see cref="IOperationJob"/> of kind
/// <c>train-classifier</c>, run by the one hosted runner like every other kind.
/// Cancellation is honoured between images, between batches and before the commit; nothing of a cancelled or
/// failed run is left behind (the staging folder is deleted).
/// </summary>
public sealed partial class ClassificationTrainingJob(
    IDbContextFactory<ConsoleDbContext> contextFactory,
    IImageStore store,
    FeatureExtractor extractor,
    FeatureCache cache,
    IModelZoo zoo,
    IEnumerable<IModelExporter> exporters,
    ClassifierInference inference,
    ConsoleOptions consoleOptions,
    IOptions<TrainerOptions> trainerOptions,
    TimeProvider time,
    ILogger<ClassificationTrainingJob> logger) : IOperationJob
{
    private static readonly JsonSerializerOptions Json = ClassifierFiles.Json;

    /// <inheritdoc />
    public string Kind => TrainingRequest.ClassificationKind;

    /// <summary>Runs the training of a Running operation up to its completion (the commit is the store's).</summary>
    /// <exception cref="OperationCanceledException">Cancelled; nothing was saved.</exception>
    public async Task<OperationCompletion> RunAsync(OperationRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var operationId = run.OperationId;
        var request = run.Request as TrainingRequest
            ?? throw new ArgumentException($"Operation {operationId}'s request is a {run.Request.GetType().Name}, not a training request.", nameof(run));
        IProgress<TrainingProgress> progress = run.Progress;
        var createdBy = run.CreatedBy;
        var options = trainerOptions.Value;
        var clock = Stopwatch.StartNew();
        var budget = options.ResolveBudget(request);
        var reporter = new Reporter(progress, clock);
        reporter.Phase(TrainingPhase.Preparing, "reading the dataset");

        TrainingPlan plan;
        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            plan = await TrainingPlan.BuildAsync(db, request, consoleOptions.DataFolder, cancellationToken).ConfigureAwait(false);
        }
        TrainedHead? baseHead = null;
        ConvTop? baseTop = null;
        if (plan.BaseVersionFolder is { } baseFolder)
        {
            baseHead = await ClassifierFiles.ReadHeadAsync(baseFolder, cancellationToken).ConfigureAwait(false);
            baseTop = await ClassifierFiles.ReadTopAsync(baseFolder, cancellationToken).ConfigureAwait(false);
        }

        var backbone = await ResolveBackboneAsync(plan.Preset, cancellationToken).ConfigureAwait(false);
        // The high-accuracy preset trains the top of the backbone: the frozen part runs once per view (cached), up to the cut.
        var cut = plan.Preset.FineTuneTop ? PrepareCut(backbone) : null;
        var trainViews = plan.Preset.TrainingViews.Select(ImageView.Parse).ToArray();
        var evalViews = PredictionFraming.Views(plan.Preset);

        // Features: every view of every image, into the cache.
        var work = plan.Train.Select(i => (Image: i, Views: (IReadOnlyList<ImageView>)trainViews))
            .Concat(plan.Validation.Concat(plan.Test).Select(i => (Image: i, Views: evalViews)))
            .ToList();
        var unreadable = await EmbedAllAsync(work, backbone, cut, reporter, cancellationToken).ConfigureAwait(false);
        var train = plan.Train.Where(i => !unreadable.Contains(i.Id)).ToList();
        var validation = plan.Validation.Where(i => !unreadable.Contains(i.Id)).ToList();
        var test = plan.Test.Where(i => !unreadable.Contains(i.Id)).ToList();

        // Stop on VALIDATION only when TEST is there to evaluate on; otherwise stop on a TRAIN hold-out and
        // evaluate on VALIDATION, so the evaluation never sees an image that fitting or stopping used.
        var stopOnValidation = test.Count > 0 && validation.Count > 0;
        var evaluation = test.Count > 0 ? test : validation;
        if (evaluation.Count == 0)
        {
            throw new DomainException("invalid-training", "No VALIDATION or TEST image could be read; there is nothing to evaluate on.");
        }

        reporter.Phase(TrainingPhase.Training, cut is null ? "training the head" : "fine-tuning the top of the backbone with the head");
        var classCount = plan.Labels.Count;
        var remaining = budget - clock.Elapsed;
        var headOptions = plan.Preset.HeadOptions(plan.MultiLabel ? HeadOutput.Sigmoid : HeadOutput.Softmax) with
        {
            TimeBudget = remaining > options.MinimumHeadTime ? remaining : options.MinimumHeadTime,
            InitialHead = baseHead,
        };
        var headProgress = new SynchronousProgress<HeadTrainingProgress>(p => reporter.Epoch(p, headOptions.TimeBudget));
        var trained = cut is null
            ? TrainHead(train, validation, stopOnValidation, trainViews, evalViews[0], backbone, classCount, headOptions, headProgress, cancellationToken)
            : FineTune(train, validation, stopOnValidation, trainViews, evalViews[0], cut, baseTop, classCount, headOptions, headProgress, cancellationToken);
        if (trained.StopReason == TrainingStopReason.Cancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        cancellationToken.ThrowIfCancellationRequested();

        var stopReason = trained.StopReason switch
        {
            TrainingStopReason.Converged => "converged",
            TrainingStopReason.BudgetReached => "budget-reached",
            _ => "epoch-limit",
        };
        var staging = Path.Combine(consoleOptions.DataFolder, "models", ".staging", $"op-{operationId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");
        var handedOver = false;
        try
        {
            await ClassifierFiles.WriteAsync(staging, plan.Labels, trained.Head, trained.Top, cancellationToken).ConfigureAwait(false);
            var exporter = exporters.LastOrDefault()
                ?? throw new InvalidOperationException("No model exporter is registered: the evaluation runs the exported model.onnx, so a training needs one.");
            reporter.Phase(TrainingPhase.Exporting, "exporting model.onnx");
            var exported = await exporter.ExportClassifierAsync(
                new ClassifierExportRequest(staging, plan.Labels, trained.Head, backbone.Info, backbone.ModelPath, plan.Preset, plan.MultiLabel)
                {
                    Top = trained.Top,
                    CutValue = cut?.Cut.CutValue,
                    CalibrationFeatures = cut is null ? CalibrationFeatures(train, evalViews[0], backbone) : null,
                },
                cancellationToken).ConfigureAwait(false)
                ?? throw new DomainException("export-unsupported", $"A model on backbone '{backbone.Info.Id}' cannot be exported to model.onnx, and the evaluation runs the exported model; train on {ModelTypePresets.MobileNetV2Int8} (put it in the zoo mirror or allow downloads).");
            cancellationToken.ThrowIfCancellationRequested();

            // The held-out evaluation runs the exported model.onnx, framed as :predict frames: what is evaluated is what ships.
            reporter.Phase(TrainingPhase.Evaluating, $"evaluating model.onnx on {evaluation.Count} {(test.Count > 0 ? "TEST" : "VALIDATION")} images");
            var rule = plan.MultiLabel ? PredictionRule.Independent : PredictionRule.TopOne;
            var evaluated = await EvaluateAsync(Path.Combine(staging, exported.ModelFile), evaluation, PredictionFraming.Input(plan.Preset), cancellationToken).ConfigureAwait(false);
            var metrics = new ClassificationEvaluation(plan.Labels, evaluated.Select(e => new ScoredImage(e.ImageId, e.TrueLabels, e.Scores)).ToArray(), rule);
            var report = metrics.Report();
            cancellationToken.ThrowIfCancellationRequested();

            var record = new TrainingRecord(
                plan.Preset.Id, backbone.Info.Id, backbone.InputSide, plan.Preset.TestTimeFlip, plan.MultiLabel, plan.Labels,
                ToMilliNodeHours(budget), ToMilliNodeHours(clock.Elapsed), stopReason, trained.EpochsCompleted, plan.BaseModelId,
                report.SuggestedThreshold.Threshold, train.Count, stopOnValidation ? validation.Count : 0, evaluation.Count,
                test.Count > 0 ? "TEST" : "VALIDATION")
            {
                PredictionViews = evalViews.Select(v => v.Id).ToArray(),
                FineTunedTop = trained.Top is not null,
            };

            reporter.Phase(TrainingPhase.Saving, "saving the model");
            var why = trained.StopReason switch
            {
                TrainingStopReason.Converged => "it stopped when the loss stopped improving",
                TrainingStopReason.BudgetReached => "it stopped at the end of its time budget",
                _ => "it ran its full number of epochs",
            };
            var done = reporter.Snapshot(TrainingPhase.Done, string.Create(CultureInfo.InvariantCulture,
                $"Finished: {report.Top1Accuracy * 100:0.#}% of {evaluation.Count} held-out images get the right top label; {why}."));
            LogTrained(operationId, plan.Preset.Id, report.Top1Accuracy, evaluation.Count, stopReason, clock.Elapsed.TotalSeconds, reporter.Computed, reporter.Cached);
            handedOver = true;
            return new TrainingCompletion(time, consoleOptions.DataFolder, request, plan, record, createdBy, staging, exported, report, evaluated, stopReason, done);
        }
        finally
        {
            if (!handedOver && Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>Scores the evaluation images with the exported model (decoded in parallel, scored in batches); its session is closed after.</summary>
    private async Task<List<EvaluatedImage>> EvaluateAsync(string modelPath, IReadOnlyList<PlannedImage> images, ImageView framing, CancellationToken cancellationToken)
    {
        var evaluated = new List<EvaluatedImage>(images.Count);
        try
        {
            for (var start = 0; start < images.Count; start += ClassifierInference.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chunk = images.Skip(start).Take(ClassifierInference.BatchSize).ToList();
                var bytes = new byte[chunk.Count][];
                for (var k = 0; k < chunk.Count; k++)
                {
                    bytes[k] = await store.ReadOriginalAsync(chunk[k].Sha256, cancellationToken).ConfigureAwait(false);
                }
                var framed = new RgbImage[chunk.Count];
                Parallel.For(0, chunk.Count, new ParallelOptions { CancellationToken = cancellationToken }, k => framed[k] = inference.Frame(bytes[k], framing));
                var scores = inference.Score(modelPath, framed, cancellationToken);
                for (var k = 0; k < chunk.Count; k++)
                {
                    evaluated.Add(new EvaluatedImage(chunk[k].Id, chunk[k].Sha256, chunk[k].FileName, chunk[k].Labels, scores[k]));
                }
            }
        }
        finally
        {
            // The staging file moves into the version folder; :predict loads it from there.
            inference.Forget(modelPath);
        }
        return evaluated;
    }

    /// <summary>Milli node hours as AutoML counts them, from wall-clock time (3.6 s each).</summary>
    public static long ToMilliNodeHours(TimeSpan wallClock) =>
        (long)Math.Ceiling(wallClock.TotalSeconds / TrainingRequest.SecondsPerMilliNodeHour);

    private async Task<ReadyBackbone> ResolveBackboneAsync(ModelTypePreset preset, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadyAsync(preset.BackboneId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && preset.FallbackBackboneId != preset.BackboneId)
        {
            LogBackboneFallback(ex, preset.BackboneId, preset.FallbackBackboneId);
            return await ReadyAsync(preset.FallbackBackboneId, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ReadyBackbone> ReadyAsync(string backboneId, CancellationToken cancellationToken)
    {
        var info = zoo.Catalog.FirstOrDefault(b => b.Id == backboneId)
            ?? throw new InvalidOperationException($"The model zoo has no backbone '{backboneId}'.");
        var path = await zoo.GetModelPathAsync(backboneId, cancellationToken).ConfigureAwait(false);
        return new ReadyBackbone(info, path);
    }

    /// <summary>Makes sure every (image, view) has cached features; returns the ids of images that could not be decoded.</summary>
    /// <remarks>With a <paramref name="cut"/> the cached features are the uint8 activations at the cut instead of pooled vectors.</remarks>
    private async Task<HashSet<long>> EmbedAllAsync(
        List<(PlannedImage Image, IReadOnlyList<ImageView> Views)> work, ReadyBackbone backbone, ReadyCut? cut, Reporter reporter, CancellationToken cancellationToken)
    {
        var dimension = backbone.Info.FeatureDimension;
        var backboneId = backbone.Info.Id;
        bool IsCached(string sha256, ImageView view) => cut is null
            ? cache.Contains(backboneId, view.Id, sha256, dimension)
            : cache.ContainsActivation(cut.CacheId, view.Id, sha256, cut.Cut.Top.ActivationBytes);
        var unreadable = new HashSet<long>();
        reporter.StartEmbedding(work.Count);
        var chunkSize = Math.Max(1, trainerOptions.Value.EmbeddingChunkImages);
        for (var start = 0; start < work.Count; start += chunkSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = work.Skip(start).Take(chunkSize).ToList();
            var pending = new List<(PlannedImage Image, ImageView[] Missing, byte[] Bytes)>();
            var cached = 0;
            foreach (var (image, views) in chunk)
            {
                var missing = views.Where(v => !IsCached(image.Sha256, v)).ToArray();
                cached += views.Count - missing.Length;
                if (missing.Length > 0)
                {
                    pending.Add((image, missing, await store.ReadOriginalAsync(image.Sha256, cancellationToken).ConfigureAwait(false)));
                }
            }
            if (pending.Count > 0)
            {
                // Decode and render the chunk's images in parallel, then one backbone run over all their views.
                var rendered = new IReadOnlyList<RgbImage>?[pending.Count];
                Parallel.For(0, pending.Count, new ParallelOptions { CancellationToken = cancellationToken }, k =>
                {
                    try
                    {
                        rendered[k] = extractor.Render(pending[k].Bytes, backbone, pending[k].Missing);
                    }
                    catch (ImageRejectedException ex)
                    {
                        LogUnreadable(pending[k].Image.Id, pending[k].Image.FileName, ex.Message);
                    }
                });
                var batch = new List<RgbImage>();
                var owners = new List<(string Sha, string View)>();
                for (var k = 0; k < pending.Count; k++)
                {
                    if (rendered[k] is not { } views)
                    {
                        unreadable.Add(pending[k].Image.Id);
                        continue;
                    }
                    for (var v = 0; v < views.Count; v++)
                    {
                        batch.Add(views[v]);
                        owners.Add((pending[k].Image.Sha256, pending[k].Missing[v].Id));
                    }
                }
                if (batch.Count > 0 && cut is null)
                {
                    var features = extractor.Embed(backbone, batch, cancellationToken);
                    for (var i = 0; i < features.Length; i++)
                    {
                        cache.Add(backboneId, owners[i].View, owners[i].Sha, features[i]);
                    }
                }
                else if (batch.Count > 0)
                {
                    var activations = extractor.EmbedCut(backbone, cut!, batch, cancellationToken);
                    for (var i = 0; i < activations.Length; i++)
                    {
                        cache.AddActivation(cut!.CacheId, owners[i].View, owners[i].Sha, activations[i]);
                    }
                }
                reporter.Embedded(chunk.Count, batch.Count, cached, unreadable.Count);
            }
            else
            {
                reporter.Embedded(chunk.Count, 0, cached, unreadable.Count);
            }
        }
        return unreadable;
    }

    /// <summary>How many training images calibrate the quantized TFLite head (their activation ranges; more add little).</summary>
    private const int CalibrationImages = 1000;

    /// <summary>A head on the backbone's pooled features (every preset but high-accuracy).</summary>
    private TrainedClassifier TrainHead(
        List<PlannedImage> train, List<PlannedImage> validation, bool stopOnValidation, ImageView[] trainViews, ImageView validationView,
        ReadyBackbone backbone, int classCount, HeadTrainingOptions headOptions, IProgress<HeadTrainingProgress> progress, CancellationToken cancellationToken)
    {
        var dimension = backbone.Info.FeatureDimension;
        var trainSet = BuildSet(train, trainViews, backbone, dimension, classCount);
        var validationSet = stopOnValidation ? BuildSet(validation, [validationView], backbone, dimension, classCount) : null;
        var result = HeadTrainer.Train(trainSet, validationSet, headOptions, progress, cancellationToken);
        return new TrainedClassifier(result.Head, null, result.StopReason, result.EpochsCompleted);
    }

    /// <summary>The top above the cut and the head, trained together on the cached activations (<see cref="TopBlockTrainer"/>); resumes from a base model's top when it has one.</summary>
    private TrainedClassifier FineTune(
        List<PlannedImage> train, List<PlannedImage> validation, bool stopOnValidation, ImageView[] trainViews, ImageView validationView,
        ReadyCut cut, ConvTop? baseTop, int classCount, HeadTrainingOptions headOptions, IProgress<HeadTrainingProgress> progress, CancellationToken cancellationToken)
    {
        var trainSet = BuildCutSet(train, trainViews, cut, classCount);
        var validationSet = stopOnValidation ? BuildCutSet(validation, [validationView], cut, classCount) : null;
        var start = baseTop is { } top && top.ActivationBytes == cut.Cut.Top.ActivationBytes && top.Outputs == cut.Cut.Top.Outputs ? top : cut.Cut.Top;
        var options = new TopBlockTrainingOptions { Head = headOptions, TimeBudget = headOptions.TimeBudget };
        var result = TopBlockTrainer.Train(trainSet, validationSet, start, options, progress, cancellationToken);
        return new TrainedClassifier(result.Head, result.Top, result.StopReason, result.History.Count);
    }

    private CutActivationSet BuildCutSet(IReadOnlyList<PlannedImage> images, IReadOnlyList<ImageView> views, ReadyCut cut, int classCount)
    {
        var bytes = cut.Cut.Top.ActivationBytes;
        var activations = new List<byte[]>(images.Count * views.Count);
        var labels = new List<IReadOnlyList<int>>(activations.Capacity);
        var groups = new List<string?>(activations.Capacity);
        foreach (var image in images)
        {
            foreach (var view in views)
            {
                var activation = new byte[bytes];
                if (!cache.TryGetActivation(cut.CacheId, view.Id, image.Sha256, activation))
                {
                    throw new InvalidOperationException($"The activations of image {image.Sha256} view {view.Id} ({cut.CacheId}) are missing from the cache after embedding.");
                }
                activations.Add(activation);
                labels.Add(image.Labels);
                groups.Add(image.Sha256);
            }
        }
        return new CutActivationSet(bytes, activations, labels, classCount, groups);
    }

    /// <summary>The cut of a backbone that has a quantized top to fine-tune, with its truncated model (written once next to the prepared one).</summary>
    /// <exception cref="DomainException">The backbone (for example the offline fallback) has no such top.</exception>
    private static ReadyCut PrepareCut(ReadyBackbone backbone)
    {
        var entry = ZooCatalog.Entries.FirstOrDefault(e => e.Info.Id == backbone.Info.Id);
        if (entry?.PoolValue is not { } featureMap || backbone.Info.Id != ModelTypePresets.MobileNetV2Int8)
        {
            throw new DomainException("invalid-training", $"mobile-high-accuracy-1 fine-tunes the top of {ModelTypePresets.MobileNetV2Int8}, and backbone '{backbone.Info.Id}' has no top it can fine-tune; put {ModelTypePresets.MobileNetV2Int8} in the zoo mirror or allow downloads.");
        }
        var side = backbone.InputSide / 32;
        var (path, found) = BackboneCut.Prepare(backbone.ModelPath, featureMap, side);
        return new ReadyCut(found, path, FeatureCache.CutId(backbone.Info.Id, found.CutValue));
    }

    /// <summary>What training produced: the head, the fine-tuned top (high-accuracy only), why it stopped, epochs run.</summary>
    private sealed record TrainedClassifier(TrainedHead Head, ConvTop? Top, TrainingStopReason StopReason, int EpochsCompleted);

    private FeatureSet BuildSet(IReadOnlyList<PlannedImage> images, IReadOnlyList<ImageView> views, ReadyBackbone backbone, int dimension, int classCount)
    {
        var features = new List<float[]>(images.Count * views.Count);
        var labels = new List<IReadOnlyList<int>>(features.Capacity);
        var groups = new List<string?>(features.Capacity);
        foreach (var image in images)
        {
            foreach (var view in views)
            {
                features.Add(Read(backbone, view, image.Sha256, dimension));
                labels.Add(image.Labels);
                groups.Add(image.Sha256);
            }
        }
        return new FeatureSet(features, labels, classCount, groups);
    }

    /// <summary>The cached pooled features of up to <see cref="CalibrationImages"/> training images in the view prediction frames (the quantized TFLite head's calibration set).</summary>
    private List<float[]> CalibrationFeatures(List<PlannedImage> train, ImageView view, ReadyBackbone backbone)
    {
        var features = new List<float[]>();
        foreach (var image in train.Take(CalibrationImages))
        {
            var vector = new float[backbone.Info.FeatureDimension];
            if (cache.TryGet(backbone.Info.Id, view.Id, image.Sha256, vector.Length, vector))
            {
                features.Add(vector);
            }
        }
        return features;
    }

    private float[] Read(ReadyBackbone backbone, ImageView view, string sha256, int dimension)
    {
        var vector = new float[dimension];
        if (!cache.TryGet(backbone.Info.Id, view.Id, sha256, dimension, vector))
        {
            throw new InvalidOperationException($"Features of image {sha256} view {view.Id} ({backbone.Info.Id}) are missing from the cache after embedding.");
        }
        return vector;
    }

    /// <summary>
    /// Creates the model, its version (with its training record) and evaluation and moves the staged files into the
    /// version folder, inside the store's completion transaction; a cancel that arrived first wins (nothing is kept).
    /// </summary>
    private sealed class TrainingCompletion(
        TimeProvider time, string dataFolder, TrainingRequest request, TrainingPlan plan, TrainingRecord record, string createdBy, string staging,
        ExportedModelFiles exported, EvaluationReport report, IReadOnlyList<EvaluatedImage> evaluated, string stopReason, TrainingProgress done) : OperationCompletion
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
            var model = new Model(plan.ProjectId, plan.DatasetId, request.DisplayName, plan.Kind, plan.Labels, createdBy, now);
            db.Models.Add(model);
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);

            var relative = Path.Combine("models", model.Id.ToString(CultureInfo.InvariantCulture), "v1");
            var files = new ModelFiles(
                Path.Combine(relative, exported.ModelFile),
                Path.Combine(relative, ClassifierFiles.LabelsFile),
                exported.TfjsFolder is { } tfjs ? Path.Combine(relative, tfjs) : null);
            var version = model.AddVersion(plan.Preset.Id, files, operation.Id, now, record);
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);

            var final = Path.Combine(dataFolder, relative);
            if (Directory.Exists(final))
            {
                // Left by a commit that failed after its move (the ids were never committed, so they are reused).
                Directory.Delete(final, recursive: true);
            }
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            Directory.Move(staging, final);
            _final = final;
            db.Evaluations.Add(new Evaluation(version.Id, JsonSerializer.Serialize(report, Json), JsonSerializer.Serialize(evaluated, Json), now));
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

    /// <summary>Progress that runs the handler on the reporting thread (<see cref="Progress{T}"/> would post it elsewhere).</summary>
    private sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }

    /// <summary>Builds <see cref="TrainingProgress"/> reports with counts, history and ETA.</summary>
    private sealed class Reporter(IProgress<TrainingProgress> sink, Stopwatch clock)
    {
        private readonly List<EpochPoint> _history = [];
        private TrainingPhase _phase = TrainingPhase.Preparing;
        private TimeSpan _phaseStart;
        private int _done;
        private int _total;
        private int _unreadable;
        private int _maxEpochs;

        public int Computed { get; private set; }

        public int Cached { get; private set; }

        public void Phase(TrainingPhase phase, string message)
        {
            _phase = phase;
            _phaseStart = clock.Elapsed;
            Send(null, message);
        }

        public void StartEmbedding(int total)
        {
            _total = total;
            Phase(TrainingPhase.Embedding, $"embedding 0/{total}");
        }

        public void Embedded(int images, int computed, int cached, int unreadable)
        {
            _done += images;
            Computed += computed;
            Cached += cached;
            _unreadable = unreadable;
            var spent = (clock.Elapsed - _phaseStart).TotalSeconds;
            double? eta = _done == 0 ? null : spent / _done * (_total - _done);
            var skipped = _unreadable > 0 ? $", {_unreadable} unreadable skipped" : string.Empty;
            Send(eta, $"embedding {_done}/{_total}{skipped}");
        }

        public void Epoch(HeadTrainingProgress epoch, TimeSpan? budget)
        {
            _maxEpochs = epoch.MaxEpochs;
            _history.Add(new EpochPoint(epoch.Epoch, epoch.TrainLoss, epoch.ValidationLoss, epoch.ValidationAccuracy));
            var spent = (clock.Elapsed - _phaseStart).TotalSeconds;
            var perEpoch = spent / epoch.Epoch;
            var byEpochs = perEpoch * (epoch.MaxEpochs - epoch.Epoch);
            double? eta = budget is { } b ? Math.Min(byEpochs, Math.Max(0, b.TotalSeconds - spent)) : byEpochs;
            var accuracy = epoch.ValidationAccuracy is { } a ? $", val acc {a:0.###}" : string.Empty;
            Send(eta, $"epoch {epoch.Epoch}: loss {epoch.TrainLoss:0.####}{accuracy}");
        }

        public TrainingProgress Snapshot(TrainingPhase phase, string message) => new(
            phase, _done, _total, Computed, Cached, _history.Count == 0 ? 0 : _history[^1].Epoch, _maxEpochs,
            _history.ToArray(), clock.Elapsed.TotalSeconds, phase == TrainingPhase.Done ? 0 : null, message);

        private void Send(double? eta, string message) => sink.Report(Snapshot(_phase, message) with { EtaSeconds = eta });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backbone {Backbone} is not available; using {Fallback}")]
    private partial void LogBackboneFallback(Exception exception, string backbone, string fallback);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image {ImageId} ({FileName}) cannot be decoded and is left out of training: {Reason}")]
    private partial void LogUnreadable(long imageId, string fileName, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Operation {OperationId} trained a {ModelType} model: top-1 {Top1} on {Images} images, {StopReason}, {Seconds:0.0} s, {Computed} embeddings computed, {Cached} cached")]
    private partial void LogTrained(long operationId, string modelType, double? top1, int images, string stopReason, double seconds, int computed, int cached);
}
