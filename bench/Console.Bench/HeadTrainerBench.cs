using System.Diagnostics;
using VisionConsole.Domain.Metrics;
using VisionConsole.Trainer.Training;

namespace VisionConsole.Bench;

/// <summary>
/// Head training throughput (1 thread is the baseline for 2 threads, same run) and evaluation cost
/// (one sort of every score is the baseline). Synthetic features with MobileNetV2's dimension.
/// </summary>
internal static class HeadTrainerBench
{
    public static void Run()
    {
        Console.WriteLine($"Head training, {Environment.ProcessorCount} logical processors, {DateTime.UtcNow:yyyy-MM-dd}");
        Console.WriteLine("| head | examples x dim -> classes | threads | ms / epoch | speed-up vs 1 thread |");
        Console.WriteLine("|---|---|---|---|---|");
        ControlRow();
        foreach (var (name, kind, examples, classes) in new[]
        {
            ("logistic", HeadKind.Logistic, 2000, 2),
            ("logistic", HeadKind.Logistic, 4000, 20),
            ("mlp-256", HeadKind.Mlp, 2000, 2),
        })
        {
            var data = Features(examples, 1280, classes, seed: 1);
            double? baseline = null;
            foreach (var threads in new[] { 1, 2 })
            {
                var options = new HeadTrainingOptions
                {
                    Kind = kind, MaxEpochs = 3, Patience = 100, HoldoutFraction = 0, MaxDegreeOfParallelism = threads,
                };
                // Warm-up past tiered JIT, then the median of three timed trainings.
                for (var warm = 0; warm < 3; warm++)
                    HeadTrainer.Train(data, null, options);
                var timings = new List<double>();
                for (var run = 0; run < 3; run++)
                {
                    var stopwatch = Stopwatch.StartNew();
                    var result = HeadTrainer.Train(data, null, options);
                    timings.Add(stopwatch.Elapsed.TotalMilliseconds / result.EpochsCompleted);
                }
                var perEpoch = timings.Order().ElementAt(1);
                baseline ??= perEpoch;
                Console.WriteLine($"| {name} | {examples} x 1280 -> {classes} | {threads} | {perEpoch:F1} | {baseline / perEpoch:F2} |");
            }
        }

        Console.WriteLine();
        Console.WriteLine("| evaluation (10,000 images x 50 labels) | ms | ratio to sorting all scores once |");
        Console.WriteLine("|---|---|---|");
        var images = Scored(10_000, 50, seed: 2);
        var labels = Enumerable.Range(0, 50).Select(c => $"label-{c}").ToArray();
        var sortWatch = Stopwatch.StartNew();
        var all = images.SelectMany(i => i.Scores).ToArray();
        Array.Sort(all);
        var sortMs = sortWatch.Elapsed.TotalMilliseconds;
        Console.WriteLine($"| baseline: sort 500,000 scores | {sortMs:F1} | 1.00 |");
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
        Console.WriteLine($"| control: 640k dot products of 1280 | - | 1 | {one:F1} | 1.00 |");
        Console.WriteLine($"| control: 640k dot products of 1280 | - | 2 | {two:F1} | {one / two:F2} |");
    }

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
                v[j] = (float)(rng.NextDouble() * 2 - 1 + (j % classes == label ? 0.3 : 0));
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
