using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using VisionConsole.Domain.Models;
using VisionConsole.Trainer.Training;

namespace VisionConsole.Trainer.Jobs;

/// <summary>
/// The files of a model version's folder (<c>&lt;data&gt;/models/{modelId}/v{number}/</c>) that the trainer writes:
/// <c>dict.txt</c> (one label a line, output order) and <c>head.json</c> (<see cref="TrainedHead"/>, for warm starts and
/// for rebuilding a package). Exporters add <c>model.onnx</c> and <c>tfjs/</c>. How the version was trained
/// (<see cref="TrainingRecord"/>) lives in the database; versions trained before kept it in <c>training.json</c>, read once
/// by <see cref="ReadLegacyRecord"/> to move it there.
/// </summary>
public static class ClassifierFiles
{
    /// <summary>The labels file.</summary>
    public const string LabelsFile = "dict.txt";

    /// <summary>The head's weights and standardization.</summary>
    public const string HeadFile = "head.json";

    /// <summary>The fine-tuned top of the backbone (<see cref="ConvTop"/>), for versions that have one (warm starts, rebuilding a package).</summary>
    public const string TopFile = "top.json";

    /// <summary>Where versions trained before the database kept their record wrote it.</summary>
    public const string LegacyRecordFile = "training.json";

    /// <summary>JSON settings of the files (camelCase, enums as strings).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Writes <c>dict.txt</c>, <c>head.json</c> and, for a fine-tuned top, <c>top.json</c> into <paramref name="folder"/>.</summary>
    public static async Task WriteAsync(string folder, IReadOnlyList<string> labels, TrainedHead head, ConvTop? top, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(labels);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, LabelsFile), string.Concat(labels.Select(l => l + "\n")), new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        await using (var stream = File.Create(Path.Combine(folder, HeadFile)))
        {
            await JsonSerializer.SerializeAsync(stream, head, Json, cancellationToken).ConfigureAwait(false);
        }
        if (top is not null)
        {
            await using var stream = File.Create(Path.Combine(folder, TopFile));
            await JsonSerializer.SerializeAsync(stream, top, Json, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The fine-tuned top of a version folder, or null when the version has none.</summary>
    /// <exception cref="InvalidOperationException">The file is there but unreadable; the message names it.</exception>
    public static async Task<ConvTop?> ReadTopAsync(string folder, CancellationToken cancellationToken) =>
        File.Exists(Path.Combine(folder, TopFile))
            ? await ReadJsonAsync<ConvTop>(Path.Combine(folder, TopFile), cancellationToken).ConfigureAwait(false)
            : null;

    /// <summary>Reads the head of a version folder.</summary>
    /// <exception cref="InvalidOperationException">The file is missing or unreadable; the message names it.</exception>
    public static Task<TrainedHead> ReadHeadAsync(string folder, CancellationToken cancellationToken) =>
        ReadJsonAsync<TrainedHead>(Path.Combine(folder, HeadFile), cancellationToken);

    /// <summary>The <c>training.json</c> of a version trained before the database kept its record, or null when it has none.</summary>
    /// <exception cref="InvalidOperationException">The file is there but unreadable; the message names it.</exception>
    public static TrainingRecord? ReadLegacyRecord(string folder)
    {
        var path = Path.Combine(folder, LegacyRecordFile);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<TrainingRecord>(File.ReadAllText(path), Json)
                ?? throw new InvalidOperationException($"Model file {path} is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"Model file {path} is not valid: {ex.Message}", ex);
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
