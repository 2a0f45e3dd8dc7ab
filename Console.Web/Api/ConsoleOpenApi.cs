using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace VisionConsole.Web.Api;

/// <summary>
/// <c>/openapi/v1.json</c>: the minimal APIs as ASP.NET Core describes them, plus what it cannot see by itself: an
/// example on every JSON request body (<see cref="ApiExamples"/>), the binary downloads, and <c>/healthz</c>.
/// </summary>
internal static class ConsoleOpenApi
{
    public static IServiceCollection AddConsoleOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Vision Console";
                document.Info.Description = "The console's own API (/api), Cloud AutoML Vision v1 (/v1) and Firebase ML v1beta2 (/v1beta2). "
                    + "The /api routes answer errors as problem details (RFC 9457) with a stable code; the Google-compatible routes as Google's JSON error body. "
                    + "Every route but /healthz needs Authorization: Bearer <API key> (the console's API keys page).";
                // One scheme for every route, so Swagger UI's Authorize button sends the key.
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["apiKey"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API key of the project (vck_...), made on the console's API keys page or with `users`/`api-keys` on its command line.",
                };
                document.Security ??= [];
                document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("apiKey", document)] = [] });
                return Task.CompletedTask;
            });
            options.AddDocumentTransformer(AddHealthzAsync);
            options.AddOperationTransformer((operation, context, _) =>
            {
                var body = context.Description.ParameterDescriptions.FirstOrDefault(p => p.Source == BindingSource.Body);
                if (body is not null && ApiExamples.RequestBodies.TryGetValue(body.Type, out var example)
                    && operation.RequestBody?.Content is { } content && content.TryGetValue("application/json", out var json))
                {
                    json.Example = JsonNode.Parse(example);
                }
                return Task.CompletedTask;
            });
        });

    /// <summary>Declares a file download: a 200 whose body is the file's bytes in one of these media types.</summary>
    public static RouteHandlerBuilder ProducesFile(this RouteHandlerBuilder builder, string contentType, params string[] additionalContentTypes) =>
        builder.Produces(StatusCodes.Status200OK, typeof(Stream), contentType, additionalContentTypes);

    /// <summary>The health check is not a minimal API, so the document would not list it by itself.</summary>
    private static async Task AddHealthzAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        var schema = await context.GetOrCreateSchemaAsync(typeof(HealthReportBody), cancellationToken: cancellationToken);
        var media = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } };
        document.Paths ??= [];
        document.Paths["/healthz"] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Get] = new()
                {
                    Summary = "Whether the database answers and which ONNX Runtime execution provider predictions run on.",
                    Tags = new HashSet<OpenApiTagReference> { new("Health", document) },
                    Responses = new OpenApiResponses
                    {
                        ["200"] = new OpenApiResponse { Description = "Healthy or Degraded", Content = media },
                        ["503"] = new OpenApiResponse { Description = "Unhealthy", Content = media },
                    },
                },
            },
        };
    }
}
