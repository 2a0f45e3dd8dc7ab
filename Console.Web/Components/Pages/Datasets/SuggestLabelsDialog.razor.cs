using Microsoft.AspNetCore.Components;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Models;

namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>Scores up to 100 unlabeled images with a chosen classification model and labels the ones above a score.</summary>
public partial class SuggestLabelsDialog
{
    private IReadOnlyList<ModelSummary> _models = [];
    private long? _modelId;
    private LabelSuggestionPage? _page;
    private double _threshold = 0.9;
    private string? _error;
    private bool _busy;
    private bool _loaded;

    [CascadingParameter] private IMudDialogInstance Dialog { get; set; } = null!;
    [Inject] private LabelSuggestions Suggestions { get; set; } = null!;
    [Inject] private IModelService Models { get; set; } = null!;
    [Inject] private ICurrentUser CurrentUser { get; set; } = null!;
    [Inject] private CircuitUser Access { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;

    /// <summary>The dataset whose unlabeled images get suggestions.</summary>
    [Parameter] public long DatasetId { get; set; }

    private List<LabelSuggestion> Confident => _page is null ? [] : [.. _page.Items.Where(s => s.Score >= _threshold)];

    protected override async Task OnInitializedAsync()
    {
        // The dataset's own models first (newest first), then the others that could know its labels.
        _models = [.. (await Models.ListAsync(Access.Project)).Where(m => m.Kind != DatasetKind.ObjectDetection).OrderByDescending(m => m.DatasetId == DatasetId).ThenByDescending(m => m.CreatedAt)];
        _modelId = _models.FirstOrDefault()?.Id;
        _loaded = true;
    }

    private async Task SuggestAsync()
    {
        if (_modelId is not { } modelId)
        {
            return;
        }
        _busy = true;
        try
        {
            _page = await Suggestions.SuggestAsync(DatasetId, modelId, take: LabelSuggestions.MaxPageSize);
            _error = null;
        }
        catch (DomainException e)
        {
            _error = e.Message;
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task AcceptAsync()
    {
        if (_page is not { } page)
        {
            return;
        }
        _busy = true;
        try
        {
            Access.Require(ProjectPermission.Label);
            var changed = await Suggestions.AcceptAsync(DatasetId, page.ModelId, [.. Confident.Select(s => new AcceptedSuggestion(s.ImageId, s.LabelId, s.Version))], CurrentUser.Name);
            Snackbar.Add($"Labeled {changed:N0} image(s) as {page.ModelName} suggested.", Severity.Success);
            Dialog.Close(DialogResult.Ok(changed));
        }
        catch (DomainException e)
        {
            _error = e.Message;
        }
        finally
        {
            _busy = false;
        }
    }
}
