using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace VisionConsole.Trainer.Training;

/// <summary>Labeled cut activations (uint8, <c>[channels, positions]</c> each), one per image view, grouped by image.</summary>
public sealed class CutActivationSet
{
    private readonly byte[] _data;
    private readonly int[][] _labels;
    private readonly string?[] _groups;

    /// <param name="activationBytes">Bytes per example.</param>
    /// <param name="examples">One activation per example.</param>
    /// <param name="labels">Class indices per example (as <see cref="FeatureSet"/>).</param>
    /// <param name="classCount">Classes the head has.</param>
    /// <param name="groupIds">The image each example comes from (views of one image share it), or null.</param>
    /// <exception cref="ArgumentException">Counts or lengths disagree, or a label is out of range; the message names the example.</exception>
    public CutActivationSet(int activationBytes, IReadOnlyList<byte[]> examples, IReadOnlyList<IReadOnlyList<int>> labels, int classCount, IReadOnlyList<string?>? groupIds = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(labels);
        if (examples.Count == 0)
            throw new ArgumentException("The activation set is empty.", nameof(examples));
        if (examples.Count != labels.Count || (groupIds is not null && groupIds.Count != examples.Count))
            throw new ArgumentException($"There are {examples.Count} activations, {labels.Count} label sets and {groupIds?.Count ?? examples.Count} group ids.", nameof(labels));
        ActivationBytes = activationBytes;
        ClassCount = classCount;
        Count = examples.Count;
        _data = new byte[checked(Count * activationBytes)];
        _labels = new int[Count][];
        _groups = new string?[Count];
        for (var i = 0; i < Count; i++)
        {
            if (examples[i]?.Length != activationBytes)
                throw new ArgumentException($"Example {i} has {examples[i]?.Length ?? 0} activation bytes; {activationBytes} are expected.", nameof(examples));
            examples[i].CopyTo(_data, i * activationBytes);
            _labels[i] = labels[i].ToArray();
            if (_labels[i].Any(l => l < 0 || l >= classCount))
                throw new ArgumentException($"Example {i} has a label outside [0, {classCount}).", nameof(labels));
            _groups[i] = groupIds?[i];
        }
    }

    /// <summary>Number of examples.</summary>
    public int Count { get; }

    /// <summary>Bytes per example.</summary>
    public int ActivationBytes { get; }

    /// <summary>Classes the labels index into.</summary>
    public int ClassCount { get; }

    /// <summary>The activation of example <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Activation(int index) => _data.AsSpan(index * ActivationBytes, ActivationBytes);

    /// <summary>The labels of example <paramref name="index"/>.</summary>
    public IReadOnlyList<int> Labels(int index) => _labels[index];

    /// <summary>The group (image) of example <paramref name="index"/>.</summary>
    public string? GroupId(int index) => _groups[index];

    internal int[][] LabelArrays => _labels;

    internal Tensor ToTensor(int channels) => torch.tensor(_data, [Count, channels, ActivationBytes / channels]);

    internal CutActivationSet Subset(IReadOnlyList<int> indices) => new(
        ActivationBytes, indices.Select(i => Activation(i).ToArray()).ToArray(), indices.Select(i => (IReadOnlyList<int>)_labels[i]).ToArray(), ClassCount,
        indices.Select(i => _groups[i]).ToArray());
}

/// <summary>Settings of <see cref="TopBlockTrainer.Train"/>.</summary>
/// <remarks>
/// The defaults come from <c>bench/run.sh finetune</c> on food10 (train 800 / test 500, the last block and 1x1 conv
/// fine-tuned, 2026-12-02): top step 2e-5 with one view per image per epoch gave 0.784 (the top barely moved before
/// early stopping), 3e-4 for top and head with two views 0.802, and 1e-3 for the top made the validation loss climb
/// from the second epoch; versatile's logistic head gave 0.762 on the same activations.
/// </remarks>
public sealed record TopBlockTrainingOptions
{
    /// <summary>The head's settings (kind, output, hidden units, class weighting, seed, threads); used for the head before and after fine-tuning.</summary>
    public HeadTrainingOptions Head { get; init; } = new();

    /// <summary>Upper bound on fine-tuning epochs (each sees <see cref="ViewsPerImage"/> views of every image).</summary>
    public int MaxEpochs { get; init; } = 30;

    /// <summary>Fine-tuning epochs without validation improvement before stopping.</summary>
    public int Patience { get; init; } = 4;

    /// <summary>Views of each training image drawn (without replacement, seeded) per epoch: augmentation at a fraction of the cost of all views.</summary>
    public int ViewsPerImage { get; init; } = 2;

