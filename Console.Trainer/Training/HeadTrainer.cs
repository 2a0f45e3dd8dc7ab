using System.Diagnostics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TorchSharp;
using static TorchSharp.torch;

namespace VisionConsole.Trainer.Training;

/// <summary>
/// Trains a classification head (logistic regression or a one-hidden-layer MLP; softmax or sigmoid) on
/// frozen backbone features, with TorchSharp's autograd and Adam.
/// </summary>
/// <remarks>
/// <para>
/// Optimizer: mini-batch Adam with an L2 penalty on the weights (not the biases). L-BFGS would converge in fewer passes
/// on the convex logistic head, but one optimizer has to serve the non-convex MLP (and the fine-tuned backbone top)
/// as well, and mini-batches give what the console needs around it: a loss and a
/// validation check per epoch for early stopping and progress, and a deadline or cancellation honoured within one batch.
/// Features are standardized, so the default step size depends only on the feature dimension
/// (see <see cref="HeadTrainingOptions.LearningRate"/>).
/// </para>
/// <para>
/// Determinism: every random choice (initialization, shuffling, hold-out) comes from <see cref="HeadTrainingOptions.Seed"/>
/// through .NET's seeded <see cref="Random"/>, and libtorch's CPU kernels are deterministic for a given thread count.
/// </para>
/// </remarks>
public static class HeadTrainer
{
    private const float MinStd = 1e-6f;

    /// <summary>
    /// Trains a head. Never throws for cancellation or an exhausted budget: both end training and return the
    /// best head so far with <see cref="TrainingStopReason.Cancelled"/> or <see cref="TrainingStopReason.BudgetReached"/>.
    /// </summary>
    /// <param name="train">Training examples (all views of the training images).</param>
    /// <param name="validation">
    /// Held-out examples for early stopping (for example the original view of the VALIDATION images), or null to
    /// carve <see cref="HeadTrainingOptions.HoldoutFraction"/> of the training groups out of <paramref name="train"/>.
    /// </param>
    /// <param name="options">Settings; see <see cref="HeadTrainingOptions"/>.</param>
    /// <param name="progress">Receives one report per completed epoch, on the training thread.</param>
    /// <param name="cancellationToken">Stops training at the next batch boundary.</param>
    /// <exception cref="ArgumentException">
    /// The only exception besides argument nulls: invalid options, a softmax head with fewer than 2 classes or an
    /// example without exactly one label, or a validation set whose dimension or class count differs from the training set's.
    /// </exception>
    public static HeadTrainingResult Train(
        FeatureSet train,
        FeatureSet? validation,
        HeadTrainingOptions options,
        IProgress<HeadTrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        var stopwatch = Stopwatch.StartNew();
        Validate(train, validation, options);

        var usedHoldout = false;
        var fit = train;
        if (validation is null && options.HoldoutFraction > 0)
        {
            var split = SplitHoldout(train, options.HoldoutFraction, options.Seed);
            if (split is { } s)
            {
                (fit, validation) = s;
                usedHoldout = true;
            }
        }

        TorchThreads.Use(options.MaxDegreeOfParallelism);
        using var scope = torch.NewDisposeScope();
        var (mean, std) = Standardization(fit, options.FeatureScaling);
        var x = StandardizedTensor(fit, mean, std);
        var xValidation = validation is null ? null : StandardizedTensor(validation, mean, std);
        var loss = new ClassificationLoss(options.Output, fit.ClassCount, LabelsOf(fit), options.ClassWeighting, options.LabelSmoothing);
        var targets = loss.Targets(LabelsOf(fit));
        var validationTargets = validation is null ? null : loss.Targets(LabelsOf(validation));

        var network = new HeadNetwork(options.Kind, fit.Dimension, options.Kind == HeadKind.Mlp ? options.HiddenUnits : 0, fit.ClassCount);
        if (options.InitialHead is { } initial)
            network.WarmStart(initial, mean, std, options.Kind);
        else
            network.Initialize(new Random(options.Seed));

        using var optimizer = network.Adam(options.LearningRate ?? DefaultLearningRate(fit.Dimension), options.WeightDecay);
        var batchSize = Math.Min(options.BatchSize, fit.Count);
        var best = network.Snapshot();
        var shuffler = new Random(unchecked(options.Seed * 31 + 7));
        var order = Enumerable.Range(0, fit.Count).ToArray();

        var outcome = EpochLoop.Run(
            new EpochLoop.Settings(options.MaxEpochs, options.Patience, options.MinImprovement, options.TimeBudget),
            stopwatch,
            shouldStop =>
            {
                Shuffle(order, shuffler);
                double lossSum = 0;
                for (var start = 0; start < fit.Count; start += batchSize)
                {
                    if (shouldStop())
                        return null;
                    var count = Math.Min(batchSize, fit.Count - start);
                    optimizer.ZeroGrad();
                    using (torch.NewDisposeScope())
                    {
                        var rows = torch.tensor(order.AsSpan(start, count).ToArray().Select(i => (long)i).ToArray());
                        var batchLoss = loss.Mean(network.Forward(x.index_select(0, rows)), targets.index_select(0, rows), smoothed: true);
                        batchLoss.backward();
                        lossSum += batchLoss.item<float>() * count;
                    }
                    // Outside the batch's dispose scope: the optimizer's state lives across steps.
                    optimizer.Step();
                }
                return lossSum / fit.Count;
            },
            xValidation is null ? null : () =>
            {
                using var noGrad = torch.no_grad();
                using var evalScope = torch.NewDisposeScope();
                var logits = network.Forward(xValidation);
                return loss.Evaluate(logits, validationTargets!);
            },
            () => network.CopyTo(best),
            progress,
            cancellationToken);

        network.CopyFrom(best);
        var head = network.ToHead(options.Kind, options.Output, mean, std);
        return new HeadTrainingResult(head, outcome.StopReason, outcome.EpochsCompleted, outcome.BestEpoch, usedHoldout, outcome.History, stopwatch.Elapsed);
    }

