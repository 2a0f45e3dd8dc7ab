namespace VisionConsole.Trainer.Training;

/// <summary>
/// Labeled feature vectors (one per image view) that a head is trained or validated on.
/// Feature vectors are copied into one contiguous row-major block, so the caller's arrays can be reused.
/// </summary>
public sealed class FeatureSet
{
    private readonly float[] _features;
    private readonly int[][] _labels;
    private readonly string?[] _groupIds;

    /// <summary>Checks and copies the examples.</summary>
    /// <param name="features">One vector per example, all of the same length.</param>
    /// <param name="labels">
    /// The class indices of each example, in <c>[0, classCount)</c>. Single-label training needs exactly
    /// one per example; multi-label training accepts zero or more (no duplicates).
    /// </param>
    /// <param name="classCount">How many classes the head has (at least 1; softmax heads need 2).</param>
    /// <param name="groupIds">
    /// Optional: which image each example comes from (for example its sha256). Views of one image share
    /// a group, so a held-out split carved from this set never puts views of one image on both sides.
    /// </param>
    /// <exception cref="ArgumentException">Counts disagree, a vector has the wrong length or a non-finite value, or a label is out of range; the message names the example.</exception>
    public FeatureSet(IReadOnlyList<float[]> features, IReadOnlyList<IReadOnlyList<int>> labels, int classCount, IReadOnlyList<string?>? groupIds = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (classCount < 1)
            throw new ArgumentException($"classCount must be at least 1 (was {classCount}).", nameof(classCount));
        if (features.Count != labels.Count)
            throw new ArgumentException($"There are {features.Count} feature vectors but {labels.Count} label sets.", nameof(labels));
        if (groupIds is not null && groupIds.Count != features.Count)
            throw new ArgumentException($"There are {features.Count} feature vectors but {groupIds.Count} group ids.", nameof(groupIds));
        if (features.Count == 0)
            throw new ArgumentException("The feature set is empty.", nameof(features));

        var dimension = features[0]?.Length ?? 0;
        if (dimension == 0)
            throw new ArgumentException("Example 0 has an empty feature vector.", nameof(features));

        Count = features.Count;
        Dimension = dimension;
        ClassCount = classCount;
        _features = new float[checked(Count * dimension)];
        _labels = new int[Count][];
        _groupIds = new string?[Count];
        for (var i = 0; i < Count; i++)
        {
            var vector = features[i] ?? throw new ArgumentException($"Example {i} has no feature vector.", nameof(features));
            if (vector.Length != dimension)
                throw new ArgumentException($"Example {i} has {vector.Length} features; example 0 has {dimension}.", nameof(features));
            for (var j = 0; j < dimension; j++)
            {
                if (!float.IsFinite(vector[j]))
                    throw new ArgumentException($"Example {i} has a non-finite feature at index {j} ({vector[j]}).", nameof(features));
            }
            vector.CopyTo(_features.AsSpan(i * dimension, dimension));

            var set = labels[i] ?? throw new ArgumentException($"Example {i} has no label set.", nameof(labels));
            var copy = new int[set.Count];
            for (var k = 0; k < set.Count; k++)
            {
                var label = set[k];
                if (label < 0 || label >= classCount)
                    throw new ArgumentException($"Example {i} has label {label}, outside [0, {classCount}).", nameof(labels));
                if (Array.IndexOf(copy, label, 0, k) >= 0)
                    throw new ArgumentException($"Example {i} lists label {label} twice.", nameof(labels));
                copy[k] = label;
            }
            _labels[i] = copy;
            _groupIds[i] = groupIds?[i];
        }
    }

    private FeatureSet(float[] features, int[][] labels, string?[] groupIds, int dimension, int classCount)
    {
        _features = features;
        _labels = labels;
        _groupIds = groupIds;
        Count = labels.Length;
        Dimension = dimension;
        ClassCount = classCount;
    }

    /// <summary>Number of examples.</summary>
    public int Count { get; }

    /// <summary>Length of every feature vector.</summary>
    public int Dimension { get; }

    /// <summary>Number of classes the labels index into.</summary>
    public int ClassCount { get; }

    /// <summary>The feature vector of example <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Features(int index) => _features.AsSpan(index * Dimension, Dimension);

    /// <summary>The class indices of example <paramref name="index"/>.</summary>
    public IReadOnlyList<int> Labels(int index) => _labels[index];

    /// <summary>The group (image) of example <paramref name="index"/>, or null when none was given.</summary>
    public string? GroupId(int index) => _groupIds[index];

    internal float[] RawFeatures => _features;

    internal int[] LabelsArray(int index) => _labels[index];

    internal FeatureSet Subset(IReadOnlyList<int> indices)
    {
        var features = new float[indices.Count * Dimension];
        var labels = new int[indices.Count][];
        var groups = new string?[indices.Count];
        for (var k = 0; k < indices.Count; k++)
        {
            var i = indices[k];
            Features(i).CopyTo(features.AsSpan(k * Dimension, Dimension));
            labels[k] = _labels[i];
            groups[k] = _groupIds[i];
        }
        return new FeatureSet(features, labels, groups, Dimension, ClassCount);
    }
}
