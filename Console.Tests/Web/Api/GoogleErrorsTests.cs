using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using VisionConsole.Web.Api;

namespace VisionConsole.Tests.Web.Api;

/// <summary>
/// The Google-compatible routes (AutoML's <c>/v1/</c>, Firebase ML's <c>/v1beta2/</c>) answer every error in Google's
/// JSON error shape, whatever produced it; the console's own <c>/api/</c> routes keep problem details.
/// </summary>
public sealed class GoogleErrorsTests : IAsyncLifetime
{
    private const string Root = "/v1/projects/default/locations/us-central1";
    private readonly ConsoleWebFactory _factory = new();
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    public static TheoryData<string, string, string?, HttpStatusCode, string, string, string> BadRequests => new()
    {
        { "GET", $"{Root}/datasets/999", null, HttpStatusCode.NotFound, "NOT_FOUND", "not-found", "Dataset 999 was not found." },
        { "GET", $"{Root}/models/999", null, HttpStatusCode.NotFound, "NOT_FOUND", "not-found", "Model 999" },
        { "GET", $"{Root}/operations/999", null, HttpStatusCode.NotFound, "NOT_FOUND", "not-found", "Operation 999" },
        { "POST", $"{Root}/models/999:predict", """{"payload":{"image":{"imageBytes":"AAAA"}}}""", HttpStatusCode.NotFound, "NOT_FOUND", "not-found", "999" },
        { "GET", "/v1beta2/projects/default/models/77", null, HttpStatusCode.NotFound, "NOT_FOUND", "not-found", "Hosted model 77 was not found." },
        { "PATCH", $"{Root}/datasets/999", """{"displayName":"x"}""", HttpStatusCode.BadRequest, "INVALID_ARGUMENT", "invalid-argument", "updateMask is required" },
        { "PATCH", $"{Root}/datasets/999?updateMask=displayName,labels", """{"displayName":"x"}""", HttpStatusCode.BadRequest, "INVALID_ARGUMENT", "invalid-argument", "updateMask field 'labels' cannot be changed" },
        { "PATCH", $"{Root}/datasets/999?updateMask=displayName", """{"displayName":"x"}""", HttpStatusCode.NotFound, "NOT_FOUND", "not-found", "Dataset 999 was not found." },
        { "GET", $"{Root}/datasets/999/annotationSpecs/1", null, HttpStatusCode.NotFound, "NOT_FOUND", "not-found", "Dataset 999 was not found." },
        { "POST", $"{Root}/datasets", """{"displayName":"x","imageClassificationDatasetMetadata":{"classificationType":7}}""", HttpStatusCode.BadRequest, "INVALID_ARGUMENT", "invalid-argument", "classificationType 7 is not 1 (MULTICLASS) or 2 (MULTILABEL)" },
        { "POST", $"{Root}/models/999:deploy", "{}", HttpStatusCode.NotFound, "NOT_FOUND", "not-found", "Model 999 was not found." },
        { "POST", $"{Root}/models/999:undeploy", "{}", HttpStatusCode.NotFound, "NOT_FOUND", "not-found", "Model 999 was not found." },
        { "DELETE", $"{Root}/models/999", null, HttpStatusCode.NotFound, "NOT_FOUND", "not-found", "Model 999 was not found." },
        { "GET", $"{Root}/datasets?filter=exampleCount%3D3", null, HttpStatusCode.BadRequest, "INVALID_ARGUMENT", "invalid-argument", "filter term 'exampleCount=3' is not supported for datasets" },
        { "GET", $"{Root}/models?filter=dataset_id%3D1%20AND%20labels.env%3Dprod", null, HttpStatusCode.BadRequest, "INVALID_ARGUMENT", "invalid-argument", "filter term 'labels.env=prod' is not supported for models" },
        // Decided by routing and binding, before any of the console's code: still the Google shape, with a message.
        { "GET", $"{Root}/no-such-collection", null, HttpStatusCode.NotFound, "NOT_FOUND", "not-found", $"Nothing is at GET {Root}/no-such-collection." },
        { "PUT", $"{Root}/datasets", "{}", HttpStatusCode.MethodNotAllowed, "UNIMPLEMENTED", "unimplemented", $"PUT is not allowed on {Root}/datasets." },
        { "POST", $"{Root}/datasets", "{not json", HttpStatusCode.BadRequest, "INVALID_ARGUMENT", "bad-request", "from the request body as JSON" },
        { "POST", $"{Root}/datasets", """{"displayName":"x"}""", HttpStatusCode.BadRequest, "INVALID_ARGUMENT", "invalid-argument", "imageClassificationDatasetMetadata" },
        { "POST", $"{Root}/models", """{"displayName":"m","datasetId":"abc","imageClassificationModelMetadata":{"modelType":"mobile-versatile-1"}}""", HttpStatusCode.BadRequest, "INVALID_ARGUMENT", "invalid-request", "datasetId 'abc' is not an id" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task GoogleRoutes_BadRequest_AnswerGoogleErrorWithTheConsolesMessageAndCode(string method, string path, string? body, HttpStatusCode status, string canonical, string reason, string message)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");

        var error = await GoogleErrorAssert.ReadAsync(await _client.SendAsync(request), status, canonical);

        Assert.Equal(reason, GoogleErrorAssert.Reason(error));
        Assert.Contains(message, GoogleErrorAssert.Message(error), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(error.GetProperty("details")[0].GetProperty("metadata").GetProperty("traceId").GetString()));
    }

    [Fact]
    public async Task ConsoleRoutes_NotFound_StayProblemDetails()
    {
        var response = await _client.GetAsync(new Uri("/api/datasets/999", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("not-found", "Dataset 999 was not found."), (problem.GetProperty("code").GetString(), problem.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task ConsoleRoutes_BodyNotJson_ProblemNamesWhatCouldNotBeRead()
    {
        using var body = new StringContent("{not json", Encoding.UTF8, "application/json");

        var response = await _client.PostAsync(new Uri("/api/datasets", UriKind.Relative), body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("bad-request", problem.GetProperty("code").GetString());
        Assert.Contains("from the request body as JSON", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void From_ProblemWithExtensions_CodeIsTheReasonTheRestIsMetadata()
    {
        var problem = new ProblemDetails { Status = 409, Title = "Conflict", Detail = "Image 4 changed since version 2 (now 3)." };
        problem.Extensions["code"] = "conflict";
        problem.Extensions["currentVersion"] = 3L;
        problem.Extensions["changedBy"] = "bob";
        problem.Extensions["changedAt"] = null;

        var error = GoogleErrorWriter.From(problem, 500).Error;

        Assert.Equal((409, "ABORTED", "Image 4 changed since version 2 (now 3)."), (error.Code, error.Status, error.Message));
        var info = Assert.Single(error.Details);
        Assert.Equal("conflict", info.Reason);
        Assert.Equal(new Dictionary<string, string> { ["changedBy"] = "bob", ["currentVersion"] = "3" }, info.Metadata);
    }

    [Theory]
    [InlineData(400, "INVALID_ARGUMENT")]
    [InlineData(401, "UNAUTHENTICATED")]
    [InlineData(403, "PERMISSION_DENIED")]
    [InlineData(404, "NOT_FOUND")]
    [InlineData(409, "ABORTED")]
    [InlineData(412, "FAILED_PRECONDITION")]
    [InlineData(429, "RESOURCE_EXHAUSTED")]
    [InlineData(500, "INTERNAL")]
    [InlineData(503, "UNAVAILABLE")]
    public void CanonicalStatus_HttpStatus_GoogleRpcCodeName(int status, string expected) =>
        Assert.Equal(expected, GoogleErrorWriter.CanonicalStatus(status));
}
