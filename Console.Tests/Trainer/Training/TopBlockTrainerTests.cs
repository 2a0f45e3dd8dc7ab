using VisionConsole.Trainer.Training;

namespace VisionConsole.Tests.Trainer.Training;

public class TopBlockTrainerTests
{
    private const int Channels = 8;
    private const int Side = 2;
    private const int Positions = Side * Side;
    private const int Outputs = 16;

    [Fact]
    public void Train_SeparableActivations_FineTunesTopAndHeadAndClassifiesHeldOutImages()
    {
        var pretrained = Pretrained(seed: 1);
        var train = Activations(imagesPerClass: 30, viewsPerImage: 3, seed: 2);
        var test = Activations(imagesPerClass: 20, viewsPerImage: 1, seed: 3);
        var options = new TopBlockTrainingOptions { Head = new HeadTrainingOptions { Seed = 5, MaxEpochs = 60 }, MaxEpochs = 8, TopLearningRate = 1e-2, HeadLearningRate = 1e-2 };
        var reports = new List<HeadTrainingProgress>();

        var result = TopBlockTrainer.Train(train, null, pretrained, options, new SynchronousProgress<HeadTrainingProgress>(reports.Add));

        var correct = Enumerable.Range(0, test.Count).Count(i =>
            result.Head.Predict(result.Top.Pool(test.Activation(i))) is var s && Array.IndexOf(s, s.Max()) == test.Labels(i)[0]);
        Assert.True(correct >= test.Count * 0.95, $"{correct} / {test.Count} correct");
        Assert.True(result.FineTuneEpochs >= 1);
        Assert.Equal(Enumerable.Range(1, reports.Count), reports.Select(r => r.Epoch));
        Assert.Equal(reports, result.History);
        Assert.Equal(pretrained.Inputs, result.Top.Inputs);
        Assert.Equal(pretrained.Scale, result.Top.Scale);
        if (result.BestEpoch > 0)
            Assert.NotEqual(pretrained.Layers[0].Weights, result.Top.Layers[0].Weights);
    }

    [Fact]
    public void Train_SameSeed_GivesTheSameTopAndHead()
    {
        var pretrained = Pretrained(seed: 1);
        var train = Activations(imagesPerClass: 15, viewsPerImage: 2, seed: 4);
        var options = new TopBlockTrainingOptions { Head = new HeadTrainingOptions { Seed = 9, MaxEpochs = 20 }, MaxEpochs = 3, TopLearningRate = 1e-2 };

        var first = TopBlockTrainer.Train(train, null, pretrained, options);
        var second = TopBlockTrainer.Train(train, null, pretrained, options);

        Assert.Equal(first.Top.Layers.SelectMany(l => l.Weights), second.Top.Layers.SelectMany(l => l.Weights));
        Assert.Equal(first.Top.Layers.SelectMany(l => l.Bias), second.Top.Layers.SelectMany(l => l.Bias));
        Assert.Equal(first.Head.Layers[0].Weights, second.Head.Layers[0].Weights);
    }

    [Fact]
    public void Train_TokenAlreadyCancelled_ReturnsThePretrainedTopAsCancelled()
    {
        var pretrained = Pretrained(seed: 1);
        var train = Activations(imagesPerClass: 5, viewsPerImage: 2, seed: 6);

        var result = TopBlockTrainer.Train(train, null, pretrained, new TopBlockTrainingOptions(), cancellationToken: new CancellationToken(canceled: true));

        Assert.Equal(TrainingStopReason.Cancelled, result.StopReason);
        Assert.Same(pretrained, result.Top);
    }

    [Fact]
    public void Pool_KnownActivation_DequantizesConvolvesClipsAndAverages()
    {
        // One input channel on a 2 x 2 grid: q = [10, 30, 10, 10], zero point 10, scale 0.5 -> x = [0, 10, 0, 0].
        // Layer 0, 1x1 to two channels: clip(x + 1) = [1, 6, 1, 1] (11 clipped) and clip(-x) = [0, 0, 0, 0].
        // Layer 1, depthwise 3x3 with zero padding, all-ones filters, linear, bias 0 on channel 0 and 1 on channel 1:
        // on a 2 x 2 grid every 3x3 window covers all four positions, so channel 0 is 9 everywhere and channel 1 is 1.
        var top = new ConvTop(1, 2, 0.5f, 10,
        [
            new TopLayer(1, 2, 1, false, [1f, -1f], [1f, 0f], 6f),
            new TopLayer(2, 2, 3, true, [.. Enumerable.Repeat(1f, 18)], [0f, 1f], null),
        ]);

        var pooled = top.Pool([10, 30, 10, 10]);

        Assert.Equal([9f, 1f], pooled);
        Assert.Throws<ArgumentException>(() => top.Pool([1, 2, 3]));
        Assert.Equal(pooled, TopBlockTrainer.Pool(top, [[10, 30, 10, 10]])[0]);
    }

    private static ConvTop Pretrained(int seed)
    {
        var rng = new Random(seed);
        var weights = Enumerable.Range(0, Outputs * Channels).Select(_ => (float)(rng.NextDouble() - 0.3)).ToArray();
        var depthwise = Enumerable.Range(0, Outputs * 9).Select(_ => (float)(rng.NextDouble() * 0.3)).ToArray();
        return new ConvTop(Channels, Side, 0.05f, 100,
        [
            new TopLayer(Channels, Outputs, 1, false, weights, new float[Outputs], 6f),
            new TopLayer(Outputs, Outputs, 3, true, depthwise, new float[Outputs], 6f),
        ]);
    }

    /// <summary>Three classes; class c raises channels c and c + 3 at every position; views jitter the values.</summary>
    private static CutActivationSet Activations(int imagesPerClass, int viewsPerImage, int seed)
    {
        var rng = new Random(seed);
        var examples = new List<byte[]>();
        var labels = new List<IReadOnlyList<int>>();
        var groups = new List<string?>();
        for (var c = 0; c < 3; c++)
        {
            for (var image = 0; image < imagesPerClass; image++)
            {
                for (var view = 0; view < viewsPerImage; view++)
                {
                    var a = new byte[Channels * Positions];
                    for (var ch = 0; ch < Channels; ch++)
                    {
                        for (var p = 0; p < Positions; p++)
                            a[ch * Positions + p] = (byte)Math.Clamp(100 + (ch == c || ch == c + 3 ? 25 : 0) + rng.Next(-12, 13), 0, 255);
                    }
                    examples.Add(a);
                    labels.Add([c]);
                    groups.Add($"img-{c}-{image}");
                }
            }
        }
        return new CutActivationSet(Channels * Positions, examples, labels, 3, groups);
    }
}
