using Microsoft.AspNetCore.Components;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Hosting;

namespace VisionConsole.Web.Components.Pages.Models;

/// <summary>
/// The model page's hosting card: the hosted models this model's file is in (published or not, the active version, a
/// rollback per earlier version), hosting it under a new name, and making it the active file of a hosted model.
/// </summary>
public partial class HostedForApps
{
    private IReadOnlyList<HostedModelView> _hosted = [];
    private string? _name;
    private string? _error;

    [Inject] private IHostedModels Hosting { get; set; } = null!;
    [Inject] private ICurrentUser CurrentUser { get; set; } = null!;
    [Inject] private CircuitUser Access { get; set; } = null!;

    /// <summary>The console model shown on the page.</summary>
    [Parameter] public long ModelId { get; set; }

    protected override Task OnParametersSetAsync() => LoadAsync();

    private async Task LoadAsync()
    {
        // Hosted models are few; the ones this model's file is (or was) in.
        var all = await Hosting.ListAsync(null, pageSize: 1000, project: Access.Project);
        _hosted = [.. all.Models.Where(m => m.Versions.Any(v => v.SourceModelId == ModelId))];
    }

    private static string ActiveText(HostedModelView hosted) => hosted.Active is { } active
        ? $"v{active.Number} active (model {active.SourceModelId} v{active.SourceVersionNumber}, hash {active.ModelHash[..12]}…, {active.SizeBytes / (1024.0 * 1024.0):0.0} MB)"
        : "no version";

    private Task HostAsync() => RunAsync(async () =>
    {
        // An empty or invalid name is refused by the domain with the naming rule, shown on the card.
        await Hosting.CreateAsync(_name?.Trim() ?? string.Empty, [], ModelId, published: true, CurrentUser.Name);
        _name = null;
    });

    private Task SetPublishedAsync(HostedModelView hosted, bool published) =>
        RunAsync(() => Hosting.UpdateAsync(hosted.Id, new HostedModelUpdate(Published: published), hosted.Etag, CurrentUser.Name));

    private Task ReplaceAsync(HostedModelView hosted) =>
        RunAsync(() => Hosting.UpdateAsync(hosted.Id, new HostedModelUpdate(SourceModelId: ModelId), hosted.Etag, CurrentUser.Name));

    private Task RollBackAsync(HostedModelView hosted, int number) =>
        RunAsync(() => Hosting.RollBackAsync(hosted.Id, number, CurrentUser.Name));

    /// <summary>Runs one change, then reloads; a refusal (a taken name, a stale etag) is shown on the card.</summary>
    private async Task RunAsync(Func<Task> change)
    {
        try
        {
            Access.Require(ProjectPermission.Edit);
            await change();
            _error = null;
        }
        catch (DomainException ex)
        {
            _error = ex.Message;
        }
        await LoadAsync();
    }
}
