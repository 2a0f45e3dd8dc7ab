using Microsoft.AspNetCore.Components;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Training;

namespace VisionConsole.Web.Components.Pages.Training;

/// <summary>The new-training form: checks name and budget as the user types, then queues the training and opens its operation.</summary>
public partial class NewTraining
{
    /// <summary>As long a name as the domain takes.</summary>
    internal const int MaxNameLength = 128;

    private MudForm? _form;
    private bool _valid;
    private DatasetSummary? _dataset;
    private IReadOnlyList<LabelSummary> _labels = [];
    private IReadOnlyList<ModelSummary> _baseModels = [];
    private string? _loadError;
    private string? _submitError;
    private bool _submitting;
    private string _displayName = "";
    private string _modelType = TrainingRequest.DefaultModelType;
    private double? _budgetMinutes = 10;
    private long? _baseModelId;
    private long? _loadedDatasetId;

    [Inject] private IDatasetService Datasets { get; set; } = null!;
    [Inject] private IModelService Models { get; set; } = null!;
    [Inject] private CircuitUser Access { get; set; } = null!;
    [Inject] private ITrainingService Training { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;
    [Inject] private ICurrentUser CurrentUser { get; set; } = null!;

    [Parameter] public long DatasetId { get; set; }

    private long MilliNodeHours => (long)Math.Round(Math.Max(0, _budgetMinutes ?? 0) * 60 / TrainingRequest.SecondsPerMilliNodeHour);

    private List<BreadcrumbItem> Breadcrumbs =>
    [
        new("Datasets", "datasets"),
        new(_dataset?.DisplayName ?? "…", $"datasets/{DatasetId}"),
        new("Train", null, disabled: true),
    ];

    /// <summary>What is wrong with a model name, in the form's words; null when it is fine.</summary>
    internal static string? NameError(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "Give the model a name."
        : name.Trim().Length > MaxNameLength ? $"A model name has at most {MaxNameLength} characters."
        : null;

    /// <summary>What is wrong with a budget in minutes; null when it is fine.</summary>
    internal static string? BudgetError(double? minutes) =>
        minutes is not { } m ? "Enter a time budget in minutes."
        : !double.IsFinite(m) || m <= 0 ? "The time budget must be more than 0 minutes."
        : null;

    protected override async Task OnParametersSetAsync()
    {
        // A parent re-render sets the same parameters again; reloading then would overwrite what the user typed.
        if (_loadedDatasetId == DatasetId)
        {
            return;
        }
        _loadedDatasetId = DatasetId;
        try
        {
            _dataset = await Datasets.GetAsync(DatasetId);
            _labels = await Datasets.ListLabelsAsync(DatasetId);
            var names = _labels.Select(l => l.Name).ToList();
            _baseModels = (await Models.ListAsync(Access.Project)).Where(m => names.Count > 0 && TrainingLabels.SameSet(m.Labels, names)).ToList();
            _displayName = $"{_dataset.DisplayName} model";
            _loadError = null;
        }
        catch (DomainException e)
        {
            _loadError = e.Message;
        }
    }

    private async Task SubmitAsync()
    {
        if (_submitting)
        {
            return;
        }
        _submitError = null;
        if (_form is not null)
        {
            await _form.ValidateAsync();
        }
        // The form shows each field's message; refuse here too so nothing invalid reaches the server.
        if (NameError(_displayName) is not null || BudgetError(_budgetMinutes) is not null)
        {
            return;
        }
        _submitting = true;
        try
        {
            var request = new TrainingRequest(_displayName.Trim(), DatasetId, _modelType, BudgetMinutes: _budgetMinutes, BaseModelId: _baseModelId);
            var operation = await Training.StartTrainingAsync(request, CurrentUser.Name);
            Navigation.NavigateTo($"operations/{operation.Id}");
        }
        catch (DomainException e)
        {
            _submitError = e.Message;
        }
        finally
        {
            _submitting = false;
        }
    }
}
