using System.Diagnostics;
using TorchSharp;
using VisionConsole.Trainer.Training;
using static TorchSharp.torch;

namespace VisionConsole.Trainer.Detection;

/// <summary>
/// The trained detector heads, each a separable 3x3 convolution as the pretrained CenterNet head's: depthwise 3x3 (SAME
/// padding, no bias) then pointwise 1x1 with bias. Weights are plain arrays in PyTorch layout, so the exporter writes them
/// into ONNX as they are.
/// </summary>
/// <param name="Channels">Input channels (the stride-4 head input).</param>
/// <param name="Classes">Heatmap channels (the dataset's labels).</param>
/// <param name="ClassDepthwise"><c>[Channels, 1, 3, 3]</c>.</param>
/// <param name="ClassPointwise"><c>[Classes, Channels]</c>.</param>
/// <param name="ClassBias"><c>[Classes]</c>; the heatmap is <c>sigmoid</c> of the result.</param>
/// <param name="BoxDepthwise"><c>[Channels, 1, 3, 3]</c>.</param>
/// <param name="BoxPointwise"><c>[4, Channels]</c>.</param>
/// <param name="BoxBias"><c>[4]</c>; the result times <see cref="BoxScale"/> is left, top, right, bottom in input pixels.</param>
/// <param name="BoxScale">The pretrained head's output scale (16).</param>
/// <param name="Stride">Input pixels per output cell (4).</param>
public sealed record DetectorHeads(
    int Channels, int Classes,
    float[] ClassDepthwise, float[] ClassPointwise, float[] ClassBias,
    float[] BoxDepthwise, float[] BoxPointwise, float[] BoxBias,
    float BoxScale, int Stride);

/// <summary>One epoch's figures.</summary>
public sealed record DetectorEpoch(int Epoch, int MaxEpochs, double TrainLoss, double? ValidationLoss);

/// <summary>What head training ended with.</summary>
public sealed record DetectorTrainingResult(DetectorHeads Heads, TrainingStopReason StopReason, int EpochsCompleted, double? BestValidationLoss);

/// <summary>Training settings.</summary>
public sealed record DetectorTrainingOptions
{
    /// <summary>Epoch limit.</summary>
    public int MaxEpochs { get; init; } = 40;

    /// <summary>Adam's step size.</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Examples per step.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Weight of the box (L1 on distances in cells) loss against the focal loss, 0.1 as CenterNet's size loss.</summary>
    public double BoxWeight { get; init; } = 0.1;

    /// <summary>Epochs without a better validation loss before stopping.</summary>
    public int Patience { get; init; } = 4;

    /// <summary>Wall-clock limit; the best heads so far are returned when it is reached.</summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>Seed of every random choice.</summary>
    public int Seed { get; init; } = 17;

    /// <summary>libtorch threads; null: every core.</summary>
    public int? Threads { get; init; }
}

/// <summary>One training example: a view's stride-4 features (<c>[Channels, H, W]</c>) and its targets.</summary>
public sealed record DetectorExample(float[] Features, CenterNetTarget Target);

/// <summary>
/// A training example as the trainable layers read it: the class head's depthwise output (<c>[Channels, H, W]</c>) and the
/// box head's output before the trained correction (<c>[4, H, W]</c>, input pixels), computed once (<see cref="DetectorHeadTrainer.Prepare"/>).
/// </summary>
public sealed record PreparedDetectorExample(float[] ClassInput, float[] BoxBase, CenterNetTarget Target);

