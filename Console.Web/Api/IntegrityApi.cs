using Microsoft.AspNetCore.Http.HttpResults;
using VisionConsole.Domain.Storage;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Web.Api;

/// <summary>
/// The integrity check (<see cref="IntegrityCheck"/>): <c>GET /api/integrity</c> gives the latest report (202 while the
/// start-up check is still running), <c>POST /api/integrity:check</c> runs it again and gives its report.
/// </summary>
public static class IntegrityApi
{
    public static IEndpointRouteBuilder MapIntegrityApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/integrity", Latest).WithTags("Integrity").ConsoleWide();
        endpoints.MapPost("/api/integrity:check", CheckAsync).WithTags("Integrity").ConsoleWide();
        return endpoints;
    }

    private static Results<Ok<IntegrityReport>, Accepted> Latest(IntegrityCheck check) =>
        check.Latest is { } report ? TypedResults.Ok(report) : TypedResults.Accepted((string?)null);

    private static async Task<Ok<IntegrityReport>> CheckAsync(IntegrityCheck check) => TypedResults.Ok(await check.RequestAsync());
}
