using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace VisionConsole.Domain.Storage;

/// <summary>
/// What <c>dotnet ef migrations add</c> builds the model with (run from the repository root:
/// <c>dotnet ef migrations add Name --project Console.Domain --output-dir Storage/Migrations</c>).
/// The file it points at is never opened by the tool for generating migrations.
/// </summary>
internal sealed class DesignTimeConsoleDbContextFactory : IDesignTimeDbContextFactory<ConsoleDbContext>
{
    public ConsoleDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<ConsoleDbContext>();
        ConsoleDatabase.Configure(builder, Path.Combine(Path.GetTempPath(), "vision-console-design-time.db"), TimeSpan.FromSeconds(5));
        return new ConsoleDbContext(builder.Options);
    }
}
