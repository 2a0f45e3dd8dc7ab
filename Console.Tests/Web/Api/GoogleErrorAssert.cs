using System.Net;
using System.Text.Json;

namespace VisionConsole.Tests.Web.Api;

/// <summary>Reads Google's JSON error body (<c>{"error":{"code","message","status","details":[ErrorInfo]}}</c>) off a response of the Google-compatible routes.</summary>
internal static class GoogleErrorAssert
{
    /// <summary>Asserts the status, the content type and the error's shape; returns <c>error</c>.</summary>
    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response, HttpStatusCode expected, string canonicalStatus)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}, not {(int)expected}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Assert.Equal(["error"], root.EnumerateObject().Select(p => p.Name));
        var error = root.GetProperty("error").Clone();
        Assert.Equal((int)expected, error.GetProperty("code").GetInt32());
        Assert.Equal(canonicalStatus, error.GetProperty("status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        var info = Assert.Single(error.GetProperty("details").EnumerateArray());
        Assert.Equal("type.googleapis.com/google.rpc.ErrorInfo", info.GetProperty("@type").GetString());
        Assert.Equal("visionconsole", info.GetProperty("domain").GetString());
        return error;
    }

    /// <summary>The console's error code: the ErrorInfo's <c>reason</c>.</summary>
    public static string? Reason(JsonElement error) => error.GetProperty("details")[0].GetProperty("reason").GetString();

    public static string? Message(JsonElement error) => error.GetProperty("message").GetString();
}
