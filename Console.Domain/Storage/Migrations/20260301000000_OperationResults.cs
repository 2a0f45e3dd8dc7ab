using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace VisionConsole.Domain.Storage.Migrations;

/// <summary>Schema step 3: operations that produce no model (import, export) keep their result as JSON.</summary>
[DbContext(typeof(ConsoleDbContext))]
[Migration(Id)]
internal sealed class OperationResults : Migration
{
    public const string Id = "20260301000000_OperationResults";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>(name: "ResultJson", table: "TrainingOperations", type: "TEXT", nullable: true);
        migrationBuilder.CreateIndex(name: "IX_TrainingOperations_Kind", table: "TrainingOperations", column: "Kind");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "IX_TrainingOperations_Kind", table: "TrainingOperations");
        migrationBuilder.DropColumn(name: "ResultJson", table: "TrainingOperations");
    }
}
