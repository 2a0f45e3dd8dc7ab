using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using VisionConsole.Domain.Models;
using VisionConsole.Trainer.Training;

namespace VisionConsole.Trainer.Jobs;

/// <summary>
/// The files of a model version's folder (<c>&lt;data&gt;/models/{modelId}/v{number}/</c>) that the trainer writes:
/// <c>dict.txt</c> (one label a line, output order), <c>head.json</c> (<see cref="TrainedHead"/>) and
/// <c>training.json</c> (<see cref="TrainingRecord"/>). Exporters add <c>model.onnx</c> and <c>tfjs/</c>.
/// </summary>
public static class ClassifierFiles
{
    /// <summary>The labels file.</summary>
    public const string LabelsFile = "dict.txt";

    /// <summary>The head's weights and standardization.</summary>
    public const string HeadFile = "head.json";

    /// <summary>How it was trained: preset, backbone, labels, budget, stop reason.</summary>
    public const string RecordFile = "training.json";

    /// <summary>JSON settings of the files (camelCase, enums as strings).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Writes <c>dict.txt</c>, <c>head.json</c> and <c>training.json</c> into <paramref name="folder"/>.</summary>
    public static async Task WriteAsync(string folder, IReadOnlyList<string> labels, TrainedHead head, TrainingRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(labels);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, LabelsFile), string.Concat(labels.Select(l => l + "\n")), new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        await using (var stream = File.Create(Path.Combine(folder, HeadFile)))
        {
            await JsonSerializer.SerializeAsync(stream, head, Json, cancellationToken).ConfigureAwait(false);
        }
        await using (var stream = File.Create(Path.Combine(folder, RecordFile)))
        {
            await JsonSerializer.SerializeAsync(stream, record, Json, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the head and the record of a version folder.</summary>
    /// <exception cref="InvalidOperationException">A file is missing or unreadable; the message names it.</exception>
    public static async Task<(TrainedHead Head, TrainingRecord Record)> ReadAsync(string folder, CancellationToken cancellationToken)
    {
        var head = await ReadJsonAsync<TrainedHead>(Path.Combine(folder, HeadFile), cancellationToken).ConfigureAwait(false);
        var record = await ReadJsonAsync<TrainingRecord>(Path.Combine(folder, RecordFile), cancellationToken).ConfigureAwait(false);
        return (head, record);
    }

    /// <summary>Reads just the training record of a version folder, or null when it has none.</summary>
    public static TrainingRecord? TryReadRecord(string folder)
    {
        var path = Path.Combine(folder, RecordFile);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<TrainingRecord>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<T> ReadJsonAsync<T>(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"Model file {path} is missing.");
        }
        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync<T>(stream, Json, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Model file {path} is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"Model file {path} is not valid: {ex.Message}", ex);
        }
    }
}
