using Microsoft.AspNetCore.Identity;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Projects;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Web.Accounts;

/// <summary>
/// Accounts and API keys from the command line, for scripts, CI and a forgotten password (the console may be running):
/// <list type="bullet">
/// <item><c>users create --user NAME [--admin] [--role ROLE] [--project NAME]</c>: an account (the first one is always the
/// administrator), with a role in the project (default <c>default</c>) unless it is the administrator;</item>
/// <item><c>users reset-password --user NAME</c>: a new password, the lockout ended;</item>
/// <item><c>api-keys create --user NAME --name KEYNAME --role ROLE [--project NAME]</c>: prints the new key, once.</item>
/// </list>
/// Passwords are read from the first line of standard input (<c>--password-stdin</c>, the default) or from <c>--password</c>
/// (visible in process lists: for throw-away machines). The data folder is found as the console finds it.
/// </summary>
public static class AccountCommands
{
    private const string Usage = """
        usage: users create --user NAME [--admin] [--role viewer|labeler|reviewer|editor|owner] [--project NAME] [--password P | --password-stdin]
               users reset-password --user NAME [--password P | --password-stdin]
               api-keys create --user NAME --name KEYNAME --role ROLE [--project NAME]
        (each also takes --data DIR)
        """;

    /// <summary>Runs one command; 0 done, 1 refused (the reason on <paramref name="error"/>), 2 usage.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default, TextReader? input = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Length < 2 || (args[0], args[1]) is not (("users", "create") or ("users", "reset-password") or ("api-keys", "create")))
        {
            await error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }
        // --admin is a flag: give it a value so the configuration reader keeps the pairs aligned.
        var pairs = args.Skip(2).SelectMany(a => a == "--admin" ? ["--admin", "true"] : a == "--password-stdin" ? ["--password-stdin", "true"] : new[] { a }).ToArray();
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(pairs).Build();
        var userName = configuration["user"];
        if (string.IsNullOrWhiteSpace(userName))
        {
            await error.WriteLineAsync($"{args[0]} {args[1]}: --user NAME is required.{Environment.NewLine}{Usage}").ConfigureAwait(false);
            return 2;
        }
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddConsoleDomain(ConsoleHost.ReadOptions(configuration));
        services.AddConsoleIdentity();
        await using var provider = services.BuildServiceProvider();
        try
        {
            await provider.GetRequiredService<ConsoleDatabase>().InitializeAsync(cancellationToken).ConfigureAwait(false);
            await using var scope = provider.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ConsoleUser>>();
            var project = configuration["project"] ?? Project.DefaultName;
            switch ((args[0], args[1]))
            {
                case ("users", "create"):
                    {
                        var password = await PasswordAsync(configuration, input).ConfigureAwait(false);
                        var first = !await provider.GetRequiredService<ProjectAccessService>().HasAccountsAsync(cancellationToken).ConfigureAwait(false);
                        var admin = first || configuration.GetValue("admin", false);
                        var role = ProjectRoles.Parse(configuration["role"] ?? nameof(ProjectRole.Viewer));
                        var user = await ConsoleAccounts.CreateAsync(users, userName, password, admin, TimeProvider.System).ConfigureAwait(false);
                        if (!admin)
                        {
                            await provider.GetRequiredService<ProjectAccessService>().SetMemberAsync(project, user.UserName!, role, "command line", cancellationToken).ConfigureAwait(false);
                        }
                        await output.WriteLineAsync(admin
                            ? $"account {user.UserName} created: administrator{(first ? " (the first account)" : "")}"
                            : $"account {user.UserName} created: {role.ToString().ToLowerInvariant()} in project {project}").ConfigureAwait(false);
                        break;
                    }
                case ("users", "reset-password"):
                    await ConsoleAccounts.ResetPasswordAsync(users, userName, await PasswordAsync(configuration, input).ConfigureAwait(false)).ConfigureAwait(false);
                    await output.WriteLineAsync($"password of {userName} reset; its lockout ended and its sign-ins elsewhere end").ConfigureAwait(false);
                    break;
                default:
                    {
                        var user = await users.FindByNameAsync(userName).ConfigureAwait(false) ?? throw new NotFoundException($"Account '{userName}'");
                        var created = await provider.GetRequiredService<ApiKeyService>().CreateAsync(
                            project, configuration["name"] ?? "command line", ProjectRoles.Parse(configuration["role"]), user.Id, cancellationToken).ConfigureAwait(false);
                        // The key alone on stdout, so a script can capture it; what it is goes to stderr.
                        await error.WriteLineAsync($"API key '{created.Key.Name}' of project {project} ({created.Key.Role.ToString().ToLowerInvariant()}, acting as {user.UserName}); it is shown only now:").ConfigureAwait(false);
                        await output.WriteLineAsync(created.Secret).ConfigureAwait(false);
                        break;
                    }
            }
            return 0;
        }
        catch (DomainException ex)
        {
            await error.WriteLineAsync($"{args[0]} {args[1]}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static async Task<string> PasswordAsync(IConfiguration configuration, TextReader? input)
    {
        if (configuration["password"] is { Length: > 0 } password)
        {
            return password;
        }
        var line = await (input ?? Console.In).ReadLineAsync().ConfigureAwait(false);
        return string.IsNullOrEmpty(line)
            ? throw new DomainException("invalid-account", "No password: send it as the first line of standard input, or with --password.")
            : line;
    }
}
