using System.Text.Json;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Domain.Models;

/// <summary>A named, published model: a line of versions trained for one label set.</summary>
public sealed class Model
{
    private readonly List<ModelVersion> _versions = [];

    private Model()
    {
        DisplayName = string.Empty;
        LabelsJson = "[]";
        CreatedBy = string.Empty;
    }

    /// <summary>Creates a model for a dataset's label set (in output order).</summary>
    public Model(long projectId, long? datasetId, string displayName, DatasetKind kind, IReadOnlyList<string> labels, string createdBy, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var trimmed = displayName?.Trim() ?? string.Empty;
        if (trimmed.Length == 0 || trimmed.Length > 128)
        {
            throw new DomainException("invalid-name", $"Model name must be 1-128 characters (got {trimmed.Length}).");
        }
        if (labels.Count == 0)
        {
            throw new DomainException("invalid-labels", "A model needs at least one label.");
        }
        ProjectId = projectId;
        DatasetId = datasetId;
        DisplayName = trimmed;
        Kind = kind;
        LabelsJson = JsonSerializer.Serialize(labels);
        CreatedBy = createdBy;
        CreatedAt = createdAt;
    }

    public long Id { get; private set; }

    public long ProjectId { get; private set; }

    /// <summary>The dataset it was trained from; null once that dataset is deleted.</summary>
    public long? DatasetId { get; private set; }

    public string DisplayName { get; private set; }

    public DatasetKind Kind { get; private set; }

    /// <summary>The label set, in the model's output order, as a JSON array.</summary>
    public string LabelsJson { get; private set; }

    public string CreatedBy { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public IReadOnlyCollection<ModelVersion> Versions => _versions;

    /// <summary>The label set, in output order.</summary>
    public IReadOnlyList<string> Labels => JsonSerializer.Deserialize<string[]>(LabelsJson) ?? [];

    /// <summary>Gives the model a new name (1-128 characters), for example the name it is published under.</summary>
    public void Rename(string displayName)
    {
        var trimmed = displayName?.Trim() ?? string.Empty;
        if (trimmed.Length == 0 || trimmed.Length > 128)
        {
            throw new DomainException("invalid-name", $"Model name must be 1-128 characters (got {trimmed.Length}).");
        }
        DisplayName = trimmed;
    }

    /// <summary>Adds the next version (numbered from 1). <see cref="Versions"/> must be loaded.</summary>
    public ModelVersion AddVersion(string modelType, ModelFiles files, long? trainingOperationId, DateTimeOffset createdAt, TrainingRecord? training = null)
    {
        var number = _versions.Count == 0 ? 1 : _versions.Max(v => v.Number) + 1;
        var version = new ModelVersion(this, number, modelType, files, trainingOperationId, createdAt, training);
        _versions.Add(version);
        return version;
    }
}

/// <summary>Where a version's files are, relative to the data folder.</summary>
/// <param name="ModelFile">The ONNX model.</param>
/// <param name="LabelsFile">The <c>dict.txt</c> (one label a line).</param>
/// <param name="TfjsFolder">The TF.js graph model folder, when exported.</param>
public sealed record ModelFiles(string ModelFile, string LabelsFile, string? TfjsFolder = null);

/// <summary>One trained version of a <see cref="Model"/>, with tags such as <c>latest</c> or <c>production</c>.</summary>
public sealed class ModelVersion
{
    private ModelVersion()
    {
        ModelType = string.Empty;
        ModelFile = string.Empty;
        LabelsFile = string.Empty;
        Tags = string.Empty;
    }

    internal ModelVersion(Model model, int number, string modelType, ModelFiles files, long? trainingOperationId, DateTimeOffset createdAt, TrainingRecord? training)
    {
        ArgumentNullException.ThrowIfNull(files);
        Model = model;
        Number = number;
        ModelType = modelType;
        ModelFile = files.ModelFile;
        LabelsFile = files.LabelsFile;
        TfjsFolder = files.TfjsFolder;
        TrainingOperationId = trainingOperationId;
        CreatedAt = createdAt;
        Tags = string.Empty;
        TrainingRecordJson = training is null ? null : TrainingRecord.Write(training);
    }

    public long Id { get; private set; }

    public long ModelId { get; private set; }

    public Model? Model { get; private set; }

    /// <summary>1, 2, 3 ... within the model.</summary>
    public int Number { get; private set; }

    /// <summary><c>mobile-low-latency-1</c>, <c>mobile-versatile-1</c> or <c>mobile-high-accuracy-1</c>.</summary>
    public string ModelType { get; private set; }

    public string ModelFile { get; private set; }

    public string LabelsFile { get; private set; }

    public string? TfjsFolder { get; private set; }

    public long? TrainingOperationId { get; private set; }

    /// <summary>How the version was trained, as <see cref="TrainingRecord.Write"/> wrote it; read it with <see cref="ReadTraining"/>.</summary>
    public string? TrainingRecordJson { get; private set; }

    /// <summary>How the version was trained; null for versions that recorded it only in their folder's <c>training.json</c> (until <see cref="RecordTraining"/>).</summary>
    /// <exception cref="InvalidOperationException">The stored record is not valid.</exception>
    public TrainingRecord? ReadTraining() => TrainingRecordJson is null ? null : TrainingRecord.Read(TrainingRecordJson, Id);

    /// <summary>Keeps the training record of a version that was trained before the database kept it (read once from its folder).</summary>
    public void RecordTraining(TrainingRecord training)
    {
        ArgumentNullException.ThrowIfNull(training);
        TrainingRecordJson = TrainingRecord.Write(training);
    }

    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>Comma-separated tags, each 1-32 letters, digits, '-' or '_'.</summary>
    public string Tags { get; private set; }

    public IReadOnlyList<string> TagList => Tags.Length == 0 ? [] : Tags.Split(',');

    /// <summary>Adds a tag (idempotent).</summary>
    public void AddTag(string tag)
    {
        if (string.IsNullOrEmpty(tag) || tag.Length > 32 || !tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new DomainException("invalid-tag", $"Tag '{tag}' must be 1-32 letters, digits, '-' or '_'.");
        }
        if (!TagList.Contains(tag, StringComparer.OrdinalIgnoreCase))
        {
            Tags = string.Join(',', TagList.Append(tag));
        }
    }

    /// <summary>Removes a tag; returns false when the version did not have it.</summary>
    public bool RemoveTag(string tag)
    {
        var remaining = TagList.Where(t => !string.Equals(t, tag, StringComparison.OrdinalIgnoreCase)).ToList();
        if (remaining.Count == TagList.Count)
        {
            return false;
        }
        Tags = string.Join(',', remaining);
        return true;
    }
}

/// <summary>How a model version scored on its test images: metrics and per-image scores as JSON.</summary>
public sealed class Evaluation
{
    private Evaluation()
    {
        MetricsJson = "{}";
        PerImageScoresJson = "[]";
    }

    public Evaluation(long modelVersionId, string metricsJson, string perImageScoresJson, DateTimeOffset createdAt)
    {
        ModelVersionId = modelVersionId;
        MetricsJson = metricsJson;
        PerImageScoresJson = perImageScoresJson;
        CreatedAt = createdAt;
    }

    public long Id { get; private set; }

    /// <summary>One evaluation per model version.</summary>
    public long ModelVersionId { get; private set; }

    /// <summary>Precision, recall, F1, PR curve, AP, confusion matrix or mAP, as the evaluator wrote them.</summary>
    public string MetricsJson { get; private set; }

    /// <summary>For each test image: its id, true labels and scored predictions, so errors are one click away.</summary>
    public string PerImageScoresJson { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }
}
