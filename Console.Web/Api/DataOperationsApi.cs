using Microsoft.AspNetCore.Http.HttpResults;
using VisionConsole.Domain;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Projects;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Web.Api;

/// <summary>
/// The files of import and export operations and the dataset health: <c>GET /api/exports/{id}</c> (the zip),
/// <c>GET /api/imports/{id}/report</c> (the CSV report) and <c>GET /api/datasets/{id}/health</c>. The operations
/// themselves are served by <see cref="OperationsApi"/> (<c>/v1/.../operations/{id}</c>), which renders import and
/// export operations with <see cref="AutoMlOperation"/>.
/// </summary>
public static class DataOperationsApi
{
    public static IEndpointRouteBuilder MapDataOperationsApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/exports/{operationId:long}", DownloadExport).WithTags("Exports").InProjectOf(ProjectResource.Operation, "operationId").ProducesFile("application/zip").ProducesProblem(StatusCodes.Status404NotFound);
        endpoints.MapGet("/api/imports/{operationId:long}/report", DownloadReport).WithTags("Imports").InProjectOf(ProjectResource.Operation, "operationId").ProducesFile("text/csv").ProducesProblem(StatusCodes.Status404NotFound);
        endpoints.MapGet("/api/batch-predictions/{operationId:long}", DownloadPredictions).WithTags("Batch predictions").InProjectOf(ProjectResource.Operation, "operationId").ProducesFile("application/x-ndjson").ProducesProblem(StatusCodes.Status404NotFound);
        endpoints.MapGet("/api/datasets/{id:long}/health", HealthAsync).WithTags("Datasets").InProjectOf(ProjectResource.Dataset, "id").ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    private static PhysicalFileHttpResult DownloadExport(long operationId, DataOperationService operations)
    {
        var path = operations.ExportFilePath(operationId) ?? throw new NotFoundException($"The export of operation {operationId}");
        return TypedResults.PhysicalFile(path, "application/zip", $"export-{operationId}.zip", enableRangeProcessing: true);
    }

    private static PhysicalFileHttpResult DownloadReport(long operationId, DataOperationService operations)
    {
        var path = operations.ImportReportPath(operationId) ?? throw new NotFoundException($"The report of import operation {operationId}");
        return TypedResults.PhysicalFile(path, "text/csv; charset=utf-8", $"import-{operationId}-report.csv");
    }

    private static PhysicalFileHttpResult DownloadPredictions(long operationId, BatchPredictionService batches)
    {
        var path = batches.FindOutput(operationId) ?? throw new NotFoundException($"The output of batch prediction operation {operationId}");
        return TypedResults.PhysicalFile(path, "application/x-ndjson", $"batch-{operationId}.jsonl", enableRangeProcessing: true);
    }

    private static async Task<Ok<DatasetHealth>> HealthAsync(long id, DatasetHealthService health, CancellationToken cancellationToken) =>
        TypedResults.Ok(await health.GetAsync(id, cancellationToken));
}
