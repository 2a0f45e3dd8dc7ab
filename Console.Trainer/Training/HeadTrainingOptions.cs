namespace VisionConsole.Trainer.Training;

/// <summary>How per-example loss weights depend on class frequency.</summary>
public enum ClassWeighting
{
    /// <summary>Every example weighs 1.</summary>
    None,
    /// <summary>
    /// Softmax: an example of class <c>c</c> weighs <c>N / (C * n_c)</c>, so every class carries the same
    /// total weight. Sigmoid: per label, positives weigh <c>N / (2 * positives)</c> and negatives
    /// <c>N / (2 * negatives)</c>. (The "balanced" weighting of scikit-learn.)
    /// </summary>
    Balanced,
}

/// <summary>How feature vectors are scaled before the head (the head stores the mean and std it used).</summary>
public enum FeatureScaling
{
    /// <summary>Subtract the per-feature mean; divide every feature by one global standard deviation (the RMS of the per-feature ones). Keeps the backbone's relative feature scales.</summary>
    Global,
    /// <summary>Subtract the per-feature mean; divide each feature by its own standard deviation (z-score).</summary>
    PerFeature,
}

/// <summary>Why training stopped.</summary>
public enum TrainingStopReason
{
    /// <summary>The monitored loss stopped improving for <see cref="HeadTrainingOptions.Patience"/> epochs (early stopping).</summary>
    Converged,
    /// <summary>The wall-clock budget ran out; the head is the best one seen so far.</summary>
    BudgetReached,
    /// <summary>The cancellation token fired; the head is the best one seen so far.</summary>
    Cancelled,
    /// <summary><see cref="HeadTrainingOptions.MaxEpochs"/> epochs ran while the loss was still improving.</summary>
    EpochLimitReached,
}

/// <summary>
/// Settings of <see cref="HeadTrainer.Train"/>. The defaults suit 1280-d MobileNetV2 features and a few
/// hundred to a few tens of thousands of examples.
/// </summary>
public sealed record HeadTrainingOptions
{
    /// <summary>Logistic regression (default) or a one-hidden-layer MLP.</summary>
    public HeadKind Kind { get; init; } = HeadKind.Logistic;

    /// <summary>Softmax over classes (single-label, default) or independent sigmoids (multi-label).</summary>
    public HeadOutput Output { get; init; } = HeadOutput.Softmax;

    /// <summary>Width of the MLP's hidden layer (ignored by logistic heads).</summary>
    public int HiddenUnits { get; init; } = 256;

    /// <summary>Upper bound on passes over the training set.</summary>
    public int MaxEpochs { get; init; } = 300;

    /// <summary>Examples per Adam step (the last batch of an epoch may be smaller).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>
    /// Adam step size. Null picks <c>0.3 / featureDimension</c>, clamped to [1e-4, 1e-2] (2.3e-4 for 1280-d features):
    /// Adam moves every weight by about the step size, so on standardized features one step changes a logit by
    /// roughly <c>step * dimension</c>; this keeps that near 0.3 whatever the dimension. (A fixed 0.01 on MobileNetV2
    /// features overfit the hymenoptera set within the first epoch.)
    /// </summary>
    public double? LearningRate { get; init; }

    /// <summary>
    /// L2 penalty <c>(WeightDecay / 2) * |W|^2</c> on weights (not biases), added to the mean loss. For the logistic
    /// head this is scikit-learn's <c>C = 1 / (WeightDecay * N)</c>.
    /// </summary>
    public double WeightDecay { get; init; } = 1e-2;

    /// <summary>
    /// Label smoothing <c>e</c> in [0, 1), default 0 (scores stay calibrated for the threshold slider): softmax targets become <c>(1 - e) * onehot + e / C</c>, sigmoid
    /// targets <c>(1 - e) * y + e / 2</c>. Validation loss is always measured against hard targets.
    /// </summary>
    public double LabelSmoothing { get; init; }

    /// <summary>
    /// Feature centring and scaling, default <see cref="FeatureScaling.PerFeature"/> (z-score). On real MobileNetV2
    /// features of hymenoptera both gave the same validation accuracy within one or two images.
    /// </summary>
    public FeatureScaling FeatureScaling { get; init; } = FeatureScaling.PerFeature;

    /// <summary>Loss weights by class frequency (default balanced).</summary>
    public ClassWeighting ClassWeighting { get; init; } = ClassWeighting.Balanced;

    /// <summary>Epochs without an improvement of at least <see cref="MinImprovement"/> in the monitored loss before stopping.</summary>
    public int Patience { get; init; } = 10;

    /// <summary>Smallest decrease of the monitored loss that counts as an improvement.</summary>
    public double MinImprovement { get; init; } = 1e-4;

    /// <summary>
    /// When no validation set is given, this fraction of the training groups (images) is held out,
    /// stratified by first label, to monitor early stopping. 0 monitors the training loss instead.
    /// </summary>
    public double HoldoutFraction { get; init; } = 0.1;

    /// <summary>Wall-clock budget measured from the start of <see cref="HeadTrainer.Train"/>; null means none.</summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>Seed of every random choice (initialization, shuffling, hold-out). Same seed, same data, same head.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Threads used for a batch; null means the processor count. The result does not depend on it.</summary>
    public int? MaxDegreeOfParallelism { get; init; }

    /// <summary>
    /// Warm start (resume from a base model): training starts from this head's weights instead of the
    /// default initialization. It must have the same kind, feature dimension, class count and layer widths;
    /// its standardization is re-expressed in the new training set's, so it predicts exactly as before at step 0.
    /// </summary>
    public TrainedHead? InitialHead { get; init; }
}

/// <summary>Reported after every epoch.</summary>
/// <param name="Epoch">1-based epoch just finished.</param>
/// <param name="MaxEpochs">The configured upper bound.</param>
/// <param name="TrainLoss">Mean weighted training loss over the epoch's batches (smoothed targets, no weight decay term).</param>
/// <param name="ValidationLoss">Weighted loss on the validation set with hard targets, or null without one.</param>
/// <param name="ValidationAccuracy">
/// Softmax: top-1 accuracy. Sigmoid: exact-set accuracy (the labels scoring at least 0.5 are exactly the true ones).
/// Null without a validation set.
/// </param>
public sealed record HeadTrainingProgress(int Epoch, int MaxEpochs, double TrainLoss, double? ValidationLoss, double? ValidationAccuracy);

/// <summary>The outcome of <see cref="HeadTrainer.Train"/>.</summary>
/// <param name="Head">The head of the best epoch by monitored loss (the initial head if no epoch finished).</param>
/// <param name="StopReason">Why training stopped.</param>
/// <param name="EpochsCompleted">Epochs that ran to their end.</param>
/// <param name="BestEpoch">The epoch whose weights <see cref="Head"/> holds (0: none finished).</param>
/// <param name="UsedHoldout">Whether the validation set was carved from the training set.</param>
/// <param name="History">One entry per completed epoch, as reported through progress.</param>
/// <param name="Elapsed">Wall-clock time spent.</param>
public sealed record HeadTrainingResult(
    TrainedHead Head,
    TrainingStopReason StopReason,
    int EpochsCompleted,
    int BestEpoch,
    bool UsedHoldout,
    IReadOnlyList<HeadTrainingProgress> History,
    TimeSpan Elapsed);
