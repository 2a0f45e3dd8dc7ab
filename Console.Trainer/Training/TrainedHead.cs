using System.Numerics.Tensors;

namespace VisionConsole.Trainer.Training;

/// <summary>The shape of a classification head on top of frozen backbone features.</summary>
public enum HeadKind
{
    /// <summary>One dense layer: multinomial logistic regression (softmax) or independent logistic regressions (sigmoid).</summary>
    Logistic,
    /// <summary>A small multilayer perceptron: dense, ReLU, dense.</summary>
    Mlp,
}

/// <summary>How a head turns its logits into scores.</summary>
public enum HeadOutput
{
    /// <summary>Single-label: scores over classes sum to 1.</summary>
    Softmax,
    /// <summary>Multi-label: one independent probability per class.</summary>
    Sigmoid,
}

/// <summary>
/// One fully connected layer, <c>y = W x + b</c>, optionally followed by ReLU.
/// <see cref="Weights"/> is row-major <c>[Outputs x Inputs]</c> (the ONNX <c>Gemm</c> layout with <c>transB = 1</c>).
/// </summary>
/// <param name="Inputs">Length of the input vector.</param>
/// <param name="Outputs">Length of the output vector.</param>
/// <param name="Weights"><c>Outputs * Inputs</c> values; row <c>o</c> holds the weights of output <c>o</c>.</param>
/// <param name="Bias"><c>Outputs</c> values.</param>
/// <param name="Relu">Whether ReLU follows the affine map (hidden layers) or not (the logits layer).</param>
public sealed record DenseLayer(int Inputs, int Outputs, float[] Weights, float[] Bias, bool Relu)
{
    /// <summary>Writes <c>W x + b</c> (then ReLU when <see cref="Relu"/>) into <paramref name="output"/>.</summary>
    public void Apply(ReadOnlySpan<float> input, Span<float> output)
    {
        if (input.Length != Inputs)
            throw new ArgumentException($"The layer takes {Inputs} inputs; got {input.Length}.", nameof(input));
        if (output.Length != Outputs)
            throw new ArgumentException($"The layer has {Outputs} outputs; the destination holds {output.Length}.", nameof(output));
        var weights = Weights.AsSpan();
        for (var o = 0; o < Outputs; o++)
        {
            var value = TensorPrimitives.Dot(weights.Slice(o * Inputs, Inputs), input) + Bias[o];
            output[o] = Relu && value < 0f ? 0f : value;
        }
    }
}

/// <summary>
/// A trained head: standardize the feature vector (<c>(x - mean) / std</c>), run <see cref="Layers"/>,
/// then softmax or sigmoid. Everything needed to rebuild it elsewhere (an ONNX graph, a browser) is public:
/// the standardization vectors and each layer's weights. <see cref="FoldStandardization"/> gives layers that
/// take raw features directly, which is the simplest thing to bake into a graph after the backbone.
/// </summary>
/// <param name="Kind">Logistic or MLP.</param>
/// <param name="Output">Softmax (single-label) or sigmoid (multi-label).</param>
/// <param name="FeatureDimension">Length of the feature vector the head takes.</param>
/// <param name="ClassCount">Number of classes (scores) it produces.</param>
/// <param name="FeatureMean">Per-feature mean of the training features.</param>
/// <param name="FeatureStd">Per-feature standard deviation of the training features (constant features store 1).</param>
/// <param name="Layers">The dense layers, input first; the last produces the logits.</param>
public sealed record TrainedHead(
    HeadKind Kind,
    HeadOutput Output,
    int FeatureDimension,
    int ClassCount,
    float[] FeatureMean,
    float[] FeatureStd,
    IReadOnlyList<DenseLayer> Layers)
{
    /// <summary>The logits (before softmax or sigmoid) for one raw feature vector.</summary>
    /// <exception cref="ArgumentException">The vector's length is not <see cref="FeatureDimension"/>.</exception>
    public float[] PredictLogits(ReadOnlySpan<float> features)
    {
        if (features.Length != FeatureDimension)
            throw new ArgumentException($"The head takes {FeatureDimension} features; got {features.Length}.", nameof(features));
        var current = new float[FeatureDimension];
        TensorPrimitives.Subtract(features, FeatureMean, current);
        TensorPrimitives.Divide(current, FeatureStd, current);
        foreach (var layer in Layers)
        {
            var next = new float[layer.Outputs];
            layer.Apply(current, next);
            current = next;
        }
        return current;
    }

    /// <summary>
    /// The score of every class for one raw feature vector: softmax probabilities (sum 1) or
    /// independent sigmoid probabilities, by <see cref="Output"/>.
    /// </summary>
    public float[] Predict(ReadOnlySpan<float> features)
    {
        var logits = PredictLogits(features);
        ToScores(logits);
        return logits;
    }

    /// <summary>
    /// The same head as layers that take raw (unstandardized) features: the first layer's weights are
    /// divided by <see cref="FeatureStd"/> and its bias absorbs <c>-W (mean / std)</c>. Other layers are unchanged.
    /// </summary>
    public IReadOnlyList<DenseLayer> FoldStandardization()
    {
        var first = Layers[0];
        var weights = new float[first.Weights.Length];
        var bias = (float[])first.Bias.Clone();
        var meanOverStd = new float[FeatureDimension];
        TensorPrimitives.Divide(FeatureMean, FeatureStd, meanOverStd);
        for (var o = 0; o < first.Outputs; o++)
        {
            var row = first.Weights.AsSpan(o * first.Inputs, first.Inputs);
            var folded = weights.AsSpan(o * first.Inputs, first.Inputs);
            TensorPrimitives.Divide(row, FeatureStd, folded);
            bias[o] -= TensorPrimitives.Dot(row, meanOverStd);
        }
        var layers = new List<DenseLayer>(Layers.Count) { first with { Weights = weights, Bias = bias } };
        layers.AddRange(Layers.Skip(1));
        return layers;
    }

    internal void ToScores(Span<float> logits)
    {
        if (Output == HeadOutput.Softmax)
            TensorPrimitives.SoftMax(logits, logits);
        else
            TensorPrimitives.Sigmoid(logits, logits);
    }
}
