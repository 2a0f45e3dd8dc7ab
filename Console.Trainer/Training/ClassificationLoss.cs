using TorchSharp;
using static TorchSharp.torch;

namespace VisionConsole.Trainer.Training;

/// <summary>
/// The weighted classification loss of every head and fine-tuning here: softmax cross-entropy (single-label) or a sum of
/// per-label binary cross-entropies (multi-label), class-weighted (<see cref="ClassWeighting"/>), with optional label
/// smoothing for training; validation always uses hard targets.
/// </summary>
internal sealed class ClassificationLoss
{
    private readonly HeadOutput _output;
    private readonly int _classes;
    private readonly float _smoothing;
    private readonly Tensor _positiveWeight; // softmax: weight of an example of class c; sigmoid: weight of a positive
    private readonly Tensor _negativeWeight; // sigmoid: weight of a negative for label c

    /// <param name="output">Softmax or sigmoid.</param>
    /// <param name="classes">Class count.</param>
    /// <param name="fitLabels">The fitted examples' labels (class weights are counted on them).</param>
    /// <param name="weighting">Class weighting.</param>
    /// <param name="smoothing">Label smoothing in [0, 1).</param>
    public ClassificationLoss(HeadOutput output, int classes, IReadOnlyList<int[]> fitLabels, ClassWeighting weighting, double smoothing)
    {
        _output = output;
        _classes = classes;
        _smoothing = (float)smoothing;
        var (positive, negative) = ClassWeights(output, classes, fitLabels, weighting);
        _positiveWeight = torch.tensor(positive);
        _negativeWeight = torch.tensor(negative);
    }

    /// <summary>
    /// Per-example loss weights by class frequency (scikit-learn's "balanced"): softmax <c>N / (C_present * n_c)</c>;
    /// sigmoid, per label, positives <c>N / (2 * positives)</c> and negatives <c>N / (2 * negatives)</c>.
    /// </summary>
    internal static (float[] Positive, float[] Negative) ClassWeights(HeadOutput output, int classes, IReadOnlyList<int[]> labels, ClassWeighting weighting)
    {
        var positive = new float[classes];
        var negative = new float[classes];
        Array.Fill(positive, 1f);
        Array.Fill(negative, 1f);
        if (weighting == ClassWeighting.None)
            return (positive, negative);

        var counts = new int[classes];
        foreach (var set in labels)
        {
            foreach (var c in set)
                counts[c]++;
        }
        var total = labels.Count;
        if (output == HeadOutput.Softmax)
        {
            var present = counts.Count(n => n > 0);
            for (var c = 0; c < classes; c++)
                positive[c] = counts[c] > 0 ? (float)total / (present * counts[c]) : 0f;
        }
        else
        {
            for (var c = 0; c < classes; c++)
            {
                var negatives = total - counts[c];
                if (counts[c] == 0 || negatives == 0)
                    continue; // nothing to balance against
                positive[c] = total / (2f * counts[c]);
                negative[c] = total / (2f * negatives);
            }
        }
        return (positive, negative);
    }

    /// <summary>The targets tensor of a set of examples: class indices <c>[N]</c> (softmax) or multi-hot <c>[N, C]</c> (sigmoid).</summary>
    public Tensor Targets(IReadOnlyList<int[]> labels)
    {
        if (_output == HeadOutput.Softmax)
            return torch.tensor(labels.Select(l => (long)l[0]).ToArray());
        var hot = new float[labels.Count * _classes];
        for (var i = 0; i < labels.Count; i++)
        {
            foreach (var c in labels[i])
                hot[i * _classes + c] = 1f;
        }
        return torch.tensor(hot, [labels.Count, _classes]);
    }

    /// <summary>Mean weighted loss of a batch (a scalar with autograd); <paramref name="smoothed"/> applies label smoothing.</summary>
    public Tensor Mean(Tensor logits, Tensor targets, bool smoothed) => PerExample(logits, targets, smoothed ? _smoothing : 0f).mean();

    /// <summary>Mean weighted loss with hard targets, and accuracy (softmax top-1; sigmoid: the labels at 0.5 are exactly the true ones).</summary>
    public (double Loss, double Accuracy) Evaluate(Tensor logits, Tensor targets)
    {
        var loss = PerExample(logits, targets, 0f).mean().item<float>();
        Tensor hits = _output == HeadOutput.Softmax
            ? logits.argmax(1).eq(targets)
            : logits.ge(TensorConstant.Of(0)).ne(targets.gt(TensorConstant.Of(0.5))).sum(1).eq(TensorConstant.Of(0)); // sigmoid(z) >= 0.5 exactly when z >= 0
        var accuracy = hits.to_type(ScalarType.Float64).mean().item<double>();
        return (loss, accuracy);
    }

    private Tensor PerExample(Tensor logits, Tensor targets, float smoothing)
    {
        if (_output == HeadOutput.Softmax)
        {
            var logP = torch.nn.functional.log_softmax(logits, 1);
            var weight = _positiveWeight.index_select(0, targets);
            var hard = -logP.gather(1, targets.unsqueeze(1)).squeeze(1);
            // Smoothed targets (1 - e) * onehot + e / C: the cross-entropy splits into the same two terms.
            // Constants as tensors, never C# numbers (see TensorConstant).
            var loss = smoothing > 0 ? hard * TensorConstant.Of(1 - smoothing) - logP.mean([1L]) * TensorConstant.Of(smoothing) : hard;
            return loss * weight;
        }
        var smoothedTargets = smoothing > 0 ? (targets * TensorConstant.Of(1 - smoothing)).Plus(TensorConstant.Of(smoothing / 2)) : targets;
        var weights = (targets * _positiveWeight).Plus((TensorConstant.Of(1) - targets) * _negativeWeight);
        var bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, smoothedTargets, weights, reduction: nn.Reduction.None);
        return bce.sum(1);
    }
}
