using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using VisionConsole.Domain;
using VisionConsole.Domain.Imaging;

namespace VisionConsole.Web.Api;

/// <summary>
/// Turns domain errors into problem details: not found 404, conflicts 409, other broken rules 400,
/// each with the stable <c>code</c> extension clients switch on.
/// </summary>
internal sealed class ApiExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    private static readonly HashSet<string> ConflictCodes = new(StringComparer.Ordinal) { "conflict", "duplicate-label", "invalid-transition", "lease-lost" };

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        (int Status, string Code, string Title)? mapped = exception switch
        {
            NotFoundException e => (StatusCodes.Status404NotFound, e.Code, "Not found"),
            // A version sent as If-Match that no longer holds is a failed precondition (RFC 9110); in the body it is a conflict.
            ConcurrencyConflictException e when httpContext.Request.Headers.IfMatch.Count > 0 => (StatusCodes.Status412PreconditionFailed, e.Code, "Precondition failed"),
            UnsupportedUploadException e => (StatusCodes.Status415UnsupportedMediaType, e.Code, "Unsupported media type"),
            DomainException e when ConflictCodes.Contains(e.Code) => (StatusCodes.Status409Conflict, e.Code, "Conflict"),
            DomainException e => (StatusCodes.Status400BadRequest, e.Code, "Invalid request"),
            ImageRejectedException => (StatusCodes.Status400BadRequest, "image-rejected", "Image refused"),
            BadHttpRequestException e => (e.StatusCode, "bad-request", "Bad request"),
            _ => null,
        };
        if (mapped is not { } m)
        {
            return false;
        }
        httpContext.Response.StatusCode = m.Status;
        var problem = new ProblemDetails
        {
            Status = m.Status,
            Title = m.Title,
            Detail = exception.Message,
            Instance = httpContext.Request.Path,
        };
        problem.Extensions["code"] = m.Code;
        if (exception is ImageChangedException changed)
        {
            // What the client needs to say who got there first and to reload.
            problem.Extensions["currentVersion"] = changed.CurrentVersion;
            problem.Extensions["changedBy"] = changed.ChangedBy;
            problem.Extensions["changedAt"] = changed.ChangedAt;
        }
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception }).ConfigureAwait(false);
    }
}
