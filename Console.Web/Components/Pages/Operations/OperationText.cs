using System.Globalization;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;
using VisionConsole.Web.Components.Ui;

namespace VisionConsole.Web.Components.Pages.Operations;

/// <summary>How operations read on screen.</summary>
public static class OperationText
{
    public static Color BadgeColor(this OperationState state) => state switch
    {
        OperationState.Queued => Color.Secondary,
        OperationState.Running => Color.Primary,
        OperationState.Succeeded => Color.Success,
        OperationState.Failed => Color.Danger,
        OperationState.Cancelling => Color.Warning,
        OperationState.Cancelled => Color.Dark,
        _ => Color.Secondary,
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

    /// <summary>What the operation trains, for lists and titles.</summary>
    public static string Title(this OperationSummary operation) =>
        operation.Training is { } request ? request.DisplayName : $"{operation.Kind} {operation.Id}";

    /// <summary>A percentage of work done in the current phase, when it can be told.</summary>
    public static double? Percent(this TrainingProgress progress) => progress.Phase switch
    {
        TrainingPhase.Embedding when progress.ImagesTotal > 0 => 100.0 * progress.ImagesDone / progress.ImagesTotal,
        TrainingPhase.Training when progress.MaxEpochs > 0 => 100.0 * progress.Epoch / progress.MaxEpochs,
        TrainingPhase.Done => 100,
        _ => null,
    };
}
