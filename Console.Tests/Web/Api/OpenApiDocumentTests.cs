using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Web.Api;

namespace VisionConsole.Tests.Web.Api;

/// <summary>
/// <c>/openapi/v1.json</c> against the endpoints the console really maps: every API endpoint is in it with its method, and
/// each of its success responses carries a schema (a 204 has no body to describe).
/// </summary>
public sealed partial class OpenApiDocumentTests : IAsyncLifetime
{
    private readonly ConsoleWebFactory _factory = new();
    private JsonNode _document = null!;

    public async Task InitializeAsync()
    {
        using var client = _factory.CreateClient();
        _document = JsonNode.Parse(await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)))!;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    /// <summary>Route handler endpoints (minimal APIs, and the health check), with their methods.</summary>
    private List<(string Path, string Method, bool Excluded)> MappedEndpoints() =>
        [.. from source in _factory.Services.GetServices<EndpointDataSource>()
            from endpoint in source.Endpoints.OfType<RouteEndpoint>()
            where endpoint.Metadata.GetMetadata<MethodInfo>() is not null || endpoint.RoutePattern.RawText == "/healthz"
            let pattern = RouteConstraint().Replace("/" + endpoint.RoutePattern.RawText!.Trim('/'), "}")
            from method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]
            select (pattern, method.ToLowerInvariant(), endpoint.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>()?.ExcludeFromDescription == true)];

    [Fact]
    public void Document_EveryMappedApiEndpoint_IsDescribedWithItsMethod()
    {
        var endpoints = MappedEndpoints();
        Assert.True(endpoints.Count > 60, $"only {endpoints.Count} endpoints found");
        var paths = _document["paths"]!.AsObject();

        var missing = endpoints.Where(e => !e.Excluded && paths[e.Path]?[e.Method] is null).Select(e => $"{e.Method.ToUpperInvariant()} {e.Path}").ToList();

        Assert.True(missing.Count == 0, "not in /openapi/v1.json: " + string.Join(", ", missing));
        // What stays out is the framework's own plumbing, never an API of the console.
        var excluded = endpoints.Where(e => e.Excluded).Select(e => e.Path).Distinct().ToList();
        Assert.All(excluded, path => Assert.Matches("^/(openapi/|_blazor/|account/(login|logout|setup)$)", path));
    }

    /// <summary>A success answer with a body (a 202 of a check still running and a 204 have none) says what the body is.</summary>
    [Fact]
    public void Document_EveryOperation_HasASuccessResponseWithASchema()
    {
        var problems = new List<string>();
        foreach (var (path, item) in _document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject().Where(p => p.Key != "parameters"))
            {
                var responses = operation!["responses"]!.AsObject();
                var success = responses.Where(r => r.Key.StartsWith('2')).ToList();
                var withBody = success.Where(r => r.Value?["content"]?.AsObject() is { Count: > 0 }).ToList();
                if (withBody.Count == 0 && success.All(r => r.Key != "204"))
                    problems.Add($"{method.ToUpperInvariant()} {path}: no success response with a body");
                foreach (var (status, response) in withBody.Where(r => r.Value!["content"]!.AsObject().Any(c => c.Value?["schema"] is null)))
                    problems.Add($"{method.ToUpperInvariant()} {path}: {status} without a schema");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Document_RequestBodies_CarryExamples()
    {
        var bodies = (from item in _document["paths"]!.AsObject()
                      from operation in item.Value!.AsObject().Where(p => p.Key != "parameters")
                      let content = operation.Value!["requestBody"]?["content"]?.AsObject()
                      where content is not null && content.ContainsKey("application/json")
                      select (Name: $"{operation.Key.ToUpperInvariant()} {item.Key}", Json: content["application/json"]!)).ToList();
        Assert.NotEmpty(bodies);

        var withoutExample = bodies.Where(b => b.Json["example"] is null).Select(b => b.Name).ToList();

        Assert.True(withoutExample.Count == 0, "JSON request bodies without an example: " + string.Join(", ", withoutExample));
    }

    [Fact]
    public void Examples_EveryOne_ReadsBackIntoItsRequestType()
    {
        var json = _factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;

        foreach (var (type, example) in ApiExamples.RequestBodies)
        {
            var value = JsonSerializer.Deserialize(example, type, json);
            Assert.NotNull(value);
            // Nothing in the example is a name the type does not have (it would be silently ignored).
            var written = JsonNode.Parse(JsonSerializer.Serialize(value, type, json))!.AsObject();
            Assert.All(JsonNode.Parse(example)!.AsObject(), p => Assert.True(written.ContainsKey(p.Key), $"{type.Name}: '{p.Key}' is not one of its fields"));
        }
    }

    [Fact]
    public void Document_PredictAndDownloads_DescribeTheirBodies()
    {
        var paths = _document["paths"]!;

        var predict = paths["/v1/projects/{project}/locations/{location}/models/{id}:predict"]!["post"]!["responses"]!["200"]!["content"]!["application/json"]!;
        var onnx = paths["/api/models/{modelId}/versions/{number}/model.onnx"]!["get"]!["responses"]!["200"]!["content"]!["application/octet-stream"]!;
        var notFound = paths["/v1/projects/{project}/locations/{location}/datasets/{datasetId}"]!["get"]!["responses"]!["404"]!["content"]!["application/json"]!;

        Assert.NotNull(predict["schema"]);
        var binary = Resolve(onnx["schema"]!);
        Assert.Equal(("string", "binary"), (binary["type"]!.GetValue<string>(), binary["format"]!.GetValue<string>()));
        Assert.Contains("GoogleErrorResponse", notFound["schema"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.NotNull(paths["/healthz"]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]);
    }

    /// <summary>The schema itself, following a <c>$ref</c> into <c>components/schemas</c>.</summary>
    private JsonNode Resolve(JsonNode schema) =>
        schema["$ref"]?.GetValue<string>() is { } reference
            ? _document["components"]!["schemas"]![reference["#/components/schemas/".Length..]]!
            : schema;

    /// <summary>Route constraints (<c>{id:long}</c>) are not part of OpenAPI's path template (<c>{id}</c>).</summary>
    [GeneratedRegex(@":[^}]+\}")]
    private static partial Regex RouteConstraint();
}
