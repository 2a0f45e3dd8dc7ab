using VisionConsole.Domain;

namespace VisionConsole.Web;

/// <summary>
/// Who is asking. In a Blazor circuit: the name captured from the <c>vc_user</c> cookie when the circuit
/// started (<see cref="CircuitUser"/>); for an HTTP request: the <c>X-User</c> header, else the <c>vc_user</c>
/// cookie; otherwise <c>anonymous</c>. The only place that decides; real sign-in replaces this class.
/// </summary>
internal sealed class HttpCurrentUser(IHttpContextAccessor accessor, CircuitUser circuitUser) : ICurrentUser
{
    public const string HeaderName = "X-User";
    public const string Anonymous = "anonymous";

    public string Name
    {
        get
        {
            if (circuitUser.Name is { } circuitName)
            {
                return circuitName;
            }
            var request = accessor.HttpContext?.Request;
            return ConsoleUserName.Normalize(request?.Headers[HeaderName].ToString())
                ?? ConsoleUserName.Normalize(request?.Cookies[ConsoleUserName.CookieName])
                ?? Anonymous;
        }
    }
}

/// <summary>
/// The name of the person using one circuit, captured from the initial request's cookie by <c>App</c>
/// (a circuit has no HTTP request of its own to read).
/// </summary>
public sealed class CircuitUser
{
    public string? Name { get; set; }
}

/// <summary>The console's simple identity: a name the person sets in the top bar, kept in a cookie.</summary>
public static class ConsoleUserName
{
    public const string CookieName = "vc_user";
    public const int MaxLength = 64;

    /// <summary>The trimmed name, or null when empty, too long or holding control characters.</summary>
    public static string? Normalize(string? value)
    {
        var trimmed = value?.Trim();
        return string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxLength || trimmed.Any(char.IsControl) ? null : trimmed;
    }

    /// <summary><c>POST /console/user</c> (a plain form in the top bar): stores the name in the cookie and goes back.</summary>
    public static IEndpointRouteBuilder MapConsoleUser(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/console/user", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var name = Normalize(form["name"]);
            if (name is null)
            {
                context.Response.Cookies.Delete(CookieName);
            }
            else
            {
                context.Response.Cookies.Append(CookieName, name, new CookieOptions
                {
                    Expires = DateTimeOffset.UtcNow.AddYears(1),
                    HttpOnly = true,
                    SameSite = SameSiteMode.Lax,
                    Path = "/",
                    IsEssential = true,
                });
            }
            var returnUrl = form["returnUrl"].ToString();
            // Only back into this console: a local path, never another site.
            return Results.LocalRedirect(returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.StartsWith("/\\", StringComparison.Ordinal) ? returnUrl : "/");
        }).DisableAntiforgery().ExcludeFromDescription();
        return endpoints;
    }
}
