using System.Globalization;
using MudBlazor;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;

namespace VisionConsole.Web.Components.Pages.Operations;

/// <summary>How operations read on screen: display names and plain sentences built from the structured fields, never internal codes.</summary>
public static class OperationText
{
    public static Color StateColor(this OperationState state) => state switch
    {
        OperationState.Queued => Color.Default,
        OperationState.Running => Color.Info,
        OperationState.Succeeded => Color.Success,
        OperationState.Failed => Color.Error,
        OperationState.Cancelling => Color.Warning,
        OperationState.Cancelled => Color.Dark,
        _ => Color.Default,
    };

    /// <summary>The kind as a column reads it: Training, Import, Export.</summary>
    public static string KindName(string kind) => kind switch
    {
        ImportRequest.Kind => "Import",
        ExportRequest.Kind => "Export",
        VisionConsole.Domain.Models.ModelExportRequest.Kind => "Model export",
        VisionConsole.Domain.Storage.BackupRequest.Kind => "Backup",
        VisionConsole.Domain.Models.BatchPredictRequest.Kind => "Batch prediction",
        _ when kind.StartsWith("train-", StringComparison.Ordinal) => "Training",
        _ => kind,
    };

    public static string Describe(this TrainingPhase phase) => phase switch
    {
        TrainingPhase.Queued => "Queued",
        TrainingPhase.Preparing => "Preparing",
        TrainingPhase.Embedding => "Computing features",
        TrainingPhase.Training => "Training the head",
        TrainingPhase.Evaluating => "Evaluating",
        TrainingPhase.Exporting => "Exporting",
        TrainingPhase.Saving => "Saving",
        TrainingPhase.Done => "Done",
        _ => phase.ToString(),
    };

    /// <summary><c>converged</c>, <c>budget-reached</c>... as a sentence.</summary>
    public static string DescribeStopReason(string? reason) => reason switch
    {
        null or "" => "",
        "converged" => "Converged: validation loss stopped improving (early stopping).",
        "budget-reached" => "Stopped at the time budget.",
        "epoch-limit" => "Stopped at the epoch limit.",
        "cancelled" => "Cancelled.",
        "failed" => "Failed.",
        _ => reason,
    };

