using Microsoft.AspNetCore.Http.HttpResults;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Operations;

namespace VisionConsole.Web.Api;

/// <summary>
/// Import and export operations and their files:
/// <c>GET /v1/projects/{p}/locations/{l}/operations/{id}</c> and <c>POST .../operations/{id}:cancel</c> for import/export
/// operations (the trainer's operations API takes this route over when it lands), <c>GET /api/exports/{id}</c> (the zip),
/// <c>GET /api/imports/{id}/report</c> (the CSV report) and <c>GET /api/datasets/{id}/health</c>.
/// </summary>
public static class DataOperationsApi
{
    public static IEndpointRouteBuilder MapDataOperationsApi(this IEndpointRouteBuilder endpoints)
    {
        var operations = endpoints.MapGroup("/v1/projects/{project}/locations/{location}/operations").WithTags("AutoML operations")
            .ProducesProblem(StatusCodes.Status404NotFound);
        operations.MapGet("/{operationId}", GetAsync);
        operations.MapPost("/{operationId}:cancel", CancelAsync).ProducesProblem(StatusCodes.Status409Conflict);

        endpoints.MapGet("/api/exports/{operationId:long}", DownloadExport).WithTags("Exports").ProducesProblem(StatusCodes.Status404NotFound);
        endpoints.MapGet("/api/imports/{operationId:long}/report", DownloadReport).WithTags("Imports").ProducesProblem(StatusCodes.Status404NotFound);
        endpoints.MapGet("/api/datasets/{id:long}/health", HealthAsync).WithTags("Datasets").ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    private static async Task<Ok<AutoMlOperation>> GetAsync(string project, string location, string operationId, DataOperationService operations, CancellationToken cancellationToken) =>
        TypedResults.Ok(AutoMlOperation.From(project, location, await operations.GetAsync(AutoMlDatasetsApi.ParseId(operationId), cancellationToken)));

    private static async Task<Ok<AutoMlOperation>> CancelAsync(string project, string location, string operationId, DataOperationService operations, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(AutoMlOperation.From(project, location, await operations.CancelAsync(AutoMlDatasetsApi.ParseId(operationId), user.Name, cancellationToken)));

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

    private static async Task<Ok<DatasetHealth>> HealthAsync(long id, DatasetHealthService health, CancellationToken cancellationToken) =>
        TypedResults.Ok(await health.GetAsync(id, cancellationToken));
}
