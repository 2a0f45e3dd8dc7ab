using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using VisionConsole.Tests.Domain;

namespace VisionConsole.Tests.Web;

/// <summary>The whole console in memory over a fresh temporary data folder (real SQLite file, real blob store, real libvips).</summary>
public sealed class ConsoleWebFactory : WebApplicationFactory<Program>
{
    public string DataFolder { get; } = TestDatabase.NewFolder();

    /// <summary>More host settings (command-line names, for example <c>sweep-grace</c>); set before the first client.</summary>
    public Dictionary<string, string> Settings { get; } = [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("data", DataFolder);
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        TestDatabase.DeleteFolder(DataFolder);
    }
}
