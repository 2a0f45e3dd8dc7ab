using System.Collections.Concurrent;
using System.Diagnostics;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Models;
using VisionConsole.Trainer.Embedding;
using VisionConsole.Trainer.Training;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Trainer.Jobs;

/// <summary>A backbone ready to run: its catalog entry and its ONNX file.</summary>
public sealed record ReadyBackbone(BackboneInfo Info, string ModelPath)
{
    /// <summary>The square input side the views are rendered at.</summary>
    public int InputSide => Info.Preprocessing.Width;
}

/// <summary>
/// Decodes an image once per distinct decode size and renders its views at the backbone's input size, then
/// runs the backbone. Training (through the feature cache) and prediction both go through here, so a view's
/// pixels, and so its features, are the same in both.
/// </summary>
public sealed class FeatureExtractor(IImageCodec codec, EmbeddingService embedding)
{
    /// <summary>The views of one encoded image, in the order given, each <c>InputSide</c> squared.</summary>
    /// <exception cref="ImageRejectedException">The bytes do not decode.</exception>
    public IReadOnlyList<RgbImage> Render(ReadOnlySpan<byte> encoded, ReadyBackbone backbone, IReadOnlyList<ImageView> views)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(views);
        var side = backbone.InputSide;
        var decoded = new Dictionary<int, RgbImage>();
        var result = new RgbImage[views.Count];
        for (var v = 0; v < views.Count; v++)
        {
            var decodeSide = views[v].DecodeSide(side);
            if (!decoded.TryGetValue(decodeSide, out var image))
            {
                image = codec.DecodeRgb(encoded, decodeSide, decodeSide, FitMode.CenterCrop);
                decoded.Add(decodeSide, image);
            }
            result[v] = views[v].Render(image, side);
        }
        return result;
    }

    /// <summary>One feature vector per rendered view.</summary>
    public float[][] Embed(ReadyBackbone backbone, IReadOnlyList<RgbImage> views, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        return embedding.Embed(backbone.Info, backbone.ModelPath, views, cancellationToken);
    }
}

/// <summary>
/// Test-time prediction of a trained classifier version: decode at the backbone size, embed (with the mirror
/// image too when the model type uses test-time flip), run the head. The evaluation's per-image scores are
/// computed by <see cref="Score"/> from the same views' features, so the console's prediction for an evaluation
/// image equals the score the evaluation page shows.
/// </summary>
public sealed class ClassifierPredictor(FeatureExtractor extractor, IModelZoo zoo)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<LoadedClassifier>>> _loaded = new(StringComparer.Ordinal);

    /// <summary>A version's head, record and backbone, loaded once per folder.</summary>
    public sealed record LoadedClassifier(TrainedHead Head, TrainingRecord Record, ReadyBackbone Backbone);

    /// <summary>The views prediction embeds for a preset: its <see cref="ModelTypePreset.PredictionViews"/>.</summary>
    public static IReadOnlyList<ImageView> PredictionViews(ModelTypePreset preset)
    {
        ArgumentNullException.ThrowIfNull(preset);
        return preset.PredictionViews.Select(ImageView.Parse).ToArray();
    }

    /// <summary>
    /// The views a trained model predicts on: those its record names, or for records from before they were recorded
    /// <c>orig</c> (and <c>flip</c> with test-time flip), which is what those models were evaluated on.
    /// </summary>
    public static IReadOnlyList<ImageView> PredictionViews(TrainingRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.PredictionViews is { Count: > 0 } ids)
        {
            return ids.Select(ImageView.Parse).ToArray();
        }
        return record.TestTimeFlip ? [ImageView.Original, ImageView.Flip] : [ImageView.Original];
    }

    /// <summary>The scores of one image from its view features: the head on <c>orig</c>, or the mean over <c>orig</c> and <c>flip</c>.</summary>
    public static float[] Score(TrainedHead head, IReadOnlyList<float[]> viewFeatures)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(viewFeatures);
        return viewFeatures.Count == 1 ? head.Predict(viewFeatures[0]) : head.PredictAveraged(viewFeatures);
    }

    /// <summary>Loads (once) the classifier stored in <paramref name="versionFolder"/>.</summary>
    public Task<LoadedClassifier> LoadAsync(string versionFolder, CancellationToken cancellationToken)
    {
        var key = Path.GetFullPath(versionFolder);
        var lazy = _loaded.GetOrAdd(key, folder => new Lazy<Task<LoadedClassifier>>(() => LoadCoreAsync(folder)));
        var task = lazy.Value;
        if (task.IsFaulted || task.IsCanceled)
        {
            _loaded.TryRemove(new KeyValuePair<string, Lazy<Task<LoadedClassifier>>>(key, lazy));
        }
        return task.WaitAsync(cancellationToken);
    }

    /// <summary>Forgets a loaded version (its files were deleted).</summary>
    public void Evict(string versionFolder) => _loaded.TryRemove(Path.GetFullPath(versionFolder), out _);

    /// <summary>Every label's score for an encoded image, best first.</summary>
    /// <exception cref="ImageRejectedException">The bytes are not a decodable image.</exception>
    public async Task<IReadOnlyList<LabelScore>> PredictAsync(string versionFolder, ReadOnlyMemory<byte> image, CancellationToken cancellationToken)
    {
        var classifier = await LoadAsync(versionFolder, cancellationToken).ConfigureAwait(false);
        var views = extractor.Render(image.Span, classifier.Backbone, PredictionViews(classifier.Record));
        var features = extractor.Embed(classifier.Backbone, views, cancellationToken);
        var scores = Score(classifier.Head, features);
        return Rank(classifier.Record.Labels, scores);
    }

    /// <summary>Labels with their scores, best first (ties: label order).</summary>
    public static IReadOnlyList<LabelScore> Rank(IReadOnlyList<string> labels, IReadOnlyList<float> scores)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(scores);
        return Enumerable.Range(0, labels.Count)
            .Select(i => new LabelScore(i, labels[i], scores[i]))
            .OrderByDescending(s => s.Score).ThenBy(s => s.LabelIndex)
            .ToArray();
    }

    private async Task<LoadedClassifier> LoadCoreAsync(string folder)
    {
        var (head, record) = await ClassifierFiles.ReadAsync(folder, CancellationToken.None).ConfigureAwait(false);
        var info = zoo.Catalog.FirstOrDefault(b => b.Id == record.BackboneId)
            ?? throw new InvalidOperationException($"Model {folder} was trained on backbone '{record.BackboneId}', which this zoo does not know.");
        var path = await zoo.GetModelPathAsync(record.BackboneId, CancellationToken.None).ConfigureAwait(false);
        return new LoadedClassifier(head, record, new ReadyBackbone(info, path));
    }

    /// <summary>Milliseconds since <paramref name="start"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    internal static double ElapsedMilliseconds(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}
