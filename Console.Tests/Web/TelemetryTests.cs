using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Operations;

namespace VisionConsole.Tests.Web;

/// <summary>
/// OpenTelemetry, off by default: <c>/metrics</c> in Prometheus' format when asked for, and traces and metrics sent over
/// OTLP (HTTP/protobuf) to a real local receiver, with the operation runner's own instruments and spans.
/// </summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task Metrics_PrometheusOn_OperationRunnerAndHttpServerInstrumentsAreScraped()
    {
        await using var factory = new ConsoleWebFactory { Settings = { ["Telemetry:Prometheus"] = "true" } };
        using var client = factory.CreateClient();

        await RunBackupAsync(factory, client);

        var text = "";
        for (var attempt = 0; attempt < 50 && !text.Contains("visionconsole_operations_finished", StringComparison.Ordinal); attempt++)
        {
            // The exporter caches a scrape for a moment: ask again until the finished backup is counted.
            await Task.Delay(200);
            text = await client.GetStringAsync("/metrics");
        }
        var finished = text.Split('\n').SingleOrDefault(l => l.StartsWith("visionconsole_operations_finished_total{", StringComparison.Ordinal) && l.Contains("kind=\"backup\"", StringComparison.Ordinal));
        Assert.True(finished is not null, text);
        Assert.Contains("outcome=\"succeeded\"", finished, StringComparison.Ordinal);
        Assert.Equal("1", finished.Split(' ')[1]);
        Assert.Contains("visionconsole_operation_duration_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("visionconsole_operations_queued", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_ByDefault_NoScrapingEndpoint()
    {
        await using var factory = new ConsoleWebFactory();
        using var client = factory.CreateClient();

        var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.DoesNotContain("# TYPE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Otlp_HttpProtobufReceiver_GetsTheOperationSpanAndMetrics()
    {
        var received = new ConcurrentBag<(string Path, byte[] Body)>();
        using var arrived = new SemaphoreSlim(0);
        await using var receiver = await StartReceiverAsync(received, () => arrived.Release());
        var endpoint = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        // Metrics every second (the SDK reads the standard variable from configuration), so both signals arrive while the host runs.
        var factory = new ConsoleWebFactory { Settings = { ["Telemetry:OtlpEndpoint"] = endpoint, ["Telemetry:OtlpProtocol"] = "http/protobuf", ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000" } };
        try
        {
            using var client = factory.CreateClient();
            await RunBackupAsync(factory, client);
            // The exporters send every few seconds: wait for both signals while the host runs, rather than count on the flush
            // at disposal (under load CI saw it deliver nothing).
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (!(received.Any(r => r.Path == "/v1/traces" && r.Body.AsSpan().IndexOf("operation backup"u8) >= 0) &&
                     received.Any(r => r.Path == "/v1/metrics" && r.Body.AsSpan().IndexOf("visionconsole.operations.finished"u8) >= 0)))
            {
                try
                {
                    await arrived.WaitAsync(patience.Token); // woken by each export the receiver takes
                }
                catch (OperationCanceledException)
                {
                    break; // the assertions below say what never came
                }
            }
        }
        finally
        {
            // Disposing the host flushes what its exporters still hold.
            await factory.DisposeAsync();
        }

        var traces = received.Where(r => r.Path == "/v1/traces").Select(r => r.Body).ToList();
        Assert.NotEmpty(traces);
        Assert.Contains(traces, body => body.AsSpan().IndexOf("operation backup"u8) >= 0);
        Assert.Contains(traces, body => body.AsSpan().IndexOf("POST /api/backups"u8) >= 0);
        Assert.Contains(received, r => r.Path == "/v1/metrics" && r.Body.AsSpan().IndexOf("visionconsole.operations.finished"u8) >= 0);
    }

    private static async Task RunBackupAsync(ConsoleWebFactory factory, HttpClient client) =>
        Assert.Equal(OperationState.Succeeded, (await BackupsApiTests.RunBackupAsync(factory, client)).State);

    /// <summary>An OTLP/HTTP receiver on a loopback port: keeps every request's path and body, answers 200.</summary>
    private static async Task<WebApplication> StartReceiverAsync(ConcurrentBag<(string Path, byte[] Body)> received, Action onReceived)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/v1/{signal}", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.Add((request.Path.Value!, body.ToArray()));
            onReceived();
            return Results.Ok();
        });
        await app.StartAsync();
        return app;
    }
}
