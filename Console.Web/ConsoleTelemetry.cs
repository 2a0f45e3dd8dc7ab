using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using VisionConsole.Trainer.Jobs;

namespace VisionConsole.Web;

/// <summary>
/// OpenTelemetry for the console, off unless configured: <c>Telemetry:OtlpEndpoint</c> (or the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>) exports traces (ASP.NET Core, EF Core, operation runs) and metrics (ASP.NET Core,
/// the .NET runtime, the operation runner) over OTLP (<c>Telemetry:OtlpProtocol</c> <c>grpc</c>, the default, or
/// <c>http/protobuf</c>); <c>Telemetry:Prometheus=true</c> serves the metrics at <c>/metrics</c> in Prometheus' text format.
/// </summary>
public static class ConsoleTelemetry
{
    /// <summary>Registers OpenTelemetry when the configuration asks for an exporter; otherwise nothing.</summary>
    public static void AddConsoleTelemetry(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        var otlp = configuration["Telemetry:OtlpEndpoint"] ?? configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var prometheus = configuration.GetValue<bool>("Telemetry:Prometheus");
        if (string.IsNullOrWhiteSpace(otlp) && !prometheus)
            return;
        if (!string.IsNullOrWhiteSpace(otlp) && !Uri.TryCreate(otlp, UriKind.Absolute, out _))
            throw new InvalidOperationException($"Telemetry:OtlpEndpoint '{otlp}' is not an absolute URL (for example http://127.0.0.1:4317).");
        var protocol = configuration["Telemetry:OtlpProtocol"]?.Trim().ToLowerInvariant() switch
        {
            null or "" or "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            var other => throw new InvalidOperationException($"Telemetry:OtlpProtocol '{other}' is not supported; use 'grpc' or 'http/protobuf'."),
        };
        void Otlp(OtlpExporterOptions options, string signal)
        {
            var endpoint = new Uri(otlp!);
            // Over HTTP each signal has its own path; gRPC takes the collector's address as it is.
            options.Endpoint = protocol == OtlpExportProtocol.HttpProtobuf && endpoint.AbsolutePath == "/" ? new Uri(endpoint, $"v1/{signal}") : endpoint;
            options.Protocol = protocol;
        }
        var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("vision-console", serviceVersion: typeof(ConsoleTelemetry).Assembly.GetName().Version?.ToString()));
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddAspNetCoreInstrumentation().AddRuntimeInstrumentation().AddMeter(OperationTelemetry.Name);
            if (prometheus) metrics.AddPrometheusExporter();
            if (!string.IsNullOrWhiteSpace(otlp)) metrics.AddOtlpExporter(options => Otlp(options, "metrics"));
        });
        if (!string.IsNullOrWhiteSpace(otlp))
        {
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation()
                .AddEntityFrameworkCoreInstrumentation()
                .AddSource(OperationTelemetry.Name)
                .AddOtlpExporter(options => Otlp(options, "traces")));
        }
    }

    /// <summary>Maps <c>/metrics</c> when <c>Telemetry:Prometheus</c> is on.</summary>
    public static void MapConsoleTelemetry(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Configuration.GetValue<bool>("Telemetry:Prometheus"))
            app.MapPrometheusScrapingEndpoint("/metrics");
    }
}
