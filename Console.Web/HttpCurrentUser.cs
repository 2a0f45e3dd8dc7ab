using VisionConsole.Domain;

namespace VisionConsole.Web;

/// <summary>
/// Who is asking: in a Blazor circuit, the account the circuit was opened by (<see cref="CircuitUser"/>); for an HTTP
/// request, its signed-in account or the account its API key acts as; otherwise <c>anonymous</c> (only the set-up and
/// sign-in forms are served to nobody).
/// </summary>
internal sealed class HttpCurrentUser(IHttpContextAccessor accessor, CircuitUser circuitUser) : ICurrentUser
{
    public const string Anonymous = "anonymous";

    public string Name => circuitUser.Name ?? accessor.HttpContext?.User.Identity?.Name ?? Anonymous;
}

/// <summary>
/// The account of one circuit, set by <c>Routes</c> from the authentication state the circuit started with (a circuit
/// has no HTTP request of its own to read).
/// </summary>
public sealed class CircuitUser
{
    public string? Name { get; set; }

    /// <summary>The account's id (what API keys created in this circuit act as).</summary>
    public string? UserId { get; set; }

    /// <summary>Whether that account administers the console.</summary>
    public bool IsAdministrator { get; set; }
}
