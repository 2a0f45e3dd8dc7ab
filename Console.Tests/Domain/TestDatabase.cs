using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Tests.Domain;

/// <summary>A real SQLite file in a fresh temporary folder, with the domain services over it.</summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private TestDatabase(string folder, ServiceProvider services)
    {
        Folder = folder;
        _services = services;
    }

    public string Folder { get; }

    public ConsoleOptions Options => _services.GetRequiredService<ConsoleOptions>();

    public IServiceProvider Services => _services;

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public ConsoleDbContext OpenContext() => Get<IDbContextFactory<ConsoleDbContext>>().CreateDbContext();

    /// <summary>Services over a database file that is not created yet.</summary>
    public static TestDatabase CreateUninitialized(Action<IServiceCollection>? configure = null, string? folder = null)
    {
        folder ??= NewFolder();
        var services = new ServiceCollection().AddLogging();
        services.AddConsoleDomain(new ConsoleOptions { DataFolder = folder });
        configure?.Invoke(services);
        return new TestDatabase(folder, services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true }));
    }

    /// <summary>Services over a database created and upgraded as the console does at start-up.</summary>
    public static async Task<TestDatabase> CreateAsync(Action<IServiceCollection>? configure = null)
    {
        var database = CreateUninitialized(configure);
        await database.Get<ConsoleDatabase>().InitializeAsync();
        return database;
    }

    public static string NewFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "vc-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static void DeleteFolder(string folder)
    {
        // Pooled connections keep the file open.
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        DeleteFolder(Folder);
    }
}