    /// <summary>Examples per Adam step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Adam step size of the convolution.</summary>
    public double TopLearningRate { get; init; } = 3e-4;

    /// <summary>Adam step size of the head while fine-tuning (it starts from a head trained on the pretrained top).</summary>
    public double HeadLearningRate { get; init; } = 3e-4;

    /// <summary>L2 pull of the convolution towards its pretrained weights (L2-SP), <c>(lambda / 2) |W - W0|^2</c> per weight, averaged like the loss.</summary>
    public double PretrainedPull { get; init; } = 1e-3;

    /// <summary>Fraction of the training images held out for early stopping when no validation set is given.</summary>
    public double HoldoutFraction { get; init; } = 0.1;

    /// <summary>Wall-clock budget from the start of training (the final head gets what is left, at least one epoch).</summary>
    public TimeSpan? TimeBudget { get; init; }
}

/// <summary>What <see cref="TopBlockTrainer.Train"/> produced.</summary>
/// <param name="Top">The fine-tuned top (the pretrained one when fine-tuning never improved on it).</param>
/// <param name="Head">The head on the fine-tuned top's pooled features.</param>
/// <param name="StopReason">Why fine-tuning stopped.</param>
/// <param name="FineTuneEpochs">Fine-tuning epochs completed.</param>
/// <param name="BestEpoch">The fine-tuning epoch whose top is kept (0: the pretrained top).</param>
/// <param name="History">Per-epoch reports: the first head, the fine-tuning, the final head, numbered in one sequence.</param>
/// <param name="Elapsed">Wall-clock time.</param>
public sealed record TopBlockTrainingResult(ConvTop Top, TrainedHead Head, TrainingStopReason StopReason, int FineTuneEpochs, int BestEpoch, IReadOnlyList<HeadTrainingProgress> History, TimeSpan Elapsed);