/// <summary>
/// Trains the detector heads on frozen backbone features with TorchSharp. What is trained: the class head's pointwise layer
/// (one logit per label and cell, from the pretrained depthwise filters' output) and a per-edge scale and shift of the
/// pretrained box head (left, top, right, bottom). The depthwise filters stay frozen because libtorch's CPU depthwise
/// convolution backward made each example cost about a second on two cores, against milliseconds for the pointwise layers
/// on outputs computed once (<see cref="Prepare"/>). Losses: focal loss (CenterNet's penalty-reduced variant, alpha 2,
/// beta 4, normalized by the object count) on the heatmap, L1 on the box distances in cells at the centre cells; Adam,
/// early stopping on the validation loss, a time budget and cancellation honoured per batch. A non-finite loss ends
/// training with <see cref="DetectorDivergedException"/>.
/// </summary>
public static class DetectorHeadTrainer
{
    /// <summary>The focal loss of a heatmap: <paramref name="logits"/> and <paramref name="target"/> of the same shape, divided by the number of cells equal to 1 (at least 1).</summary>
    public static Tensor FocalLoss(Tensor logits, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        // Constants as tensors, never C# numbers (see TensorConstant).
        var one = TensorConstant.Of(1);
        var p = logits.sigmoid().clamp(TensorConstant.Of(1e-4), TensorConstant.Of(1 - 1e-4));
        var positive = target.eq(one).to_type(ScalarType.Float32);
        var negative = one - positive;
        var q = one - p;
        var away = (one - target) * (one - target);
        var positiveLoss = (p.log() * q * q * positive).sum();
        var negativeLoss = (q.log() * p * p * away * away * negative).sum();
        var count = positive.sum().maximum(one);
        return -positiveLoss.Plus(negativeLoss) / count;
    }

    /// <summary>The frozen parts of <paramref name="heads"/> run once on an example's features.</summary>
    public static PreparedDetectorExample Prepare(DetectorExample example, DetectorHeads heads, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(example);
        ArgumentNullException.ThrowIfNull(heads);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var c = heads.Channels;
        var x = torch.tensor(example.Features, [1, c, height, width]);
        var classMid = nn.functional.conv2d(x, torch.tensor(heads.ClassDepthwise, [c, 1, 3, 3]), padding: [1, 1], groups: c);
        var boxMid = nn.functional.conv2d(x, torch.tensor(heads.BoxDepthwise, [c, 1, 3, 3]), padding: [1, 1], groups: c);
        var box = (nn.functional.conv2d(boxMid, torch.tensor(heads.BoxPointwise, [4, c, 1, 1]), torch.tensor(heads.BoxBias)) * TensorConstant.Of(heads.BoxScale));
        return new PreparedDetectorExample(classMid.contiguous().data<float>().ToArray(), box.contiguous().data<float>().ToArray(), example.Target);
    }

