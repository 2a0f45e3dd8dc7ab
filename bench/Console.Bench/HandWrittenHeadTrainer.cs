using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics.Tensors;

using VisionConsole.Trainer.Training;

namespace VisionConsole.Bench;

/// <summary>
/// The hand-written trainer that <see cref="HeadTrainer"/> (TorchSharp) replaced, kept only as the bench's baseline
/// (issue 9: the replacement must match it in time and accuracy on the same features).
/// Trains a classification head (logistic regression or a one-hidden-layer MLP; softmax or sigmoid) on
/// frozen backbone features.
/// </summary>
/// <remarks>
/// <para>
/// Optimizer: mini-batch Adam with an L2 penalty on the weights. L-BFGS would converge in fewer passes
/// on the convex logistic head, but one optimizer has to serve the non-convex MLP as well, and mini-batches
/// give what the console needs around it: a loss and a validation check per epoch for early stopping and
/// progress, and a deadline or cancellation honoured within one batch (an L-BFGS line search over the full
/// set is not interruptible that finely). Features are standardized, so the default step size depends only on
/// the feature dimension (see <see cref="HeadTrainingOptions.LearningRate"/>).
/// </para>
/// <para>
/// Determinism: every random choice comes from <see cref="HeadTrainingOptions.Seed"/>. Work is split across
/// threads so that every number is computed by exactly one thread in a fixed order (examples in the forward
/// pass, weight rows in the gradient), so the result does not depend on the thread count or scheduling.
/// </para>
/// </remarks>
internal static class HandWrittenHeadTrainer
{
    private const double AdamBeta1 = 0.9;
    private const double AdamBeta2 = 0.999;
    private const double AdamEpsilon = 1e-8;
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

