using Microsoft.AspNetCore.Components;
using MudBlazor;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Models;
using VisionConsole.Web.Components.Shared;

namespace VisionConsole.Web.Components.Pages.Api;

/// <summary>
/// The API page: the route families, copyable <c>curl</c> calls filled with this console's address and the user's
/// newest dataset and model, and the OpenAPI document in Swagger UI (served by the console itself).
/// </summary>
public sealed partial class ApiPage
{
    private IReadOnlyList<ApiSnippet>? _snippets;
    private string? _hint;

    [Inject] private IDatasetService Datasets { get; set; } = null!;
    [Inject] private IModelService Models { get; set; } = null!;
    [Inject] private CircuitUser Access { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;
    [Inject] private PageScripts Scripts { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;

    protected override async Task OnInitializedAsync()
    {
        var dataset = (await Datasets.ListAsync(Access.Project)).MaxBy(d => d.CreatedAt);
        var model = (await Models.ListAsync(Access.Project)).MaxBy(m => m.CreatedAt);
        _hint = (dataset, model) switch
        {
            (null, null) => "There is no dataset or model yet: DATASET_ID and MODEL_ID are what the create calls answer.",
            (_, null) => $"Filled with your newest dataset, {dataset.DisplayName}; MODEL_ID is what the training's operation answers when done.",
            (null, _) => $"Filled with your newest model, {model.DisplayName}; DATASET_ID is what creating a dataset answers.",
            _ => $"Filled with your newest dataset, {dataset.DisplayName}, and your newest model, {model.DisplayName}.",
        };
        _snippets = ApiSnippets.For(new ApiSnippetContext(Navigation.BaseUri, dataset?.Id, dataset?.Kind, model?.Id));
    }

    private Task CopyAsync(string text, string what) => Scripts.CopyWithNoticeAsync(text, $"The call \u201c{what}\u201d", Snackbar);
}
