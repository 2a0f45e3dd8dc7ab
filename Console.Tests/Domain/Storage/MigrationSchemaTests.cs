using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Storage;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;

namespace VisionConsole.Tests.Domain.Storage;

public class MigrationSchemaTests
{
    private const string InitialStep = "20260101000000_Initial";
    private const string SecondStep = "20260201000000_TrainingAndModels";
    private const string ThirdStep = "20260301000000_OperationResults";
    private const string FourthStep = "20261101000000_ImagePerceptualHash";
    private const string FifthStep = "20261201000000_OneOperationModel";
    private const string SixthStep = "20261202011051_ImageDeletionAndLabelEdits";
    private const string SeventhStep = "20261202041049_BoxLabeling";
    private const string EighthStep = "20261203082526_HostedModels";
    private const string NinthStep = "20261204003848_Accounts";
    private const string LatestStep = "20261204033051_LabelingQueue";

    [Fact]
    public async Task Initialize_DatabaseAtFirstStepWithRows_UpgradesInPlaceKeepingRows()
    {
        var folder = TestDatabase.NewFolder();
        try
        {
            var path = Path.Combine(folder, "console.db");
            await using (var old = OpenContext(path))
            {
                await old.GetService<IMigrator>().MigrateAsync(InitialStep);
            }
            WriteRowsAtFirstStep(path);

            // Open it as the current build does at start-up.
            await using var database = TestDatabase.CreateUninitialized(folder: folder);
            await database.Get<ConsoleDatabase>().InitializeAsync();

            await using (var db = database.OpenContext())
            {
                Assert.Equal([InitialStep, SecondStep, ThirdStep, FourthStep, FifthStep, SixthStep, SeventhStep, EighthStep, NinthStep, LatestStep], await db.Database.GetAppliedMigrationsAsync());
                Assert.Equal(1, await db.Projects.CountAsync());
            }
            var datasets = database.Get<IDatasetService>();
            var summary = Assert.Single(await datasets.ListAsync());
            Assert.Equal(("old insects", DatasetKind.SingleLabel, 3, 2, "ann"), (summary.DisplayName, summary.Kind, summary.ImageCount, summary.LabelCount, summary.CreatedBy));
            Assert.Equal(new DateTimeOffset(2026, 1, 15, 10, 0, 0, TimeSpan.Zero), summary.CreatedAt);
            var labels = await datasets.ListLabelsAsync(summary.Id);
            Assert.Equal([("ants", 2), ("bees", 1)], labels.Select(l => (l.Name, l.ImageCount)));
            var page = await datasets.QueryImagesAsync(summary.Id, new ImageQuery(LabelId: labels[0].Id));
            Assert.Equal(["a1.jpg", "a2.jpg"], page.Items.Select(i => i.FileName));
            Assert.Equal(DataSplit.Test, page.Items[1].Split);

            // The second step's schema is usable on the upgraded file.
            await using (var db = database.OpenContext())
            {
                var dataset = await db.Datasets.Include(d => d.Labels).SingleAsync();
                dataset.Description = "upgraded";
                var image = await db.Images.Include(i => i.Boxes).FirstAsync(i => i.FileName == "b1.jpg");
                image.AddBox(dataset.Labels.Single(l => l.Name == "bees"), new BoxRect(0.1, 0.2, 0.3, 0.4), "bob", DateTimeOffset.UtcNow);
                var op = new Operation(new TrainingRequest("insects", dataset.Id), dataset.Id, "bob", DateTimeOffset.UtcNow);
                op.Start(DateTimeOffset.UtcNow);
                db.Operations.Add(op);
                var model = new Model(dataset.ProjectId, dataset.Id, "insects", DatasetKind.SingleLabel, ["ants", "bees"], "bob", DateTimeOffset.UtcNow);
                model.AddVersion("mobile-versatile-1", new ModelFiles("models/1/model.onnx", "models/1/dict.txt"), null, DateTimeOffset.UtcNow).AddTag("latest");
                db.Models.Add(model);
                await db.SaveChangesAsync();
                db.Evaluations.Add(new Evaluation(model.Versions.Single().Id, """{"top1":0.95}""", "[]", DateTimeOffset.UtcNow));
                await db.SaveChangesAsync();
            }
            await using (var db = database.OpenContext())
            {
                Assert.Equal("upgraded", (await db.Datasets.SingleAsync()).Description);
                Assert.Equal(new BoxRect(0.1, 0.2, 0.3, 0.4), (await db.Boxes.SingleAsync()).Rect);
                Assert.Equal(OperationState.Running, (await db.Operations.SingleAsync()).State);
                Assert.Equal("latest", (await db.ModelVersions.SingleAsync()).Tags);
                Assert.Equal("""{"top1":0.95}""", (await db.Evaluations.SingleAsync()).MetricsJson);
                // Images from before the hash was kept have none until the health page computes it.
                Assert.All(await db.Images.ToListAsync(), i => Assert.Null(i.PerceptualHash));
                // Upgraded images are not deleted (the fifth step's columns start empty), and wait for a first review.
                Assert.Equal(3, await db.Images.CountAsync());
                var upgraded = await db.Images.ToListAsync();
                Assert.All(upgraded, i => Assert.Equal(ImageReviewState.Unreviewed, i.ReviewState));
                Assert.Equal(["bob"], upgraded.Where(i => i.LabeledBy is not null).Select(i => i.LabeledBy)); // drew the box above
                var audit = await db.AuditEvents.SingleAsync();
                Assert.Equal(("dataset", "1", "created"), (audit.EntityType, audit.EntityId, audit.Action));
            }
        }
        finally
        {
            TestDatabase.DeleteFolder(folder);
        }
    }