    private static void Validate(FeatureSet train, FeatureSet? validation, HeadTrainingOptions options)
    {
        if (options.MaxEpochs < 1)
            throw new ArgumentException($"MaxEpochs must be at least 1 (was {options.MaxEpochs}).", nameof(options));
        if (options.BatchSize < 1)
            throw new ArgumentException($"BatchSize must be at least 1 (was {options.BatchSize}).", nameof(options));
        if (options.Kind == HeadKind.Mlp && options.HiddenUnits < 1)
            throw new ArgumentException($"HiddenUnits must be at least 1 for an MLP head (was {options.HiddenUnits}).", nameof(options));
        if (options.LearningRate is { } lr && !(lr > 0 && double.IsFinite(lr)))
            throw new ArgumentException($"LearningRate must be positive (was {lr}).", nameof(options));
        if (!(options.WeightDecay >= 0 && double.IsFinite(options.WeightDecay)))
            throw new ArgumentException($"WeightDecay must be zero or positive (was {options.WeightDecay}).", nameof(options));
        if (!(options.LabelSmoothing >= 0 && options.LabelSmoothing < 1))
            throw new ArgumentException($"LabelSmoothing must be in [0, 1) (was {options.LabelSmoothing}).", nameof(options));
        if (options.Patience < 1)
            throw new ArgumentException($"Patience must be at least 1 (was {options.Patience}).", nameof(options));
        if (!(options.MinImprovement >= 0))
            throw new ArgumentException($"MinImprovement must be zero or positive (was {options.MinImprovement}).", nameof(options));
        if (!(options.HoldoutFraction >= 0 && options.HoldoutFraction < 1))
            throw new ArgumentException($"HoldoutFraction must be in [0, 1) (was {options.HoldoutFraction}).", nameof(options));
        if (options.TimeBudget is { } budget && budget < TimeSpan.Zero)
            throw new ArgumentException($"TimeBudget must not be negative (was {budget}).", nameof(options));
        if (options.MaxDegreeOfParallelism is { } dop && dop < 1)
            throw new ArgumentException($"MaxDegreeOfParallelism must be at least 1 (was {dop}).", nameof(options));

        if (validation is not null)
        {
            if (validation.Dimension != train.Dimension)
                throw new ArgumentException($"Validation vectors have {validation.Dimension} features; training vectors have {train.Dimension}.", nameof(validation));
            if (validation.ClassCount != train.ClassCount)
                throw new ArgumentException($"The validation set has {validation.ClassCount} classes; the training set has {train.ClassCount}.", nameof(validation));
        }

        if (options.Output == HeadOutput.Softmax)
        {
            if (train.ClassCount < 2)
                throw new ArgumentException($"A softmax head needs at least 2 classes (the training set has {train.ClassCount}).", nameof(train));
            RequireSingleLabel(train, "training", nameof(train));
            if (validation is not null)
                RequireSingleLabel(validation, "validation", nameof(validation));
        }
    }

