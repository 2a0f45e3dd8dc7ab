using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using MudBlazor.Services;
using VisionConsole.Domain;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Storage;
using VisionConsole.Trainer.Export;
using VisionConsole.Trainer.Inference;
using VisionConsole.Trainer.Jobs;
using VisionConsole.Web.Accounts;
using VisionConsole.Web.Api;
using VisionConsole.Web.Components;
using VisionConsole.Web.Hubs;

namespace VisionConsole.Web;

/// <summary>Builds the console's host: command line, services, middleware and endpoints.</summary>
public static class ConsoleHost
{
    /// <summary>
    /// Command line (also any configuration source): <c>--data &lt;folder&gt;</c> (else <c>VISIONCONSOLE_DATA</c>,
    /// else <c>./.data</c>), <c>--urls</c>, <c>--log-format json|simple</c>, <c>--sweep-grace hh:mm:ss</c>, <c>--single-user</c>.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = WithFlagValues(args),
            WebRootPath = LocateWebRoot(),
            // Names the static web assets manifests (MudBlazor's files, blazor.web.js) also when a test host starts us.
            ApplicationName = typeof(ConsoleHost).Assembly.GetName().Name,
        });
        // Development turns static web assets on by itself; ./run.sh runs the unpublished build output in
        // Production, where _content/MudBlazor and _framework/blazor.web.js come only from these manifests.
        builder.WebHost.UseStaticWebAssets();

        // Read when first needed, so settings a test host adds after this point still count.
        builder.Services.AddOptions<ConsoleLoggerOptions>().Configure<IConfiguration>((logger, configuration) =>
            logger.FormatterName = ReadLogFormat(configuration));
        builder.Services.AddConsoleDomain(provider => ReadOptions(provider.GetRequiredService<IConfiguration>()));
        // Antiforgery and circuit keys live with the data, so instances side by side never share (or lose) them.
        builder.Services.AddDataProtection();
        builder.Services.AddOptions<KeyManagementOptions>().Configure<ConsoleOptions>((keys, console) =>
            keys.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(console.DataFolder, "keys")), NullLoggerFactory.Instance));
        // After the domain, so the database is upgraded before the trainer reads its queue.
        builder.Services.AddConsoleTrainer(builder.Configuration);
        builder.Services.AddSignalR().AddJsonProtocol(json => json.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddHostedService<OperationHubRelay>();
        builder.Services.AddHostedService<DatasetChangeHubRelay>();
        builder.Services.AddHostedService<PresenceHubRelay>();
        builder.Services.AddSingleton<IModelPublishing, ModelPublishing>();

        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<CircuitUser>();
        builder.Services.AddScoped<Components.Pages.Datasets.CircuitPresence>();
        builder.Services.AddScoped<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler, Components.Pages.Datasets.PresenceCircuitHandler>();
        builder.Services.AddScoped<VisionConsole.Web.Components.Shared.PageScripts>();
        builder.Services.AddScoped<ICurrentUser, HttpCurrentUser>();
        builder.Services.AddConsoleAuthentication();
        // Before AddProblemDetails: the first writer that can write a problem writes it.
        builder.Services.AddSingleton<Microsoft.AspNetCore.Http.IProblemDetailsWriter, GoogleErrorWriter>();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        // A body or parameter that does not bind throws, in every environment, so its error names what could not be read.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddConsoleOpenApi();
        builder.Services.AddApiRateLimits(builder.Configuration);
        builder.AddConsoleTelemetry();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database").AddCheck<InferenceHealthCheck>("inference");

        // A pick or drop of many files sends their names and sizes to the circuit in one message (the upload zone's
        // MudFileUpload): 32 KB, SignalR's default, holds only about 200 of them.
        builder.Services.AddRazorComponents().AddInteractiveServerComponents()
            .AddHubOptions(hub => hub.MaximumReceiveMessageSize = 2 * 1024 * 1024);
        builder.Services.AddMudServices();
        builder.Services.AddSingleton(provider => ConsoleEnvironment.From(provider.GetRequiredService<ConsoleOptions>()));
        return builder;
    }

    public static WebApplication Build(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var app = builder.Build();
        app.UseExceptionHandler();
        // Errors decided without a body (routing's 404/405/415) become problem details too.
        app.UseStatusCodePages();
        app.UseConsoleSecurityHeaders();
        // The repository's top-level wwwroot (console.css, scripts); package assets are mapped below.
        app.UseStaticFiles();
        // The API page's viewer: Swagger UI from its NuGet package (no CDN, no npm at run time) over /openapi/v1.json.
        app.UseSwaggerUI(ui =>
        {
            ui.RoutePrefix = "api-reference/ui";
            ui.SwaggerEndpoint("/openapi/v1.json", "Vision Console");
            ui.DocumentTitle = "Vision Console API";
        });
        // Routing after the files above, so they are served before any endpoint (and its authorization) is chosen.
        app.UseRouting();
        app.UseConsoleAuthentication();
        app.UseAntiforgery();
        app.UseRateLimiter();

        app.MapOpenApi();
        app.MapConsoleTelemetry();
        app.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            ResultStatusCodes = { [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable },
            ResponseWriter = HealthReportWriter.WriteAsync,
        }).AllowAnonymous();
        app.MapAccountEndpoints();
        app.MapApiKeysApi();
        app.MapDatasetsApi();
        app.MapBoxesApi();
        app.MapLabelingQueueApi();
        app.MapAuditApi();
        app.MapLabelSuggestionsApi();
        app.MapBlobsApi();
        app.MapAutoMlDatasetsApi();
        app.MapDataOperationsApi();
        app.MapBackupsApi();
        app.MapIntegrityApi();
        app.MapOperationsApi();
        app.MapModelsApi();
        app.MapModelPackagesApi();
        app.MapHostedModelsApi();
        app.MapHub<ConsoleHub>("/hubs/console").RequireAuthorization(ConsolePolicies.Read);

        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    /// <summary>
    /// The command line with <c>--single-user</c> as a bare flag read as <c>--single-user=true</c>: the configuration's
    /// command-line reader takes every <c>--key</c> to need a value and drops a last one without.
    /// </summary>
    internal static string[] WithFlagValues(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var result = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            var bare = args[i] == "--single-user" && (i + 1 == args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal));
            result.Add(bare ? "--single-user=true" : args[i]);
        }
        return [.. result];
    }

    /// <summary>The data folder from <c>--data</c>, else <c>VISIONCONSOLE_DATA</c>, else <c>./.data</c>, relative to the current directory.</summary>
    internal static ConsoleOptions ReadOptions(IConfiguration configuration)
    {
        var data = FirstNonEmpty(configuration["data"], configuration["VISIONCONSOLE_DATA"]) ?? ".data";
        var options = new ConsoleOptions { DataFolder = Path.GetFullPath(data) };
        var grace = configuration["sweep-grace"];
        if (!string.IsNullOrWhiteSpace(grace))
        {
            options.SweepGracePeriod = TimeSpan.TryParse(grace, CultureInfo.InvariantCulture, out var parsed) && parsed >= TimeSpan.Zero
                ? parsed
                : throw new InvalidOperationException($"--sweep-grace '{grace}' is not a duration; use hh:mm:ss, for example 00:10:00.");
        }
        return options;
    }

    internal static string ReadLogFormat(IConfiguration configuration) =>
        configuration["log-format"]?.Trim().ToLowerInvariant() switch
        {
            null or "" or "simple" => ConsoleFormatterNames.Simple,
            "json" => ConsoleFormatterNames.Json,
            var other => throw new InvalidOperationException($"--log-format '{other}' is not supported; use 'json' or 'simple'."),
        };

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    /// <summary>The top-level <c>wwwroot</c> of the repository, else the copy next to the binaries.</summary>
    private static string LocateWebRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "wwwroot");
            if (File.Exists(Path.Combine(dir.FullName, "Console.sln")) && Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return Path.Combine(AppContext.BaseDirectory, "wwwroot");
    }
}