    [Fact]
    public async Task Initialize_DatabaseAtFourthStepWithOperations_RenamesInPlaceAndReadsEveryKindTyped()
    {
        var folder = TestDatabase.NewFolder();
        try
        {
            var path = Path.Combine(folder, "console.db");
            await using (var old = OpenContext(path))
            {
                await old.GetService<IMigrator>().MigrateAsync(FourthStep);
            }
            WriteRowsAtFirstStep(path);
            // A succeeded training (result only in ResultModelVersionId, as that step kept it), a finished import, a queued export.
            var ticks = new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.Zero).UtcTicks;
            using (var connection = new SqliteConnection($"Data Source={path}"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = """
                    INSERT INTO Models (Id, ProjectId, DatasetId, DisplayName, Kind, LabelsJson, CreatedBy, CreatedAt) VALUES (4, 1, 1, 'insects', 'SingleLabel', '["ants","bees"]', 'ann', $t);
                    INSERT INTO ModelVersions (Id, ModelId, Number, ModelType, ModelFile, LabelsFile, TfjsFolder, TrainingOperationId, CreatedAt, Tags) VALUES (9, 4, 1, 'mobile-versatile-1', 'models/4/v1/model.onnx', 'models/4/v1/dict.txt', NULL, 1, $t, '');
                    INSERT INTO TrainingOperations (Id, Kind, DatasetId, State, RequestJson, ProgressJson, Error, StopReason, CreatedBy, CreatedAt, StartedAt, FinishedAt, ResultModelVersionId, Version, ResultJson) VALUES
                      (1, 'train-classifier', 1, 'Succeeded', '{"displayName":"insects","datasetId":1,"modelType":"mobile-versatile-1"}', NULL, NULL, 'converged', 'ann', $t, $t, $t, 9, 4, NULL),
                      (2, 'import-data', 1, 'Succeeded', '{"datasetId":1,"files":[{"name":"a.zip","path":"/x/a.zip"}],"format":"Auto","cocoBoxes":"Auto","user":"ann"}',
                         '{"phase":"Done","done":3,"total":3,"imported":3,"duplicates":0,"refused":0,"warnings":0,"errors":0,"message":"done"}', NULL, 'completed', 'ann', $t, $t, $t, NULL, 5,
                         '{"format":"FolderTree","items":3,"imported":3,"duplicates":0,"refused":0,"warnings":0,"errors":0,"labelsCreated":2,"labelsAssigned":3,"boxesAdded":0,"reportFile":"reports/import-2.csv"}'),
                      (3, 'export-data', 1, 'Queued', '{"datasetId":1,"format":"Coco","user":"ann"}', NULL, NULL, NULL, 'ann', $t, NULL, NULL, NULL, 1, NULL);
                    """;
                command.Parameters.AddWithValue("$t", ticks);
                command.ExecuteNonQuery();
            }

            await using var database = TestDatabase.CreateUninitialized(folder: folder);
            await database.Get<ConsoleDatabase>().InitializeAsync();

            var operations = database.Get<VisionConsole.Domain.Operations.IOperationService>();
            var all = await operations.ListAsync(new VisionConsole.Domain.Operations.OperationQuery());
            Assert.Equal([3L, 2L, 1L], all.Select(o => o.Id));
            var training = await operations.GetAsync(1);
            Assert.Equal(new TrainingResult(4, 9), training.Result);
            Assert.Equal(("insects", "mobile-versatile-1"), (training.Training!.DisplayName, training.Training.ModelType));
            var import = await operations.GetAsync(2);
            Assert.Equal((3, 2), (import.ImportResult!.Imported, import.ImportResult.LabelsCreated));
            Assert.Equal(VisionConsole.Domain.Import.ImportPhase.Done, import.ImportProgress!.Phase);
            var export = await operations.GetAsync(3);
            Assert.Equal((OperationState.Queued, VisionConsole.Domain.Export.ExportFormat.Coco), (export.State, ((VisionConsole.Domain.Export.ExportRequest)export.Request).Format));
            await using var db = database.OpenContext();
            Assert.Null((await db.ModelVersions.SingleAsync()).ReadTraining());
        }
        finally
        {
            TestDatabase.DeleteFolder(folder);
        }
    }