    /// <summary>Seconds as <c>42 s</c>, <c>3 min 05 s</c> or <c>1 h 02 min</c>.</summary>
    public static string Duration(double seconds)
    {
        var span = TimeSpan.FromSeconds(Math.Max(0, Math.Round(seconds)));
        return span.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours} h {span.Minutes:00} min")
            : span.TotalMinutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes} min {span.Seconds:00} s")
            : string.Create(CultureInfo.InvariantCulture, $"{span.Seconds} s");
    }

    /// <summary>
    /// What the operation is, for lists and titles: a training by its model name, an import or export by its
    /// dataset's display name (<paramref name="datasetName"/>; null when unknown or deleted).
    /// </summary>
    public static string Title(this OperationSummary operation, string? datasetName)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var dataset = datasetName ?? (operation.DatasetId is null ? "a dataset" : "a deleted dataset");
        return operation.Training is { } request ? request.DisplayName
            : operation.Kind == ImportRequest.Kind ? $"Import into {dataset}"
            : operation.Kind == ExportRequest.Kind ? $"Export of {dataset}"
            : operation.Request is VisionConsole.Domain.Models.ModelExportRequest export ? string.Create(CultureInfo.InvariantCulture, $"Export of model {export.ModelId} v{export.VersionNumber} ({export.Format})")
            : operation.Kind == VisionConsole.Domain.Storage.BackupRequest.Kind ? "Backup of the data folder"
            : operation.Request is VisionConsole.Domain.Models.BatchPredictRequest batch ? string.Create(CultureInfo.InvariantCulture, $"Batch prediction with model {batch.ModelId}")
            : KindName(operation.Kind);
    }

    /// <summary>A training's progress in plain words, from its counts (the trainer's own message is for logs).</summary>
    public static string Sentence(this TrainingProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var invariant = CultureInfo.InvariantCulture;
        return progress.Phase switch
        {
            TrainingPhase.Queued => "Waiting for a trainer to pick it up.",
            TrainingPhase.Preparing => "Preparing the images.",
            TrainingPhase.Embedding when progress.ImagesTotal > 0 => string.Create(invariant,
                $"Computing image features: {progress.ImagesDone:N0} of {progress.ImagesTotal:N0} images ready{(progress.EmbeddingsCached > 0 ? $", {progress.EmbeddingsCached:N0} views taken from the cache" : "")}."),
            TrainingPhase.Embedding => "Computing image features.",
            TrainingPhase.Training when progress.LastEpoch?.ValidationAccuracy is { } accuracy => string.Create(invariant,
                $"Training: epoch {progress.Epoch}{(progress.MaxEpochs > 0 ? $" of at most {progress.MaxEpochs}" : "")}, validation accuracy {accuracy * 100:0}%."),
            TrainingPhase.Training => string.Create(invariant, $"Training: epoch {progress.Epoch}{(progress.MaxEpochs > 0 ? $" of at most {progress.MaxEpochs}" : "")}."),
            TrainingPhase.Evaluating => "Evaluating on images held out from training.",
            TrainingPhase.Exporting => "Writing the model files.",
            TrainingPhase.Saving => "Saving the model.",
            TrainingPhase.Done => "Finished.",
            _ => progress.Phase.Describe() + ".",
        };
    }

    /// <summary>An import's counts in plain words: what was added, merged and refused.</summary>
    public static string Sentence(this ImportResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return string.Create(CultureInfo.InvariantCulture,
            $"{Count(result.Imported, "image")} imported of {result.Items:N0} in the upload, {Count(result.Duplicates, "duplicate")} merged, {Count(result.Refused, "image")} refused; {Count(result.LabelsCreated, "new label")}, {Count(result.LabelsAssigned, "label")} given.");
    }

    /// <summary>A running import's counts in plain words.</summary>
    public static string Sentence(this ImportProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return progress.Phase switch
        {
            ImportPhase.Queued => "Waiting to start.",
            ImportPhase.Reading => "Reading the upload.",
            ImportPhase.RollingBack => "Undoing the import.",
            _ => string.Create(CultureInfo.InvariantCulture,
                $"{progress.Done:N0} of {progress.Total:N0} images read: {progress.Imported:N0} imported, {progress.Duplicates:N0} duplicates, {progress.Refused:N0} refused."),
        };
    }

    /// <summary>A finished export in plain words.</summary>
    public static string Sentence(this ExportResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return string.Create(CultureInfo.InvariantCulture, $"{Count(result.ImageCount, "image")} exported as {result.Format} ({result.ByteSize / 1024.0 / 1024.0:0.#} MB).");
    }

    /// <summary>The one line a list shows for an operation.</summary>
    public static string ListLine(this OperationSummary operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (operation.State == OperationState.Failed)
        {
            return operation.Error ?? "Failed.";
        }
        if (operation.IsTraining)
        {
            return operation.TrainingProgress is { } progress && !operation.Done ? progress.Sentence()
                : operation.Done ? DescribeStopReason(operation.StopReason) is { Length: > 0 } reason ? reason : operation.State + "."
                : "Waiting for a trainer to pick it up.";
        }
        return operation.ImportResult?.Sentence() ?? operation.ExportResult?.Sentence() ?? operation.ImportProgress?.Sentence()
            ?? (operation.ExportProgress is { } export ? string.Create(CultureInfo.InvariantCulture, $"{export.Done:N0} of {export.Total:N0} images written.") : null)
            ?? (operation.Done ? operation.State + "." : "Waiting to start.");
    }

    /// <summary>A percentage of work done in the current phase, when it can be told.</summary>
    public static double? Percent(this TrainingProgress progress) => progress.Phase switch
    {
        TrainingPhase.Embedding when progress.ImagesTotal > 0 => 100.0 * progress.ImagesDone / progress.ImagesTotal,
        TrainingPhase.Training when progress.MaxEpochs > 0 => 100.0 * progress.Epoch / progress.MaxEpochs,
        TrainingPhase.Done => 100,
        _ => null,
    };

    private static string Count(int n, string noun) => string.Create(CultureInfo.InvariantCulture, $"{n:N0} {noun}{(n == 1 ? "" : "s")}");
}
