using System.Text.Json;
using System.Text.Json.Serialization;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Training;

namespace VisionConsole.Domain.Operations;

/// <summary>
/// A kind of long-running operation the hosted trainer runs besides trainings: it claims a Queued
/// <see cref="TrainingOperation"/> row of <see cref="Kind"/>, calls <see cref="RunAsync"/>, saves and publishes the
/// reported progress, and completes the row with the returned result JSON (or fails it / confirms the cancel).
/// </summary>
public interface IOperationJob
{
    /// <summary>The operation kind this job runs, e.g. <c>import-data</c>.</summary>
    string Kind { get; }

    /// <summary>Runs the operation; returns the result as JSON. Throws <see cref="OperationCanceledException"/> when cancelled.</summary>
    Task<string> RunAsync(long operationId, string requestJson, IProgress<OperationReport> progress, CancellationToken cancellationToken);
}

/// <summary>One progress report of a job: the JSON kept in <see cref="TrainingOperation.ProgressJson"/> and a line for people.</summary>
public sealed record OperationReport(string ProgressJson, string Message);

/// <summary>JSON settings of operation requests, progress and results: camelCase, enums as strings.</summary>
public static class OperationJson
{
    /// <summary>The options every import/export request, progress and result is (de)serialized with.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Reads <paramref name="json"/> as <typeparamref name="T"/>; null when absent or unreadable.</summary>
    public static T? Read<T>(string? json) where T : class
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>An import or export operation as the API and the console show it.</summary>
/// <param name="Id">The operation id.</param>
/// <param name="Kind"><c>import-data</c> or <c>export-data</c>.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="DatasetId">The dataset imported into or exported.</param>
/// <param name="ImportProgress">An import's latest progress.</param>
/// <param name="ExportProgress">An export's latest progress.</param>
/// <param name="ImportResult">A finished import's counts and report file.</param>
/// <param name="ExportResult">A finished export's file.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="CreatedAt">When it was queued.</param>
/// <param name="StartedAt">When a runner picked it up.</param>
/// <param name="FinishedAt">When it finished.</param>
/// <param name="CreatedBy">Who asked for it.</param>
public sealed record DataOperation(
    long Id,
    string Kind,
    OperationState State,
    long? DatasetId,
    ImportProgress? ImportProgress,
    ExportProgress? ExportProgress,
    ImportResult? ImportResult,
    ExportResult? ExportResult,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string CreatedBy)
{
    /// <summary>Succeeded, Failed or Cancelled.</summary>
    public bool Done => State is OperationState.Succeeded or OperationState.Failed or OperationState.Cancelled;

    /// <summary>The view of an operation as the trainer's store and notifier carry it.</summary>
    public static DataOperation From(OperationSummary operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return Create(operation.Id, operation.Kind, operation.State, operation.DatasetId, operation.ProgressJson, operation.ResultJson,
            operation.Error, operation.CreatedAt, operation.StartedAt, operation.FinishedAt, operation.CreatedBy);
    }

    /// <summary>The view of an operation row.</summary>
    public static DataOperation From(TrainingOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return Create(operation.Id, operation.Kind, operation.State, operation.DatasetId, operation.ProgressJson, operation.ResultJson,
            operation.Error, operation.CreatedAt, operation.StartedAt, operation.FinishedAt, operation.CreatedBy);
    }

    private static DataOperation Create(long id, string kind, OperationState state, long? datasetId, string? progressJson, string? resultJson,
        string? error, DateTimeOffset createdAt, DateTimeOffset? startedAt, DateTimeOffset? finishedAt, string createdBy)
    {
        var isImport = kind == ImportRequest.Kind;
        return new DataOperation(
            id, kind, state, datasetId,
            isImport ? OperationJson.Read<ImportProgress>(progressJson) : null,
            isImport ? null : OperationJson.Read<ExportProgress>(progressJson),
            isImport ? OperationJson.Read<ImportResult>(resultJson) : null,
            isImport ? null : OperationJson.Read<ExportResult>(resultJson),
            error, createdAt, startedAt, finishedAt, createdBy);
    }
}

/// <summary>What starting and cancelling an operation needs from the runner that executes it (the hosted trainer's queue).</summary>
public interface IOperationQueue
{
    /// <summary>Wakes the runner: an operation was queued.</summary>
    void Signal();

    /// <summary>Cancels the running job of the operation; false when none runs in this process.</summary>
    bool CancelRunning(long operationId);
}
