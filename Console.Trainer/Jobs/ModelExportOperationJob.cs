using System.Globalization;
using VisionConsole.Domain;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Operations;
using VisionConsole.Trainer.Export;

namespace VisionConsole.Trainer.Jobs;

/// <summary>
/// Runs <c>export-model</c> operations: makes the version's file in the asked format (<see cref="ModelPackageBuilder"/>,
/// which keeps it in the version folder, so a second export of the same format is immediate) and records where it is.
/// </summary>
public sealed class ModelExportOperationJob(ModelPackageBuilder packages, IModelPublishing publishing, ConsoleOptions options) : IOperationJob
{
    /// <inheritdoc />
    public string Kind => ModelExportRequest.Kind;

    /// <inheritdoc />
    public async Task<OperationCompletion> RunAsync(OperationRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var request = run.Request as ModelExportRequest
            ?? throw new ArgumentException($"Operation {run.OperationId}'s request is a {run.Request.GetType().Name}, not a model export request.", nameof(run));
        run.Progress.Report(new ModelExportProgress(string.Create(CultureInfo.InvariantCulture, $"exporting version {request.VersionNumber} of model {request.ModelId} as {request.Format}")));
        var version = await publishing.GetVersionAsync(request.ModelId, request.VersionNumber, cancellationToken).ConfigureAwait(false);
        var path = await packages.GetFileAsync(version.Folder, version.Training, request.Format, cancellationToken).ConfigureAwait(false);
        var result = new ModelExportResult(request.Format, request.VersionNumber, new FileInfo(path).Length, Path.GetRelativePath(options.DataFolder, path));
        return OperationCompletion.Of(result);
    }
}
