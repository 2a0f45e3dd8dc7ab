using VisionConsole.Trainer.Training;

namespace VisionConsole.Tests.Trainer.Training;

public class HeadTrainerTests
{
    private static readonly HeadTrainingOptions Logistic = new() { Seed = 7 };
    private static readonly HeadTrainingOptions Mlp = new() { Kind = HeadKind.Mlp, HiddenUnits = 32, Seed = 7 };

    public static TheoryData<string> Kinds => new() { "logistic", "mlp" };

    private static HeadTrainingOptions OptionsFor(string kind) => kind == "mlp" ? Mlp : Logistic;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Train_SeparableClusters_ReachesNearPerfectAccuracy(string kind)
    {
        var train = SyntheticFeatures.Clusters([60, 60, 60], dimension: 24, separation: 4, noise: 0.5, seed: 1);
        var test = SyntheticFeatures.Clusters([40, 40, 40], dimension: 24, separation: 4, noise: 0.5, seed: 2);

        var result = HeadTrainer.Train(train, null, OptionsFor(kind));

        Assert.True(SyntheticFeatures.Accuracy(result.Head, test) >= 0.99, $"accuracy {SyntheticFeatures.Accuracy(result.Head, test)}");
        Assert.True(SyntheticFeatures.Accuracy(result.Head, train) >= 0.99);
        Assert.True(result.UsedHoldout);
        Assert.Equal(3, result.Head.ClassCount);
        Assert.Equal(kind == "mlp" ? 2 : 1, result.Head.Layers.Count);
    }

