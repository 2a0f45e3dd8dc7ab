using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Operations;

namespace VisionConsole.Trainer.Inference;

/// <summary>
/// Runs <c>batch-predict</c> operations: every image of the upload (loose files and the entries of zips, read as an
/// import reads them) through the model's latest version, one JSON line each into
/// <c>predictions/batch-&lt;operation&gt;.jsonl</c>, in AutoML's batch prediction shape:
/// <c>{"ID":"path","annotations":[{"annotation_spec_id","display_name","classification":{"score"}}]}</c> (a detector's
/// <c>image_object_detection</c> with <c>bounding_box.normalized_vertices</c> and <c>score</c>). An image that cannot be
/// predicted gets a line <c>{"ID":"path","error":{"code":3,"message":"why"}}</c> and the rest go on. The upload folder
/// is deleted when the operation ends, whatever the outcome.
/// </summary>
public sealed class BatchPredictionJob(IModelService models, IDetectionPredictionService detectors, ConsoleOptions options) : IOperationJob
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <inheritdoc />
    public string Kind => BatchPredictRequest.Kind;

    /// <inheritdoc />
    public async Task<OperationCompletion> RunAsync(OperationRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var output = BatchPredictionService.OutputPath(options, run.OperationId);
        var temp = output + ".tmp";
        try
        {
            var request = run.Request as BatchPredictRequest
                ?? throw new ArgumentException($"Operation {run.OperationId}'s request is a {run.Request.GetType().Name}, not a batch prediction.", nameof(run));
            var model = await models.GetAsync(request.ModelId, cancellationToken).ConfigureAwait(false);
            using var upload = new ImportUpload(request.Files.Select(f => UploadedFile.FromPath(f.Path, f.Name)));
            // Folder-tree reading finds every image of the upload; folder names, read as labels there, are not used here.
            var plan = ImportPlanner.Plan(upload, new ImportOptions { Format = ImportFormat.FolderTree }, cancellationToken);
            var unreadable = plan.Issues.Where(i => i.Severity == ImportSeverity.Error).ToList();
            var total = plan.Items.Count + unreadable.Count;
            var failed = 0;
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            var writer = new StreamWriter(temp, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            await using (writer.ConfigureAwait(false))
            {
                foreach (var issue in unreadable)
                {
                    await WriteLineAsync(writer, new ErrorLine(issue.Source, new LineError(3, issue.Message))).ConfigureAwait(false);
                    failed++;
                }
                var done = unreadable.Count;
                foreach (var item in plan.Items)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    object line;
                    try
                    {
                        var bytes = await ReadAsync(upload, item, cancellationToken).ConfigureAwait(false);
                        line = model.Kind == DatasetKind.ObjectDetection
                            ? Detections(item.Path, await detectors.DetectAsync(request.ModelId, bytes, cancellationToken: cancellationToken).ConfigureAwait(false), request.ScoreThreshold)
                            : Classification(item.Path, await models.PredictAsync(request.ModelId, bytes, cancellationToken: cancellationToken).ConfigureAwait(false), request.ScoreThreshold);
                    }
                    catch (Exception ex) when (ex is ImageRejectedException or InvalidDataException or IOException or DomainException { Code: "invalid-image" })
                    {
                        line = new ErrorLine(item.Path, new LineError(3, ex.Message));
                        failed++;
                    }
                    await WriteLineAsync(writer, line).ConfigureAwait(false);
                    run.Progress.Report(new BatchPredictProgress(++done, total, failed));
                }
            }
            File.Move(temp, output, overwrite: true);
            return OperationCompletion.Of(new BatchPredictResult(total, failed, Path.GetRelativePath(options.DataFolder, output).Replace('\\', '/'), new FileInfo(output).Length));
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
            ImportOperationJob.DeleteUploadFolder(options, run.OperationId);
        }
    }

    /// <inheritdoc />
    public void OnCancelledWhileQueued(long operationId) => ImportOperationJob.DeleteUploadFolder(options, operationId);

    private static async Task<byte[]> ReadAsync(ImportUpload upload, ImportItem item, CancellationToken cancellationToken)
    {
        var stream = upload.OpenImage(item.Source);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return buffer.ToArray();
        }
    }

    private static Task WriteLineAsync(StreamWriter writer, object line) =>
        writer.WriteAsync(JsonSerializer.Serialize(line, line.GetType(), Json) + "\n");

    private static PredictionLine Classification(string id, ClassificationPrediction prediction, float threshold) => new(id,
        [.. prediction.Scores.Where(s => s.Score >= threshold).Select(s => new Annotation(
            s.LabelIndex.ToString(CultureInfo.InvariantCulture), s.Label, new ClassificationScore(s.Score), null))]);

    private static PredictionLine Detections(string id, DetectionPrediction prediction, float threshold) => new(id,
        [.. prediction.Boxes.Where(b => b.Score >= threshold).Select(b => new Annotation(
            b.LabelIndex.ToString(CultureInfo.InvariantCulture), b.Label, null,
            new ObjectDetection(new BoundingBox([new Vertex(b.Box.Left, b.Box.Top), new Vertex(b.Box.Left + b.Box.Width, b.Box.Top + b.Box.Height)]), b.Score)))]);

    private sealed record PredictionLine([property: JsonPropertyName("ID")] string Id, IReadOnlyList<Annotation> Annotations);

    private sealed record ErrorLine([property: JsonPropertyName("ID")] string Id, LineError Error);

    private sealed record LineError(int Code, string Message);

    private sealed record Annotation(
        string AnnotationSpecId,
        string DisplayName,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ClassificationScore? Classification,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ObjectDetection? ImageObjectDetection);

    private sealed record ClassificationScore(float Score);

    private sealed record ObjectDetection(BoundingBox BoundingBox, float Score);

    private sealed record BoundingBox(IReadOnlyList<Vertex> NormalizedVertices);

    private sealed record Vertex(double X, double Y);
}
