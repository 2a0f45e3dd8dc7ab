using System.Globalization;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Operations;

namespace VisionConsole.Domain.Models;

/// <summary>AutoML's <c>batchPredict</c>: the latest version of a model run over every image of an upload (images, zips of them).</summary>
/// <param name="ModelId">The model.</param>
/// <param name="Files">The uploaded files, under the operation's upload folder.</param>
/// <param name="ScoreThreshold">Labels (or boxes) scoring below it are left out of the output.</param>
/// <param name="User">Who asked.</param>
public sealed record BatchPredictRequest(long ModelId, IReadOnlyList<ImportFile> Files, float ScoreThreshold, string User = "system") : OperationRequest
{
    /// <summary>The operation kind of a batch prediction.</summary>
    public const string Kind = "batch-predict";
}

/// <summary>Images predicted so far of the total; <paramref name="Failed"/> of them could not be (their lines say why).</summary>
public sealed record BatchPredictProgress(int Done, int Total, int Failed) : OperationProgress;

/// <summary>A finished batch prediction.</summary>
/// <param name="Images">Images in the upload.</param>
/// <param name="Failed">Of them, the ones not predicted (not decodable, too large): an <c>error</c> line each.</param>
/// <param name="File">The JSON Lines output, relative to the data folder (<c>predictions/batch-&lt;operation&gt;.jsonl</c>).</param>
/// <param name="ByteSize">Its size.</param>
public sealed record BatchPredictResult(int Images, int Failed, string File, long ByteSize) : OperationResult;

/// <summary>Queues batch predictions and finds their output.</summary>
public sealed class BatchPredictionService(OperationStore store, IModelService models, ConsoleOptions options)
{
    /// <summary>
    /// Queues a batch prediction of the files spooled in <paramref name="uploadFolder"/>, which becomes the operation's
    /// upload folder (deleted when it ends). Refuses an unknown model (<see cref="NotFoundException"/>), an empty upload
    /// (<c>invalid-upload</c>) and a threshold outside 0..1 (<c>invalid-argument</c>); the folder is deleted on a refusal.
    /// </summary>
    public async Task<OperationSummary> StartAsync(long modelId, string uploadFolder, IReadOnlyList<ImportFile> files, float scoreThreshold, string user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var full = Path.GetFullPath(uploadFolder);
        try
        {
            if (files.Count == 0)
            {
                throw new DomainException("invalid-upload", "The upload has no files; send the images, or zips of them, as parts named 'file'.");
            }
            if (!(scoreThreshold is >= 0 and <= 1))
            {
                throw new DomainException("invalid-argument", $"score_threshold {scoreThreshold.ToString(CultureInfo.InvariantCulture)} is not between 0 and 1.");
            }
            var model = await models.GetAsync(modelId, cancellationToken).ConfigureAwait(false);
            // On the model's dataset, as a model export is: the operation is then in the model's project.
            return await DataOperationService.CreateWithUploadAsync(store, options, uploadFolder, files, new BatchPredictRequest(modelId, files, scoreThreshold, user),
                (request, moved) => request with { Files = moved }, model.DatasetId, user, new { kind = BatchPredictRequest.Kind, modelId, files = files.Count }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (Directory.Exists(full))
            {
                Directory.Delete(full, recursive: true);
            }
            throw;
        }
    }

    /// <summary>Where batch prediction <paramref name="operationId"/> writes its JSON Lines.</summary>
    public static string OutputPath(ConsoleOptions options, long operationId)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Path.Combine(options.DataFolder, "predictions", $"batch-{operationId.ToString(CultureInfo.InvariantCulture)}.jsonl");
    }

    /// <summary>The output of a finished batch prediction, or null when there is none.</summary>
    public string? FindOutput(long operationId)
    {
        var path = OutputPath(options, operationId);
        return File.Exists(path) ? path : null;
    }
}
