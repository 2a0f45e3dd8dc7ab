using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics.Tensors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using VisionConsole.Domain.Imaging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using VisionConsole.Trainer.Inference;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Trainer.Embedding;

/// <summary>
/// Runs a frozen backbone over decoded images and returns one pooled feature vector per image.
/// Images must already be at the backbone's input size (<see cref="IImageCodec.DecodeRgb"/> does that).
/// One ONNX Runtime session is cached per model file and shared by all callers (runs are thread-safe).
/// Inputs are written into pooled arrays that ONNX Runtime reads in place (pinned, no copy).
/// </summary>
public sealed partial class EmbeddingService : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<InferenceSession>> sessions = new(StringComparer.Ordinal);
    private readonly OrtRuntime runtime;
    private readonly EmbeddingOptions embeddingOptions;
    private readonly ILogger<EmbeddingService> logger;
    private bool disposed;

    /// <summary>Creates the service over the console's ONNX Runtime (sessions are created on first use).</summary>
    public EmbeddingService(OrtRuntime runtime, IOptions<EmbeddingOptions> embeddingOptions, ILogger<EmbeddingService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(embeddingOptions);
        if (embeddingOptions.Value.BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(embeddingOptions), embeddingOptions.Value.BatchSize, "Embedding:BatchSize must be at least 1.");
        }
        this.runtime = runtime;
        this.embeddingOptions = embeddingOptions.Value;
        this.logger = logger ?? NullLogger<EmbeddingService>.Instance;
    }

    /// <summary>Feature vectors for <paramref name="images"/>, one array of <see cref="BackboneInfo.FeatureDimension"/> floats each.</summary>
    public float[][] Embed(BackboneInfo backbone, string modelPath, IReadOnlyList<RgbImage> images, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(images);
        var dimension = backbone.FeatureDimension;
        var flat = new float[images.Count * dimension];
        Embed(backbone, modelPath, images, flat, cancellationToken);
        var result = new float[images.Count][];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = flat.AsSpan(i * dimension, dimension).ToArray();
        }
        return result;
    }

    /// <summary>
    /// Writes the feature vectors of <paramref name="images"/> row after row into <paramref name="destination"/>
    /// (<c>images.Count * FeatureDimension</c> floats). Spatial feature maps are mean-pooled.
    /// </summary>
    public void Embed(BackboneInfo backbone, string modelPath, IReadOnlyList<RgbImage> images, Span<float> destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentNullException.ThrowIfNull(images);
        ObjectDisposedException.ThrowIf(disposed, this);
        var dimension = backbone.FeatureDimension;
        if (dimension < 1)
        {
            throw new ArgumentException($"Backbone {backbone.Id} declares feature dimension {dimension}.", nameof(backbone));
        }
        if (destination.Length != images.Count * dimension)
        {
            throw new ArgumentException($"{images.Count} images of {dimension} features need {images.Count * dimension} floats; the destination has {destination.Length}.", nameof(destination));
        }
        if (images.Count == 0)
        {
            return;
        }
        // The run callback cannot hold the span: the batches land in an array, copied once at the end.
        var features = new float[destination.Length];
        Run(backbone, modelPath, backbone.FeatureOutputName, images, (output, start, count) =>
            Pool(output, backbone, count, features.AsSpan(start * dimension, count * dimension)), cancellationToken);
        features.CopyTo(destination);
    }

    /// <summary>
    /// The uint8 activations of <paramref name="outputName"/> (for example a backbone truncated at a fine-tuning cut,
    /// see <see cref="BackboneCut"/>) for <paramref name="images"/>, one array per image, as ONNX Runtime computed them.
    /// </summary>
    public byte[][] EmbedQuantized(BackboneInfo backbone, string modelPath, string outputName, IReadOnlyList<RgbImage> images, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentNullException.ThrowIfNull(images);
        ObjectDisposedException.ThrowIf(disposed, this);
        var result = new byte[images.Count][];
        Run(backbone, modelPath, outputName, images, (output, start, count) =>
        {
            var info = output.GetTensorTypeAndShape();
            if (info.ElementDataType != TensorElementType.UInt8)
            {
                throw new InvalidOperationException($"Model {modelPath} output '{outputName}' holds {info.ElementDataType} elements, not UInt8.");
            }
            var data = output.GetTensorDataAsSpan<byte>();
            var perImage = (int)(info.ElementCount / info.Shape[0]);
            for (var n = 0; n < count; n++)
            {
                result[start + n] = data.Slice(n * perImage, perImage).ToArray();
            }
        }, cancellationToken);
        return result;
    }

    /// <summary>
    /// One inner float output per image, whole (for example a detector's stride-4 feature map, NHWC as the graph holds it),
    /// for outputs that are not the pooled features.
    /// </summary>
    public float[][] EmbedOutput(BackboneInfo backbone, string modelPath, string outputName, IReadOnlyList<RgbImage> images, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentNullException.ThrowIfNull(images);
        ObjectDisposedException.ThrowIf(disposed, this);
        var result = new float[images.Count][];
        Run(backbone, modelPath, outputName, images, (output, start, count) =>
        {
            var info = output.GetTensorTypeAndShape();
            if (info.ElementDataType != TensorElementType.Float)
            {
                throw new InvalidOperationException($"Model {modelPath} output '{outputName}' holds {info.ElementDataType} elements, not Float.");
            }
            var data = output.GetTensorDataAsSpan<float>();
            var perImage = (int)(info.ElementCount / info.Shape[0]);
            for (var n = 0; n < count; n++)
            {
                result[start + n] = data.Slice(n * perImage, perImage).ToArray();
            }
        }, cancellationToken);
        return result;
    }

    /// <summary>Runs the backbone over <paramref name="images"/> in batches; <paramref name="consume"/> gets each batch's output, first image index and count.</summary>
    private void Run(BackboneInfo backbone, string modelPath, string outputName, IReadOnlyList<RgbImage> images, Action<OrtValue, int, int> consume, CancellationToken cancellationToken)
    {
        var pre = backbone.Preprocessing;
        for (var i = 0; i < images.Count; i++)
        {
            var image = images[i];
            if (image.Width != pre.Width || image.Height != pre.Height || image.Pixels.Length != image.Width * image.Height * 3)
            {
                throw new ArgumentException($"Image {i} is {image.Width}x{image.Height} with {image.Pixels.Length} bytes; backbone {backbone.Id} needs {pre.Width}x{pre.Height} RGB ({pre.Width * pre.Height * 3} bytes).", nameof(images));
            }
        }
        var session = GetSession(modelPath);
        var plan = Plan(session, backbone, modelPath, outputName);
        var batch = plan.FixedBatch ?? Math.Min(embeddingOptions.BatchSize, images.Count);
        var perImage = pre.Width * pre.Height * 3;
        var buffer = ArrayPool<float>.Shared.Rent(batch * perImage);
        try
        {
            using var runOptions = new RunOptions();
            using var cancellation = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
            for (var start = 0; start < images.Count; start += batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(batch, images.Count - start);
                var runBatch = plan.FixedBatch ?? count;
                FillInput(images, start, count, pre, buffer, perImage);
                buffer.AsSpan(count * perImage, (runBatch - count) * perImage).Clear();
                long[] shape = pre.Layout == TensorLayout.Nchw
                    ? [runBatch, 3, pre.Height, pre.Width]
                    : [runBatch, pre.Height, pre.Width, 3];
                using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, runBatch * perImage), shape);
                IDisposableReadOnlyCollection<OrtValue> outputs;
                try
                {
                    outputs = session.Run(runOptions, plan.InputNames, [input], plan.OutputNames);
                }
                catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException(cancellationToken);
                }
                using (outputs)
                {
                    consume(outputs[0], start, count);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>The cached session of a model file, created on first use.</summary>
    public InferenceSession GetSession(string modelPath)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var key = Path.GetFullPath(modelPath);
        var lazy = sessions.GetOrAdd(key, path => new Lazy<InferenceSession>(() => CreateSession(path)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // Do not cache a failure: the file may be fixed or appear later.
            sessions.TryRemove(new KeyValuePair<string, Lazy<InferenceSession>>(key, lazy));
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        foreach (var session in sessions.Values.Where(s => s.IsValueCreated))
        {
            session.Value.Dispose();
        }
        sessions.Clear();
    }

    private InferenceSession CreateSession(string path)
    {
        var session = runtime.CreateSession(path);
        LogSessionCreated(logger, path, runtime.Provider, runtime.Options.EffectiveIntraOpThreads);
        return session;
    }

    private sealed record RunPlan(int? FixedBatch, string[] InputNames, string[] OutputNames);

    private static RunPlan Plan(InferenceSession session, BackboneInfo backbone, string modelPath, string outputName)
    {
        var pre = backbone.Preprocessing;
        if (!session.InputMetadata.TryGetValue(backbone.InputName, out var input))
        {
            throw new InvalidOperationException($"Model {modelPath} has no input '{backbone.InputName}' (backbone {backbone.Id}); its inputs are: {Describe(session.InputMetadata)}.");
        }
        if (!session.OutputMetadata.ContainsKey(outputName))
        {
            throw new InvalidOperationException($"Model {modelPath} has no output '{outputName}' (backbone {backbone.Id}); its outputs are: {Describe(session.OutputMetadata)}.");
        }
        long[] expected = pre.Layout == TensorLayout.Nchw ? [-1, 3, pre.Height, pre.Width] : [-1, pre.Height, pre.Width, 3];
        var dims = input.IsTensor ? input.Dimensions : [];
        var fits = input.IsTensor && input.ElementDataType == TensorElementType.Float && dims.Length == 4
            && Enumerable.Range(1, 3).All(d => dims[d] < 0 || dims[d] == expected[d]);
        if (!fits)
        {
            throw new InvalidOperationException($"Model {modelPath} input {Describe(backbone.InputName, input)} does not take {pre.Layout} float images of {pre.Width}x{pre.Height} as backbone {backbone.Id} declares.");
        }
        return new RunPlan(dims[0] > 0 ? dims[0] : null, [backbone.InputName], [outputName]);
    }

    /// <summary>"name: Float[?, 3, 224, 224]", "?" for a dynamic dimension.</summary>
    private static string Describe(string name, NodeMetadata node) => node.IsTensor
        ? $"{name}: {node.ElementDataType}[{string.Join(", ", node.Dimensions.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]"
        : $"{name}: {node.OnnxValueType}";

    private static string Describe(IReadOnlyDictionary<string, NodeMetadata> nodes) => string.Join("; ", nodes.Select(n => Describe(n.Key, n.Value)));

    private static void FillInput(IReadOnlyList<RgbImage> images, int start, int count, Preprocessing pre, float[] buffer, int perImage)
    {
        if (count == 1)
        {
            ImageTensorWriter.Write(images[start].Pixels, pre, buffer.AsSpan(0, perImage));
            return;
        }
        Parallel.For(0, count, i => ImageTensorWriter.Write(images[start + i].Pixels, pre, buffer.AsSpan(i * perImage, perImage)));
    }

    /// <summary>Reduces [n, D], [n, D, 1, 1], [n, D, H, W] or [n, H, W, D] features to [n, D] by mean pooling.</summary>
    private static void Pool(OrtValue features, BackboneInfo backbone, int count, Span<float> destination)
    {
        var info = features.GetTensorTypeAndShape();
        if (info.ElementDataType != TensorElementType.Float)
        {
            throw new InvalidOperationException($"Backbone {backbone.Id} output '{backbone.FeatureOutputName}' holds {info.ElementDataType} elements, not Float.");
        }
        var shape = info.Shape;
        var dimension = backbone.FeatureDimension;
        var data = features.GetTensorDataAsSpan<float>();
        var perImage = (int)(info.ElementCount / shape[0]);
        if (shape.Length == 2 && shape[1] == dimension)
        {
            data[..(count * dimension)].CopyTo(destination);
            return;
        }
        if (shape.Length == 4 && shape[1] == dimension)
        {
            var area = (int)(shape[2] * shape[3]);
            for (var n = 0; n < count; n++)
            {
                var image = data.Slice(n * perImage, perImage);
                for (var d = 0; d < dimension; d++)
                {
                    destination[n * dimension + d] = TensorPrimitives.Sum(image.Slice(d * area, area)) / area;
                }
            }
            return;
        }
        if (shape.Length == 4 && shape[3] == dimension)
        {
            var area = (int)(shape[1] * shape[2]);
            for (var n = 0; n < count; n++)
            {
                var image = data.Slice(n * perImage, perImage);
                var row = destination.Slice(n * dimension, dimension);
                row.Clear();
                for (var position = 0; position < area; position++)
                {
                    TensorPrimitives.Add(row, image.Slice(position * dimension, dimension), row);
                }
                TensorPrimitives.Multiply(row, 1f / area, row);
            }
            return;
        }
        throw new InvalidOperationException($"Backbone {backbone.Id} output '{backbone.FeatureOutputName}' has shape [{string.Join(", ", shape)}], which is not [N, {dimension}], [N, {dimension}, H, W] or [N, H, W, {dimension}].");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ONNX Runtime session for {ModelPath} on {Provider} with {Threads} intra-op threads")]
    private static partial void LogSessionCreated(ILogger logger, string modelPath, string provider, int threads);
}
