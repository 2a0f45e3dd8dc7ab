using System.Diagnostics;
using VisionConsole.Domain.Datasets;
using VisionConsole.Tests.Domain;
using VisionConsole.Tests.Domain.Datasets;

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

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Console.Web.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
