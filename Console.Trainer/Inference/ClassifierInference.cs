using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Models;
using VisionConsole.Trainer.Export;
using VisionConsole.Trainer.Jobs;
using VisionConsole.Trainer.Training;

namespace VisionConsole.Trainer.Inference;

/// <summary>
/// The console's one inference path for classifiers: <c>:predict</c>, the held-out evaluation at the end of a training and
/// batch scoring all run the exported <c>model.onnx</c> (uint8 NHWC input <c>image</c>, output <c>scores</c>) through ONNX
/// Runtime, on images framed as the model was evaluated (<see cref="PredictionFraming"/>). What a user evaluates is what
/// they download.
/// </summary>
public sealed class ClassifierInference(IModelSessionCache sessions, FeatureExtractor extractor)
{
    /// <summary>The square side the exported models take.</summary>
    public const int InputSide = 224;

    /// <summary>Images per ONNX Runtime run when scoring many.</summary>
    public const int BatchSize = 16;

    /// <summary>An encoded image framed for the exported model: <paramref name="framing"/> rendered at <see cref="InputSide"/>.</summary>
    /// <exception cref="ImageRejectedException">The bytes are not a decodable image.</exception>
    public RgbImage Frame(ReadOnlySpan<byte> encoded, ImageView framing)
    {
        ArgumentNullException.ThrowIfNull(framing);
        return extractor.Render(encoded, InputSide, [framing])[0];
    }

    /// <summary>The scores (label order) of each framed image, in batches of <see cref="BatchSize"/>.</summary>
    /// <exception cref="InvalidOperationException">The model does not take uint8 <c>[N,224,224,3]</c> <c>image</c> or has no <c>scores</c>.</exception>
    public float[][] Score(string modelPath, IReadOnlyList<RgbImage> images, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        var perImage = InputSide * InputSide * 3;
        for (var i = 0; i < images.Count; i++)
        {
            if (images[i].Width != InputSide || images[i].Height != InputSide || images[i].Pixels.Length != perImage)
            {
                throw new ArgumentException($"Image {i} is {images[i].Width}x{images[i].Height}; the exported model takes {InputSide}x{InputSide} RGB.", nameof(images));
            }
        }
        return sessions.Run(modelPath, session =>
        {
            Check(session, modelPath);
            var result = new float[images.Count][];
            var buffer = new byte[Math.Min(BatchSize, Math.Max(1, images.Count)) * perImage];
            using var runOptions = new RunOptions();
            using var cancellation = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
            for (var start = 0; start < images.Count; start += BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(BatchSize, images.Count - start);
                for (var k = 0; k < count; k++)
                {
                    images[start + k].Pixels.CopyTo(buffer, k * perImage);
                }
                using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, count * perImage), [count, InputSide, InputSide, 3]);
                IDisposableReadOnlyCollection<OrtValue> outputs;
                try
                {
                    outputs = session.Run(runOptions, [ClassifierOnnxExporter.InputName], [input], [ClassifierOnnxExporter.OutputName]);
                }
                catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException(cancellationToken);
                }
                using (outputs)
                {
                    var scores = outputs[0].GetTensorDataAsSpan<float>();
                    var classes = scores.Length / count;
                    for (var k = 0; k < count; k++)
                    {
                        result[start + k] = scores.Slice(k * classes, classes).ToArray();
                    }
                }
            }
            return result;
        });
    }

    /// <summary>Every label's score for an encoded image, best first: framed as the version was evaluated, scored by its <c>model.onnx</c>.</summary>
    /// <exception cref="ImageRejectedException">The bytes are not a decodable image.</exception>
    public IReadOnlyList<LabelScore> Predict(string modelPath, TrainingRecord record, IReadOnlyList<string> labels, ReadOnlySpan<byte> encoded, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var scores = Score(modelPath, [Frame(encoded, PredictionFraming.Input(record))], cancellationToken)[0];
        if (scores.Length != labels.Count)
        {
            throw new InvalidOperationException($"Model {modelPath} gives {scores.Length} scores; the version has {labels.Count} labels.");
        }
        return Rank(labels, scores);
    }

    /// <summary>Closes the session of a model file (deleted, or a staging file about to move).</summary>
    public void Forget(string modelPath) => sessions.Evict(modelPath);

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

    private static void Check(InferenceSession session, string modelPath)
    {
        if (!session.InputMetadata.TryGetValue(ClassifierOnnxExporter.InputName, out var input)
            || input.ElementDataType != TensorElementType.UInt8
            || input.Dimensions is not [_, InputSide, InputSide, 3])
        {
            throw new InvalidOperationException($"Model {modelPath} does not take uint8 [N,{InputSide},{InputSide},3] '{ClassifierOnnxExporter.InputName}' (inputs: {string.Join(", ", session.InputMetadata.Keys)}).");
        }
        if (!session.OutputMetadata.ContainsKey(ClassifierOnnxExporter.OutputName))
        {
            throw new InvalidOperationException($"Model {modelPath} has no output '{ClassifierOnnxExporter.OutputName}' (outputs: {string.Join(", ", session.OutputMetadata.Keys)}).");
        }
    }
}
