using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;

namespace VisionConsole.Web.Accounts;

/// <summary>
/// The sign-in, sign-out and first-run set-up form posts (plain forms with an antiforgery token, so the cookie is set by an
/// HTTP response, which a Blazor circuit cannot do). Each answers with a redirect: back to the form with the reason, or on.
/// </summary>
internal static class AccountEndpoints
{
    private static readonly SemaphoreSlim SetupLock = new(1, 1);

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/account").AllowAnonymous().ExcludeFromDescription();
        group.MapPost("/login", LoginAsync);
        group.MapPost("/logout", LogoutAsync);
        group.MapPost("/setup", SetupAsync);
        return endpoints;
    }

    private static async Task<IResult> LoginAsync([FromForm] LoginForm form, SignInManager<ConsoleUser> signIn)
    {
        var returnUrl = LocalOrHome(form.ReturnUrl);
        var result = await signIn.PasswordSignInAsync(form.UserName?.Trim() ?? string.Empty, form.Password ?? string.Empty, isPersistent: true, lockoutOnFailure: true).ConfigureAwait(false);
        if (result.Succeeded)
        {
            return Results.LocalRedirect(returnUrl);
        }
        var error = result.IsLockedOut ? "locked" : result.IsNotAllowed ? "not-allowed" : "wrong";
        return Results.LocalRedirect($"/account/login?error={error}&returnUrl={Uri.EscapeDataString(returnUrl)}");
    }

    private static async Task<IResult> LogoutAsync([FromForm] LogoutForm form, SignInManager<ConsoleUser> signIn)
    {
        _ = form;
        await signIn.SignOutAsync().ConfigureAwait(false);
        return Results.LocalRedirect("/account/login");
    }

    private static async Task<IResult> SetupAsync([FromForm] SetupForm form, UserManager<ConsoleUser> users, SignInManager<ConsoleUser> signIn,
        ProjectAccessService access, TimeProvider clock, ILoggerFactory loggers)
    {
        if (form.Password != form.ConfirmPassword)
        {
            return Results.LocalRedirect($"{FirstRunGate.SetupPath}?error={Uri.EscapeDataString("The two passwords differ.")}&userName={Uri.EscapeDataString(form.UserName ?? "")}");
        }
        // One administrator: two set-up forms sent at once must not both create one.
        await SetupLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (await access.HasAccountsAsync().ConfigureAwait(false))
            {
                return Results.LocalRedirect("/account/login?error=setup-done");
            }
            var user = await ConsoleAccounts.CreateAsync(users, form.UserName ?? string.Empty, form.Password ?? string.Empty, administrator: true, clock).ConfigureAwait(false);
            loggers.CreateLogger("VisionConsole.Web.Accounts").LogInformation("Administrator account {UserName} created on the set-up page.", user.UserName);
            await signIn.SignInAsync(user, isPersistent: true).ConfigureAwait(false);
            return Results.LocalRedirect("/");
        }
        catch (DomainException ex)
        {
            return Results.LocalRedirect($"{FirstRunGate.SetupPath}?error={Uri.EscapeDataString(ex.Message)}&userName={Uri.EscapeDataString(form.UserName ?? "")}");
        }
        finally
        {
            SetupLock.Release();
        }
    }

    /// <summary>Only back into this console: a local path, never another site.</summary>
    internal static string LocalOrHome(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            && !url.StartsWith("/account/", StringComparison.OrdinalIgnoreCase)
            ? url
            : "/";

    // Classes with setters, not positional records: a form may leave any field out.
    internal sealed class LoginForm
    {
        public string? UserName { get; set; }

        public string? Password { get; set; }

        public string? ReturnUrl { get; set; }
    }

    internal sealed class LogoutForm
    {
        public string? Reason { get; set; }
    }

    internal sealed class SetupForm
    {
        public string? UserName { get; set; }

        public string? Password { get; set; }

        public string? ConfirmPassword { get; set; }
    }
}
