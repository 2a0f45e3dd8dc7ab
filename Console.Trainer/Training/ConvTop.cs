using System.Numerics.Tensors;
using System.Text.Json.Serialization;

namespace VisionConsole.Trainer.Training;

/// <summary>
/// One float convolution of a <see cref="ConvTop"/>: a 1x1 convolution over every channel, or a depthwise
/// <c>Kernel x Kernel</c> one (one filter per channel), both stride 1 with "same" zero padding, plus a bias and, for a
/// ReLU6-like layer, a clip to <c>[0, ClipMax]</c> (none for a linear projection).
/// </summary>
/// <param name="Inputs">Channels in.</param>
/// <param name="Outputs">Channels out (equal to <paramref name="Inputs"/> when depthwise).</param>
/// <param name="Kernel">Kernel side (1, or odd for a depthwise layer).</param>
/// <param name="Depthwise">One filter per channel (group = channels) instead of a full convolution.</param>
/// <param name="Weights">ONNX layout, row-major: <c>[Outputs, Depthwise ? 1 : Inputs, Kernel, Kernel]</c>.</param>
/// <param name="Bias"><c>Outputs</c> values.</param>
/// <param name="ClipMax">Upper clip of the activation (6 for ReLU6), or null for a linear layer.</param>
public sealed record TopLayer(int Inputs, int Outputs, int Kernel, bool Depthwise, float[] Weights, float[] Bias, float? ClipMax)
{
    /// <summary>Weights per output channel: <c>Kernel^2</c> (depthwise) or <c>Inputs * Kernel^2</c>.</summary>
    [JsonIgnore]
    public int WeightsPerOutput => (Depthwise ? 1 : Inputs) * Kernel * Kernel;
}

/// <summary>
/// The float top of a backbone above a cut, as it is fine-tuned and exported: dequantize the cut's uint8 activations
/// (<c>(q - ZeroPoint) * Scale</c>, channel-major <c>[Inputs, Side, Side]</c>), run <see cref="Layers"/> in order, then
/// take the mean over positions (global average pool): one <see cref="Outputs"/>-long feature vector per image.
/// For MobileNetV2 int8 the top is its last inverted residual block (1x1 expand 160 -> 960, ReLU6; depthwise 3x3, ReLU6;
/// 1x1 project 960 -> 320, linear) and the 1x1 convolution to the 1280-channel feature map (ReLU6).
/// </summary>
/// <param name="Inputs">Channels at the cut.</param>
/// <param name="Side">Spatial side at the cut (7 for a 224 input).</param>
/// <param name="Scale">Quantization scale of the cut's activations.</param>
/// <param name="ZeroPoint">Quantization zero point of the cut's activations.</param>
/// <param name="Layers">The convolutions, input first.</param>
public sealed record ConvTop(int Inputs, int Side, float Scale, int ZeroPoint, IReadOnlyList<TopLayer> Layers)
{
    /// <summary>Channels after the last layer: the feature dimension (1280).</summary>
    [JsonIgnore]
    public int Outputs => Layers[^1].Outputs;

    /// <summary>Spatial positions at the cut (<c>Side * Side</c>).</summary>
    [JsonIgnore]
    public int Positions => Side * Side;

    /// <summary>Bytes of one example's cut activations (<c>Inputs * Positions</c>).</summary>
    [JsonIgnore]
    public int ActivationBytes => Inputs * Positions;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first layer whose sizes do not chain or whose values are not finite.</summary>
    public void Validate()
    {
        if (Layers is not { Count: > 0 })
            throw new ArgumentException("The top has no layers.");
        var channels = Inputs;
        for (var i = 0; i < Layers.Count; i++)
        {
            var layer = Layers[i];
            if (layer.Inputs != channels || (layer.Depthwise && layer.Outputs != layer.Inputs) || layer.Kernel < 1 || layer.Kernel % 2 == 0
                || layer.Weights.Length != layer.Outputs * layer.WeightsPerOutput || layer.Bias.Length != layer.Outputs)
            {
                throw new ArgumentException($"Top layer {i} ({layer.Inputs} -> {layer.Outputs}, kernel {layer.Kernel}{(layer.Depthwise ? ", depthwise" : string.Empty)}, {layer.Weights.Length} weights, {layer.Bias.Length} biases) does not take the {channels} channels before it or is inconsistent.");
            }
            if (layer.Weights.Any(w => !float.IsFinite(w)) || layer.Bias.Any(b => !float.IsFinite(b)))
                throw new ArgumentException($"Top layer {i} has a weight or bias that is not finite.");
            channels = layer.Outputs;
        }
    }

    /// <summary>
    /// The pooled feature vector of one example's cut activations, computed plainly in C# (the reference the libtorch
    /// training and the exported graphs are checked against).
    /// </summary>
    /// <exception cref="ArgumentException">The activation has the wrong length.</exception>
    public float[] Pool(ReadOnlySpan<byte> activation)
    {
        if (activation.Length != ActivationBytes)
            throw new ArgumentException($"The top takes {ActivationBytes} activation bytes ({Inputs} x {Positions}); got {activation.Length}.", nameof(activation));
        var x = new float[activation.Length];
        for (var i = 0; i < x.Length; i++)
            x[i] = (activation[i] - ZeroPoint) * Scale;
        foreach (var layer in Layers)
            x = layer.Depthwise ? Depthwise(layer, x) : Pointwise(layer, x);
        var pooled = new float[Outputs];
        for (var o = 0; o < Outputs; o++)
            pooled[o] = TensorPrimitives.Sum(x.AsSpan(o * Positions, Positions)) / Positions;
        return pooled;
    }

    private float[] Pointwise(TopLayer layer, float[] x)
    {
        // Position-major input, so each output channel is one dot product per position.
        var input = new float[Positions * layer.Inputs];
        for (var c = 0; c < layer.Inputs; c++)
        {
            for (var p = 0; p < Positions; p++)
                input[p * layer.Inputs + c] = x[c * Positions + p];
        }
        var y = new float[layer.Outputs * Positions];
        for (var o = 0; o < layer.Outputs; o++)
        {
            var row = layer.Weights.AsSpan(o * layer.Inputs, layer.Inputs);
            for (var p = 0; p < Positions; p++)
                y[o * Positions + p] = Activate(layer, TensorPrimitives.Dot(row, input.AsSpan(p * layer.Inputs, layer.Inputs)) + layer.Bias[o]);
        }
        return y;
    }

    private float[] Depthwise(TopLayer layer, float[] x)
    {
        var k = layer.Kernel;
        var pad = k / 2;
        var y = new float[layer.Outputs * Positions];
        for (var c = 0; c < layer.Outputs; c++)
        {
            for (var row = 0; row < Side; row++)
            {
                for (var column = 0; column < Side; column++)
                {
                    var sum = layer.Bias[c];
                    for (var dy = 0; dy < k; dy++)
                    {
                        var r = row + dy - pad;
                        if (r < 0 || r >= Side)
                            continue;
                        for (var dx = 0; dx < k; dx++)
                        {
                            var q = column + dx - pad;
                            if (q >= 0 && q < Side)
                                sum += layer.Weights[(c * k + dy) * k + dx] * x[(c * Side + r) * Side + q];
                        }
                    }
                    y[(c * Side + row) * Side + column] = Activate(layer, sum);
                }
            }
        }
        return y;
    }

    private static float Activate(TopLayer layer, float value) => layer.ClipMax is { } max ? Math.Clamp(value, 0f, max) : value;
}
