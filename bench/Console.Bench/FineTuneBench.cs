using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using VisionConsole.Trainer.Embedding;
using VisionConsole.Trainer.Imaging;
using VisionConsole.Trainer.Inference;
using VisionConsole.Trainer.Jobs;
using VisionConsole.Trainer.Training;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Bench;

/// <summary>
/// The offline harness for the high-accuracy recipe (issue 9): the int8 MobileNetV2 truncated at its fine-tuning cut runs
/// once over every training view (high-accuracy's nine; versatile's seven are among them) and the prediction views of the
/// held-out images, through the product's codec, views and embedding service; the uint8 activations are cached under
/// <c>.cache/bench/finetune</c>. Then, on the same activations: versatile's recipe (logistic head on the pretrained top's
/// pooled features), an MLP head alone, and <see cref="TopBlockTrainer"/> (fine-tuned top + MLP head, test-time flip),
/// each with its held-out accuracy and training time.
/// </summary>
/// <remarks>
/// <c>bench/run.sh finetune --dataset DIR [--train train] [--test test] [--limit N] [--views-per-image K] [--top-lr X]
/// [--head-lr X] [--pull X] [--epochs N] [--patience N] [--head logistic|mlp] [--side 224]</c>. <c>--side</c> runs the backbone at another
/// input side (its declared input changed; the network is convolutional up to its global pool). <c>--limit</c> keeps the first N images of each class (a quick run).
/// </remarks>
internal static class FineTuneBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = ZooBenchmark.RepositoryRoot();
        var mirror = ZooBenchmark.FindMirror(args, root);
        var dataset = Path.GetFullPath(ZooBenchmark.Option(args, "--dataset") ?? Path.Combine(root, "..", "shared", "datasets", "food10"));
        var trainSplit = ZooBenchmark.Option(args, "--train") ?? "train";
        var testSplit = ZooBenchmark.Option(args, "--test") ?? (Directory.Exists(Path.Combine(dataset, "test")) ? "test" : "val");
        var limit = int.Parse(ZooBenchmark.Option(args, "--limit") ?? "0", CultureInfo.InvariantCulture);
        double Number(string name, double fallback) => double.Parse(ZooBenchmark.Option(args, name) ?? fallback.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

        var side = (int)Number("--side", 224);
        var cache = Path.Combine(root, ".cache", "bench", "finetune");
        Directory.CreateDirectory(cache);
        var model = Path.Combine(cache, side == 224 ? "mobilenetv2-12-int8.onnx" : $"mobilenetv2-12-int8-{side}.onnx");
        if (!File.Exists(model))
        {
            var source = VisionConsole.Trainer.Onnx.OnnxModelBuilder.Load(Path.Combine(mirror, "mobilenetv2-12-int8", "mobilenetv2-12-int8.onnx"));
            // The network is fully convolutional up to its global pool: a larger input only needs the declared side changed.
            var input = source.Graph.Input.Single(i => i.Name == "input");
            input.Type.TensorType.Shape.Dim[2].DimValue = side;
            input.Type.TensorType.Shape.Dim[3].DimValue = side;
            source.Graph.ValueInfo.Clear();
            source.Save(model);
        }
        var zooEntry = ZooCatalog.Entries.Single(e => e.Info.Id == ZooCatalog.MobileNetV2Int8);
        var entry = zooEntry with { Info = zooEntry.Info with { Preprocessing = zooEntry.Info.Preprocessing with { Width = side, Height = side } } };
        var (cutModel, cut) = BackboneCut.Prepare(model, entry.PoolValue!, side / 32);
        var labels = Directory.GetDirectories(Path.Combine(dataset, trainSplit)).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray();
        Console.WriteLine($"Fine-tuning harness: {dataset} ({trainSplit} / {testSplit}, {labels.Length} classes{(limit > 0 ? $", first {limit} images per class" : string.Empty)}), cut {cut.CutValue} ({cut.Top.Inputs} x {cut.Top.Positions} uint8), {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");

        var trainViews = ModelTypePresets.HighAccuracy.TrainingViews.Select(ImageView.Parse).ToArray();
        var versatileViews = ModelTypePresets.Versatile.TrainingViews.Select(v => Array.FindIndex(trainViews, t => t.Id == v)).ToArray();
        var testViews = ModelTypePresets.HighAccuracy.PredictionViews.Select(ImageView.Parse).ToArray();
        var embedWatch = Stopwatch.StartNew();
        using var embedding = new EmbeddingService(new OrtRuntime(Options.Create(new OrtOptions())), Options.Create(new EmbeddingOptions()));
        var extractor = new FeatureExtractor(new VipsImageCodec(), embedding);
        var backbone = new ReadyBackbone(entry.Info, cutModel);
        var train = await ActivationsAsync(extractor, embedding, backbone, cut, dataset, trainSplit, labels, trainViews, limit, cache);
        var test = await ActivationsAsync(extractor, embedding, backbone, cut, dataset, testSplit, labels, testViews, limit, cache);
        Console.WriteLine($"activations: {train.Count} training images x {trainViews.Length} views, {test.Count} held-out images x {testViews.Length} views, {embedWatch.Elapsed.TotalSeconds:F1} s (0 when cached)");
        Console.WriteLine();
        Console.WriteLine("| recipe | held-out accuracy | train s | notes |");
        Console.WriteLine("|---|---|---|---|");

        var seed = 1;
        // Versatile: the logistic head on the pretrained top's pooled features of its seven views; predicts on the centre crop.
        var watch = Stopwatch.StartNew();
        var pooledTrain = PoolAll(cut.Top, train);
        var pooledTest = PoolAll(cut.Top, test);
        var poolSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        var versatile = HeadTrainer.Train(Set(train, pooledTrain, versatileViews, labels.Length), null, ModelTypePresets.Versatile.HeadOptions(HeadOutput.Softmax) with { Seed = seed });
        Row("versatile (logistic, 7 views)", Accuracy(test, i => versatile.Head.Predict(pooledTest[i][0])), watch.Elapsed.TotalSeconds, $"{versatile.EpochsCompleted} epochs; pooling all views (libtorch) {poolSeconds:F1} s");

        watch.Restart();
        var mlp = HeadTrainer.Train(Set(train, pooledTrain, Enumerable.Range(0, trainViews.Length).ToArray(), labels.Length), null, ModelTypePresets.HighAccuracy.HeadOptions(HeadOutput.Softmax) with { Seed = seed });
        Row("MLP 256 head only (9 views, flip)", Accuracy(test, i => MeanScores(mlp.Head, pooledTest[i])), watch.Elapsed.TotalSeconds, $"{mlp.EpochsCompleted} epochs");

        var options = new TopBlockTrainingOptions
        {
            Head = ModelTypePresets.HighAccuracy.HeadOptions(HeadOutput.Softmax) with
            {
                Seed = seed,
                Kind = ZooBenchmark.Option(args, "--head") == "logistic" ? HeadKind.Logistic : ModelTypePresets.HighAccuracy.Head,
            },
            ViewsPerImage = (int)Number("--views-per-image", new TopBlockTrainingOptions().ViewsPerImage),
            TopLearningRate = Number("--top-lr", new TopBlockTrainingOptions().TopLearningRate),
            HeadLearningRate = Number("--head-lr", new TopBlockTrainingOptions().HeadLearningRate),
            PretrainedPull = Number("--pull", new TopBlockTrainingOptions().PretrainedPull),
            MaxEpochs = (int)Number("--epochs", new TopBlockTrainingOptions().MaxEpochs),
            Patience = (int)Number("--patience", new TopBlockTrainingOptions().Patience),
        };
        watch.Restart();
        var tuned = TopBlockTrainer.Train(Cut(train, labels.Length, cut), null, cut.Top, options,
            new Progress(p => Console.Error.WriteLine($"  epoch {p.Epoch}: loss {p.TrainLoss:F4}, val loss {p.ValidationLoss:F4}, val acc {p.ValidationAccuracy:F3}")));
        var seconds = watch.Elapsed.TotalSeconds;
        var tunedTest = PoolAll(tuned.Top, test);
        Row("fine-tuned top + MLP 256 (flip)", Accuracy(test, i => MeanScores(tuned.Head, tunedTest[i])), seconds,
            $"{options.Head.Kind} head; {tuned.FineTuneEpochs} fine-tune epochs (best {tuned.BestEpoch}, {tuned.StopReason}); {options.ViewsPerImage} views/image/epoch, top lr {options.TopLearningRate}, head lr {options.HeadLearningRate}, pull {options.PretrainedPull}");
        return 0;
    }

    private static float[][][] PoolAll(ConvTop top, IReadOnlyList<ImageActivations> images)
    {
        var flat = TopBlockTrainer.Pool(top, images.SelectMany(i => i.Views).ToArray());
        var views = images.Count == 0 ? 0 : images[0].Views.Length;
        return Enumerable.Range(0, images.Count).Select(i => flat.AsSpan(i * views, views).ToArray()).ToArray();
    }

    private sealed record ImageActivations(int Label, byte[][] Views, string Key);

    private static void Row(string recipe, double accuracy, double seconds, string notes) =>
        Console.WriteLine($"| {recipe} | {accuracy:F4} | {seconds:F1} | {notes} |");

    private static double Accuracy(IReadOnlyList<ImageActivations> images, Func<int, float[]> scores) =>
        (double)Enumerable.Range(0, images.Count).Count(i => scores(i) is var s && Array.IndexOf(s, s.Max()) == images[i].Label) / images.Count;

    private static FeatureSet Set(IReadOnlyList<ImageActivations> images, float[][][] pooled, int[] views, int classes)
    {
        var features = new List<float[]>();
        var labels = new List<IReadOnlyList<int>>();
        var groups = new List<string?>();
        for (var i = 0; i < images.Count; i++)
        {
            foreach (var v in views)
            {
                features.Add(pooled[i][v]);
                labels.Add([images[i].Label]);
                groups.Add(images[i].Key);
            }
        }
        return new FeatureSet(features, labels, classes, groups);
    }

    private static CutActivationSet Cut(IReadOnlyList<ImageActivations> images, int classes, BackboneCut cut) => new(
        cut.Top.ActivationBytes,
        images.SelectMany(i => i.Views).ToArray(),
        images.SelectMany(i => i.Views.Select(_ => (IReadOnlyList<int>)[i.Label])).ToArray(),
        classes,
        images.SelectMany(i => i.Views.Select(_ => (string?)i.Key)).ToArray());

    /// <summary>Every image of a split with its views' activations (from the cache file when present).</summary>
    private static async Task<List<ImageActivations>> ActivationsAsync(
        FeatureExtractor extractor, EmbeddingService embedding, ReadyBackbone backbone, BackboneCut cut, string dataset, string split,
        string[] labels, ImageView[] views, int limit, string cache)
    {
        var file = Path.Combine(cache, $"{Path.GetFileName(dataset)}-{split}-{views.Length}v-{limit}-{cut.CutValue}{(cut.Top.Side == 7 ? string.Empty : $"-{cut.Top.Side * 32}")}.u8");
        var bytes = cut.Top.ActivationBytes;
        var result = new List<ImageActivations>();
        if (File.Exists(file))
        {
            using var reader = new BinaryReader(File.OpenRead(file));
            var count = reader.ReadInt32();
            for (var i = 0; i < count; i++)
            {
                var label = reader.ReadInt32();
                var key = reader.ReadString();
                result.Add(new ImageActivations(label, Enumerable.Range(0, views.Length).Select(_ => reader.ReadBytes(bytes)).ToArray(), key));
            }
            return result;
        }
        var files = labels.SelectMany((label, index) => Directory.GetFiles(Path.Combine(dataset, split, label)).Order(StringComparer.Ordinal)
            .Take(limit > 0 ? limit : int.MaxValue).Select(f => (File: f, Label: index))).ToArray();
        const int Chunk = 32;
        for (var start = 0; start < files.Length; start += Chunk)
        {
            var chunk = files.Skip(start).Take(Chunk).ToArray();
            var rendered = new IReadOnlyList<VisionConsole.Domain.Imaging.RgbImage>?[chunk.Length];
            var encoded = await Task.WhenAll(chunk.Select(c => File.ReadAllBytesAsync(c.File)));
            Parallel.For(0, chunk.Length, k =>
            {
                try
                {
                    rendered[k] = extractor.Render(encoded[k], backbone, views);
                }
                catch (VisionConsole.Domain.Imaging.ImageRejectedException)
                {
                    // Undecodable images are left out, as training does.
                }
            });
            var batch = rendered.Where(r => r is not null).SelectMany(r => r!).ToArray();
            var activations = embedding.EmbedQuantized(backbone.Info, backbone.ModelPath, cut.CutValue, batch);
            var next = 0;
            for (var k = 0; k < chunk.Length; k++)
            {
                if (rendered[k] is null)
                    continue;
                result.Add(new ImageActivations(chunk[k].Label, activations.Skip(next).Take(views.Length).ToArray(), chunk[k].File));
                next += views.Length;
            }
        }
        using (var writer = new BinaryWriter(File.Create(file)))
        {
            writer.Write(result.Count);
            foreach (var image in result)
            {
                writer.Write(image.Label);
                writer.Write(image.Key);
                foreach (var view in image.Views)
                    writer.Write(view);
            }
        }
        return result;
    }

    private sealed class Progress(Action<HeadTrainingProgress> report) : IProgress<HeadTrainingProgress>
    {
        public void Report(HeadTrainingProgress value) => report(value);
    }

    /// <summary>The mean of the head's scores over an image's views (test-time flip), computed in C# as the reference.</summary>
    private static float[] MeanScores(TrainedHead head, IReadOnlyList<float[]> views)
    {
        var sum = new float[head.ClassCount];
        foreach (var view in views)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(sum, head.Predict(view), sum);
        }
        System.Numerics.Tensors.TensorPrimitives.Divide(sum, views.Count, sum);
        return sum;
    }
}
