using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace VisionConsole.Tests.Web.Api;

/// <summary>ASP.NET Core's rate limiter on <c>:predict</c>, <c>:importData</c> and <c>POST models</c>, with the limits from configuration.</summary>
public sealed class RateLimitTests
{
    private const string Root = "/v1/projects/default/locations/us-central1";

    [Fact]
    public async Task Predict_OverTheLimit_429WithRetryAfterInGoogleShapeAndOtherKeysUnaffected()
    {
        await using var factory = new ConsoleWebFactory { Settings = { ["RateLimits:Predict:PermitLimit"] = "2", ["RateLimits:Predict:Window"] = "00:10:00" } };
        using var alice = Client(factory, "alice");
        using var bob = Client(factory, "bob");
        var body = new { payload = new { image = new { imageBytes = "AAAA" } } };

        // The first two reach the endpoint (no such model); the third is refused before it.
        for (var i = 0; i < 2; i++)
            await GoogleErrorAssert.ReadAsync(await alice.PostAsJsonAsync($"{Root}/models/999:predict", body), HttpStatusCode.NotFound, "NOT_FOUND");
        var refused = await alice.PostAsJsonAsync($"{Root}/models/999:predict", body);

        var error = await GoogleErrorAssert.ReadAsync(refused, HttpStatusCode.TooManyRequests, "RESOURCE_EXHAUSTED");
        Assert.Equal("rate-limited", GoogleErrorAssert.Reason(error));
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 600);
        Assert.Contains($"try again in {(int)retryAfter.Value.TotalSeconds} s", GoogleErrorAssert.Message(error), StringComparison.Ordinal);
        // Another key has its own window.
        await GoogleErrorAssert.ReadAsync(await bob.PostAsJsonAsync($"{Root}/models/999:predict", body), HttpStatusCode.NotFound, "NOT_FOUND");
        // Other endpoints are not limited by it.
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync(new Uri($"{Root}/datasets", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task ImportAndTraining_LimitsFromConfiguration_ImportRefusedTrainingOff()
    {
        await using var factory = new ConsoleWebFactory { Settings = { ["RateLimits:Import:PermitLimit"] = "1", ["RateLimits:Training:PermitLimit"] = "0" } };
        using var client = Client(factory, "carol");

        using var first = new MultipartFormDataContent { { new StringContent("x"), "note" } };
        await GoogleErrorAssert.ReadAsync(await client.PostAsync(new Uri($"{Root}/datasets/999:importData", UriKind.Relative), first), HttpStatusCode.NotFound, "NOT_FOUND");
        using var second = new MultipartFormDataContent { { new StringContent("x"), "note" } };
        await GoogleErrorAssert.ReadAsync(await client.PostAsync(new Uri($"{Root}/datasets/999:importData", UriKind.Relative), second), HttpStatusCode.TooManyRequests, "RESOURCE_EXHAUSTED");

        // 0 turns a limit off: every training request reaches the endpoint (and is refused there for its body).
        for (var i = 0; i < 5; i++)
            await GoogleErrorAssert.ReadAsync(await client.PostAsJsonAsync($"{Root}/models", new { displayName = "m" }), HttpStatusCode.BadRequest, "INVALID_ARGUMENT");
    }

    /// <summary>A client with a real API key of its own account (<paramref name="account"/>): limits count per key.</summary>
    private static HttpClient Client(ConsoleWebFactory factory, string account)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", factory.Accounts.KeyAsync(account).GetAwaiter().GetResult());
        return client;
    }
}
