using Microsoft.AspNetCore.Components;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Models;
using VisionConsole.Web.Api;
using VisionConsole.Web.Components.Shared;

namespace VisionConsole.Web.Components.Pages.Models;

/// <summary>A model: facts, versions with publish and tags, and the absolute stable URL with copy and code snippets.</summary>
public partial class ModelPage
{
    private ModelSummary? _model;
    private string? _datasetName;
    private IReadOnlyList<ModelVersionSummary> _versions = [];
    private string? _loadError;
    private string? _actionError;
    private bool _interactive;
    private Dictionary<int, IReadOnlyList<ModelFormatFile>> _formats = [];

    [Inject] private IModelService Models { get; set; } = null!;
    [Inject] private IModelPublishing Publishing { get; set; } = null!;
    [Inject] private IModelFormats Formats { get; set; } = null!;
    [Inject] private IDatasetService Datasets { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;
    [Inject] private IDialogService Dialogs { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;
    [Inject] private PageScripts Scripts { get; set; } = null!;
    [Inject] private ICurrentUser CurrentUser { get; set; } = null!;
    [Inject] private CircuitUser Access { get; set; } = null!;

    [Parameter] public long ModelId { get; set; }

    /// <summary>The absolute URL of the latest published zip, as an app outside this browser fetches it.</summary>
    internal string PackageUrl => Navigation.BaseUri + ModelPackagesApi.LatestPackageUrl(_model?.DisplayName ?? "");

    internal string ManifestUrl => Navigation.BaseUri + $"api/published/{Uri.EscapeDataString(_model?.DisplayName ?? "")}/latest/manifest.json";

    /// <summary>A format's name in the download menu.</summary>
    internal static string FormatName(ModelFormat format) => format switch
    {
        ModelFormat.Tflite => "TFLite, quantized (model.tflite)",
        ModelFormat.TfliteFloat32 => "TFLite, float32",
        ModelFormat.Onnx => "ONNX (model.onnx)",
        ModelFormat.Tfjs => "TF.js (zip)",
        ModelFormat.Firebase => "Firebase ML (model.tflite, dict.txt, manifest.json)",
        _ => "Everything (zip)",
    };

    /// <summary>A file's size for the menu, or that it is made when asked for.</summary>
    internal static string FormatSize(ModelFormatFile file) => file.SizeBytes is { } bytes
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.0} MB")
        : "made on request";

    private List<BreadcrumbItem> Breadcrumbs =>
    [
        new("Models", "models"),
        new(_model?.DisplayName ?? "…", null, disabled: true),
    ];

    protected override Task OnParametersSetAsync() => LoadAsync();

    /// <summary>After the first interactive render the menus open on click: <c>data-ready</c> tells a test (or a script) so.</summary>
    protected override void OnAfterRender(bool firstRender)
    {
        if (!_interactive && _model is not null)
        {
            _interactive = true;
            StateHasChanged();
        }
    }

    private async Task LoadAsync()
    {
        try
        {
            _model = await Models.GetAsync(ModelId);
            _versions = await Publishing.ListVersionsAsync(ModelId);
            // The download menu's sizes read the version folders: once per load, not on every render.
            _formats = _versions.ToDictionary(v => v.Number, Formats.List);
            _loadError = null;
            if (_model.DatasetId is { } datasetId)
            {
                try
                {
                    _datasetName = (await Datasets.GetAsync(datasetId)).DisplayName;
                }
                catch (NotFoundException)
                {
                    _datasetName = null;
                }
            }
        }
        catch (DomainException e)
        {
            _loadError = e.Message;
        }
    }

    private async Task PublishAsync(ModelVersionSummary version)
    {
        Access.Require(ProjectPermission.Edit);
        if (_model is null)
        {
            return;
        }
        var parameters = new DialogParameters<PublishDialog>
        {
            { d => d.ModelId, ModelId },
            { d => d.Version, version },
            { d => d.ModelName, _model.DisplayName },
        };
        var dialog = await Dialogs.ShowAsync<PublishDialog>($"Publish version {version.Number}", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: string name })
        {
            Snackbar.Add($"Version {version.Number} of {name} is published.", Severity.Success);
            await LoadAsync();
        }
    }

    private async Task RemoveTagAsync(ModelVersionSummary version, string tag)
    {
        try
        {
            Access.Require(ProjectPermission.Edit);
            await Publishing.RemoveTagAsync(ModelId, version.Number, tag, CurrentUser.Name);
            Snackbar.Add($"Removed the tag {tag} from version {version.Number}.", Severity.Info);
            await LoadAsync();
        }
        catch (DomainException e)
        {
            _actionError = e.Message;
        }
    }

    private async Task DeleteAsync()
    {
        Access.Require(ProjectPermission.Edit);
        if (_model is not { } model)
        {
            return;
        }
        var confirmed = await ConfirmActionDialog.AskAsync(Dialogs, "Delete model",
            $"Delete {model.DisplayName}, its {_versions.Count} {(_versions.Count == 1 ? "version" : "versions")}, evaluations and files? Apps using its published URL will get 404.",
            "Delete", () => Models.DeleteAsync(ModelId, CurrentUser.Name));
        if (confirmed)
        {
            Snackbar.Add($"Deleted the model {model.DisplayName}.", Severity.Success);
            Navigation.NavigateTo("models");
        }
    }

    private Task CopyUrlAsync() => CopyAsync(PackageUrl, "The download URL");

    private Task CopyAsync(string text, string what) => Scripts.CopyWithNoticeAsync(text, what, Snackbar);
}