    [Fact]
    public void Train_GlobalScaling_StoresOneStdAndSeparatesClusters()
    {
        var train = SyntheticFeatures.Clusters([60, 60, 60], dimension: 24, separation: 4, noise: 0.5, seed: 1);
        var test = SyntheticFeatures.Clusters([40, 40, 40], dimension: 24, separation: 4, noise: 0.5, seed: 2);

        var global = HeadTrainer.Train(train, null, Logistic with { FeatureScaling = FeatureScaling.Global }).Head;
        var perFeature = HeadTrainer.Train(train, null, Logistic with { FeatureScaling = FeatureScaling.PerFeature }).Head;

        Assert.Single(global.FeatureStd.Distinct());
        Assert.True(perFeature.FeatureStd.Distinct().Count() > 1);
        Assert.Equal(global.FeatureMean, perFeature.FeatureMean);
        Assert.True(SyntheticFeatures.Accuracy(global, test) >= 0.99);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Train_OverlappingClusters_BeatsMajorityBaseline(string kind)
    {
        // Two heavily overlapping classes, 60/40: the majority baseline is 0.60 on the test set.
        var train = SyntheticFeatures.Clusters([180, 120], dimension: 16, separation: 1.2, noise: 1.0, seed: 3);
        var test = SyntheticFeatures.Clusters([300, 200], dimension: 16, separation: 1.2, noise: 1.0, seed: 4);

        var result = HeadTrainer.Train(train, null, OptionsFor(kind) with { ClassWeighting = ClassWeighting.None });

        var accuracy = SyntheticFeatures.Accuracy(result.Head, test);
        Assert.True(accuracy > 0.60 + 0.05, $"accuracy {accuracy} does not beat the 0.60 majority baseline");
        Assert.True(accuracy < 0.99, $"accuracy {accuracy}: the mix was meant to be non-separable");
    }

    [Fact]
    public void Train_BalancedWeightsOnImbalancedData_MoveDecisionTowardsMinorityClass()
    {
        // 200 vs 20 overlapping examples. Balanced weights must predict the minority class more often
        // (higher minority recall) than unweighted training, on the same data and seed.
        var train = SyntheticFeatures.Clusters([200, 20], dimension: 8, separation: 1.5, noise: 1.0, seed: 5);
        var test = SyntheticFeatures.Clusters([200, 200], dimension: 8, separation: 1.5, noise: 1.0, seed: 6);
        var options = Logistic with { HoldoutFraction = 0, LabelSmoothing = 0, MaxEpochs = 60 };

        var plain = HeadTrainer.Train(train, null, options with { ClassWeighting = ClassWeighting.None });
        var balanced = HeadTrainer.Train(train, null, options with { ClassWeighting = ClassWeighting.Balanced });

        int MinorityPredictions(TrainedHead head) => Enumerable.Range(0, test.Count)
            .Count(i => head.Predict(test.Features(i)) is var s && s[1] > s[0]);
        double MeanMinorityScore(TrainedHead head) => Enumerable.Range(0, test.Count)
            .Average(i => head.Predict(test.Features(i))[1]);

        Assert.True(MinorityPredictions(balanced.Head) > MinorityPredictions(plain.Head) + 20,
            $"balanced {MinorityPredictions(balanced.Head)} vs plain {MinorityPredictions(plain.Head)} minority predictions");
        Assert.True(MeanMinorityScore(balanced.Head) > MeanMinorityScore(plain.Head));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Train_EasyProblem_StopsEarlyAsConverged(string kind)
    {
        var train = SyntheticFeatures.Clusters([50, 50], dimension: 8, separation: 5, noise: 0.3, seed: 8);
        var validation = SyntheticFeatures.Clusters([20, 20], dimension: 8, separation: 5, noise: 0.3, seed: 9);
        var reports = new List<HeadTrainingProgress>();

        var result = HeadTrainer.Train(train, validation, OptionsFor(kind) with { MaxEpochs = 2000, Patience = 5 },
            new SynchronousProgress<HeadTrainingProgress>(reports.Add));

        Assert.Equal(TrainingStopReason.Converged, result.StopReason);
        Assert.True(result.EpochsCompleted < 2000);
        Assert.False(result.UsedHoldout);
        Assert.Equal(result.EpochsCompleted, reports.Count);
        Assert.Equal(Enumerable.Range(1, result.EpochsCompleted), reports.Select(r => r.Epoch));
        Assert.All(reports, r => Assert.NotNull(r.ValidationLoss));
        Assert.Equal(1.0, reports[^1].ValidationAccuracy);
        // The returned head is the best epoch's, and patience epochs followed it.
        Assert.Equal(result.EpochsCompleted - 5, result.BestEpoch);
        var bestLoss = reports[result.BestEpoch - 1].ValidationLoss!.Value;
        Assert.All(reports.Skip(result.BestEpoch), r => Assert.True(r.ValidationLoss > bestLoss - 1e-4));
    }

    [Fact]
    public void Train_TokenCancelledDuringTraining_ReturnsCancelledAtNextBatch()
    {
        var train = SyntheticFeatures.Clusters([200, 200], dimension: 16, separation: 1, noise: 1, seed: 10);
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress<HeadTrainingProgress>(p =>
        {
            if (p.Epoch == 3)
                cancellation.Cancel();
        });

        var result = HeadTrainer.Train(train, null, Logistic with { MaxEpochs = 1000, Patience = 1000 }, progress, cancellation.Token);

        Assert.Equal(TrainingStopReason.Cancelled, result.StopReason);
        Assert.Equal(3, result.EpochsCompleted);
        Assert.InRange(result.BestEpoch, 1, 3);
    }

    [Fact]
    public void Train_TokenAlreadyCancelled_ReturnsCancelledWithoutEpochs()
    {
        var train = SyntheticFeatures.Clusters([10, 10], dimension: 4, separation: 3, noise: 0.5, seed: 11);

        var result = HeadTrainer.Train(train, null, Logistic, cancellationToken: new CancellationToken(canceled: true));

        Assert.Equal(TrainingStopReason.Cancelled, result.StopReason);
        Assert.Equal(0, result.EpochsCompleted);
        Assert.Equal(0, result.BestEpoch);
        Assert.All(result.Head.Layers[0].Weights, w => Assert.Equal(0f, w)); // the untouched initial head
    }

    [Fact]
    public void Train_ZeroTimeBudget_ReturnsBudgetReached()
    {
        var train = SyntheticFeatures.Clusters([10, 10], dimension: 4, separation: 3, noise: 0.5, seed: 12);

        var result = HeadTrainer.Train(train, null, Logistic with { TimeBudget = TimeSpan.Zero });

        Assert.Equal(TrainingStopReason.BudgetReached, result.StopReason);
        Assert.Equal(0, result.EpochsCompleted);
    }

    [Fact]
    public void Train_FewEpochsOnHardProblem_ReportsEpochLimit()
    {
        var train = SyntheticFeatures.Clusters([100, 100], dimension: 8, separation: 1, noise: 1, seed: 13);

        var result = HeadTrainer.Train(train, null, Logistic with { MaxEpochs = 2, Patience = 50 });

        Assert.Equal(TrainingStopReason.EpochLimitReached, result.StopReason);
        Assert.Equal(2, result.EpochsCompleted);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Train_SameSeed_GivesIdenticalHeadsPerThreadCountAndAlmostIdenticalAcrossThem(string kind)
    {
        var train = SyntheticFeatures.Clusters([150, 150, 150], dimension: 1280, separation: 2, noise: 1, seed: 14);
        var options = OptionsFor(kind) with { MaxEpochs = 15, Seed = 99 };

        var first = HeadTrainer.Train(train, null, options with { MaxDegreeOfParallelism = 2 });
        var second = HeadTrainer.Train(train, null, options with { MaxDegreeOfParallelism = 2 });
        var serial = HeadTrainer.Train(train, null, options with { MaxDegreeOfParallelism = 1 });
        var otherSeed = HeadTrainer.Train(train, null, options with { MaxDegreeOfParallelism = 2, Seed = 100 });

        for (var l = 0; l < first.Head.Layers.Count; l++)
        {
            Assert.Equal(first.Head.Layers[l].Weights, second.Head.Layers[l].Weights);
            Assert.Equal(first.Head.Layers[l].Bias, second.Head.Layers[l].Bias);
            // libtorch splits its reductions by thread count, so one and two threads may differ in the last bit on some CPUs
            // (seen on an AVX-512 machine): the same head up to float rounding, not bit for bit.
            AssertClose(first.Head.Layers[l].Weights, serial.Head.Layers[l].Weights);
        }
        AssertClose([.. first.History.Select(h => (float)h.TrainLoss)], [.. serial.History.Select(h => (float)h.TrainLoss)]);
        Assert.NotEqual(first.Head.Layers[0].Weights, otherSeed.Head.Layers[0].Weights);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Train_MultiLabelSigmoid_PredictsBothLabelsWhenBothPresent(string kind)
    {
        // Label a is carried by feature axis 0, label b by axis 1; examples show none, a, b or both.
        var rng = new Random(15);
        var features = new List<float[]>();
        var labels = new List<IReadOnlyList<int>>();
        for (var n = 0; n < 240; n++)
        {
            var hasA = n % 2 == 0;
            var hasB = n / 2 % 2 == 0;
            var v = new float[10];
            for (var j = 0; j < v.Length; j++)
                v[j] = (float)(0.4 * SyntheticFeatures.Gaussian(rng));
            v[0] += hasA ? 3 : 0;
            v[1] += hasB ? 3 : 0;
            features.Add(v);
            labels.Add((hasA, hasB) switch { (true, true) => [0, 1], (true, false) => [0], (false, true) => [1], _ => [] });
        }
        var train = new FeatureSet(features, labels, classCount: 2);

        var result = HeadTrainer.Train(train, null, OptionsFor(kind) with { Output = HeadOutput.Sigmoid });

        var both = result.Head.Predict(new float[] { 3, 3, 0, 0, 0, 0, 0, 0, 0, 0 });
        var onlyB = result.Head.Predict(new float[] { 0, 3, 0, 0, 0, 0, 0, 0, 0, 0 });
        var neither = result.Head.Predict(new float[10]);
        Assert.Equal(HeadOutput.Sigmoid, result.Head.Output);
        Assert.True(both[0] > 0.5f && both[1] > 0.5f, $"both: {both[0]}, {both[1]}");
        Assert.True(onlyB[0] < 0.5f && onlyB[1] > 0.5f, $"only b: {onlyB[0]}, {onlyB[1]}");
        Assert.True(neither[0] < 0.5f && neither[1] < 0.5f, $"neither: {neither[0]}, {neither[1]}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void FoldStandardization_RawFeatures_GiveTheSameLogits(string kind)
    {
        var train = SyntheticFeatures.Clusters([30, 30, 30], dimension: 12, separation: 3, noise: 0.7, seed: 16);
        var head = HeadTrainer.Train(train, null, OptionsFor(kind) with { MaxEpochs = 20 }).Head;

        var folded = head.FoldStandardization();

        for (var i = 0; i < train.Count; i += 7)
        {
            float[] current = train.Features(i).ToArray();
            foreach (var layer in folded)
            {
                var next = new float[layer.Outputs];
                layer.Apply(current, next);
                current = next;
            }
            var expected = head.PredictLogits(train.Features(i));
            for (var c = 0; c < expected.Length; c++)
                Assert.Equal(expected[c], current[c], 3);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TrainedHead_JsonRoundTrip_PredictsTheSame(string kind)
    {
        var train = SyntheticFeatures.Clusters([20, 20], dimension: 6, separation: 3, noise: 0.5, seed: 19);
        var head = HeadTrainer.Train(train, null, OptionsFor(kind) with { MaxEpochs = 10 }).Head;

        var json = System.Text.Json.JsonSerializer.Serialize(head);
        var restored = System.Text.Json.JsonSerializer.Deserialize<TrainedHead>(json)!;

        Assert.Equal(head.Kind, restored.Kind);
        Assert.Equal(head.Layers.Count, restored.Layers.Count);
        Assert.Equal(head.Predict(train.Features(3)), restored.Predict(train.Features(3)));
    }

    [Fact]
    public void Predict_Softmax_ScoresSumToOne()
    {
        var train = SyntheticFeatures.Clusters([20, 20, 20], dimension: 6, separation: 3, noise: 0.5, seed: 17);
        var head = HeadTrainer.Train(train, null, Logistic with { MaxEpochs = 10 }).Head;

        var scores = head.Predict(train.Features(0));

        Assert.Equal(1.0, scores.Sum(), 5);
        Assert.Equal(6, head.FeatureMean.Length);
        Assert.Equal(6, head.FeatureStd.Length);
        Assert.Equal(3 * 6, head.Layers[0].Weights.Length);
    }

    [Fact]
    public void Train_GroupedViews_HoldoutKeepsEveryGroupOnOneSide()
    {
        var train = SyntheticFeatures.Clusters([40, 40], dimension: 4, separation: 3, noise: 0.5, seed: 18);
        var groups = Enumerable.Range(0, train.Count).Select(i => $"img-{i / 4}").ToArray(); // 4 views per image
        var grouped = new FeatureSet(
            Enumerable.Range(0, train.Count).Select(i => train.Features(i).ToArray()).ToArray(),
            Enumerable.Range(0, train.Count).Select(train.Labels).ToArray(), 2, groups);

        var split = HeadTrainer.SplitHoldout(grouped, 0.25, seed: 3);

        Assert.NotNull(split);
        var (fit, holdout) = split.Value;
        var fitGroups = Enumerable.Range(0, fit.Count).Select(fit.GroupId).ToHashSet();
        var holdoutGroups = Enumerable.Range(0, holdout.Count).Select(holdout.GroupId).ToHashSet();
        Assert.Empty(fitGroups.Intersect(holdoutGroups));
        Assert.Equal(80, fit.Count + holdout.Count);
        Assert.Equal(24, holdout.Count); // per class 10 images x 0.25 = 2.5 -> 3 images, 4 views each
        Assert.Contains(0, Enumerable.Range(0, holdout.Count).Select(i => holdout.Labels(i)[0]));
        Assert.Contains(1, Enumerable.Range(0, holdout.Count).Select(i => holdout.Labels(i)[0]));
    }

    [Fact]
    public void Train_SoftmaxExampleWithTwoLabels_ThrowsNamingTheExample()
    {
        var set = new FeatureSet([new float[] { 1, 2 }, new float[] { 3, 4 }], [[0], [0, 1]], 2);

        var error = Assert.Throws<ArgumentException>(() => HeadTrainer.Train(set, null, Logistic));

        Assert.Contains("training example 1 has 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FeatureSet_WrongLength_ThrowsNamingTheExample()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new FeatureSet([new float[] { 1, 2 }, new float[] { 3 }], [[0], [1]], 2));

        Assert.Contains("Example 1 has 1 features", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FeatureSet_NaNFeature_ThrowsNamingExampleAndIndex()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new FeatureSet([new float[] { 1, 2 }, new float[] { 3, float.NaN }], [[0], [1]], 2));

        Assert.Contains("Example 1 has a non-finite feature at index 1", error.Message, StringComparison.Ordinal);
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * (1 + Math.Abs(expected[i])), $"element {i}: {expected[i]} vs {actual[i]}");
        }
    }
}
