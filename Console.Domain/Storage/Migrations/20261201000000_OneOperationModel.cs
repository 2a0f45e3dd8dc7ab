using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace VisionConsole.Domain.Storage.Migrations;

/// <summary>
/// Schema step 5: one operation model. <c>TrainingOperations</c> (which held imports and exports too) becomes
/// <c>Operations</c>, rows kept in place; a succeeded training's result is kept as typed JSON like every other kind's
/// (backfilled from the model version it produced); a model version keeps how it was trained (<c>TrainingRecordJson</c>)
/// in the database instead of a <c>training.json</c> read per version on every list.
/// </summary>
[DbContext(typeof(ConsoleDbContext))]
[Migration(Id)]
internal sealed class OneOperationModel : Migration
{
    public const string Id = "20261201000000_OneOperationModel";

    private static readonly string[] Indexed = ["State", "DatasetId", "Kind"];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        foreach (var column in Indexed)
        {
            migrationBuilder.DropIndex(name: $"IX_TrainingOperations_{column}", table: "TrainingOperations");
        }
        migrationBuilder.RenameTable(name: "TrainingOperations", newName: "Operations");
        foreach (var column in Indexed)
        {
            migrationBuilder.CreateIndex(name: $"IX_Operations_{column}", table: "Operations", column: column);
        }
        // A training that succeeded before this step has only its version id; its result becomes {"modelId","modelVersionId"}
        // (NULL, as before, when the model was deleted since).
        migrationBuilder.Sql("""
            UPDATE "Operations" SET "ResultJson" =
                '{"modelId":' || (SELECT v."ModelId" FROM "ModelVersions" v WHERE v."Id" = "Operations"."ResultModelVersionId")
                || ',"modelVersionId":' || "ResultModelVersionId" || '}'
            WHERE "Kind" LIKE 'train-%' AND "ResultModelVersionId" IS NOT NULL AND "ResultJson" IS NULL;
            """);
        migrationBuilder.AddColumn<string>(name: "TrainingRecordJson", table: "ModelVersions", type: "TEXT", nullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn(name: "TrainingRecordJson", table: "ModelVersions");
        migrationBuilder.Sql("""UPDATE "Operations" SET "ResultJson" = NULL WHERE "Kind" LIKE 'train-%';""");
        foreach (var column in Indexed)
        {
            migrationBuilder.DropIndex(name: $"IX_Operations_{column}", table: "Operations");
        }
        migrationBuilder.RenameTable(name: "Operations", newName: "TrainingOperations");
        foreach (var column in Indexed)
        {
            migrationBuilder.CreateIndex(name: $"IX_TrainingOperations_{column}", table: "TrainingOperations", column: column);
        }
    }
}