    private static void RequireSingleLabel(FeatureSet set, string name, string parameter)
    {
        for (var i = 0; i < set.Count; i++)
        {
            var count = set.Labels(i).Count;
            if (count != 1)
                throw new ArgumentException($"A softmax head needs exactly one label per example; {name} example {i} has {count}.", parameter);
        }
    }

    /// <summary>The step size used when <see cref="HeadTrainingOptions.LearningRate"/> is null.</summary>
    public static double DefaultLearningRate(int featureDimension) => Math.Clamp(0.3 / featureDimension, 1e-4, 1e-2);

    /// <summary>Holds out about <paramref name="fraction"/> of the groups of each first-label stratum; null when nothing can be held out.</summary>
    internal static (FeatureSet Fit, FeatureSet Holdout)? SplitHoldout(FeatureSet set, double fraction, int seed)
    {
        var split = SplitHoldoutIndices(Enumerable.Range(0, set.Count).Select(set.GroupId).ToArray(),
            Enumerable.Range(0, set.Count).Select(set.Labels).ToArray(), fraction, seed);
        return split is { } s ? (set.Subset(s.Fit), set.Subset(s.Holdout)) : null;
    }

    /// <summary>
    /// The indices of a stratified hold-out by group: about <paramref name="fraction"/> of the groups of each first-label
    /// stratum (at least one group stays in fit); null when nothing can be held out.
    /// </summary>
    internal static (int[] Fit, int[] Holdout)? SplitHoldoutIndices(IReadOnlyList<string?> groupIds, IReadOnlyList<IReadOnlyList<int>> labels, double fraction, int seed)
    {
        var groups = new List<List<int>>();
        var groupByKey = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < groupIds.Count; i++)
        {
            var key = groupIds[i];
            if (key is null)
            {
                groups.Add([i]);
                continue;
            }
            if (!groupByKey.TryGetValue(key, out var members))
            {
                members = [];
                groupByKey.Add(key, members);
                groups.Add(members);
            }
            members.Add(i);
        }

