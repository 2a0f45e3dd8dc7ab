using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Operations;

namespace VisionConsole.Domain.Models;

/// <summary>What a model export operation (AutoML's <c>models.export</c>) is asked to do.</summary>
/// <param name="ModelId">The model.</param>
/// <param name="VersionNumber">Its version (the latest when the export was asked for).</param>
/// <param name="Format">The file to make.</param>
/// <param name="User">Who exports (for the audit).</param>
public sealed record ModelExportRequest(long ModelId, int VersionNumber, ModelFormat Format, string User = "system") : OperationRequest
{
    /// <summary>The operation kind of a model export.</summary>
    public const string Kind = "export-model";
}

/// <summary>A model export's progress: what it is doing.</summary>
public sealed record ModelExportProgress(string Message) : OperationProgress;

/// <summary>A finished model export.</summary>
/// <param name="Format">The file's format.</param>
/// <param name="VersionNumber">The model version exported.</param>
/// <param name="ByteSize">The file's size.</param>
/// <param name="File">The file, relative to the data folder (inside the version's folder).</param>
public sealed record ModelExportResult(ModelFormat Format, int VersionNumber, long ByteSize, string File) : OperationResult;

/// <summary>
/// Starts model exports and serves their files. Formats a model cannot be exported to are refused at once with the
/// reason (<c>export-unsupported</c>), so the caller never waits for an operation that can only fail.
/// </summary>
public sealed class ModelExportService(IModelService models, OperationStore store, ConsoleOptions options)
{
    /// <summary>Queues the export of the model's latest version in <paramref name="format"/>.</summary>
    /// <exception cref="NotFoundException">No such model.</exception>
    /// <exception cref="DomainException"><c>invalid-format</c>: not a format the console exports.</exception>
    public async Task<OperationSummary> StartAsync(long modelId, ModelFormat format, string user, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(format))
        {
            throw new DomainException("invalid-format", $"Model format '{format}' is not one the console exports.");
        }
        var model = await models.GetAsync(modelId, cancellationToken).ConfigureAwait(false);
        var request = new ModelExportRequest(modelId, model.LatestVersionNumber, format, user);
        return await store.CreateAsync(request, model.DatasetId, user, new { kind = ModelExportRequest.Kind, modelId, version = model.LatestVersionNumber, format }, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The finished export's file, or null when the operation has none.</summary>
    public static string? FilePath(ConsoleOptions options, OperationSummary operation)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(operation);
        return operation.Result is ModelExportResult result && File.Exists(Path.Combine(options.DataFolder, result.File))
            ? Path.Combine(options.DataFolder, result.File)
            : null;
    }

    /// <summary>The finished export's file, or null when the operation has none.</summary>
    public string? FilePath(OperationSummary operation) => FilePath(options, operation);
}
