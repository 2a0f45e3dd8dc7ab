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
/// <c>max_bounding_box_count</c>.
/// </summary>
public sealed class DetectionPredictor(IDbContextFactory<ConsoleDbContext> contextFactory, DetectorInference inference, ConsoleOptions options)
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
        Model model;
        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            model = await db.Models.AsNoTracking().Include(m => m.Versions).FirstOrDefaultAsync(m => m.Id == modelId, cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"Model {modelId}");
        }
        var version = model.Versions.OrderByDescending(v => v.Number).FirstOrDefault()
            ?? throw new NotFoundException($"A trained version of model {modelId}");
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
        return DetectionPredictResponse.From(output.Detections(), model.Labels, parameters,
            new DetectionPredictMetadata(version.Id.ToString(CultureInfo.InvariantCulture), Stopwatch.GetElapsedTime(start).TotalMilliseconds));
    }
}
