using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Operations;

namespace VisionConsole.Tests.Domain.Operations;

/// <summary>Deleting operations on a real SQLite file and data folder: finished ones go with their files, others are refused.</summary>
public sealed class OperationDeleteTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task DeleteAsync_SucceededExport_RowZipGoneAndAudited()
    {
        var options = _database.Get<ConsoleOptions>();
        long id;
        await using (var db = _database.OpenContext())
        {
            var operation = new Operation(new ExportRequest(0, ExportFormat.FolderZip), null, "ann", DateTimeOffset.UtcNow);
            db.Operations.Add(operation);
            await db.SaveChangesAsync();
            id = operation.Id;
            operation.Start(DateTimeOffset.UtcNow);
            operation.Complete(new ExportResult(ExportFormat.FolderZip, 1, 3, $"exports/{id}.zip"), "completed", DateTimeOffset.UtcNow);
            await db.SaveChangesAsync();
        }
        Directory.CreateDirectory(options.ExportFolder);
        var zip = Path.Combine(options.ExportFolder, $"{id}.zip");
        await File.WriteAllTextAsync(zip, "zip");

        await _database.Get<IOperationService>().DeleteAsync(id, "bob");

        Assert.False(File.Exists(zip));
        await Assert.ThrowsAsync<NotFoundException>(() => _database.Get<IOperationService>().GetAsync(id));
        await using var check = _database.OpenContext();
        var audit = await check.AuditEvents.SingleAsync(a => a.EntityType == "operation" && a.Action == "deleted");
        Assert.Equal(("bob", id.ToString(System.Globalization.CultureInfo.InvariantCulture)), (audit.User, audit.EntityId));
    }

    [Fact]
    public async Task DeleteAsync_QueuedOperation_RefusedAndKept()
    {
        long id;
        await using (var db = _database.OpenContext())
        {
            var operation = new Operation(new ExportRequest(0, ExportFormat.FolderZip), null, "ann", DateTimeOffset.UtcNow);
            db.Operations.Add(operation);
            await db.SaveChangesAsync();
            id = operation.Id;
        }

        var refused = await Assert.ThrowsAsync<DomainException>(() => _database.Get<IOperationService>().DeleteAsync(id, "bob"));

        Assert.Equal("invalid-transition", refused.Code);
        Assert.Contains("cancel it", refused.Message, StringComparison.Ordinal);
        Assert.Equal(OperationState.Queued, (await _database.Get<IOperationService>().GetAsync(id)).State);
    }
}