/// <summary>
/// The ONNX Runtime sessions run: on which provider, from which package, and why not CUDA when it was asked for
/// (degraded then: predictions still work, on the CPU).
/// </summary>
internal sealed class InferenceHealthCheck(IExecutionProviderInfo inference) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["provider"] = inference.Provider,
            ["flavor"] = inference.Flavor,
            ["version"] = inference.Version,
            ["cudaRequested"] = inference.CudaRequested,
        };
        var description = $"ONNX Runtime {inference.Version} ({inference.Flavor} package) on {inference.Provider}.";
        if (inference.FallbackReason is { } reason)
        {
            data["fallbackReason"] = reason;
            return Task.FromResult(HealthCheckResult.Degraded(description, data: data));
        }
        return Task.FromResult(HealthCheckResult.Healthy(description, data));
    }
}

/// <summary>/healthz as JSON: the overall status and each check's status, description and details.</summary>
internal static class HealthReportWriter
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new HealthReportBody(report.Status.ToString(), report.Entries.ToDictionary(
            e => e.Key, e => new HealthEntryBody(e.Value.Status.ToString(), e.Value.Description, e.Value.Data)));
        return context.Response.WriteAsJsonAsync(body, Json, context.RequestAborted);
    }
}

/// <summary>The body of <c>/healthz</c>: the overall status and each check's (<c>database</c>, <c>inference</c>).</summary>
/// <param name="Status"><c>Healthy</c>, <c>Degraded</c> (still 200: for example inference on the CPU when CUDA was asked for) or <c>Unhealthy</c> (503).</param>
/// <param name="Entries">Each check by name.</param>
internal sealed record HealthReportBody(string Status, IReadOnlyDictionary<string, HealthEntryBody> Entries);

/// <summary>One health check's result.</summary>
/// <param name="Status">The check's status.</param>
/// <param name="Description">What it found, in words.</param>
/// <param name="Data">Details (the inference check's <c>provider</c>, <c>cudaRequested</c>, <c>fallbackReason</c>).</param>
internal sealed record HealthEntryBody(string Status, string? Description, IReadOnlyDictionary<string, object> Data);

/// <summary>Healthy when the database opens and answers a query.</summary>
internal sealed class DatabaseHealthCheck(ConsoleDatabase database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await database.CanQueryAsync(cancellationToken).ConfigureAwait(false)
            ? HealthCheckResult.Healthy("The database answers.")
            : HealthCheckResult.Unhealthy("The database does not open or has no default project.");
}
