namespace VisionConsole.Trainer.Export;

/// <summary>How a head turns logits into scores.</summary>
public enum HeadActivation
{
    /// <summary>Single-label: scores sum to 1 over the classes.</summary>
    Softmax,
    /// <summary>Multi-label: each class scored independently in [0, 1].</summary>
    Sigmoid,
}

/// <summary>A hidden fully connected layer of a head: <c>y = ReLU(W x + b)</c>, W row-major <c>[Outputs x Inputs]</c>.</summary>
/// <param name="Inputs">Length of the input vector.</param>
/// <param name="Outputs">Length of the output vector.</param>
/// <param name="Weights"><c>Outputs * Inputs</c> values; row <c>o</c> holds the weights of output <c>o</c>.</param>
/// <param name="Bias"><c>Outputs</c> values.</param>
public sealed record HiddenLayer(int Inputs, int Outputs, float[] Weights, float[] Bias);

/// <summary>
/// A trained classifier over pooled backbone features:
/// <c>scores = activation(W · h + Bias)</c> with <c>h = ((features - Mean) / Std)</c> passed through
/// <see cref="HiddenLayers"/> (none for a linear head, one dense + ReLU layer for a small MLP).
/// </summary>
/// <param name="Labels">Class names in output order (one line each in <c>dict.txt</c>).</param>
/// <param name="Mean">Per-feature standardization mean, length D.</param>
/// <param name="Std">Per-feature standardization deviation, length D, every value &gt; 0.</param>
/// <param name="Weights">W of the logits layer, row-major <c>[C x D]</c> (row c holds class c's weights; D is the last hidden layer's width when there are hidden layers).</param>
/// <param name="Bias">b, length C.</param>
/// <param name="Activation">Softmax (single-label) or sigmoid (multi-label).</param>
public sealed record ClassifierHead(
    IReadOnlyList<string> Labels,
    float[] Mean,
    float[] Std,
    float[] Weights,
    float[] Bias,
    HeadActivation Activation)
{
    /// <summary>Dense + ReLU layers between the standardized features and the logits layer, input first (empty for a linear head).</summary>
    public IReadOnlyList<HiddenLayer> HiddenLayers { get; init; } = [];

    /// <summary>
    /// The fine-tuned float top above the backbone's cut (mobile-high-accuracy-1), or null for a head on the backbone's own
    /// feature map. With it the export dequantizes <see cref="CutValue"/> and runs this top in place of the backbone's
    /// layers above the cut: <c>DequantizeLinear</c>, then per layer <c>Conv</c> (1x1 or depthwise) and, for a ReLU6-like
    /// layer, <c>Clip</c> [0, ClipMax], then <c>GlobalAveragePool</c>.
    /// </summary>
    public VisionConsole.Trainer.Training.ConvTop? Top { get; init; }

    /// <summary>The uint8 backbone value the <see cref="Top"/> reads (required with it).</summary>
    public string? CutValue { get; init; }

    /// <summary>
    /// Test-time flip: the exported graphs score the image and its mirror image (left to right) in one batch and
    /// output the mean of the two probability vectors, as the console's prediction does for a model type with
    /// test-time flip (<c>mobile-high-accuracy-1</c>). False: one pass on the image as it is.
    /// </summary>
    public bool TestTimeFlip { get; init; }

    /// <summary>Width of the vector the logits layer reads (D, or the last hidden layer's outputs).</summary>
    public int LogitsInputs => HiddenLayers.Count == 0 ? FeatureDimension : HiddenLayers[^1].Outputs;

    /// <summary>C, the number of classes.</summary>
    public int ClassCount => Labels.Count;

    /// <summary>D, the length of the pooled feature vector the head reads.</summary>
    public int FeatureDimension => Mean.Length;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistency (sizes, labels, values).</summary>
    public void Validate(int expectedFeatureDimension)
    {
        ArgumentNullException.ThrowIfNull(Labels);
        if (Labels.Count == 0) throw new ArgumentException("The head has no labels.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Labels.Count; i++)
        {
            var label = Labels[i];
            if (string.IsNullOrWhiteSpace(label) || label != label.Trim() || label.Contains('\n') || label.Contains('\r'))
            {
                // dict.txt is one label a line and tfjs-automl trims the file: such a label would shift or merge lines.
                throw new ArgumentException($"Label {i} ('{label}') is empty, has a line break or leading/trailing spaces.");
            }
            if (!seen.Add(label)) throw new ArgumentException($"Label {i} ('{label}') appears twice.");
        }
        if (Mean.Length != expectedFeatureDimension)
        {
            throw new ArgumentException($"The head's mean has {Mean.Length} values; the backbone gives {expectedFeatureDimension} features.");
        }
        if (Std.Length != expectedFeatureDimension)
        {
            throw new ArgumentException($"The head's std has {Std.Length} values; the backbone gives {expectedFeatureDimension} features.");
        }
        var width = expectedFeatureDimension;
        for (var i = 0; i < HiddenLayers.Count; i++)
        {
            var layer = HiddenLayers[i];
            if (layer.Inputs != width || layer.Weights.Length != layer.Inputs * layer.Outputs || layer.Bias.Length != layer.Outputs)
            {
                throw new ArgumentException($"Hidden layer {i} ({layer.Inputs} -> {layer.Outputs}, {layer.Weights.Length} weights, {layer.Bias.Length} biases) does not take the {width} values before it or is inconsistent.");
            }
            CheckFinite(layer.Weights, $"HiddenLayers[{i}].Weights");
            CheckFinite(layer.Bias, $"HiddenLayers[{i}].Bias");
            width = layer.Outputs;
        }
        if (Weights.Length != ClassCount * width)
        {
            throw new ArgumentException($"The head's weights have {Weights.Length} values; {ClassCount} classes x {width} inputs need {ClassCount * width}.");
        }
        if (Bias.Length != ClassCount)
        {
            throw new ArgumentException($"The head's bias has {Bias.Length} values; there are {ClassCount} classes.");
        }
        for (var i = 0; i < Std.Length; i++)
        {
            if (!(Std[i] > 0f) || !float.IsFinite(Std[i])) throw new ArgumentException($"Std[{i}] is {Std[i]}; it must be a finite number > 0.");
        }
        if (Top is { } top)
        {
            if (string.IsNullOrEmpty(CutValue)) throw new ArgumentException("A head with a fine-tuned top needs the cut value it reads.");
            top.Validate();
            if (top.Outputs != expectedFeatureDimension)
            {
                throw new ArgumentException($"The fine-tuned top ({top.Inputs} -> {top.Outputs} channels) does not give the {expectedFeatureDimension} features the head takes.");
            }
        }
        CheckFinite(Mean, nameof(Mean));
        CheckFinite(Weights, nameof(Weights));
        CheckFinite(Bias, nameof(Bias));
    }

    private static void CheckFinite(float[] values, string name)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i])) throw new ArgumentException($"{name}[{i}] is {values[i]}; it must be finite.");
        }
    }
}
