using Microsoft.AspNetCore.Components;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Projects;
using VisionConsole.Web.Components.Shared;

namespace VisionConsole.Web.Components.Pages.Admin;

/// <summary>The project's API keys: create one (its secret shown once), see when each was last used, revoke one.</summary>
public sealed partial class ApiKeysPage
{
    private IReadOnlyList<ApiKeySummary> _keys = [];
    private string? _name;
    private ProjectRole _role = ProjectRole.Editor;
    private CreatedApiKey? _created;
    private string? _error;
    private bool _busy;

    [Inject] private ApiKeyService Keys { get; set; } = null!;

    [Inject] private CircuitUser User { get; set; } = null!;

    [Inject] private PageScripts Scripts { get; set; } = null!;

    [Inject] private ISnackbar Snackbar { get; set; } = null!;

    [Inject] private IDialogService Dialogs { get; set; } = null!;

    /// <summary>The project whose keys are shown (the console has one so far).</summary>
    private string Project => User.Project;

    protected override async Task OnInitializedAsync() => _keys = await Keys.ListAsync(Project);

    private static string RoleText(ProjectRole role) => role.ToString().ToLowerInvariant();

    private async Task CreateAsync()
    {
        _busy = true;
        _error = null;
        try
        {
            _created = await Keys.CreateAsync(Project, _name ?? string.Empty, _role,
                User.UserId ?? throw new DomainException("invalid-account", "This page has no account to create a key for; sign in again."));
            _name = null;
            _keys = await Keys.ListAsync(Project);
        }
        catch (DomainException ex)
        {
            _error = ex.Message;
        }
        finally
        {
            _busy = false;
        }
    }

    private Task CopyAsync() => _created is null ? Task.CompletedTask : Scripts.CopyWithNoticeAsync(_created.Secret, "The key", Snackbar);

    private async Task RevokeAsync(ApiKeySummary key)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Revoke this key?",
            $"Scripts and apps using '{key.Name}' ({key.Prefix}…) get 401 from their next request on. This cannot be undone.",
            yesText: "Revoke", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }
        try
        {
            await Keys.RevokeAsync(Project, key.Id, User.Name ?? "unknown");
            _keys = await Keys.ListAsync(Project);
        }
        catch (DomainException ex)
        {
            _error = ex.Message;
        }
    }
}
