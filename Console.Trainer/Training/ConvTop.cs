using System.Numerics.Tensors;

namespace VisionConsole.Trainer.Training;

/// <summary>
/// The float top of a backbone above a cut, as it is fine-tuned and exported: dequantize the cut's uint8 activations
/// (<c>(q - ZeroPoint) * Scale</c>, <c>[Inputs, Positions]</c>), a 1x1 convolution (<see cref="Weights"/> row-major
/// <c>[Outputs, Inputs]</c>, <see cref="Bias"/>), clip to <c>[0, ClipMax]</c> (ReLU6 for MobileNetV2), then the mean over
/// positions (global average pool): one <see cref="Outputs"/>-long feature vector per image.
/// </summary>
/// <param name="Inputs">Channels at the cut (320 for MobileNetV2).</param>
/// <param name="Outputs">Channels after the convolution: the feature dimension (1280).</param>
/// <param name="Positions">Spatial positions at the cut (7 x 7 = 49).</param>
/// <param name="Scale">Quantization scale of the cut's activations.</param>
/// <param name="ZeroPoint">Quantization zero point of the cut's activations.</param>
/// <param name="Weights"><c>Outputs * Inputs</c> values.</param>
/// <param name="Bias"><c>Outputs</c> values.</param>
/// <param name="ClipMax">Upper clip of the activation (6 for ReLU6).</param>
public sealed record ConvTop(int Inputs, int Outputs, int Positions, float Scale, int ZeroPoint, float[] Weights, float[] Bias, float ClipMax)
{
    /// <summary>Bytes of one example's cut activations (<c>Inputs * Positions</c>).</summary>
    public int ActivationBytes => Inputs * Positions;

    /// <summary>The pooled feature vector of one example's cut activations (channel-major, <c>[Inputs, Positions]</c>).</summary>
    /// <exception cref="ArgumentException">The activation has the wrong length.</exception>
    public float[] Pool(ReadOnlySpan<byte> activation)
    {
        if (activation.Length != ActivationBytes)
            throw new ArgumentException($"The top takes {ActivationBytes} activation bytes ({Inputs} x {Positions}); got {activation.Length}.", nameof(activation));
        // Position-major dequantized input, so each output channel is one dot product per position.
        var input = new float[Positions * Inputs];
        for (var c = 0; c < Inputs; c++)
        {
            for (var p = 0; p < Positions; p++)
                input[p * Inputs + c] = (activation[c * Positions + p] - ZeroPoint) * Scale;
        }
        var pooled = new float[Outputs];
        var weights = Weights.AsSpan();
        for (var o = 0; o < Outputs; o++)
        {
            var row = weights.Slice(o * Inputs, Inputs);
            double sum = 0;
            for (var p = 0; p < Positions; p++)
            {
                var value = TensorPrimitives.Dot(row, input.AsSpan(p * Inputs, Inputs)) + Bias[o];
                sum += Math.Clamp(value, 0f, ClipMax);
            }
            pooled[o] = (float)(sum / Positions);
        }
        return pooled;
    }
}
