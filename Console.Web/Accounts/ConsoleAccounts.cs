using Microsoft.AspNetCore.Identity;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;

namespace VisionConsole.Web.Accounts;

/// <summary>Creating accounts and resetting passwords, the same for the set-up page, the console and the command line.</summary>
public static class ConsoleAccounts
{
    /// <summary>Identity on the console's database with the console's password and lockout rules (no sign-in: see <see cref="ConsoleAuthentication"/>).</summary>
    public static IdentityBuilder AddConsoleIdentity(this IServiceCollection services) =>
        services.AddIdentityCore<ConsoleUser>(identity =>
            {
                // NIST 800-63B: length over composition rules.
                identity.Password.RequiredLength = MinPasswordLength;
                identity.Password.RequireNonAlphanumeric = false;
                identity.Password.RequireUppercase = false;
                identity.Password.RequireLowercase = false;
                identity.Password.RequireDigit = false;
                identity.Lockout.MaxFailedAccessAttempts = 5;
                identity.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                identity.Lockout.AllowedForNewUsers = true;
                identity.User.AllowedUserNameCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._@+";
            })
            .AddEntityFrameworkStores<VisionConsole.Domain.Storage.ConsoleDbContext>();

    /// <summary>Shortest password accepted.</summary>
    public const int MinPasswordLength = 10;

    /// <summary>Creates an account; the first one should be the administrator.</summary>
    /// <exception cref="DomainException"><c>invalid-account</c> with Identity's reasons (name taken, password too short...).</exception>
    public static async Task<ConsoleUser> CreateAsync(UserManager<ConsoleUser> users, string userName, string password, bool administrator, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(clock);
        var name = userName?.Trim() ?? string.Empty;
        if (name.Length is 0 or > ConsoleUser.MaxUserNameLength)
        {
            throw new DomainException("invalid-account", $"A user name is 1-{ConsoleUser.MaxUserNameLength} characters.");
        }
        var user = new ConsoleUser { UserName = name, IsAdministrator = administrator, CreatedAt = clock.GetUtcNow() };
        Check(await users.CreateAsync(user, password ?? string.Empty).ConfigureAwait(false), $"Account '{name}' was not created");
        return user;
    }

    /// <summary>Sets a new password, ends the lockout and signs the account out everywhere (a new security stamp).</summary>
    /// <exception cref="NotFoundException">No such account.</exception>
    /// <exception cref="DomainException"><c>invalid-account</c>: the password is refused.</exception>
    public static async Task ResetPasswordAsync(UserManager<ConsoleUser> users, string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(users);
        var user = await users.FindByNameAsync(userName).ConfigureAwait(false) ?? throw new NotFoundException($"Account '{userName}'");
        foreach (var validator in users.PasswordValidators)
        {
            Check(await validator.ValidateAsync(users, user, password).ConfigureAwait(false), "The password was not changed");
        }
        if (await users.HasPasswordAsync(user).ConfigureAwait(false))
        {
            Check(await users.RemovePasswordAsync(user).ConfigureAwait(false), "The password was not changed");
        }
        Check(await users.AddPasswordAsync(user, password).ConfigureAwait(false), "The password was not changed");
        Check(await users.SetLockoutEndDateAsync(user, null).ConfigureAwait(false), "The lockout was not ended");
        Check(await users.ResetAccessFailedCountAsync(user).ConfigureAwait(false), "The lockout was not ended");
    }

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new DomainException("invalid-account", $"{what}: {string.Join(" ", result.Errors.Select(e => e.Description))}");
        }
    }
}

/// <summary>
/// Single-user mode: makes sure the <c>local</c> account exists (administrator, no password, so nobody can sign in as it
/// when the mode is turned off), so that API keys created in this mode have an account to act as.
/// </summary>
internal sealed class SingleUserStartup(IServiceProvider services, Microsoft.Extensions.Options.IOptions<AuthOptions> options, TimeProvider clock) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.SingleUser)
        {
            return;
        }
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ConsoleUser>>();
        if (await users.FindByIdAsync(LocalUserAuthenticationHandler.UserName).ConfigureAwait(false) is null)
        {
            var local = new ConsoleUser
            {
                Id = LocalUserAuthenticationHandler.UserName,
                UserName = LocalUserAuthenticationHandler.UserName,
                IsAdministrator = true,
                CreatedAt = clock.GetUtcNow(),
            };
            var result = await users.CreateAsync(local).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"The local account of single-user mode was not created: {string.Join(" ", result.Errors.Select(e => e.Description))}");
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
