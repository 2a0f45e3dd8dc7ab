using VisionConsole.Domain.Export;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Operations;

namespace VisionConsole.Tests.Domain.Operations;

/// <summary>The operations grid's query on a real SQLite file: filter, order, page and total.</summary>
public sealed class OperationStorePageTests
{
    private static async Task<(TestDatabase Db, OperationStore Store)> SeedAsync()
    {
        var db = await TestDatabase.CreateAsync();
        var now = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
        await using (var context = db.OpenContext())
        {
            // Ids 1..5: import, export, import (failed), export (failed), import; no dataset row needed.
            for (var i = 0; i < 5; i++)
            {
                OperationRequest request = i % 2 == 0
                    ? new ImportRequest(0, [new ImportFile("a.zip", "/tmp/a.zip")], ImportFormat.FolderTree)
                    : new ExportRequest(0, ExportFormat.FolderZip);
                var operation = new Operation(request, null, "tester", now.AddMinutes(i));
                if (i is 2 or 3)
                {
                    operation.Fail("test", now.AddMinutes(i));
                }
                context.Operations.Add(operation);
            }
            await context.SaveChangesAsync();
        }
        return (db, db.Get<OperationStore>());
    }

    [Fact]
    public async Task ListPageAsync_SecondPageOfTwoNewestFirst_ReturnsIdsThreeAndTwoAndTheTotal()
    {
        var (db, store) = await SeedAsync();
        await using var _ = db;

        var page = await store.ListPageAsync(new OperationQuery(Take: 2, Skip: 2));

        Assert.Equal(5, page.Total);
        Assert.Equal([3L, 2L], page.Items.Select(o => o.Id));
    }

    [Fact]
    public async Task ListPageAsync_ByKindAscendingDoneOnly_FiltersThenOrdersWithIdTieBreak()
    {
        var (db, store) = await SeedAsync();
        await using var _ = db;

        var page = await store.ListPageAsync(new OperationQuery(Done: true, SortBy: OperationSortField.Kind, Descending: false));

        // Failed ones only: 4 (export-data) sorts before 3 (import-data).
        Assert.Equal(2, page.Total);
        Assert.Equal([4L, 3L], page.Items.Select(o => o.Id));
    }

    [Fact]
    public async Task ListPageAsync_ByStateDescending_QueuedBeforeFailedNewestFirstWithin()
    {
        var (db, store) = await SeedAsync();
        await using var _ = db;

        var page = await store.ListPageAsync(new OperationQuery(SortBy: OperationSortField.State, Descending: true, Take: 10));

        // States are stored by name: "Queued" (5, 2, 1) sorts after "Failed" (4, 3), so descending puts it first.
        Assert.Equal([5L, 2L, 1L, 4L, 3L], page.Items.Select(o => o.Id));
    }
}
