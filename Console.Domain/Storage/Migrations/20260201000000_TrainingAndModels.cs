using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace VisionConsole.Domain.Storage.Migrations;

/// <summary>Schema step 2: boxes, training operations, models, versions, evaluations; dataset descriptions.</summary>
[DbContext(typeof(ConsoleDbContext))]
[Migration(Id)]
internal sealed class TrainingAndModels : Migration
{
    public const string Id = "20260201000000_TrainingAndModels";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>(name: "Description", table: "Datasets", type: "TEXT", nullable: true);

        migrationBuilder.CreateTable(
            name: "Boxes",
            columns: table => new
            {
                Id = table.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                ImageId = table.Column<long>(type: "INTEGER", nullable: false),
                LabelId = table.Column<long>(type: "INTEGER", nullable: false),
                Left = table.Column<double>(type: "REAL", nullable: false),
                Top = table.Column<double>(type: "REAL", nullable: false),
                Width = table.Column<double>(type: "REAL", nullable: false),
                Height = table.Column<double>(type: "REAL", nullable: false),
                CreatedBy = table.Column<string>(type: "TEXT", nullable: false),
                CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                Version = table.Column<long>(type: "INTEGER", nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_Boxes", x => x.Id);
                table.ForeignKey("FK_Boxes_Images_ImageId", x => x.ImageId, "Images", "Id", onDelete: ReferentialAction.Cascade);
                table.ForeignKey("FK_Boxes_Labels_LabelId", x => x.LabelId, "Labels", "Id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "TrainingOperations",
            columns: table => new
            {
                Id = table.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                Kind = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                DatasetId = table.Column<long>(type: "INTEGER", nullable: true),
                State = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                RequestJson = table.Column<string>(type: "TEXT", nullable: false),
                ProgressJson = table.Column<string>(type: "TEXT", nullable: true),
                Error = table.Column<string>(type: "TEXT", nullable: true),
                StopReason = table.Column<string>(type: "TEXT", nullable: true),
                CreatedBy = table.Column<string>(type: "TEXT", nullable: false),
                CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                StartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                FinishedAt = table.Column<long>(type: "INTEGER", nullable: true),
                ResultModelVersionId = table.Column<long>(type: "INTEGER", nullable: true),
                Version = table.Column<long>(type: "INTEGER", nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_TrainingOperations", x => x.Id);
                table.ForeignKey("FK_TrainingOperations_Datasets_DatasetId", x => x.DatasetId, "Datasets", "Id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "Models",
            columns: table => new
            {
                Id = table.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                ProjectId = table.Column<long>(type: "INTEGER", nullable: false),
                DatasetId = table.Column<long>(type: "INTEGER", nullable: true),
                DisplayName = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                LabelsJson = table.Column<string>(type: "TEXT", nullable: false),
                CreatedBy = table.Column<string>(type: "TEXT", nullable: false),
                CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_Models", x => x.Id);
                table.ForeignKey("FK_Models_Projects_ProjectId", x => x.ProjectId, "Projects", "Id", onDelete: ReferentialAction.Cascade);
                table.ForeignKey("FK_Models_Datasets_DatasetId", x => x.DatasetId, "Datasets", "Id", onDelete: ReferentialAction.SetNull);
            });

        migrationBuilder.CreateTable(
            name: "ModelVersions",
            columns: table => new
            {
                Id = table.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                ModelId = table.Column<long>(type: "INTEGER", nullable: false),
                Number = table.Column<int>(type: "INTEGER", nullable: false),
                ModelType = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                ModelFile = table.Column<string>(type: "TEXT", nullable: false),
                LabelsFile = table.Column<string>(type: "TEXT", nullable: false),
                TfjsFolder = table.Column<string>(type: "TEXT", nullable: true),
                TrainingOperationId = table.Column<long>(type: "INTEGER", nullable: true),
                CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                Tags = table.Column<string>(type: "TEXT", nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_ModelVersions", x => x.Id);
                table.ForeignKey("FK_ModelVersions_Models_ModelId", x => x.ModelId, "Models", "Id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "Evaluations",
            columns: table => new
            {
                Id = table.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                ModelVersionId = table.Column<long>(type: "INTEGER", nullable: false),
                MetricsJson = table.Column<string>(type: "TEXT", nullable: false),
                PerImageScoresJson = table.Column<string>(type: "TEXT", nullable: false),
                CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_Evaluations", x => x.Id);
                table.ForeignKey("FK_Evaluations_ModelVersions_ModelVersionId", x => x.ModelVersionId, "ModelVersions", "Id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateIndex("IX_Boxes_ImageId", "Boxes", "ImageId");
        migrationBuilder.CreateIndex("IX_Boxes_LabelId", "Boxes", "LabelId");
        migrationBuilder.CreateIndex("IX_TrainingOperations_DatasetId", "TrainingOperations", "DatasetId");
        migrationBuilder.CreateIndex("IX_TrainingOperations_State", "TrainingOperations", "State");
        migrationBuilder.CreateIndex("IX_Models_DatasetId", "Models", "DatasetId");
        migrationBuilder.CreateIndex("IX_Models_ProjectId", "Models", "ProjectId");
        migrationBuilder.CreateIndex("IX_ModelVersions_ModelId_Number", "ModelVersions", ["ModelId", "Number"], unique: true);
        migrationBuilder.CreateIndex("IX_Evaluations_ModelVersionId", "Evaluations", "ModelVersionId", unique: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("Evaluations");
        migrationBuilder.DropTable("ModelVersions");
        migrationBuilder.DropTable("Models");
        migrationBuilder.DropTable("TrainingOperations");
        migrationBuilder.DropTable("Boxes");
        // SQLite 3.35+ drops a column in place; EF's table rebuild would need a model snapshot.
        migrationBuilder.Sql("ALTER TABLE \"Datasets\" DROP COLUMN \"Description\";");
    }
}
