using VisionConsole.Trainer.Training;

namespace VisionConsole.Tests.Trainer.Training;

/// <summary>Seeded Gaussian clusters standing in for backbone features.</summary>
internal static class SyntheticFeatures
{
    /// <summary>
    /// <paramref name="perClass"/>[c] examples of class c drawn from N(center_c, noise^2 I), where center_c
    /// is <paramref name="separation"/> along axis c (so the classes overlap more as noise grows).
    /// </summary>
    public static FeatureSet Clusters(int[] perClass, int dimension, double separation, double noise, int seed, double offset = 5.0, double scale = 3.0)
    {
        var rng = new Random(seed);
        var features = new List<float[]>();
        var labels = new List<IReadOnlyList<int>>();
        for (var c = 0; c < perClass.Length; c++)
        {
            for (var n = 0; n < perClass[c]; n++)
            {
                var v = new float[dimension];
                for (var j = 0; j < dimension; j++)
                {
                    var center = j == c ? separation : 0.0;
                    // Offset and scale mimic unstandardized backbone features.
                    v[j] = (float)(offset + scale * (center + noise * Gaussian(rng)));
                }
                features.Add(v);
                labels.Add([c]);
            }
        }
        return new FeatureSet(features, labels, perClass.Length);
    }

    public static double Gaussian(Random rng)
    {
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public static double Accuracy(TrainedHead head, FeatureSet set)
    {
        var hits = 0;
        for (var i = 0; i < set.Count; i++)
        {
            var scores = head.Predict(set.Features(i));
            if (Array.IndexOf(scores, scores.Max()) == set.Labels(i)[0])
                hits++;
        }
        return (double)hits / set.Count;
    }
}

/// <summary>Reports synchronously on the training thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> onReport) : IProgress<T>
{
    public void Report(T value) => onReport(value);
}
