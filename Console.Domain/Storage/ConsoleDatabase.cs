using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VisionConsole.Domain.Projects;

namespace VisionConsole.Domain.Storage;

/// <summary>Creates or upgrades the database file in place and makes sure the default project exists.</summary>
public sealed partial class ConsoleDatabase(IDbContextFactory<ConsoleDbContext> contextFactory, ConsoleOptions options, TimeProvider time, ILogger<ConsoleDatabase> logger)
{
    /// <summary>Applies every pending schema step, switches the file to WAL and seeds the default project.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(options.DatabasePath));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken).ConfigureAwait(false)).ToList();
        if (pending.Count > 0)
        {
            LogUpgrading(options.DatabasePath, string.Join(", ", pending));
            await db.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
        // WAL is stored in the file: readers no longer block the writer, for every later connection.
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", cancellationToken).ConfigureAwait(false);
        if (!await db.Projects.AnyAsync(p => p.Name == Project.DefaultName, cancellationToken).ConfigureAwait(false))
        {
            db.Projects.Add(new Project(Project.DefaultName, time.GetUtcNow()));
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>True when the database opens and answers a query (the health check).</summary>
    public async Task<bool> CanQueryAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            return await db.Projects.AnyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            LogUnhealthy(ex);
            return false;
        }
    }

    /// <summary>EF options for the console's SQLite file; shared by the DI registration and tests.</summary>
    public static void Configure(DbContextOptionsBuilder builder, string databasePath, TimeSpan busyTimeout)
    {
        ArgumentNullException.ThrowIfNull(builder);
        SqliteNativeIsolation.Ensure();
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            // Microsoft.Data.Sqlite retries SQLITE_BUSY for up to this long as well.
            DefaultTimeout = (int)Math.Ceiling(busyTimeout.TotalSeconds),
            ForeignKeys = true,
        }.ToString();
        builder.UseSqlite(connectionString)
            .AddInterceptors(new SqlitePragmaInterceptor(busyTimeout));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Upgrading database {Path}: applying {Steps}")]
    private partial void LogUpgrading(string path, string steps);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database health check failed")]
    private partial void LogUnhealthy(Exception exception);
}

/// <summary>Runs <see cref="ConsoleDatabase.InitializeAsync"/> before the server accepts requests.</summary>
internal sealed class DatabaseStartup(ConsoleDatabase database) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => database.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