/// <summary>
/// Fine-tunes the top of a frozen int8 backbone: the float convolutions above a cut (initialized from the dequantized
/// pretrained weights, <see cref="ConvTop"/>) and the head, with TorchSharp autograd. A head is first trained on the
/// pretrained top's features (so fine-tuning starts from a good classifier), then top and head are trained together on
/// sampled augmented views with early stopping on validation loss, then the head is trained again on every view's
/// features from the fine-tuned top.
/// </summary>
public static class TopBlockTrainer
{
    /// <summary>Trains; cancellation and the budget end it with the best top and head so far (never throws for them).</summary>
    /// <param name="train">Every training view of every training image (grouped by image).</param>
    /// <param name="validation">Validation views (one per image), or null to hold out training images.</param>
    /// <param name="pretrained">The backbone's own top, the starting point.</param>
    /// <param name="options">Settings.</param>
    /// <param name="progress">One report per epoch of each stage.</param>
    /// <param name="cancellationToken">Stops at the next batch.</param>
    public static TopBlockTrainingResult Train(
        CutActivationSet train, CutActivationSet? validation, ConvTop pretrained, TopBlockTrainingOptions options,
        IProgress<HeadTrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(pretrained);
        ArgumentNullException.ThrowIfNull(options);
        if (train.ActivationBytes != pretrained.ActivationBytes || (validation is not null && validation.ActivationBytes != pretrained.ActivationBytes))
            throw new ArgumentException($"The activations do not have the top's {pretrained.ActivationBytes} bytes per example.", nameof(train));
        pretrained.Validate();
        if (options.MaxEpochs < 1 || options.Patience < 1 || options.ViewsPerImage < 1 || options.BatchSize < 1)
            throw new ArgumentException("MaxEpochs, Patience, ViewsPerImage and BatchSize must be at least 1.", nameof(options));
        var stopwatch = Stopwatch.StartNew();
        var seed = options.Head.Seed;
        var fit = train;
        if (validation is null && options.HoldoutFraction > 0)
        {
            var split = HeadTrainer.SplitHoldoutIndices(Enumerable.Range(0, train.Count).Select(train.GroupId).ToArray(),
                train.LabelArrays, options.HoldoutFraction, seed);
            if (split is { } s)
            {
                fit = train.Subset(s.Fit);
                // The hold-out monitors the framing prediction uses; one view per held-out image is enough.
                validation = train.Subset(FirstOfEachGroup(train, s.Holdout));
            }
        }

        TorchThreads.Use(options.Head.MaxDegreeOfParallelism);
        using var scope = torch.NewDisposeScope();
        var history = new List<HeadTrainingProgress>();
        var relay = new Relay(history, progress);
        var headBudget = options.TimeBudget;
        var headOptions = options.Head with { HoldoutFraction = 0 };

        var fitX = fit.ToTensor(pretrained.Inputs);
        var validationX = validation?.ToTensor(pretrained.Inputs);
        var network = new TopNetwork(pretrained);

        // Stage 1: a head on the pretrained top's features.
        var first = HeadTrainer.Train(network.PooledSet(fitX, fit), validation is null ? null : network.PooledSet(validationX!, validation),
            headOptions with { TimeBudget = Remaining(options.TimeBudget, stopwatch, 0.35) }, relay, cancellationToken);
        var head = first.Head;
        if (first.StopReason == TrainingStopReason.Cancelled)
            return new TopBlockTrainingResult(pretrained, head, TrainingStopReason.Cancelled, 0, 0, history, stopwatch.Elapsed);

        // Stage 2: top and head together on sampled views.
        var headNetwork = new HeadTrainer.HeadNetwork(head.Kind, head.FeatureDimension, head.Kind == HeadKind.Mlp ? head.Layers[0].Outputs : 0, head.ClassCount);
        headNetwork.WarmStart(head, head.FeatureMean, head.FeatureStd, head.Kind);
        var mean = torch.tensor(head.FeatureMean);
        var std = torch.tensor(head.FeatureStd);
        var loss = new ClassificationLoss(headOptions.Output, fit.ClassCount, fit.LabelArrays, headOptions.ClassWeighting, headOptions.LabelSmoothing);
        var targets = loss.Targets(fit.LabelArrays);
        var validationTargets = validation is null ? null : loss.Targets(validation.LabelArrays);
        var pull = torch.tensor((float)(options.PretrainedPull / 2));
        using var optimizer = headNetwork.Adam(options.HeadLearningRate, headOptions.WeightDecay,
            [new AdamGroup(network.Parameters, options.TopLearningRate, 0.0)]); // the top is pulled towards its pretrained weights instead
        var bestTop = network.Snapshot();
        var bestHead = headNetwork.Snapshot();
        var groups = Groups(fit);
        var rng = new Random(unchecked(seed * 17 + 3));
        var epochOffset = history.Count;

        Tensor Logits(Tensor activations) =>
            headNetwork.Forward((network.Forward(activations) - mean) / std);

        var outcome = EpochLoop.Run(
            new EpochLoop.Settings(options.MaxEpochs, options.Patience, headOptions.MinImprovement, options.TimeBudget is { } budget ? budget * 0.85 : null),
            stopwatch,
            shouldStop =>
            {
                var order = SampleViews(groups, options.ViewsPerImage, rng);
                double lossSum = 0;
                for (var start = 0; start < order.Length; start += options.BatchSize)
                {
                    if (shouldStop())
                        return null;
                    var count = Math.Min(options.BatchSize, order.Length - start);
                    optimizer.ZeroGrad();
                    using (torch.NewDisposeScope())
                    {
                        var rows = torch.tensor(order.AsSpan(start, count).ToArray());
                        var batchLoss = loss.Mean(Logits(fitX.index_select(0, rows)), targets.index_select(0, rows), smoothed: true);
                        var total = batchLoss.Plus(network.PretrainedPenalty() * pull);
                        total.backward();
                        lossSum += batchLoss.item<float>() * count;
                    }
                    optimizer.Step();
                }
                return lossSum / order.Length;
            },
            validationX is null ? null : () =>
            {
                using var noGrad = torch.no_grad();
                using var evalScope = torch.NewDisposeScope();
                return loss.Evaluate(Batched(validationX, Logits), validationTargets!);
            },
            () =>
            {
                network.CopyTo(bestTop);
                headNetwork.CopyTo(bestHead);
            },
            new Relay(history, progress, epochOffset),
            cancellationToken);
        network.CopyFrom(bestTop);
        var top = network.ToTop();
        if (outcome.StopReason == TrainingStopReason.Cancelled)
            return new TopBlockTrainingResult(top, head, TrainingStopReason.Cancelled, outcome.EpochsCompleted, outcome.BestEpoch, history, stopwatch.Elapsed);

        // Stage 3: the head again, on every view's features from the fine-tuned top (warm start from the joint head).
        headNetwork.CopyFrom(bestHead);
        var jointHead = headNetwork.ToHead(head.Kind, head.Output, head.FeatureMean, head.FeatureStd);
        var final = HeadTrainer.Train(network.PooledSet(fitX, fit), validation is null ? null : network.PooledSet(validationX!, validation),
            headOptions with { InitialHead = outcome.BestEpoch > 0 ? jointHead : head, TimeBudget = Remaining(options.TimeBudget, stopwatch, 1.0) ?? null },
            new Relay(history, progress, history.Count), cancellationToken);
        var stop = final.StopReason == TrainingStopReason.Cancelled ? TrainingStopReason.Cancelled : outcome.StopReason;
        return new TopBlockTrainingResult(top, final.Head, stop, outcome.EpochsCompleted, outcome.BestEpoch, history, stopwatch.Elapsed);
    }

