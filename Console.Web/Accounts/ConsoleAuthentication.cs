using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using VisionConsole.Domain.Accounts;

namespace VisionConsole.Web.Accounts;

/// <summary>Sign-in settings: <c>--single-user</c> (<c>Auth:SingleUser</c>) runs without accounts, as the local administrator.</summary>
public sealed class AuthOptions
{
    /// <summary>Everyone who reaches the port is the administrator: for one person on a laptop; off by default.</summary>
    public bool SingleUser { get; set; }
}

/// <summary>
/// Who is calling: people sign in with ASP.NET Core Identity (a cookie), scripts and apps send <c>Authorization: Bearer</c>
/// with a project's API key, and in single-user mode everyone is the local administrator. Every endpoint needs one of them
/// (<see cref="ConsolePolicies"/>) except the sign-in and set-up pages, static files and <c>/healthz</c>.
/// </summary>
public static class ConsoleAuthentication
{
    /// <summary>The scheme that picks one of the three for each request.</summary>
    public const string Scheme = "Console";

    /// <summary>The sign-in cookie's name.</summary>
    public const string CookieName = "vc_auth";

    /// <summary>Adds Identity on the console's database, the three schemes, the policies and the refusal bodies.</summary>
    public static IServiceCollection AddConsoleAuthentication(this IServiceCollection services)
    {
        // Read when first needed, so settings a test host adds later still count.
        services.AddOptions<AuthOptions>().Configure<IConfiguration>((o, configuration) =>
            o.SingleUser = configuration.GetValue("single-user", configuration.GetValue("Auth:SingleUser", false)));
        services.AddConsoleIdentity()
            .AddSignInManager()
            .AddClaimsPrincipalFactory<ConsoleUserClaimsFactory>()
            .AddDefaultTokenProviders();
        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Cookie, API key or single user", scheme => scheme.ForwardDefaultSelector = context =>
                context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.SingleUser ? LocalUserAuthenticationHandler.SchemeName
                : ApiKeyAuthenticationHandler.BearerToken(context.Request) is not null ? ApiKeyAuthenticationHandler.SchemeName
                : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, LocalUserAuthenticationHandler>(LocalUserAuthenticationHandler.SchemeName, null)
            .AddIdentityCookies();
        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.Name = CookieName;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = TimeSpan.FromDays(14);
            cookie.SlidingExpiration = true;
            cookie.LoginPath = "/account/login";
            cookie.LogoutPath = "/account/logout";
            cookie.AccessDeniedPath = "/account/denied";
        });
        services.AddHostedService<SingleUserStartup>();
        services.AddConsolePolicies();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ConsoleAuthorizationResultHandler>();
        services.AddCascadingAuthenticationState();
        return services;
    }

    /// <summary>
    /// Authentication, the first-run gate (no account yet: only the set-up page, <c>/healthz</c> and static files) and
    /// authorization, in that order; after routing, so the gate and the policies see the endpoint.
    /// </summary>
    public static WebApplication UseConsoleAuthentication(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseMiddleware<FirstRunGate>();
        app.UseAuthorization();
        return app;
    }

    /// <summary>Writes an API refusal: the problem body of its family (Google's on <c>/v1</c>), with the console's code.</summary>
    internal static async Task WriteProblemAsync(HttpContext http, int status, string code, string title, string detail)
    {
        http.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Instance = http.Request.Path };
        problem.Extensions["code"] = code;
        var writer = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await writer.WriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem }).ConfigureAwait(false);
    }
}

/// <summary>Puts <see cref="ConsoleClaims.Administrator"/> on an administrator's sign-in.</summary>
internal sealed class ConsoleUserClaimsFactory(UserManager<ConsoleUser> users, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<ConsoleUser>(users, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(ConsoleUser user)
    {
        var identity = await base.GenerateClaimsAsync(user).ConfigureAwait(false);
        if (user.IsAdministrator)
        {
            identity.AddClaim(new Claim(ConsoleClaims.Administrator, "true"));
        }
        return identity;
    }
}

/// <summary>
/// Refusals: on the API a 401 (not signed in, no or a bad key), 403 (the role is not enough) or 404 (no such project, or
/// not a member) with an error body and never a redirect; pages go to the sign-in page or the access-denied page.
/// </summary>
internal sealed class ConsoleAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _pages = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded || !ApiPaths.IsApi(context.Request.Path))
        {
            await _pages.HandleAsync(next, context, policy, authorizeResult).ConfigureAwait(false);
            return;
        }
        if (authorizeResult.Challenged || context.User.Identity?.IsAuthenticated != true)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            var sentKey = ApiKeyAuthenticationHandler.BearerToken(context.Request) is not null;
            await ConsoleAuthentication.WriteProblemAsync(context, StatusCodes.Status401Unauthorized, "unauthenticated", "Unauthenticated",
                sentKey
                    ? "The API key is not valid or was revoked; create one on the console's API keys page."
                    : "Send Authorization: Bearer <API key> (create one on the console's API keys page), or sign in.").ConfigureAwait(false);
            return;
        }
        var reason = authorizeResult.AuthorizationFailure?.FailureReasons.OfType<ProjectAccessFailure>().FirstOrDefault();
        if (reason is { Code: "not-found" })
        {
            await ConsoleAuthentication.WriteProblemAsync(context, StatusCodes.Status404NotFound, "not-found", "Not found", reason.Message).ConfigureAwait(false);
            return;
        }
        await ConsoleAuthentication.WriteProblemAsync(context, StatusCodes.Status403Forbidden, "permission-denied", "Forbidden",
            reason?.Message ?? "This request is not allowed for this account or API key.").ConfigureAwait(false);
    }
}

/// <summary>
/// Until the first account exists the console serves only its set-up page, <c>/healthz</c> and static files: a page request
/// goes to <c>/account/setup</c>, an API call gets a 401 saying how to create the account. Off in single-user mode.
/// </summary>
internal sealed class FirstRunGate(RequestDelegate next, ProjectAccessService access, IOptions<AuthOptions> options)
{
    /// <summary>The set-up page's path.</summary>
    public const string SetupPath = "/account/setup";

    public async Task InvokeAsync(HttpContext context)
    {
        if (options.Value.SingleUser || await access.HasAccountsAsync(context.RequestAborted).ConfigureAwait(false) || IsOpen(context))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        if (ApiPaths.IsApi(context.Request.Path))
        {
            await ConsoleAuthentication.WriteProblemAsync(context, StatusCodes.Status401Unauthorized, "no-account", "No account yet",
                $"The console has no account yet: create the administrator at {SetupPath}, or with 'Console.Web users create'.").ConfigureAwait(false);
            return;
        }
        context.Response.Redirect(SetupPath);
    }

    private static bool IsOpen(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments(SetupPath, StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/healthz", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        // Static files (MapStaticAssets' endpoints allow anonymous) and anything not routed (404 as usual).
        var endpoint = context.GetEndpoint();
        return endpoint is null || (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null && !path.StartsWithSegments("/account", StringComparison.OrdinalIgnoreCase));
    }
}
