using Microsoft.AspNetCore.Http.HttpResults;
using VisionConsole.Domain;
using VisionConsole.Domain.Storage;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Web.Api;

/// <summary>
/// Backups of the data folder: <c>POST /api/backups</c> queues a <c>backup</c> operation (its id; followed as any
/// operation at <c>/v1/projects/{p}/locations/{l}/operations/{id}</c>), <c>GET /api/backups</c> lists the zips in
/// <c>backups/</c>, <c>GET /api/backups/{name}</c> downloads one.
/// </summary>
public static class BackupsApi
{
    public static IEndpointRouteBuilder MapBackupsApi(this IEndpointRouteBuilder endpoints)
    {
        // A backup holds every project: owners only.
        var group = endpoints.MapGroup("/api/backups").WithTags("Backups").RequireAuthorization(ConsolePolicies.Manage).ConsoleWide();
        group.MapPost("", StartAsync);
        group.MapGet("", List);
        group.MapGet("/{name}", Download).ProducesFile("application/zip").ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    private static async Task<Accepted<BackupStarted>> StartAsync(BackupService backups, ICurrentUser user, CancellationToken cancellationToken)
    {
        var operation = await backups.StartAsync(user.Name, cancellationToken);
        return TypedResults.Accepted((string?)null, new BackupStarted(operation.Id, operation.Kind, operation.State.ToString()));
    }

    private static Ok<IReadOnlyList<BackupFile>> List(BackupService backups) => TypedResults.Ok(backups.List());

    private static PhysicalFileHttpResult Download(string name, BackupService backups)
    {
        var path = backups.Find(name) ?? throw new NotFoundException($"Backup '{name}'");
        return TypedResults.PhysicalFile(path, "application/zip", name, enableRangeProcessing: true);
    }

    /// <summary>A queued backup: its operation.</summary>
    public sealed record BackupStarted(long OperationId, string Kind, string State);
}