        var run = new TrainingRun(fit, validation, options);
        var result = run.Execute(progress, stopwatch, cancellationToken);
        return result with { UsedHoldout = usedHoldout, Elapsed = stopwatch.Elapsed };
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
        var groups = new List<List<int>>();
        var groupByKey = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < set.Count; i++)
        {
            var key = set.GroupId(i);
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
            .GroupBy(g => set.Labels(g[0]) is { Count: > 0 } labels ? labels[0] : -1)
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
        return (set.Subset(fitIndices), set.Subset(holdoutIndices));
    }

    internal static void Shuffle<T>(T[] items, Random rng)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>The state of one training: standardized data, parameters, Adam moments and batch workspaces.</summary>
    private sealed class TrainingRun
    {
        private readonly HeadTrainingOptions _options;
        private readonly HeadOutput _output;
        private readonly int _dimension;
        private readonly int _classes;
        private readonly int _fitCount;
        private readonly int _validationCount;
        private readonly float[] _mean;
        private readonly float[] _std;
        private readonly float[] _x;          // standardized training features, row-major
        private readonly float[]? _xValidation;
        private readonly int[][] _labels;
        private readonly int[][]? _validationLabels;
        private readonly float[] _classWeight;    // softmax: weight of an example of class c; sigmoid: weight of a positive
        private readonly float[] _negativeWeight; // sigmoid: weight of a negative for label c
        private readonly float _smoothing;

        // Network layout: layer l maps _widths[l] inputs to _widths[l + 1] outputs.
        private readonly int[] _widths;
        private readonly int[] _weightOffset;
        private readonly int[] _biasOffset;
        private readonly float[] _parameters;
        private readonly float[] _gradient;
        private readonly float[] _adamM;
        private readonly float[] _adamV;
        private readonly float[] _scratch;
        private readonly float _learningRate;

        // Per-batch workspace: activations and deltas of each layer's outputs, one row per batch position.
        private readonly float[][] _activations;
        private readonly float[][] _deltas;
        private readonly float[] _exampleLoss;
        private readonly int[] _batch;
        private readonly ParallelOptions _parallel;

        public TrainingRun(FeatureSet fit, FeatureSet? validation, HeadTrainingOptions options)
        {
            _options = options;
            _output = options.Output;
            _dimension = fit.Dimension;
            _classes = fit.ClassCount;
            _fitCount = fit.Count;
            _smoothing = (float)options.LabelSmoothing;
            _parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism ?? Environment.ProcessorCount };

            (_mean, _std) = Standardization(fit, options.FeatureScaling);
            _x = Standardize(fit, _mean, _std);
            _labels = Enumerable.Range(0, fit.Count).Select(fit.LabelsArray).ToArray();
            if (validation is not null)
            {
                _validationCount = validation.Count;
                _xValidation = Standardize(validation, _mean, _std);
                _validationLabels = Enumerable.Range(0, validation.Count).Select(validation.LabelsArray).ToArray();
            }
            (_classWeight, _negativeWeight) = ClassWeights(options.ClassWeighting);

            _widths = options.Kind == HeadKind.Mlp
                ? [_dimension, options.HiddenUnits, _classes]
                : [_dimension, _classes];
            var layers = _widths.Length - 1;
            _weightOffset = new int[layers];
            _biasOffset = new int[layers];
            var size = 0;
            for (var l = 0; l < layers; l++)
            {
                _weightOffset[l] = size;
                size += _widths[l] * _widths[l + 1];
                _biasOffset[l] = size;
                size += _widths[l + 1];
            }
            _parameters = new float[size];
            _gradient = new float[size];
            _adamM = new float[size];
            _adamV = new float[size];
            _scratch = new float[size];
            _learningRate = (float)(options.LearningRate ?? DefaultLearningRate(_dimension));
            if (options.InitialHead is { } initial)
                WarmStart(initial);
            else
                Initialize(new Random(options.Seed));

            var batchSize = Math.Min(options.BatchSize, _fitCount);
            _activations = new float[layers][];
            _deltas = new float[layers][];
            for (var l = 0; l < layers; l++)
            {
                _activations[l] = new float[batchSize * _widths[l + 1]];
                _deltas[l] = new float[batchSize * _widths[l + 1]];
            }
            _exampleLoss = new float[batchSize];
            _batch = new int[batchSize];
        }

        private int LayerCount => _widths.Length - 1;

        public HeadTrainingResult Execute(IProgress<HeadTrainingProgress>? progress, Stopwatch stopwatch, CancellationToken cancellationToken)
        {
            var history = new List<HeadTrainingProgress>();
            var best = (float[])_parameters.Clone();
            var bestLoss = double.PositiveInfinity;
            var bestEpoch = 0;
            var epochsWithoutImprovement = 0;
            var step = 0;
            var order = Enumerable.Range(0, _fitCount).ToArray();
            var shuffler = new Random(unchecked(_options.Seed * 31 + 7));
            var budget = _options.TimeBudget;
            TrainingStopReason? stop = null;
            var epoch = 0;

            while (stop is null && epoch < _options.MaxEpochs)
            {
                Shuffle(order, shuffler);
                double lossSum = 0;
                for (var start = 0; start < _fitCount; start += _batch.Length)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        stop = TrainingStopReason.Cancelled;
                        break;
                    }
                    if (budget is { } b && stopwatch.Elapsed >= b)
                    {
                        stop = TrainingStopReason.BudgetReached;
                        break;
                    }
                    var count = Math.Min(_batch.Length, _fitCount - start);
                    order.AsSpan(start, count).CopyTo(_batch);
                    lossSum += ComputeGradient(count) * count;
                    AdamStep(++step);
                }
                if (stop is not null)
                    break;

                epoch++;
                var trainLoss = lossSum / _fitCount;
                double? validationLoss = null, validationAccuracy = null;
                if (_xValidation is not null)
                {
                    var (loss, accuracy) = Evaluate();
                    validationLoss = loss;
                    validationAccuracy = accuracy;
                }
                var report = new HeadTrainingProgress(epoch, _options.MaxEpochs, trainLoss, validationLoss, validationAccuracy);
                history.Add(report);
                progress?.Report(report);

                var monitored = validationLoss ?? trainLoss;
                if (!double.IsFinite(monitored))
                {
                    // Diverged: keep the best head so far; further steps cannot recover a non-finite state.
                    stop = TrainingStopReason.Converged;
                }
                else if (monitored < bestLoss - _options.MinImprovement)
                {
                    bestLoss = monitored;
                    bestEpoch = epoch;
                    epochsWithoutImprovement = 0;
                    _parameters.CopyTo(best, 0);
                }
                else if (++epochsWithoutImprovement >= _options.Patience)
                {
                    stop = TrainingStopReason.Converged;
                }
            }

            best.CopyTo(_parameters, 0);
            return new HeadTrainingResult(
                ToHead(), stop ?? TrainingStopReason.EpochLimitReached, epoch, bestEpoch, false, history, stopwatch.Elapsed);
        }

        private TrainedHead ToHead()
        {
            var layers = new DenseLayer[LayerCount];
            for (var l = 0; l < LayerCount; l++)
            {
                var inputs = _widths[l];
                var outputs = _widths[l + 1];
                layers[l] = new DenseLayer(
                    inputs,
                    outputs,
                    _parameters.AsSpan(_weightOffset[l], inputs * outputs).ToArray(),
                    _parameters.AsSpan(_biasOffset[l], outputs).ToArray(),
                    Relu: l < LayerCount - 1);
            }
            return new TrainedHead(_options.Kind, _output, _dimension, _classes, (float[])_mean.Clone(), (float[])_std.Clone(), layers);
        }

        /// <summary>
        /// Copies a base head's weights. Its first layer is folded to raw features, then unfolded into this run's
        /// standardization: <c>W' = W_raw * std</c>, <c>b' = b_raw + W_raw . mean</c>.
        /// </summary>
        private void WarmStart(TrainedHead initial)
        {
            if (initial.Kind != _options.Kind || initial.FeatureDimension != _dimension || initial.ClassCount != _classes
                || initial.Layers.Count != LayerCount
                || Enumerable.Range(0, LayerCount).Any(l => initial.Layers[l].Inputs != _widths[l] || initial.Layers[l].Outputs != _widths[l + 1]))
            {
                throw new ArgumentException(
                    $"The initial head ({initial.Kind}, {initial.FeatureDimension} features, {initial.ClassCount} classes, {initial.Layers.Count} layers) does not match the head being trained ({_options.Kind}, {_dimension} features, {_classes} classes, {LayerCount} layers).",
                    "options");
            }
            var raw = initial.FoldStandardization();
            for (var l = 0; l < LayerCount; l++)
            {
                var layer = raw[l];
                var weights = _parameters.AsSpan(_weightOffset[l], layer.Weights.Length);
                var bias = _parameters.AsSpan(_biasOffset[l], layer.Outputs);
                layer.Weights.CopyTo(weights);
                layer.Bias.CopyTo(bias);
                if (l == 0)
                {
                    for (var o = 0; o < layer.Outputs; o++)
                    {
                        var row = weights.Slice(o * layer.Inputs, layer.Inputs);
                        bias[o] += TensorPrimitives.Dot(row, _mean);
                        TensorPrimitives.Multiply(row, _std, row);
                    }
                }
            }
        }

        private void Initialize(Random rng)
        {
            // Logistic heads start at zero (the convex optimum does not depend on the start); MLP weights need
            // symmetry breaking: He initialization for the ReLU layer, Glorot-like for the logits layer.
            if (LayerCount == 1)
                return;
            for (var l = 0; l < LayerCount; l++)
            {
                var inputs = _widths[l];
                var std = l < LayerCount - 1 ? Math.Sqrt(2.0 / inputs) : Math.Sqrt(1.0 / inputs);
                var weights = _parameters.AsSpan(_weightOffset[l], inputs * _widths[l + 1]);
                for (var k = 0; k < weights.Length; k++)
                    weights[k] = (float)(std * Gaussian(rng));
            }
        }

        private static double Gaussian(Random rng)
        {
            var u1 = 1.0 - rng.NextDouble();
            var u2 = rng.NextDouble();
            return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        }

        private static (float[] Mean, float[] Std) Standardization(FeatureSet set, FeatureScaling scaling)
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

        private static float[] Standardize(FeatureSet set, float[] mean, float[] std)
        {
            var dimension = set.Dimension;
            var result = new float[set.Count * dimension];
            for (var i = 0; i < set.Count; i++)
            {
                var row = result.AsSpan(i * dimension, dimension);
                TensorPrimitives.Subtract(set.Features(i), mean, row);
                TensorPrimitives.Divide(row, std, row);
            }
            return result;
        }

        private (float[] Positive, float[] Negative) ClassWeights(ClassWeighting weighting)
        {
            var positive = new float[_classes];
            var negative = new float[_classes];
            Array.Fill(positive, 1f);
            Array.Fill(negative, 1f);
            if (weighting == ClassWeighting.None)
                return (positive, negative);

            var counts = new int[_classes];
            foreach (var labels in _labels)
            {
                foreach (var c in labels)
                    counts[c]++;
            }
            if (_output == HeadOutput.Softmax)
            {
                var present = counts.Count(n => n > 0);
                for (var c = 0; c < _classes; c++)
                    positive[c] = counts[c] > 0 ? (float)_fitCount / (present * counts[c]) : 0f;
            }
            else
            {
                for (var c = 0; c < _classes; c++)
                {
                    var negatives = _fitCount - counts[c];
                    if (counts[c] == 0 || negatives == 0)
                        continue; // nothing to balance against
                    positive[c] = _fitCount / (2f * counts[c]);
                    negative[c] = _fitCount / (2f * negatives);
                }
            }
            return (positive, negative);
        }

        /// <summary>Forward and backward over the first <paramref name="count"/> batch positions; fills <see cref="_gradient"/> and returns the mean loss.</summary>
        private double ComputeGradient(int count)
        {
            var scale = 1f / count;
            long backwardWork = _classes;
            for (var l = 1; l < LayerCount; l++)
                backwardWork += (long)_widths[l] * _widths[l + 1];

            // Phase 1a: forward, layer by layer, one weight row per owner: the row stays in cache while the
            // batch streams past it (per-example order would stream the whole weight matrix once per example).
            ForwardBlock(_x, _batch, 0, count);

            // Phase 1b: loss and deltas of every layer, one batch position per owner.
            ForRanges(count, backwardWork, (from, to) =>
            {
                for (var k = from; k < to; k++)
                    Backward(k, scale);
            });

            // Phase 2: gradient rows. Each row of each layer is owned by one thread and sums the batch in order.
            var rows = 0;
            for (var l = 0; l < LayerCount; l++)
                rows += _widths[l + 1];
            ForRanges(rows, (long)count * _dimension, (from, to) =>
            {
                for (var r = from; r < to; r++)
                    GradientRow(r, count);
            });

            double loss = 0;
            for (var k = 0; k < count; k++)
                loss += _exampleLoss[k];
            return loss / count;
        }

        /// <summary>
        /// Computes the activations of every layer for <paramref name="count"/> examples into the batch workspace;
        /// example k's input is row <c>rows[k]</c> (or <c>start + k</c> without rows) of <paramref name="source"/>.
        /// </summary>
        private void ForwardBlock(float[] source, int[]? rows, int start, int count)
        {
            for (var l = 0; l < LayerCount; l++)
            {
                var layer = l;
                var inputs = _widths[l];
                var outputs = _widths[l + 1];
                var relu = l < LayerCount - 1;
                ForRanges(outputs, (long)count * inputs, (from, to) =>
                {
                    var activations = _activations[layer];
                    for (var o = from; o < to; o++)
                    {
                        var weights = _parameters.AsSpan(_weightOffset[layer] + o * inputs, inputs);
                        var bias = _parameters[_biasOffset[layer] + o];
                        for (var k = 0; k < count; k++)
                        {
                            ReadOnlySpan<float> input = layer == 0
                                ? source.AsSpan((rows is null ? start + k : rows[k]) * inputs, inputs)
                                : _activations[layer - 1].AsSpan(k * inputs, inputs);
                            var value = TensorPrimitives.Dot(weights, input) + bias;
                            activations[k * outputs + o] = relu && value < 0f ? 0f : value;
                        }
                    }
                });
            }
        }

        private void Backward(int k, float scale)
        {
            var example = _batch[k];
            var logits = _activations[LayerCount - 1].AsSpan(k * _classes, _classes);
            var delta = _deltas[LayerCount - 1].AsSpan(k * _classes, _classes);
            _exampleLoss[k] = LossAndDelta(logits, _labels[example], _smoothing, delta, scale);

            for (var l = LayerCount - 1; l > 0; l--)
            {
                var outputs = _widths[l + 1];
                var inputs = _widths[l];
                var upstream = _deltas[l].AsSpan(k * outputs, outputs);
                var downstream = _deltas[l - 1].AsSpan(k * inputs, inputs);
                var below = _activations[l - 1].AsSpan(k * inputs, inputs);
                downstream.Clear();
                var weights = _parameters.AsSpan(_weightOffset[l], inputs * outputs);
                for (var o = 0; o < outputs; o++)
                {
                    if (upstream[o] != 0f)
                        TensorPrimitives.MultiplyAdd(weights.Slice(o * inputs, inputs), upstream[o], downstream, downstream);
                }
                for (var j = 0; j < inputs; j++)
                {
                    if (below[j] <= 0f)
                        downstream[j] = 0f; // ReLU gate
                }
            }
        }

        private void GradientRow(int row, int count)
        {
            var l = 0;
            while (row >= _widths[l + 1])
            {
                row -= _widths[l + 1];
                l++;
            }
            var inputs = _widths[l];
            var outputs = _widths[l + 1];
            var gradientRow = _gradient.AsSpan(_weightOffset[l] + row * inputs, inputs);
            gradientRow.Clear();
            float biasGradient = 0;
            for (var k = 0; k < count; k++)
            {
                var d = _deltas[l][k * outputs + row];
                if (d == 0f)
                    continue;
                biasGradient += d;
                var input = l == 0
                    ? _x.AsSpan(_batch[k] * _dimension, _dimension)
                    : _activations[l - 1].AsSpan(k * inputs, inputs);
                TensorPrimitives.MultiplyAdd(input, d, gradientRow, gradientRow);
            }
            _gradient[_biasOffset[l] + row] = biasGradient;
        }

        /// <summary>Weighted loss of one example; writes <c>scale * weight * dLoss/dLogit</c> into <paramref name="delta"/> (may alias nothing).</summary>
        private float LossAndDelta(ReadOnlySpan<float> logits, int[] labels, float smoothing, Span<float> delta, float scale)
        {
            if (_output == HeadOutput.Softmax)
            {
                var label = labels[0];
                var weight = _classWeight[label];
                var max = TensorPrimitives.Max(logits);
                double sumExp = 0;
                for (var c = 0; c < logits.Length; c++)
                    sumExp += Math.Exp(logits[c] - max);
                var logSumExp = max + Math.Log(sumExp);
                var offTarget = smoothing / _classes;
                double loss = 0;
                for (var c = 0; c < logits.Length; c++)
                {
                    var target = c == label ? 1f - smoothing + offTarget : offTarget;
                    var logP = logits[c] - logSumExp;
                    loss -= target * logP;
                    delta[c] = scale * weight * ((float)Math.Exp(logP) - target);
                }
                return (float)(weight * loss);
            }
            else
            {
                double loss = 0;
                for (var c = 0; c < logits.Length; c++)
                {
                    var present = Array.IndexOf(labels, c) >= 0;
                    var target = present ? 1f - smoothing / 2 : smoothing / 2;
                    var weight = present ? _classWeight[c] : _negativeWeight[c];
                    double z = logits[c];
                    // Stable binary cross-entropy on logits: max(z, 0) - z t + log(1 + exp(-|z|)).
                    loss += weight * (Math.Max(z, 0) - z * target + Math.Log(1 + Math.Exp(-Math.Abs(z))));
                    var p = 1.0 / (1.0 + Math.Exp(-z));
                    delta[c] = scale * weight * (float)(p - target);
                }
                return (float)loss;
            }
        }

        private void AdamStep(int step)
        {
            // L2 penalty (lambda / 2) |W|^2 on weights, not biases, added to the gradient: Adam then converges to
            // the regularized optimum, which for the convex logistic head is the same solution as an L2 logistic
            // regression solved exactly (scikit-learn's C = 1 / (lambda * N)).
            if (_options.WeightDecay > 0)
            {
                var lambda = (float)_options.WeightDecay;
                for (var l = 0; l < LayerCount; l++)
                {
                    var size = _widths[l] * _widths[l + 1];
                    var weights = _parameters.AsSpan(_weightOffset[l], size);
                    var gradient = _gradient.AsSpan(_weightOffset[l], size);
                    TensorPrimitives.MultiplyAdd(weights, lambda, gradient, gradient);
                }
            }

            var b1 = (float)AdamBeta1;
            var b2 = (float)AdamBeta2;
            TensorPrimitives.Multiply(_adamM, b1, _adamM);
            TensorPrimitives.MultiplyAdd(_gradient, 1f - b1, _adamM, _adamM);
            TensorPrimitives.Multiply(_gradient, _gradient, _scratch);
            TensorPrimitives.Multiply(_adamV, b2, _adamV);
            TensorPrimitives.MultiplyAdd(_scratch, 1f - b2, _adamV, _adamV);

            var correction1 = 1 - Math.Pow(AdamBeta1, step);
            var correction2 = 1 - Math.Pow(AdamBeta2, step);
            var stepSize = (float)(_learningRate * Math.Sqrt(correction2) / correction1);
            var epsilon = (float)(AdamEpsilon * Math.Sqrt(correction2));
            TensorPrimitives.Sqrt(_adamV, _scratch);
            TensorPrimitives.Add(_scratch, epsilon, _scratch);
            TensorPrimitives.Divide(_adamM, _scratch, _scratch);
            TensorPrimitives.MultiplyAdd(_scratch, -stepSize, _parameters, _parameters);
        }

        /// <summary>Mean weighted loss (hard targets) and accuracy on the validation set, in batch-sized blocks.</summary>
        private (double Loss, double Accuracy) Evaluate()
        {
            var delta = new float[_classes];
            double loss = 0;
            var hits = 0;
            for (var start = 0; start < _validationCount; start += _batch.Length)
            {
                var count = Math.Min(_batch.Length, _validationCount - start);
                ForwardBlock(_xValidation!, null, start, count);
                for (var k = 0; k < count; k++)
                {
                    var logits = _activations[LayerCount - 1].AsSpan(k * _classes, _classes);
                    var labels = _validationLabels![start + k];
                    loss += LossAndDelta(logits, labels, 0f, delta, 1f);
                    if (IsCorrect(logits, labels))
                        hits++;
                }
            }
            return (loss / _validationCount, (double)hits / _validationCount);
        }

        private bool IsCorrect(ReadOnlySpan<float> logits, int[] labels)
        {
            if (_output == HeadOutput.Softmax)
                return TensorPrimitives.IndexOfMax(logits) == labels[0];
            for (var c = 0; c < logits.Length; c++)
            {
                // sigmoid(z) >= 0.5 exactly when z >= 0.
                if ((logits[c] >= 0f) != (Array.IndexOf(labels, c) >= 0))
                    return false;
            }
            return true;
        }

        /// <summary>Runs <paramref name="body"/> over [0, count) in contiguous ranges, in parallel when the work is large enough to pay for it.</summary>
        private void ForRanges(int count, long workPerItem, Action<int, int> body)
        {
            const long MinParallelWork = 1 << 17;
            var threads = _parallel.MaxDegreeOfParallelism;
            if (threads <= 1 || count < 2 || count * workPerItem < MinParallelWork)
            {
                body(0, count);
                return;
            }
            var rangeSize = Math.Max(1, (count + threads * 4 - 1) / (threads * 4));
            Parallel.ForEach(Partitioner.Create(0, count, rangeSize), _parallel, range => body(range.Item1, range.Item2));
        }
    }
}
