using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.WebUtilities;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Web.Components;

/// <summary>
/// Renders the routed page in its project: the project of the dataset, model or operation its route names, else the
/// <c>project</c> query parameter, else the project the circuit showed last. The circuit's <see cref="CircuitUser"/>
/// enters that project (its role then decides the page's controls); a page of a project the account is not a member of,
/// or of a resource that is not there, shows one not-found message.
/// </summary>
public partial class ProjectRouteView
{
    private ProjectAccess? _access;
    private bool _signedIn;

    /// <summary>The route the router matched.</summary>
    [Parameter, EditorRequired] public Microsoft.AspNetCore.Components.RouteData RouteData { get; set; } = null!;

    [CascadingParameter] private Task<AuthenticationState>? AuthenticationState { get; set; }

    [Inject] private CircuitUser CircuitUser { get; set; } = null!;
    [Inject] private ProjectRoleResolver Roles { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;

    protected override async Task OnParametersSetAsync()
    {
        var user = AuthenticationState is null ? new System.Security.Claims.ClaimsPrincipal() : (await AuthenticationState).User;
        _signedIn = user.Identity?.IsAuthenticated == true;
        var asked = QueryHelpers.ParseQuery(Navigation.ToAbsoluteUri(Navigation.Uri).Query).TryGetValue("project", out var values) && values.Count > 0
            ? values[0]
            : null;
        var access = await Roles.ResolveAsync(user, RouteData, asked ?? CircuitUser.Project, CancellationToken.None);
        if (access.Role is not null && access.Missing is null)
        {
            CircuitUser.EnterProject(access.Project, access.Role);
        }
        _access = access;
    }
}
