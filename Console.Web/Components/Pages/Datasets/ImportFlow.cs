using VisionConsole.Domain.Import;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;

namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>Where the import dialog is.</summary>
public enum ImportStage { Choosing, Uploading, Importing, Finished }

/// <summary>A file chosen in the import dialog (sent by import.js).</summary>
public sealed record ChosenFile(string Name, long Size);

/// <summary>How the upload ended: the import operation it started, or why none started.</summary>
public sealed record UploadOutcome(long? OperationId, string? Error);

/// <summary>
/// The import dialog's state machine, free of Blazor and JS: choose files, upload them (bytes sent of total), follow the
/// import operation, and end with its result and report. Transitions that do not apply to the current stage are ignored,
/// so late messages (an upload report after an abort, an update of another operation) cannot move it.
/// </summary>
public sealed class ImportFlow
{
    private bool _uploading;

    public IReadOnlyList<ChosenFile> Chosen { get; private set; } = [];
    public long Sent { get; private set; }
    public long Total { get; private set; }
    public long? OperationId { get; private set; }
    public OperationSummary? Operation { get; private set; }
    public string? Error { get; private set; }

    /// <summary>The report's first findings, once the import is finished and the report was read.</summary>
    public ImportReportPage? Report { get; private set; }

    public ImportStage Stage => _uploading ? ImportStage.Uploading
        : Operation is null ? ImportStage.Choosing
        : Operation.Done ? ImportStage.Finished
        : ImportStage.Importing;

    public bool CanStart => Stage == ImportStage.Choosing && Chosen.Count > 0;

    public double UploadPercent => Total <= 0 ? 0 : 100.0 * Sent / Total;

    public double ImportPercent => Operation?.ImportProgress is { Total: > 0 } p ? 100.0 * p.Done / p.Total : 0;

    /// <summary>Images handled of the upload's total: a finished import's result is final, a running one's progress is the latest.</summary>
    public string HandledText => (Operation?.ImportResult, Operation?.ImportProgress) switch
    {
        ({ } r, _) => $"{r.Imported + r.Duplicates + r.Refused} / {r.Items}",
        (null, { } p) => $"{p.Done} / {p.Total}",
        _ => "0 / 0",
    };

    public string PhaseText => Operation is not { } operation ? ""
        : operation.State switch
        {
            OperationState.Succeeded => ImportPhase.Done.ToString(),
            OperationState.Failed or OperationState.Cancelled => operation.State.ToString(),
            _ => operation.ImportProgress?.Phase.ToString() ?? ImportPhase.Queued.ToString(),
        };

    public void Choose(IEnumerable<ChosenFile> files)
    {
        if (Stage != ImportStage.Choosing)
        {
            return;
        }
        Chosen = [.. files];
        Error = null;
    }

    /// <summary>The upload starts; false (with the reason in <see cref="Error"/>) when nothing is chosen.</summary>
    public bool StartUpload()
    {
        if (!CanStart)
        {
            Error = Stage == ImportStage.Choosing ? "Choose the files to import first." : Error;
            return false;
        }
        _uploading = true;
        Error = null;
        Sent = 0;
        Total = Chosen.Sum(f => f.Size);
        return true;
    }

    public void UploadProgress(long sent, long total)
    {
        if (Stage == ImportStage.Uploading)
        {
            Sent = sent;
            Total = total;
        }
    }

    /// <summary>The upload ended: with an operation the import follows; without one it is back to choosing, saying why.</summary>
    public void UploadFinished(UploadOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (Stage != ImportStage.Uploading)
        {
            return;
        }
        _uploading = false;
        if (outcome.OperationId is not { } id)
        {
            Error = outcome.Error ?? "The upload failed.";
            Chosen = [];
            return;
        }
        OperationId = id;
    }

    /// <summary>The operation as last read or published; updates of other operations are ignored.</summary>
    public void OperationUpdated(OperationSummary operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (OperationId != operation.Id || Operation is { Done: true })
        {
            return;
        }
        // The stored row may lag the published progress; keep the newest progress seen.
        Operation = operation.ImportProgress is null && Operation is { } previous ? operation with { Progress = previous.Progress } : operation;
    }

    public void ReportRead(ImportReportPage report)
    {
        if (Stage == ImportStage.Finished)
        {
            Report = report;
        }
    }

    public void Fail(string message) => Error = message;

    /// <summary>Back to choosing (after a finished import, or when the dialog closes before an import started).</summary>
    public void Reset()
    {
        Chosen = [];
        _uploading = false;
        Sent = Total = 0;
        OperationId = null;
        Operation = null;
        Report = null;
        Error = null;
    }
}