    /// <summary>Trains the heads from <paramref name="initial"/> (the pretrained or base model's) on prepared examples.</summary>
    /// <exception cref="DetectorDivergedException">The loss became NaN or infinite.</exception>
    public static DetectorTrainingResult Train(
        IReadOnlyList<PreparedDetectorExample> train, IReadOnlyList<PreparedDetectorExample> validation, DetectorHeads initial, int height, int width,
        DetectorTrainingOptions options, IProgress<DetectorEpoch>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(options);
        if (train.Count == 0)
            throw new ArgumentException("There are no training examples.", nameof(train));
        var clock = Stopwatch.StartNew();
        TorchThreads.Use(options.Threads);
        torch.manual_seed(options.Seed);
        using var scope = torch.NewDisposeScope();
        using var network = new HeadNetwork(initial);
        using var optimizer = new AdamOptimizer([new AdamGroup(network.parameters().ToArray(), options.LearningRate, 0)]);
        using var trainSet = new Resident(train, initial, height * width);
        using var validationSet = new Resident(validation, initial, height * width);
        var random = new Random(options.Seed);
        var order = Enumerable.Range(0, train.Count).ToArray();
        var best = initial;
        double? bestValidation = null;
        var sinceBest = 0;
        var epochs = 0;
        var reason = TrainingStopReason.EpochLimitReached;
        for (var epoch = 1; epoch <= options.MaxEpochs; epoch++)
        {
            random.Shuffle(order);
            double sum = 0;
            var batches = 0;
            var stopped = false;
            for (var start = 0; start < order.Length; start += options.BatchSize)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return new DetectorTrainingResult(best, TrainingStopReason.Cancelled, epochs, bestValidation);
                }
                if (options.TimeBudget is { } budget && clock.Elapsed > budget && epochs > 0)
                {
                    stopped = true;
                    break;
                }
                using var step = torch.NewDisposeScope();
                var batch = order.Skip(start).Take(options.BatchSize).ToArray();
                optimizer.ZeroGrad();
                var loss = Loss(network, trainSet, batch, initial, height * width, options.BoxWeight);
                var value = loss.item<float>();
                if (!float.IsFinite(value))
                    throw new DetectorDivergedException($"The detector's training loss became {value} in epoch {epoch}; try a smaller learning rate or check the boxes.");
                loss.backward();
                optimizer.Step();
                sum += value;
                batches++;
            }
            if (stopped && batches == 0)
            {
                reason = TrainingStopReason.BudgetReached;
                break;
            }
            epochs = epoch;
            double? validationLoss = null;
            if (validation.Count > 0)
            {
                using var noGrad = torch.no_grad();
                double total = 0;
                for (var start = 0; start < validation.Count; start += options.BatchSize)
                {
                    using var step = torch.NewDisposeScope();
                    var batch = Enumerable.Range(start, Math.Min(options.BatchSize, validation.Count - start)).ToArray();
                    total += Loss(network, validationSet, batch, initial, height * width, options.BoxWeight).item<float>() * batch.Length;
                }
                validationLoss = total / validation.Count;
            }
            progress?.Report(new DetectorEpoch(epoch, options.MaxEpochs, sum / Math.Max(1, batches), validationLoss));
            var score = validationLoss ?? sum / Math.Max(1, batches);
            if (bestValidation is null || score < bestValidation.Value - 1e-4)
            {
                bestValidation = score;
                best = network.Export(initial);
                sinceBest = 0;
            }
            else if (++sinceBest >= options.Patience)
            {
                reason = TrainingStopReason.Converged;
                break;
            }
            if (stopped || (options.TimeBudget is { } b && clock.Elapsed > b))
            {
                reason = TrainingStopReason.BudgetReached;
                break;
            }
        }
        return new DetectorTrainingResult(best, reason, epochs, bestValidation);
    }

    private static Tensor Loss(HeadNetwork network, Resident set, int[] batch, DetectorHeads heads, int cells, double boxWeight)
    {
        var rows = torch.tensor(batch.Select(i => (long)i).ToArray());
        // The class inputs as views of the resident tensor: an index_select would copy [batch, channels, cells] every step.
        var (logits, box) = network.Forward(batch.Select(i => set.ClassInput[i]).ToArray(), set.BoxBase.index_select(0, rows));
        var focal = FocalLoss(logits, set.Heatmap.index_select(0, rows));
        var centreIndex = new List<long>();
        var distances = new List<float>();
        for (var n = 0; n < batch.Length; n++)
        {
            var target = set.Examples[batch[n]].Target;
            foreach (var centre in target.Centres)
            {
                centreIndex.Add((long)n * cells + centre);
            }
            distances.AddRange(target.Distances);
        }
        if (centreIndex.Count == 0)
            return focal;
        // Box [N, 4, cells] in pixels -> rows of the centre cells [objects, 4] in cells.
        var atCentres = box.permute(0, 2, 1).reshape(-1, 4).index_select(0, torch.tensor(centreIndex.ToArray())) / TensorConstant.Of(heads.Stride);
        var l1 = (atCentres - torch.tensor(distances.ToArray(), [centreIndex.Count, 4])).abs().sum() / TensorConstant.Of(centreIndex.Count);
        return focal.Plus(TensorConstant.Of(boxWeight) * l1);
    }

    /// <summary>A set's inputs and heatmaps as three tensors built once, so a batch is an index, not a copy of managed arrays.</summary>
    private sealed class Resident : IDisposable
    {
        public Resident(IReadOnlyList<PreparedDetectorExample> examples, DetectorHeads heads, int cells)
        {
            Examples = examples;
            ClassInput = Stack(examples.Select(e => e.ClassInput), heads.Channels, cells);
            BoxBase = Stack(examples.Select(e => e.BoxBase), 4, cells);
            Heatmap = Stack(examples.Select(e => e.Target.Heatmap), heads.Classes, cells);
        }

        public IReadOnlyList<PreparedDetectorExample> Examples { get; }

        public Tensor ClassInput { get; }

        public Tensor BoxBase { get; }

        public Tensor Heatmap { get; }

        public void Dispose()
        {
            ClassInput.Dispose();
            BoxBase.Dispose();
            Heatmap.Dispose();
        }

        private static Tensor Stack(IEnumerable<float[]> rows, int channels, int cells)
        {
            var list = rows.ToList();
            var result = torch.empty(list.Count, channels, cells);
            for (var n = 0; n < list.Count; n++)
            {
                using var row = torch.tensor(list[n], [channels, cells]);
                result[n].copy_(row);
            }
            return result.DetachFromDisposeScope();
        }
    }

    /// <summary>The trainable layers: the class pointwise weights and bias, the box head's per-edge scale and shift.</summary>
    private sealed class HeadNetwork : nn.Module
    {
        private readonly TorchSharp.Modules.Parameter _weight;
        private readonly TorchSharp.Modules.Parameter _bias;
        private readonly TorchSharp.Modules.Parameter _boxScale;
        private readonly TorchSharp.Modules.Parameter _boxShift;

        public HeadNetwork(DetectorHeads heads) : base("detector_heads")
        {
            _weight = new TorchSharp.Modules.Parameter(torch.tensor(heads.ClassPointwise, [heads.Classes, heads.Channels]));
            _bias = new TorchSharp.Modules.Parameter(torch.tensor(heads.ClassBias, [heads.Classes, 1]));
            _boxScale = new TorchSharp.Modules.Parameter(torch.ones(4, 1));
            _boxShift = new TorchSharp.Modules.Parameter(torch.zeros(4, 1));
            RegisterComponents();
        }

        /// <summary>Logits <c>[N, Classes, cells]</c> of the examples' class inputs (each <c>[Channels, cells]</c>) and their corrected boxes.</summary>
        // One matmul per example on its own view: batching them (matmul broadcasting or index_select) copies 8 MB per
        // example and step, which was most of an epoch's time.
        public (Tensor Logits, Tensor Box) Forward(Tensor[] classInputs, Tensor boxBase) =>
            (torch.stack(classInputs.Select(x => torch.matmul(_weight, x)).ToArray()).Plus(_bias), (boxBase * _boxScale).Plus(_boxShift));

        /// <summary>The heads with the trained values; the box correction folded into the box pointwise layer (output = scale * 16 * (w x + b) + shift).</summary>
        public DetectorHeads Export(DetectorHeads shape)
        {
            using var noGrad = torch.no_grad();
            var scale = Read(_boxScale);
            var shift = Read(_boxShift);
            var pointwise = (float[])shape.BoxPointwise.Clone();
            var bias = (float[])shape.BoxBias.Clone();
            for (var e = 0; e < 4; e++)
            {
                for (var c = 0; c < shape.Channels; c++)
                    pointwise[e * shape.Channels + c] *= scale[e];
                bias[e] = bias[e] * scale[e] + shift[e] / shape.BoxScale;
            }
            return shape with { ClassPointwise = Read(_weight), ClassBias = Read(_bias), BoxPointwise = pointwise, BoxBias = bias };
        }

        private static float[] Read(Tensor parameter) => parameter.detach().cpu().contiguous().data<float>().ToArray();
    }
}

/// <summary>The detector's training loss stopped being a finite number.</summary>
public sealed class DetectorDivergedException(string message) : Exception(message);