    /// <summary>
    /// The pooled features of many cut activations under <paramref name="top"/>, computed by libtorch in batches (the same
    /// numbers as <see cref="ConvTop.Pool"/> up to float rounding, and much faster for thousands of views).
    /// </summary>
    public static float[][] Pool(ConvTop top, IReadOnlyList<byte[]> activations)
    {
        ArgumentNullException.ThrowIfNull(top);
        ArgumentNullException.ThrowIfNull(activations);
        if (activations.Count == 0)
            return [];
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var set = new CutActivationSet(top.ActivationBytes, activations, activations.Select(_ => (IReadOnlyList<int>)[]).ToArray(), 1);
        var pooled = Batched(set.ToTensor(top.Inputs), new TopNetwork(top).Forward).data<float>().ToArray();
        return Enumerable.Range(0, activations.Count).Select(i => pooled.AsSpan(i * top.Outputs, top.Outputs).ToArray()).ToArray();
    }

    /// <summary>The budget left for a stage that may use up to <paramref name="until"/> of the whole budget (at least 1 s), or null without a budget.</summary>
    private static TimeSpan? Remaining(TimeSpan? budget, Stopwatch stopwatch, double until) =>
        budget is { } b ? TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, (long)(b.Ticks * until) - stopwatch.Elapsed.Ticks)) : null;

    private static int[] FirstOfEachGroup(CutActivationSet set, IEnumerable<int> indices)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return indices.Where(i => set.GroupId(i) is not { } g || seen.Add(g)).ToArray();
    }

    private static long[][] Groups(CutActivationSet set)
    {
        var byKey = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        var groups = new List<List<long>>();
        for (var i = 0; i < set.Count; i++)
        {
            var key = set.GroupId(i);
            if (key is null)
            {
                groups.Add([i]);
                continue;
            }
            if (!byKey.TryGetValue(key, out var members))
            {
                members = [];
                byKey.Add(key, members);
                groups.Add(members);
            }
            members.Add(i);
        }
        return groups.Select(g => g.ToArray()).ToArray();
    }

    private static long[] SampleViews(long[][] groups, int perImage, Random rng)
    {
        var picked = new List<long>();
        foreach (var group in groups)
        {
            var copy = (long[])group.Clone();
            HeadTrainer.Shuffle(copy, rng);
            picked.AddRange(copy.Take(perImage));
        }
        var order = picked.ToArray();
        HeadTrainer.Shuffle(order, rng);
        return order;
    }

    private static Tensor Batched(Tensor activations, Func<Tensor, Tensor> forward)
    {
        // Small enough that a depthwise layer's unfolded patches (channels x 9 x positions floats per example) stay near 100 MB.
        const int Batch = 64;
        var parts = new List<Tensor>();
        for (long start = 0; start < activations.shape[0]; start += Batch)
        {
            // Each batch's intermediates are freed with it: held to the caller's scope, 7,200 views at 9 x 9 needed over 20 GB.
            using var batchScope = torch.NewDisposeScope();
            parts.Add(forward(activations.narrow(0, start, Math.Min(Batch, activations.shape[0] - start))).MoveToOuterDisposeScope());
        }
        return torch.cat(parts, 0);
    }

    /// <summary>Renumbers the epochs of each stage into one sequence for the progress and the history.</summary>
    private sealed class Relay(List<HeadTrainingProgress> history, IProgress<HeadTrainingProgress>? sink, int offset = 0) : IProgress<HeadTrainingProgress>
    {
        public void Report(HeadTrainingProgress value)
        {
            var renumbered = value with { Epoch = value.Epoch + offset, MaxEpochs = value.MaxEpochs + offset };
            history.Add(renumbered);
            sink?.Report(renumbered);
        }
    }

    /// <summary>The top's convolutions, clips and pooling, with TorchSharp parameters.</summary>
    private sealed class TopNetwork
    {
        private readonly ConvTop _pretrained;
        private readonly TorchSharp.Modules.Parameter[] _weights;
        private readonly TorchSharp.Modules.Parameter[] _biases;
        private readonly Tensor[] _initialWeights;

        public TopNetwork(ConvTop pretrained)
        {
            _pretrained = pretrained;
            var layers = pretrained.Layers;
            _initialWeights = layers.Select(l => torch.tensor(l.Weights, [l.Outputs, l.Depthwise ? 1 : l.Inputs, l.Kernel, l.Kernel])).ToArray();
            _weights = _initialWeights.Select(w => new TorchSharp.Modules.Parameter(w.clone())).ToArray();
            _biases = layers.Select(l => new TorchSharp.Modules.Parameter(torch.tensor(l.Bias, [l.Outputs]))).ToArray();
            _zeroPoint = torch.tensor((float)pretrained.ZeroPoint);
            _scale = torch.tensor(pretrained.Scale);
            _clipMax = layers.Select(l => l.ClipMax is { } max ? torch.tensor(max) : null).ToArray();
        }

        // Constants as tensors held by the network, not C# numbers: TorchSharp turns a number operand into a native Scalar
        // that only a finalizer frees, and a test host crashed with libtorch reading a Scalar that was no longer valid.
        private readonly Tensor _zeroPoint;
        private readonly Tensor _scale;
        private readonly Tensor?[] _clipMax;

        public IReadOnlyList<TorchSharp.Modules.Parameter> Parameters => [.. _weights, .. _biases];

        /// <summary>uint8 <c>[B, C, P]</c> to pooled features <c>[B, Outputs]</c>.</summary>
        public Tensor Forward(Tensor activations)
        {
            var side = _pretrained.Side;
            var x = ((activations.to_type(ScalarType.Float32) - _zeroPoint) * _scale)
                .reshape(activations.shape[0], _pretrained.Inputs, side, side);
            for (var i = 0; i < _weights.Length; i++)
            {
                var layer = _pretrained.Layers[i];
                x = layer.Depthwise ? Depthwise(x, layer, _weights[i], _biases[i]) : torch.nn.functional.conv2d(x, _weights[i], _biases[i]);
                if (layer.ClipMax is { } max)
                    x = x.relu().minimum(_clipMax[i]!);
            }
            return x.mean([2L, 3L]);
        }

        /// <summary>
        /// A depthwise convolution as unfold, multiply and sum: libtorch's CPU grouped convolution (one group per channel)
        /// is slow forward and far slower backward on small maps, while these three batched ops are fast both ways.
        /// </summary>
        private Tensor Depthwise(Tensor x, TopLayer layer, Tensor weight, Tensor bias)
        {
            var (batch, channels, side) = (x.shape[0], (long)layer.Inputs, (long)_pretrained.Side);
            var k = (long)layer.Kernel;
            var patches = torch.nn.functional.unfold(x, k, padding: k / 2).view(batch, channels, k * k, side * side);
            var y = (patches * weight.view(1, channels, k * k, 1)).sum(2).Plus(bias.view(1, channels, 1));
            return y.view(batch, channels, side, side);
        }

        public Tensor PretrainedPenalty()
        {
            Tensor Squares(int i)
            {
                var difference = _weights[i] - _initialWeights[i];
                return (difference * difference).sum();
            }
            var total = Squares(0);
            for (var i = 1; i < _weights.Length; i++)
                total = total.Plus(Squares(i));
            return total;
        }

        /// <summary>Pooled features of every example under the current weights, as a head's training set.</summary>
        public FeatureSet PooledSet(Tensor activations, CutActivationSet set)
        {
            using var noGrad = torch.no_grad();
            using var batchScope = torch.NewDisposeScope();
            var pooled = Batched(activations, Forward);
            var values = pooled.data<float>().ToArray();
            var dimension = _pretrained.Outputs;
            var vectors = Enumerable.Range(0, set.Count).Select(i => values.AsSpan(i * dimension, dimension).ToArray()).ToArray();
            return new FeatureSet(vectors, set.LabelArrays, set.ClassCount, Enumerable.Range(0, set.Count).Select(set.GroupId).ToArray());
        }

        public Tensor[] Snapshot() => [.. Parameters.Select(p => p.detach().clone())];

        public void CopyTo(Tensor[] snapshot)
        {
            using var noGrad = torch.no_grad();
            foreach (var (parameter, copy) in Parameters.Zip(snapshot))
                copy.copy_(parameter);
        }

        public void CopyFrom(Tensor[] snapshot)
        {
            using var noGrad = torch.no_grad();
            foreach (var (parameter, copy) in Parameters.Zip(snapshot))
                parameter.copy_(copy);
        }

        public ConvTop ToTop() => _pretrained with
        {
            Layers = [.. _pretrained.Layers.Select((l, i) => l with { Weights = _weights[i].data<float>().ToArray(), Bias = _biases[i].data<float>().ToArray() })],
        };
    }
}
