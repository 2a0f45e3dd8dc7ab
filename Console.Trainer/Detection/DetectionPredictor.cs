using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Trainer.Detection;

/// <summary>
/// <c>:predict</c> for detectors: runs the version's exported <c>model.onnx</c> through <see cref="DetectorInference"/> (the
/// same path the training's evaluation took) and answers in the AutoML v1 shape, honouring <c>score_threshold</c> and
/// <c>max_bounding_box_count</c>; <see cref="DetectAsync"/> gives the test page every box.
/// </summary>
public sealed class DetectionPredictor(IDbContextFactory<ConsoleDbContext> contextFactory, DetectorInference inference, ConsoleOptions options) : IDetectionPredictionService
{
    /// <summary>True when the model exists and is an object detector.</summary>
    public async Task<bool> IsDetectorAsync(long modelId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.Models.AsNoTracking().AnyAsync(m => m.Id == modelId && m.Kind == DatasetKind.ObjectDetection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The boxes found in an encoded image by the latest version of detector <paramref name="modelId"/>.</summary>
    /// <exception cref="NotFoundException">No such model, or it has no trained version.</exception>
    /// <exception cref="DomainException"><c>invalid-image</c> (empty bytes), <c>model-unavailable</c> (its model.onnx is missing).</exception>
    /// <exception cref="ImageRejectedException">The bytes are not a decodable image.</exception>
    public async Task<DetectionPredictResponse> PredictAsync(long modelId, ReadOnlyMemory<byte> imageBytes, AutoMlDetectionParams parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var (model, version, detections, elapsed) = await RunAsync(modelId, imageBytes, null, cancellationToken).ConfigureAwait(false);
        return DetectionPredictResponse.From(detections, model.Labels, parameters,
            new DetectionPredictMetadata(version.Id.ToString(CultureInfo.InvariantCulture), elapsed));
    }

    /// <inheritdoc />
    public async Task<DetectionPrediction> DetectAsync(long modelId, ReadOnlyMemory<byte> imageBytes, int? versionNumber = null, CancellationToken cancellationToken = default)
    {
        var (model, version, detections, elapsed) = await RunAsync(modelId, imageBytes, versionNumber, cancellationToken).ConfigureAwait(false);
        var labels = model.Labels;
        var boxes = detections.OrderByDescending(d => d.Score)
            .Select(d => d.Label >= 0 && d.Label < labels.Count
                ? new DetectedBox(d.Label, labels[d.Label], d.ToBoxRect(), d.Score)
                : throw new InvalidOperationException($"Model {modelId} version {version.Number} answered label index {d.Label}; it has {labels.Count} labels."))
            .ToArray();
        return new DetectionPrediction(model.Id, version.Id, boxes, elapsed);
    }

    private async Task<(Model Model, ModelVersion Version, IReadOnlyList<DetectedObject> Detections, double ElapsedMilliseconds)> RunAsync(
        long modelId, ReadOnlyMemory<byte> imageBytes, int? versionNumber, CancellationToken cancellationToken)
    {
        Model model;
        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            model = await db.Models.AsNoTracking().Include(m => m.Versions).FirstOrDefaultAsync(m => m.Id == modelId, cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"Model {modelId}");
        }
        if (model.Kind != DatasetKind.ObjectDetection)
        {
            throw new DomainException("model-kind", $"Model {modelId} is a classification model; it answers label scores, not boxes.");
        }
        var version = versionNumber is { } number
            ? model.Versions.FirstOrDefault(v => v.Number == number) ?? throw new NotFoundException($"Version {number} of model {modelId}")
            : model.Versions.OrderByDescending(v => v.Number).FirstOrDefault() ?? throw new NotFoundException($"A trained version of model {modelId}");
        if (imageBytes.IsEmpty)
        {
            throw new DomainException("invalid-image", "The image is empty; send the bytes of a JPEG, PNG, GIF, BMP, ICO, WEBP or TIFF file.");
        }
        var modelPath = Path.Combine(options.DataFolder, version.ModelFile);
        if (!File.Exists(modelPath))
        {
            throw new DomainException("model-unavailable", $"Model {modelId} version {version.Number} has no exported model.onnx to predict with.");
        }
        var start = Stopwatch.GetTimestamp();
        var output = await Task.Run(() => inference.Detect(modelPath, inference.Frame(imageBytes.Span), cancellationToken), cancellationToken).ConfigureAwait(false);
        return (model, version, output.Detections().ToArray(), Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
}
