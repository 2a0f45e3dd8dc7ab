using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Tests.Web.Components;

/// <summary>
/// A bUnit context with the console's component services: MudBlazor (JS interop loose, so MudBlazor's own
/// calls answer defaults), the given dataset service (an empty in-memory one by default), the change notifier,
/// a user named "tester" and a fixed environment.
/// </summary>
internal sealed class ConsoleTestContext : BunitContext
{
    /// <param name="datasets">The dataset service the components see (an empty in-memory one by default).</param>
    /// <param name="configure">Registers more services (fakes of the training and model services, for example).</param>
    /// <param name="role">The circuit account's role in the project (owner by default: every control rendered).</param>
    public ConsoleTestContext(IDatasetService? datasets = null, Action<IServiceCollection>? configure = null, ProjectRole? role = ProjectRole.Owner)
    {
        // The default second is too short for a dialog's round trip on a loaded machine; waits end as soon as they pass.
        DefaultWaitTimeout = TimeSpan.FromSeconds(30);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddLogging();
        var service = datasets ?? new InMemoryDatasetService();
        Services.AddSingleton(service);
        if (service is IDatasetEdits edits)
        {
            Services.AddSingleton(edits);
        }
        Services.AddSingleton<IDatasetChangeNotifier, DatasetChangeNotifier>();
        Services.AddSingleton<DatasetPresence>();
        Services.AddScoped<VisionConsole.Web.Components.Pages.Datasets.CircuitPresence>();
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<ICurrentUser, TestUser>();
        Services.AddScoped(_ => new VisionConsole.Web.CircuitUser { Role = role });
        Services.AddScoped<VisionConsole.Web.Components.Shared.PageScripts>();
        Services.AddSingleton(new VisionConsole.Web.ConsoleEnvironment("/srv/vision", "/srv/vision/console.db", "/srv/vision/blobs", [("libvips", "8.14.1")]));
        Services.AddSingleton<VisionConsole.Trainer.Inference.IExecutionProviderInfo>(new TestExecutionProvider("CPU", null, false, "Cpu", "1.31.1"));
        configure?.Invoke(Services);
        // As on a live circuit (touching the renderer fixes the services, so this comes last): components that wait
        // for interactivity (the upload zone) behave as in the browser.
        Renderer.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    /// <summary>Renders <typeparamref name="TComponent"/> with parameters by name and waits until its first async load has rendered.</summary>
    public async Task<IRenderedComponent<TComponent>> RenderAsync<TComponent>(IDictionary<string, object?>? parameters = null)
        where TComponent : IComponent
    {
        var cut = Render<TComponent>(builder =>
        {
            foreach (var (name, value) in parameters ?? new Dictionary<string, object?>())
            {
                builder.TryAdd(name, value);
            }
        });
        // OnInitializedAsync of the in-memory fakes completes at once; give the renderer its turn for the follow-up render.
        await cut.InvokeAsync(() => { });
        return cut;
    }

    /// <summary>
    /// Renders the MudBlazor providers (popovers, dialogs, snackbars) as the layout does; dialogs and notices
    /// that components rendered afterwards open appear in this markup.
    /// </summary>
    public IRenderedComponent<IComponent> RenderProviders() => Render(builder =>
    {
        builder.OpenComponent<MudPopoverProvider>(0);
        builder.CloseComponent();
        builder.OpenComponent<MudDialogProvider>(1);
        builder.CloseComponent();
        builder.OpenComponent<MudSnackbarProvider>(2);
        builder.CloseComponent();
    });

    private sealed class TestUser : ICurrentUser
    {
        public string Name => "tester";
    }
}

/// <summary>A fixed answer to "which provider runs", so a page renders without ONNX Runtime.</summary>
internal sealed record TestExecutionProvider(string Provider, string? FallbackReason, bool CudaRequested, string Flavor, string Version)
    : VisionConsole.Trainer.Inference.IExecutionProviderInfo;

/// <summary>Reads rendered markup as a person reads it.</summary>
internal static class MarkupText
{
    /// <summary>The text of an element with whitespace collapsed.</summary>
    public static string Text(this IElement element) =>
        string.Join(' ', element.TextContent.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The first element matching <paramref name="selector"/> anywhere in the rendered markup, or null.</summary>
    public static IElement? QuerySelector<TComponent>(this IRenderedComponent<TComponent> cut, string selector)
        where TComponent : IComponent => cut.Nodes.QuerySelector(selector);

    /// <summary>Every element matching <paramref name="selector"/> in the rendered markup.</summary>
    public static IHtmlCollection<IElement> QuerySelectorAll<TComponent>(this IRenderedComponent<TComponent> cut, string selector)
        where TComponent : IComponent => cut.Nodes.QuerySelectorAll(selector);
}
