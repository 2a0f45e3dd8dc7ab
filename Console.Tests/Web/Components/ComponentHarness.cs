using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.JSInterop;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Ui;

namespace VisionConsole.Tests.Web.Components;

/// <summary>
/// Renders a component to HTML with the framework's <see cref="HtmlRenderer"/> (bUnit is not obtainable here)
/// and parses the markup with AngleSharp. Rendering waits until every OnInitializedAsync has finished.
/// </summary>
internal sealed class ComponentHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly HtmlRenderer _renderer;

    /// <param name="datasets">The dataset service the components see (an empty in-memory one by default).</param>
    /// <param name="configure">Registers more services (fakes of the training and model services, for example).</param>
    public ComponentHarness(IDatasetService? datasets = null, Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(datasets ?? new InMemoryDatasetService());
        services.AddScoped<Toaster>();
        services.AddSingleton<IDatasetChangeNotifier, DatasetChangeNotifier>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<NavigationManager, TestNavigationManager>();
        services.AddSingleton<IJSRuntime, UnavailableJSRuntime>();
        services.AddSingleton<ICurrentUser, TestUser>();
        services.AddScoped<VisionConsole.Web.CircuitUser>();
        services.AddSingleton(new VisionConsole.Web.ConsoleEnvironment("/srv/vision", "/srv/vision/console.db", "/srv/vision/blobs", [("libvips", "8.14.1")]));
        services.AddSingleton<VisionConsole.Trainer.Inference.IExecutionProviderInfo>(new TestExecutionProvider("CPU", null, false, "Cpu", "1.31.1"));
        configure?.Invoke(services);
        _services = services.BuildServiceProvider();
        _renderer = new HtmlRenderer(_services, _services.GetRequiredService<ILoggerFactory>());
    }

    public Task<IHtmlDocument> RenderAsync<TComponent>(IDictionary<string, object?>? parameters = null) where TComponent : IComponent =>
        _renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await _renderer.RenderComponentAsync<TComponent>(
                parameters is null ? ParameterView.Empty : ParameterView.FromDictionary(parameters));
            return new HtmlParser().ParseDocument("<!DOCTYPE html><html><body>" + output.ToHtmlString() + "</body></html>");
        });

    public async ValueTask DisposeAsync()
    {
        await _renderer.DisposeAsync();
        await _services.DisposeAsync();
    }

    private sealed class TestNavigationManager : NavigationManager
    {
        public TestNavigationManager() => Initialize("http://localhost/", "http://localhost/datasets");

        protected override void NavigateToCore(string uri, NavigationOptions options) => Uri = ToAbsoluteUri(uri).ToString();
    }

    /// <summary>HtmlRenderer never runs OnAfterRender, so a component that calls JS during rendering is a bug.</summary>
    private sealed class UnavailableJSRuntime : IJSRuntime
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) =>
            throw new InvalidOperationException($"JS call '{identifier}' during static rendering.");

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) =>
            throw new InvalidOperationException($"JS call '{identifier}' during static rendering.");
    }

    private sealed class TestUser : ICurrentUser
    {
        public string Name => "tester";
    }
}

/// <summary>Reads the text of an element with whitespace collapsed, as a person reads it.</summary>
internal static class MarkupText
{
    public static string Text(this IElement element) =>
        string.Join(' ', element.TextContent.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}

/// <summary>A fixed answer to "which provider runs", so a page renders without ONNX Runtime.</summary>
internal sealed record TestExecutionProvider(string Provider, string? FallbackReason, bool CudaRequested, string Flavor, string Version)
    : VisionConsole.Trainer.Inference.IExecutionProviderInfo;
