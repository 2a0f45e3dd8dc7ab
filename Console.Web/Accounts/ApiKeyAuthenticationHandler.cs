using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using VisionConsole.Domain.Accounts;

namespace VisionConsole.Web.Accounts;

/// <summary><c>Authorization: Bearer &lt;API key&gt;</c>: the key's account, limited to the key's project and role.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyService keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>
    /// The bearer token of the request, or null when it has none; on the hub also the <c>access_token</c> query value,
    /// since a browser's WebSocket cannot send headers (SignalR's clients put the token there).
    /// </summary>
    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }
        return request.Path.StartsWithSegments("/hubs", StringComparison.OrdinalIgnoreCase) && request.Query["access_token"] is [{ Length: > 0 } token] ? token : null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (BearerToken(Request) is not { Length: > 0 } token)
        {
            return AuthenticateResult.NoResult();
        }
        var key = await keys.CheckAsync(token, Context.RequestAborted).ConfigureAwait(false);
        return key is null
            ? AuthenticateResult.Fail("The API key is not valid or was revoked.")
            : AuthenticateResult.Success(new AuthenticationTicket(ConsoleClaims.ForApiKey(key, SchemeName), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return base.HandleChallengeAsync(properties);
    }
}

/// <summary>Single-user mode (<c>--single-user</c>): every request is the local administrator, no sign-in.</summary>
internal sealed class LocalUserAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "LocalUser";

    /// <summary>The name audit events record in single-user mode.</summary>
    public const string UserName = "local";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [
                new(System.Security.Claims.ClaimTypes.NameIdentifier, UserName),
                new(System.Security.Claims.ClaimTypes.Name, UserName),
                new(ConsoleClaims.Administrator, "true"),
            ], SchemeName)), SchemeName)));
}
