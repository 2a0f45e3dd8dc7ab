using System.Diagnostics;
using VisionConsole.Domain.Metrics;
using VisionConsole.Trainer.Training;

namespace VisionConsole.Bench;

/// <summary>
/// Head training: the TorchSharp trainer (<see cref="HeadTrainer"/>) against the hand-written one it replaced
/// (<see cref="HandWrittenHeadTrainer"/>), on the same synthetic features with MobileNetV2's dimension, same options
/// and seed: time per epoch, a whole training with early stopping (hold-out 0.1, patience 10) and the accuracy of
/// its head on a separate test set drawn from the same distribution. Then evaluation cost (one sort of every score is the baseline).
/// </summary>
internal static class HeadTrainerBench
{
    /// <param name="args"><c>--tiny</c>: small sizes, only to prove the benchmark runs.</param>
    public static void Run(string[] args)
    {
        var tiny = args.Contains("--tiny");
        Console.WriteLine($"Head training, {Environment.ProcessorCount} logical processors, {DateTime.UtcNow:yyyy-MM-dd}{(tiny ? " (--tiny: sizes too small to compare)" : string.Empty)}");
        Console.WriteLine("| head | examples x dim -> classes | trainer | threads | ms / epoch | full training: epochs, s | test accuracy |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        ControlRow();
        var scale = tiny ? 10 : 1;
        var dimension = tiny ? 64 : 1280;
        foreach (var (name, kind, examples, classes) in new[]
        {
            ("logistic", HeadKind.Logistic, 2000 / scale, 2),
            ("logistic", HeadKind.Logistic, 4000 / scale, 20),
            ("mlp-256", HeadKind.Mlp, 2000 / scale, 2),
            ("mlp-256", HeadKind.Mlp, 4000 / scale, 10),
        })
        {
            var data = Features(examples, dimension, classes, seed: 1);
            var test = Features(examples / 2, dimension, classes, seed: 2);
            foreach (var threads in new[] { 1, 2 })
            {
                foreach (var (trainer, train) in new (string, Func<FeatureSet, HeadTrainingOptions, HeadTrainingResult>)[]
                {
                    ("hand-written", (d, o) => HandWrittenHeadTrainer.Train(d, null, o)),
                    ("TorchSharp", (d, o) => HeadTrainer.Train(d, null, o)),
                })
                {
                    var options = new HeadTrainingOptions
                    {
                        Kind = kind, MaxEpochs = 3, Patience = 100, HoldoutFraction = 0, MaxDegreeOfParallelism = threads,
                    };
                    // Warm-up past tiered JIT (and libtorch's first-call set-up), then the median of three timed 3-epoch trainings.
                    for (var warm = 0; warm < (tiny ? 1 : 3); warm++)
                        train(data, options);
                    var timings = new List<double>();
                    for (var run = 0; run < 3; run++)
                    {
                        var stopwatch = Stopwatch.StartNew();
                        var result = train(data, options);
                        timings.Add(stopwatch.Elapsed.TotalMilliseconds / result.EpochsCompleted);
                    }
                    var perEpoch = timings.Order().ElementAt(1);

                    // One whole training as the job runs it: early stopping on a 10% hold-out.
                    var full = Stopwatch.StartNew();
                    var complete = train(data, options with { MaxEpochs = 300, Patience = 10, HoldoutFraction = 0.1 });
                    var seconds = full.Elapsed.TotalSeconds;
                    var accuracy = Accuracy(complete.Head, test);
                    Console.WriteLine($"| {name} | {examples} x {dimension} -> {classes} | {trainer} | {threads} | {perEpoch:F1} | {complete.EpochsCompleted}, {seconds:F2} | {accuracy:F4} |");
                }
            }
        }

        Console.WriteLine();
        var imageCount = tiny ? 1_000 : 10_000;
        Console.WriteLine($"| evaluation ({imageCount:N0} images x 50 labels) | ms | ratio to sorting all scores once |");
        Console.WriteLine("|---|---|---|");
        var images = Scored(imageCount, 50, seed: 2);
        var labels = Enumerable.Range(0, 50).Select(c => $"label-{c}").ToArray();
        var sortWatch = Stopwatch.StartNew();
        var all = images.SelectMany(i => i.Scores).ToArray();
        Array.Sort(all);
        var sortMs = sortWatch.Elapsed.TotalMilliseconds;
        Console.WriteLine($"| baseline: sort {all.Length:N0} scores | {sortMs:F1} | 1.00 |");
        foreach (var rule in new[] { PredictionRule.TopOne, PredictionRule.Independent })
        {
            var watch = Stopwatch.StartNew();
            var evaluation = new ClassificationEvaluation(labels, images, rule);
            var build = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            evaluation.AtThreshold(0.5f);
            var slider = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            evaluation.Report();
            var report = watch.Elapsed.TotalMilliseconds;
            Console.WriteLine($"| {rule}: build (index and sort) | {build:F1} | {build / sortMs:F2} |");
            Console.WriteLine($"| {rule}: one threshold (slider move) | {slider:F1} | {slider / sortMs:F2} |");
            Console.WriteLine($"| {rule}: full report | {report:F1} | {report / sortMs:F2} |");
        }
    }

    private static double Accuracy(TrainedHead head, FeatureSet test) =>
        (double)Enumerable.Range(0, test.Count).Count(i => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(head.Predict(test.Features(i))) == test.Labels(i)[0]) / test.Count;

    /// <summary>
    /// What two threads can gain on this machine right now: the same dot-product loop split in two halves. On a
    /// shared machine whose cores are busy, the trainer cannot beat this figure.
    /// </summary>
    private static void ControlRow()
    {
        var weights = new float[1280];
        var inputs = Enumerable.Range(0, 64).Select(_ => new float[1280]).ToArray();
        double Work(int rows)
        {
            double sum = 0;
            for (var r = 0; r < rows; r++)
            {
                foreach (var input in inputs)
                    sum += System.Numerics.Tensors.TensorPrimitives.Dot(weights, input);
            }
            return sum;
        }
        Work(2000);
        var serial = new List<double>();
        var parallel = new List<double>();
        for (var run = 0; run < 3; run++)
        {
            var watch = Stopwatch.StartNew();
            Work(10_000);
            serial.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            Parallel.For(0, 2, _ => Work(5_000));
            parallel.Add(watch.Elapsed.TotalMilliseconds);
        }
        var one = serial.Order().ElementAt(1);
        var two = parallel.Order().ElementAt(1);
        Console.WriteLine($"| control: 640k dot products of 1280 | - | - | 1 | {one:F1} | - | - |");
        Console.WriteLine($"| control: 640k dot products of 1280 (speed-up {one / two:F2}) | - | - | 2 | {two:F1} | - | - |");
    }

    // Uniform noise in [-1, 1] plus 0.06 on the label's own dimensions: not separable, so accuracy tells trainers apart.
    private static FeatureSet Features(int count, int dimension, int classes, int seed)
    {
        var rng = new Random(seed);
        var features = new float[count][];
        var labels = new IReadOnlyList<int>[count];
        for (var i = 0; i < count; i++)
        {
            var label = i % classes;
            var v = new float[dimension];
            for (var j = 0; j < dimension; j++)
                v[j] = (float)(rng.NextDouble() * 2 - 1 + (j % classes == label ? 0.06 : 0));
            features[i] = v;
            labels[i] = [label];
        }
        return new FeatureSet(features, labels, classes);
    }

    private static ScoredImage[] Scored(int count, int labels, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var truth = i % labels;
            var scores = Enumerable.Range(0, labels).Select(c => (float)(rng.NextDouble() * (c == truth ? 1.0 : 0.6))).ToArray();
            return new ScoredImage(i, [truth], scores);
        }).ToArray();
    }
}
