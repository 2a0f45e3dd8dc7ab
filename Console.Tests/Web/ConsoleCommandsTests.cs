using System.Diagnostics;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;
using VisionConsole.Tests.Domain;
using VisionConsole.Tests.Domain.Datasets;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Tests.Web;

/// <summary>The console binary's <c>backup</c> and <c>restore</c> commands, run as a user runs them: a process of the built <c>Console.Web.dll</c>.</summary>
public sealed class ConsoleCommandsTests
{
    [Fact]
    public async Task BackupThenRestore_CommandLine_RestoresTheDatasetsIntoANewFolder()
    {
        await using var database = await TestDatabase.CreateAsync();
        var dataset = await database.Get<IDatasetService>().CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        await database.SeedImageAsync(dataset.Id, "ant.jpg");
        var work = TestDatabase.NewFolder();
        try
        {
            var zip = Path.Combine(work, "backup.zip");
            var restored = Path.Combine(work, "restored");

            var backup = await RunAsync("backup", "--data", database.Folder, "--to", zip);
            var restore = await RunAsync("restore", zip, "--data", restored);
            var again = await RunAsync("restore", zip, "--data", restored);
            var usage = await RunAsync("restore");

            Assert.True(backup.ExitCode == 0, backup.Error);
            Assert.Contains($"written to {zip}", backup.Output, StringComparison.Ordinal);
            Assert.Contains("1 datasets, 1 images", backup.Output, StringComparison.Ordinal);
            Assert.True(restore.ExitCode == 0, restore.Error);
            Assert.Contains($"restored into {restored}", restore.Output, StringComparison.Ordinal);
            await using (var copy = TestDatabase.CreateUninitialized(folder: restored))
            {
                Assert.Equal("insects", (await copy.Get<IDatasetService>().GetAsync(dataset.Id)).DisplayName);
            }
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("already holds a database", again.Error, StringComparison.Ordinal);
            Assert.Equal(2, usage.ExitCode);
            Assert.Contains("usage: restore", usage.Error, StringComparison.Ordinal);
        }
        finally
        {
            TestDatabase.DeleteFolder(work);
        }
    }

    [Fact]
    public async Task UsersAndApiKeys_CommandLine_FirstAccountAdministratorThenAMemberAKeyAndAReset()
    {
        var data = TestDatabase.NewFolder();
        try
        {
            var first = await RunWithInputAsync("root-password-1\n", "users", "create", "--user", "root", "--data", data);
            var member = await RunAsync("users", "create", "--user", "lab", "--role", "labeler", "--password", "lab-password-1", "--data", data);
            var taken = await RunAsync("users", "create", "--user", "lab", "--password", "lab-password-1", "--data", data);
            var key = await RunAsync("api-keys", "create", "--user", "lab", "--name", "ci", "--role", "labeler", "--data", data);
            var reset = await RunWithInputAsync("new-password-22\n", "users", "reset-password", "--user", "lab", "--data", data);
            var badRole = await RunAsync("api-keys", "create", "--user", "lab", "--role", "boss", "--data", data);
            var usage = await RunAsync("users", "create", "--data", data);

            Assert.True(first.ExitCode == 0, first.Error);
            Assert.Contains("account root created: administrator (the first account)", first.Output, StringComparison.Ordinal);
            Assert.True(member.ExitCode == 0, member.Error);
            Assert.Contains("account lab created: labeler in project default", member.Output, StringComparison.Ordinal);
            Assert.Equal(1, taken.ExitCode);
            Assert.Contains("is already taken", taken.Error, StringComparison.Ordinal);
            Assert.True(key.ExitCode == 0, key.Error);
            Assert.True(reset.ExitCode == 0, reset.Error);
            Assert.Equal(1, badRole.ExitCode);
            Assert.Contains("'boss' is not a role", badRole.Error, StringComparison.Ordinal);
            Assert.Equal(2, usage.ExitCode);
            await using var database = TestDatabase.CreateUninitialized(configure: services => services.AddConsoleIdentity(), folder: data);
            var identity = await database.Get<ApiKeyService>().CheckAsync(key.Output.Trim());
            Assert.Equal(("default", ProjectRole.Labeler, "lab"), (identity!.ProjectName, identity.Role, identity.UserName));
            await using var scope = database.Services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ConsoleUser>>();
            var lab = (await users.FindByNameAsync("lab"))!;
            Assert.True(await users.CheckPasswordAsync(lab, "new-password-22"));
            Assert.False(await users.CheckPasswordAsync(lab, "lab-password-1"));
            Assert.True((await users.FindByNameAsync("root"))!.IsAdministrator);
            Assert.False(lab.IsAdministrator);
        }
        finally
        {
            TestDatabase.DeleteFolder(data);
        }
    }

    private static Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    private static async Task<(int ExitCode, string Output, string Error)> RunWithInputAsync(string? input, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null, WorkingDirectory = AppContext.BaseDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Console.Web.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
