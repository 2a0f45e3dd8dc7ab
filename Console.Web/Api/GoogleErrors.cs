using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace VisionConsole.Web.Api;

/// <summary>
/// The error body of Google's JSON APIs (AIP-193), which AutoML's and Firebase ML's clients parse:
/// <c>{"error":{"code":404,"message":"...","status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"not-found",...}]}}</c>.
/// </summary>
/// <param name="Error">The error.</param>
public sealed record GoogleErrorResponse(GoogleError Error);

/// <summary>One error: the HTTP status, the console's message, the canonical status name and what the console adds.</summary>
/// <param name="Code">The HTTP status code.</param>
/// <param name="Message">What went wrong, in the console's words.</param>
/// <param name="Status">The canonical code (<c>INVALID_ARGUMENT</c>, <c>NOT_FOUND</c>, ...).</param>
/// <param name="Details">One <c>google.rpc.ErrorInfo</c> whose <c>reason</c> is the console's stable error code.</param>
public sealed record GoogleError(int Code, string Message, string Status, IReadOnlyList<GoogleErrorInfo> Details);

/// <summary>A <c>google.rpc.ErrorInfo</c>: the machine-readable reason and its context.</summary>
/// <param name="Type">Always <c>type.googleapis.com/google.rpc.ErrorInfo</c>.</param>
/// <param name="Reason">The console's error code, the same as the <c>code</c> of its problem details (<c>not-found</c>, <c>conflict</c>, ...).</param>
/// <param name="Domain">Always <c>visionconsole</c>.</param>
/// <param name="Metadata">What else the console knows (the current version of a changed image, the trace id).</param>
public sealed record GoogleErrorInfo(
    [property: JsonPropertyName("@type")] string Type,
    string Reason,
    string Domain,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Writes the console's problem details as Google's error body on the Google-compatible routes (<c>/v1/</c>, AutoML,
/// and <c>/v1beta2/</c>, Firebase ML), so each API family has its own one error shape: whatever produced the problem
/// (a domain error, a bad request, a routing 404, an unhandled exception) goes through here.
/// </summary>
internal sealed class GoogleErrorWriter(IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json) : IProblemDetailsWriter
{
    private const string ErrorInfoType = "type.googleapis.com/google.rpc.ErrorInfo";

    /// <summary>Whether a request belongs to a Google-compatible route.</summary>
    public static bool IsGoogleRoute(PathString path) =>
        path.StartsWithSegments("/v1", StringComparison.Ordinal) || path.StartsWithSegments("/v1beta2", StringComparison.Ordinal);

    public bool CanWrite(ProblemDetailsContext context) => IsGoogleRoute(context.HttpContext.Request.Path);

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var response = http.Response;
        var problem = context.ProblemDetails;
        // A status decided without a message (routing's 404 and 405, a body that did not bind) still says what happened.
        problem.Detail ??= response.StatusCode switch
        {
            StatusCodes.Status404NotFound => $"Nothing is at {http.Request.Method} {http.Request.Path}.",
            StatusCodes.Status405MethodNotAllowed => $"{http.Request.Method} is not allowed on {http.Request.Path}.",
            StatusCodes.Status400BadRequest => "The request could not be read: check that the body is valid JSON of the documented shape and the parameters are well formed.",
            _ => null,
        };
        problem.Extensions.TryAdd("traceId", Activity.Current?.Id ?? http.TraceIdentifier);
        var error = From(problem, response.StatusCode);
        response.ContentType = "application/json; charset=utf-8";
        // The API's own JSON settings, so a message reads as the other answers do (no \u0022 for a quote).
        return new ValueTask(response.WriteAsJsonAsync(error, json.Value.SerializerOptions, context.HttpContext.RequestAborted));
    }

    /// <summary>The Google error for a problem; <paramref name="statusCode"/> counts when the problem names none.</summary>
    public static GoogleErrorResponse From(ProblemDetails problem, int statusCode)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var status = problem.Status ?? statusCode;
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        string? reason = null;
        foreach (var (key, value) in problem.Extensions)
        {
            var text = value switch
            {
                null => null,
                string s => s,
                JsonElement e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText(),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            };
            if (text is null)
            {
                continue;
            }
            if (key == "code")
            {
                reason = text;
            }
            else
            {
                metadata[key] = text;
            }
        }
        var canonical = CanonicalStatus(status);
        var message = problem.Detail ?? problem.Title ?? canonical;
        return new GoogleErrorResponse(new GoogleError(status, message, canonical,
            [new GoogleErrorInfo(ErrorInfoType, reason ?? canonical.ToLowerInvariant().Replace('_', '-'), "visionconsole", metadata)]));
    }

    /// <summary>The google.rpc.Code name Google's APIs pair with an HTTP status (google/rpc/code.proto).</summary>
    public static string CanonicalStatus(int status) => status switch
    {
        400 or 413 or 415 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        405 or 501 => "UNIMPLEMENTED",
        409 => "ABORTED",
        412 => "FAILED_PRECONDITION",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        >= 500 => "INTERNAL",
        _ => "UNKNOWN",
    };
}

/// <summary>OpenAPI metadata for the Google-compatible routes' errors.</summary>
internal static class GoogleErrorMetadata
{
    /// <summary>Declares the Google error body for each status.</summary>
    public static TBuilder ProducesGoogleError<TBuilder>(this TBuilder builder, params int[] statusCodes) where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statusCodes)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(GoogleErrorResponse), ["application/json"]));
        }
        return builder;
    }
}
