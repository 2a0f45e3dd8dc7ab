using System.Globalization;
using VisionConsole.Domain;
using VisionConsole.Domain.Storage;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Web;

/// <summary>
/// The console binary's commands besides serving: <c>backup [--data DIR] [--to FILE]</c> writes a consistent backup of a
/// data folder (while the console runs on it, or not) and <c>restore FILE --data DIR</c> restores one into a new, empty
/// data folder (<see cref="DataBackup"/>); <c>users</c> and <c>api-keys</c> manage accounts and keys without a browser
/// (<see cref="AccountCommands"/>). The data folder is found as the console finds it (<c>--data</c>, else
/// <c>VISIONCONSOLE_DATA</c>, else <c>./.data</c>).
/// </summary>
public static class ConsoleCommands
{
    /// <summary>True when the command line asks for a command rather than the web console.</summary>
    public static bool IsCommand(string[] args) => args is ["backup", ..] or ["restore", ..] or ["users", ..] or ["api-keys", ..];

    /// <summary>Runs the command; returns the exit code (0 done, 1 refused with the reason on <paramref name="error"/>, 2 usage).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args is ["users" or "api-keys", ..])
        {
            return await AccountCommands.RunAsync(args, output, error, cancellationToken).ConfigureAwait(false);
        }
        var rest = args.Skip(1).ToList();
        string? file = null;
        if (args[0] == "restore")
        {
            if (rest.Count == 0 || rest[0].StartsWith("--", StringComparison.Ordinal))
            {
                await error.WriteLineAsync("usage: restore BACKUP.zip --data NEW_FOLDER").ConfigureAwait(false);
                return 2;
            }
            file = rest[0];
            rest.RemoveAt(0);
        }
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine([.. rest]).Build();
        var options = ConsoleHost.ReadOptions(configuration);
        try
        {
            if (args[0] == "backup")
            {
                var to = Path.GetFullPath(configuration["to"] ?? $"visionconsole-backup-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.zip");
                var manifest = await DataBackup.WriteAsync(options, to, cancellationToken: cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync(Describe($"backup of {options.DataFolder} written to {to}", manifest)).ConfigureAwait(false);
            }
            else
            {
                var manifest = await DataBackup.RestoreAsync(Path.GetFullPath(file!), options, cancellationToken: cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync(Describe($"{file} restored into {options.DataFolder}; start the console with --data {options.DataFolder}", manifest)).ConfigureAwait(false);
            }
            return 0;
        }
        catch (DomainException ex)
        {
            await error.WriteLineAsync($"{args[0]}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (IOException ex)
        {
            await error.WriteLineAsync($"{args[0]}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static string Describe(string what, BackupManifest manifest)
    {
        var c = manifest.Counts;
        return string.Create(CultureInfo.InvariantCulture,
            $"{what}: database as of {manifest.CreatedAt:yyyy-MM-dd HH:mm:ss} UTC (schema {manifest.Migration}), {c.Datasets} datasets, {c.Images} images, " +
            $"{c.ImageLabels} image labels, {c.Boxes} boxes, {c.Models} models ({c.ModelVersions} versions), {c.HostedModels} hosted models; " +
            $"{manifest.Files} files, {manifest.Bytes / (1024.0 * 1024.0):0.0} MB");
    }
}
