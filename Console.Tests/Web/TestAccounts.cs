using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Projects;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Tests.Web;

/// <summary>
/// Real accounts and API keys in a test console, made the way the console makes them (Identity's user manager, the
/// key service): the administrator every test client calls as, and people with a role in the default project.
/// </summary>
public sealed class TestAccounts(IServiceProvider services)
{
    /// <summary>The administrator's user name (the first account).</summary>
    public const string AdministratorName = "admin";

    /// <summary>Every test account's password.</summary>
    public const string Password = "test-password-1";

    private readonly ConcurrentDictionary<(string, ProjectRole), Lazy<Task<string>>> _keys = new();

    /// <summary>An API key of the default project acting as <paramref name="userName"/> with <paramref name="role"/> (made once, then reused).</summary>
    public Task<string> KeyAsync(string userName = AdministratorName, ProjectRole role = ProjectRole.Owner) =>
        _keys.GetOrAdd((userName, role), key => new Lazy<Task<string>>(() => CreateKeyAsync(key.Item1, key.Item2))).Value;

    /// <summary>The account <paramref name="userName"/>: the administrator for <see cref="AdministratorName"/>, else a member with <paramref name="role"/>.</summary>
    public async Task<ConsoleUser> AccountAsync(string userName, ProjectRole role = ProjectRole.Owner)
    {
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ConsoleUser>>();
        var user = await users.FindByNameAsync(userName);
        if (user is null)
        {
            user = await ConsoleAccounts.CreateAsync(users, userName, Password, administrator: userName == AdministratorName, TimeProvider.System);
        }
        if (!user.IsAdministrator)
        {
            await services.GetRequiredService<ProjectAccessService>().SetMemberAsync(Project.DefaultName, userName, role, AdministratorName);
        }
        return user;
    }

    /// <summary>Sets <paramref name="client"/>'s default <c>Authorization: Bearer</c> to a key of <paramref name="userName"/>.</summary>
    public async Task<HttpClient> AuthorizeAsync(HttpClient client, string userName = AdministratorName, ProjectRole role = ProjectRole.Owner)
    {
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await KeyAsync(userName, role));
        return client;
    }

    /// <summary>
    /// A key of an owner for the console on <paramref name="dataFolder"/>, made by the console's own command line
    /// (<c>users create</c>, then <c>api-keys create</c>), as a script would before it starts the console.
    /// </summary>
    public static async Task<string> CommandLineKeyAsync(string dataFolder, string userName = AdministratorName)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var created = await AccountCommands.RunAsync(["users", "create", "--user", userName, "--password", Password, "--role", "owner", "--data", dataFolder], output, error);
        // A restart on the same folder finds the account made before.
        if (created != 0 && !error.ToString().Contains("is already taken", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"users create exited {created}: {error}");
        }
        using var key = new StringWriter();
        var exit = await AccountCommands.RunAsync(["api-keys", "create", "--user", userName, "--name", "tests", "--role", "owner", "--data", dataFolder], key, error);
        return exit == 0 ? key.ToString().Trim() : throw new InvalidOperationException($"api-keys create exited {exit}: {error}");
    }

    private async Task<string> CreateKeyAsync(string userName, ProjectRole role)
    {
        var user = await AccountAsync(userName, role);
        var created = await services.GetRequiredService<ApiKeyService>().CreateAsync(Project.DefaultName, $"tests {userName} {role}", role, user.Id);
        return created.Secret;
    }
}