        var strata = groups
            .GroupBy(g => labels[g[0]] is { Count: > 0 } first ? first[0] : -1)
            .OrderBy(s => s.Key);
        var rng = new Random(seed ^ 0x5EED);
        var fitIndices = new List<int>();
        var holdoutIndices = new List<int>();
        foreach (var stratum in strata)
        {
            var members = stratum.ToArray();
            Shuffle(members, rng);
            var take = Math.Min((int)Math.Round(members.Length * fraction, MidpointRounding.AwayFromZero), members.Length - 1);
            for (var g = 0; g < members.Length; g++)
                (g < take ? holdoutIndices : fitIndices).AddRange(members[g]);
        }
        if (holdoutIndices.Count == 0 || fitIndices.Count == 0)
            return null;
        fitIndices.Sort();
        holdoutIndices.Sort();
        return (fitIndices.ToArray(), holdoutIndices.ToArray());
    }

    internal static void Shuffle<T>(T[] items, Random rng)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    internal static int[][] LabelsOf(FeatureSet set) => Enumerable.Range(0, set.Count).Select(set.LabelsArray).ToArray();

    /// <summary>Per-feature mean and the standard deviation the head divides by (global or per feature).</summary>
    internal static (float[] Mean, float[] Std) Standardization(FeatureSet set, FeatureScaling scaling)
    {
        var dimension = set.Dimension;
        var sum = new double[dimension];
        var sumSquares = new double[dimension];
        for (var i = 0; i < set.Count; i++)
        {
            var row = set.Features(i);
            for (var j = 0; j < dimension; j++)
            {
                double v = row[j];
                sum[j] += v;
                sumSquares[j] += v * v;
            }
        }
        var mean = new float[dimension];
        var variance = new double[dimension];
        for (var j = 0; j < dimension; j++)
        {
            var m = sum[j] / set.Count;
            mean[j] = (float)m;
            variance[j] = Math.Max(0, sumSquares[j] / set.Count - m * m);
        }
        var std = new float[dimension];
        if (scaling == FeatureScaling.Global)
        {
            var s = (float)Math.Sqrt(variance.Average());
            Array.Fill(std, s < MinStd ? 1f : s);
        }
        else
        {
            for (var j = 0; j < dimension; j++)
            {
                var s = (float)Math.Sqrt(variance[j]);
                std[j] = s < MinStd ? 1f : s;
            }
        }
        return (mean, std);
    }

    private static Tensor StandardizedTensor(FeatureSet set, float[] mean, float[] std)
    {
        var dimension = set.Dimension;
        var result = new float[set.Count * dimension];
        for (var i = 0; i < set.Count; i++)
        {
            var row = result.AsSpan(i * dimension, dimension);
            TensorPrimitives.Subtract(set.Features(i), mean, row);
            TensorPrimitives.Divide(row, std, row);
        }
        return torch.tensor(result, [set.Count, dimension]);
    }

    /// <summary>The dense layers of a head as TorchSharp parameters (weights <c>[outputs, inputs]</c>, the Gemm layout).</summary>
    internal sealed class HeadNetwork
    {
        private readonly int[] _widths;
        private readonly TorchSharp.Modules.Parameter[] _weights;
        private readonly TorchSharp.Modules.Parameter[] _biases;

        public HeadNetwork(HeadKind kind, int inputs, int hidden, int classes)
        {
            _widths = kind == HeadKind.Mlp ? [inputs, hidden, classes] : [inputs, classes];
            var layers = _widths.Length - 1;
            _weights = new TorchSharp.Modules.Parameter[layers];
            _biases = new TorchSharp.Modules.Parameter[layers];
            for (var l = 0; l < layers; l++)
            {
                _weights[l] = new TorchSharp.Modules.Parameter(torch.zeros(_widths[l + 1], _widths[l]));
                _biases[l] = new TorchSharp.Modules.Parameter(torch.zeros(_widths[l + 1]));
            }
        }

        public int LayerCount => _weights.Length;

        public IEnumerable<TorchSharp.Modules.Parameter> Weights => _weights;

        public IEnumerable<TorchSharp.Modules.Parameter> Biases => _biases;

        public Tensor Forward(Tensor input)
        {
            var current = input;
            for (var l = 0; l < LayerCount; l++)
            {
                current = torch.nn.functional.linear(current, _weights[l], _biases[l]);
                if (l < LayerCount - 1)
                    current = torch.nn.functional.relu(current);
            }
            return current;
        }

        /// <summary>Adam with the L2 penalty on weights only: <c>lambda * w</c> joins their gradient, as <c>(lambda / 2) |W|^2</c> in the loss would.</summary>
        public AdamOptimizer Adam(double learningRate, double weightDecay) => Adam(learningRate, weightDecay, []);

        /// <summary>As <see cref="Adam(double, double)"/>, with more parameters (and their own step size and decay) in the same optimizer.</summary>
        public AdamOptimizer Adam(double learningRate, double weightDecay, IReadOnlyList<AdamGroup> extra) =>
            new([new AdamGroup(_weights, learningRate, weightDecay), new AdamGroup(_biases, learningRate, 0), .. extra]);

        public void Initialize(Random rng)
        {
            // Logistic heads start at zero (the convex optimum does not depend on the start); MLP weights need
            // symmetry breaking: He initialization for the ReLU layer, Glorot-like for the logits layer.
            if (LayerCount == 1)
                return;
            for (var l = 0; l < LayerCount; l++)
            {
                var inputs = _widths[l];
                var std = l < LayerCount - 1 ? Math.Sqrt(2.0 / inputs) : Math.Sqrt(1.0 / inputs);
                var values = new float[inputs * _widths[l + 1]];
                for (var k = 0; k < values.Length; k++)
                    values[k] = (float)(std * Gaussian(rng));
                Set(_weights[l], values);
            }
        }

        /// <summary>
        /// Copies a base head's weights. Its first layer is folded to raw features, then unfolded into this run's
        /// standardization: <c>W' = W_raw * std</c>, <c>b' = b_raw + W_raw . mean</c>.
        /// </summary>
        public void WarmStart(TrainedHead initial, float[] mean, float[] std, HeadKind kind)
        {
            if (initial.Kind != kind || initial.FeatureDimension != _widths[0] || initial.ClassCount != _widths[^1]
                || initial.Layers.Count != LayerCount
                || Enumerable.Range(0, LayerCount).Any(l => initial.Layers[l].Inputs != _widths[l] || initial.Layers[l].Outputs != _widths[l + 1]))
            {
                throw new ArgumentException(
                    $"The initial head ({initial.Kind}, {initial.FeatureDimension} features, {initial.ClassCount} classes, {initial.Layers.Count} layers) does not match the head being trained ({kind}, {_widths[0]} features, {_widths[^1]} classes, {LayerCount} layers).",
                    "options");
            }
            var raw = initial.FoldStandardization();
            for (var l = 0; l < LayerCount; l++)
            {
                var weights = (float[])raw[l].Weights.Clone();
                var bias = (float[])raw[l].Bias.Clone();
                if (l == 0)
                {
                    var inputs = raw[l].Inputs;
                    for (var o = 0; o < raw[l].Outputs; o++)
                    {
                        var row = weights.AsSpan(o * inputs, inputs);
                        bias[o] += TensorPrimitives.Dot(row, mean);
                        TensorPrimitives.Multiply(row, std, row);
                    }
                }
                Set(_weights[l], weights);
                Set(_biases[l], bias);
            }
        }

        public Tensor[] Snapshot() => _weights.Concat(_biases).Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();

        public void CopyTo(Tensor[] snapshot)
        {
            using var noGrad = torch.no_grad();
            var all = _weights.Concat(_biases).ToArray();
            for (var i = 0; i < all.Length; i++)
                snapshot[i].copy_(all[i]);
        }

        public void CopyFrom(Tensor[] snapshot)
        {
            using var noGrad = torch.no_grad();
            var all = _weights.Concat(_biases).ToArray();
            for (var i = 0; i < all.Length; i++)
                all[i].copy_(snapshot[i]);
        }

        /// <summary>The head these parameters make, with the standardization it was trained on.</summary>
        public TrainedHead ToHead(HeadKind kind, HeadOutput output, float[] mean, float[] std)
        {
            var layers = new DenseLayer[LayerCount];
            for (var l = 0; l < LayerCount; l++)
            {
                layers[l] = new DenseLayer(_widths[l], _widths[l + 1], _weights[l].data<float>().ToArray(), _biases[l].data<float>().ToArray(), Relu: l < LayerCount - 1);
            }
            return new TrainedHead(kind, output, _widths[0], _widths[^1], (float[])mean.Clone(), (float[])std.Clone(), layers);
        }

        private static void Set(Tensor parameter, float[] values)
        {
            using var noGrad = torch.no_grad();
            using var source = torch.tensor(values, parameter.shape);
            parameter.copy_(source);
        }

        private static double Gaussian(Random rng)
        {
            var u1 = 1.0 - rng.NextDouble();
            var u2 = rng.NextDouble();
            return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        }
    }
}