    [Fact]
    public async Task Migrations_AppliedToEmptyFile_ProduceTheSchemaTheModelDescribes()
    {
        await using var migrated = await TestDatabase.CreateAsync();
        var modelFolder = TestDatabase.NewFolder();
        try
        {
            var modelPath = Path.Combine(modelFolder, "model.db");
            await using (var db = OpenContext(modelPath))
            {
                await db.Database.EnsureCreatedAsync();
            }

            var expected = DescribeSchema(modelPath);
            var actual = DescribeSchema(migrated.Options.DatabasePath);

            Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
            foreach (var table in expected.Keys)
            {
                Assert.Equal(expected[table], actual[table]);
            }
        }
        finally
        {
            TestDatabase.DeleteFolder(modelFolder);
        }
    }

    [Fact]
    public async Task ModelSnapshot_ComparedWithTheModel_HasNoPendingChanges()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var db = database.OpenContext();

        // A model change without `dotnet ef migrations add` fails here (and at start-up, PendingModelChangesWarning).
        Assert.False(db.Database.HasPendingModelChanges());
    }

    [Fact]
    public async Task Initialize_NewFile_UsesWalAndBusyTimeout()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var db = database.OpenContext();
        await db.Database.OpenConnectionAsync();
        var connection = db.Database.GetDbConnection();

        Assert.Equal("wal", Pragma(connection, "journal_mode"));
        Assert.Equal("30000", Pragma(connection, "busy_timeout"));
        Assert.Equal("1", Pragma(connection, "foreign_keys"));
    }

    [Fact]
    public async Task Initialize_Twice_IsIdempotent()
    {
        await using var database = await TestDatabase.CreateAsync();

        await database.Get<ConsoleDatabase>().InitializeAsync();

        await using var db = database.OpenContext();
        Assert.Equal(1, await db.Projects.CountAsync());
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    private static ConsoleDbContext OpenContext(string path)
    {
        var builder = new DbContextOptionsBuilder<ConsoleDbContext>();
        ConsoleDatabase.Configure(builder, path, TimeSpan.FromSeconds(5));
        return new ConsoleDbContext(builder.Options);
    }

    /// <summary>Rows as a build of the first step wrote them: plain SQL, since today's model has more columns.</summary>
    private static void WriteRowsAtFirstStep(string path)
    {
        var ticks = new DateTimeOffset(2026, 1, 15, 10, 0, 0, TimeSpan.Zero).UtcTicks;
        using var connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO Projects (Id, Name, CreatedAt) VALUES (1, 'default', $t);
            INSERT INTO Datasets (Id, ProjectId, DisplayName, Kind, CreatedBy, CreatedAt) VALUES (1, 1, 'old insects', 'SingleLabel', 'ann', $t);
            INSERT INTO Labels (Id, DatasetId, Name, NormalizedName, CreatedAt) VALUES (1, 1, 'ants', 'ANTS', $t), (2, 1, 'bees', 'BEES', $t);
            INSERT INTO Images (Id, DatasetId, Sha256, FileName, Format, Width, Height, ByteSize, Split, AddedBy, AddedAt, Version) VALUES
              (1, 1, '1111111111111111111111111111111111111111111111111111111111111111', 'a1.jpg', 'Jpeg', 500, 375, 1000, 'Unassigned', 'ann', $t, 1),
              (2, 1, '2222222222222222222222222222222222222222222222222222222222222222', 'a2.jpg', 'Jpeg', 500, 375, 1000, 'Test', 'ann', $t, 2),
              (3, 1, '3333333333333333333333333333333333333333333333333333333333333333', 'b1.jpg', 'Png', 640, 480, 2000, 'Unassigned', 'ann', $t, 1);
            INSERT INTO ImageLabels (ImageId, LabelId) VALUES (1, 1), (2, 1), (3, 2);
            INSERT INTO AuditEvents (User, At, EntityType, EntityId, Action, BeforeJson, AfterJson) VALUES ('ann', $t, 'dataset', '1', 'created', NULL, '{}');
            """;
        command.Parameters.AddWithValue("$t", ticks);
        command.ExecuteNonQuery();
    }

    /// <summary>Per table: columns (name, type, not null, key position), indexes (name, unique, columns) and foreign keys.</summary>
    private static Dictionary<string, string> DescribeSchema(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        var tables = Query(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__EF%'")
            .Select(r => r[0]).ToList();
        return tables.ToDictionary(t => t, t =>
        {
            var columns = Query(connection, $"SELECT name, type, \"notnull\", pk FROM pragma_table_info('{t}')").Select(r => string.Join(' ', r)).Order(StringComparer.Ordinal);
            var indexes = Query(connection, $"SELECT name, \"unique\", partial FROM pragma_index_list('{t}') WHERE origin = 'c'")
                .Select(r => $"{r[0]} unique={r[1]} partial={r[2]} ({string.Join(',', Query(connection, $"SELECT name FROM pragma_index_info('{r[0]}') ORDER BY seqno").Select(c => c[0]))})")
                .Order(StringComparer.Ordinal);
            var keys = Query(connection, $"SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('{t}')").Select(r => string.Join(' ', r)).Order(StringComparer.Ordinal);
            return $"{t}\n columns: {string.Join("; ", columns)}\n indexes: {string.Join("; ", indexes)}\n keys: {string.Join("; ", keys)}";
        });
    }

    private static List<string[]> Query(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string[]>();
        while (reader.Read())
        {
            rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) ?? "").ToArray());
        }
        return rows;
    }

    private static string Pragma(System.Data.Common.DbConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name};";
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
