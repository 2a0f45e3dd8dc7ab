using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Models;
using VisionConsole.Trainer.Embedding;
using VisionConsole.Trainer.Training;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Trainer.Jobs;

/// <summary>A backbone's fine-tuning cut, ready to run: the cut, the truncated model whose output is the cut, and the feature cache's name for its activations.</summary>
/// <param name="Cut">Where the backbone is cut and the pretrained top above it.</param>
/// <param name="ModelPath">The backbone truncated at the cut (<see cref="BackboneCut.Prepare"/>).</param>
/// <param name="CacheId">The cache key of its activations (<see cref="FeatureCache.CutId"/>).</param>
public sealed record ReadyCut(BackboneCut Cut, string ModelPath, string CacheId);

/// <summary>A backbone ready to run: its catalog entry and its ONNX file.</summary>
public sealed record ReadyBackbone(BackboneInfo Info, string ModelPath)
{
    /// <summary>The square input side the views are rendered at.</summary>
    public int InputSide => Info.Preprocessing.Width;
}

/// <summary>
/// Decodes an image once per distinct decode size and renders its views at the backbone's input size, then
/// runs the backbone. Training (through the feature cache) and the exported model's input framing both go through
/// here, so a view's pixels are the same in training, evaluation and prediction.
/// </summary>
public sealed class FeatureExtractor(IImageCodec codec, EmbeddingService embedding)
{
    /// <summary>The views of one encoded image, in the order given, each <c>InputSide</c> squared.</summary>
    /// <exception cref="ImageRejectedException">The bytes do not decode.</exception>
    public IReadOnlyList<RgbImage> Render(ReadOnlySpan<byte> encoded, ReadyBackbone backbone, IReadOnlyList<ImageView> views)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        return Render(encoded, backbone.InputSide, views);
    }

    /// <summary>The views of one encoded image, in the order given, each <paramref name="side"/> squared.</summary>
    /// <exception cref="ImageRejectedException">The bytes do not decode.</exception>
    public IReadOnlyList<RgbImage> Render(ReadOnlySpan<byte> encoded, int side, IReadOnlyList<ImageView> views)
    {
        ArgumentNullException.ThrowIfNull(views);
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

    /// <summary>The uint8 activations at <paramref name="cut"/> of every rendered view (<c>[channels, positions]</c> each).</summary>
    public byte[][] EmbedCut(ReadyBackbone backbone, ReadyCut cut, IReadOnlyList<RgbImage> views, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(cut);
        return embedding.EmbedQuantized(backbone.Info, cut.ModelPath, cut.Cut.CutValue, views, cancellationToken);
    }
}

/// <summary>
/// The views a model is evaluated and predicted on. The exported <c>model.onnx</c> takes the first one (for every preset
/// the ImageNet framing: short side 256, centre 224); a test-time-flip model mirrors it inside its graph.
/// </summary>
public static class PredictionFraming
{
    /// <summary>The views of a preset: its <see cref="ModelTypePreset.PredictionViews"/>.</summary>
    public static IReadOnlyList<ImageView> Views(ModelTypePreset preset)
    {
        ArgumentNullException.ThrowIfNull(preset);
        return preset.PredictionViews.Select(ImageView.Parse).ToArray();
    }

    /// <summary>
    /// The views of a trained model: those its record names, or for records from before they were recorded
    /// <c>orig</c> (and <c>flip</c> with test-time flip), which is what those models were evaluated on.
    /// </summary>
    public static IReadOnlyList<ImageView> Views(TrainingRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.PredictionViews is { Count: > 0 } ids)
        {
            return ids.Select(ImageView.Parse).ToArray();
        }
        return record.TestTimeFlip ? [ImageView.Original, ImageView.Flip] : [ImageView.Original];
    }

    /// <summary>The framing the exported model is fed: the first prediction view (the graph adds the mirror image itself).</summary>
    public static ImageView Input(TrainingRecord record) => Views(record)[0];

    /// <summary>The framing the exported model of <paramref name="preset"/> is fed.</summary>
    public static ImageView Input(ModelTypePreset preset) => Views(preset)[0];
}
