using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Inference;

namespace VisionConsole.Trainer.Detection;

/// <summary>
/// The one inference path for detectors: <c>:predict</c> and the held-out evaluation at the end of a training run the exported
/// <c>model.onnx</c> (see <see cref="DetectorOnnxExporter"/>) through ONNX Runtime on the image stretched to its input side.
/// </summary>
public sealed class DetectorInference(IModelSessionCache sessions, IImageCodec codec)
{
    /// <summary>The square side the exported detectors take.</summary>
    public const int InputSide = 512;

    /// <summary>An encoded image as the exported model takes it: the whole image stretched to <see cref="InputSide"/> squared.</summary>
    /// <exception cref="ImageRejectedException">The bytes are not a decodable image.</exception>
    public RgbImage Frame(ReadOnlySpan<byte> encoded) => codec.DecodeRgb(encoded, InputSide, InputSide, FitMode.Stretch);

    /// <summary>The model's detections on a framed image, in its output layout (the first <c>num_detections</c> slots filled).</summary>
    /// <exception cref="InvalidOperationException">The model does not take uint8 <c>[1,512,512,3]</c> <c>image</c>.</exception>
    public DetectorOutput Detect(string modelPath, RgbImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width != InputSide || image.Height != InputSide || image.Pixels.Length != InputSide * InputSide * 3)
            throw new ArgumentException($"The image is {image.Width}x{image.Height}; the detector takes {InputSide}x{InputSide} RGB.", nameof(image));
        return sessions.Run(modelPath, session =>
        {
            if (!session.InputMetadata.TryGetValue(DetectorOnnxExporter.InputName, out var input) || input.ElementDataType != TensorElementType.UInt8)
                throw new InvalidOperationException($"Model {modelPath} does not take a uint8 '{DetectorOnnxExporter.InputName}' (inputs: {string.Join(", ", session.InputMetadata.Keys)}).");
            using var runOptions = new RunOptions();
            using var cancellation = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
            using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, image.Pixels.AsMemory(), [1, InputSide, InputSide, 3]);
            IDisposableReadOnlyCollection<OrtValue> outputs;
            try
            {
                outputs = session.Run(runOptions, [DetectorOnnxExporter.InputName], [value],
                    [DetectorOnnxExporter.BoxesName, DetectorOnnxExporter.ClassesName, DetectorOnnxExporter.ScoresName, DetectorOnnxExporter.CountName]);
            }
            catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            using (outputs)
            {
                var count = (int)outputs[3].GetTensorDataAsSpan<float>()[0];
                return new DetectorOutput(
                    outputs[0].GetTensorDataAsSpan<float>().ToArray(),
                    outputs[1].GetTensorDataAsSpan<float>().ToArray(),
                    outputs[2].GetTensorDataAsSpan<float>().ToArray(),
                    count);
            }
        });
    }

    /// <summary>Closes the session of a model file (deleted, or a staging file about to move).</summary>
    public void Forget(string modelPath) => sessions.Evict(modelPath);
}
