using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace VisionConsole.Domain.Storage.Migrations;

// Written by hand (dotnet-ef is not available here). A change to ConsoleDbContext needs a new step;
// MigrationSchemaTests compares the migrated schema with the one the model would create.

/// <summary>Schema step 1: projects, datasets, labels, images, whole-image labels, audit.</summary>
[DbContext(typeof(ConsoleDbContext))]
[Migration(Id)]
internal sealed class Initial : Migration
{
    public const string Id = "20260101000000_Initial";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "Projects",
            columns: table => new
            {
                Id = table.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                Name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_Projects", x => x.Id));

        migrationBuilder.CreateTable(
            name: "Datasets",
            columns: table => new
            {
                Id = table.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                ProjectId = table.Column<long>(type: "INTEGER", nullable: false),
                DisplayName = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                CreatedBy = table.Column<string>(type: "TEXT", nullable: false),
                CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_Datasets", x => x.Id);
                table.ForeignKey("FK_Datasets_Projects_ProjectId", x => x.ProjectId, "Projects", "Id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "Labels",
            columns: table => new
            {
                Id = table.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                DatasetId = table.Column<long>(type: "INTEGER", nullable: false),
                Name = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                NormalizedName = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_Labels", x => x.Id);
                table.ForeignKey("FK_Labels_Datasets_DatasetId", x => x.DatasetId, "Datasets", "Id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "Images",
            columns: table => new
            {
                Id = table.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                DatasetId = table.Column<long>(type: "INTEGER", nullable: false),
                Sha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                FileName = table.Column<string>(type: "TEXT", nullable: false),
                Format = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                Width = table.Column<int>(type: "INTEGER", nullable: false),
                Height = table.Column<int>(type: "INTEGER", nullable: false),
                ByteSize = table.Column<long>(type: "INTEGER", nullable: false),
                Split = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                AddedBy = table.Column<string>(type: "TEXT", nullable: false),
                AddedAt = table.Column<long>(type: "INTEGER", nullable: false),
                Version = table.Column<long>(type: "INTEGER", nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_Images", x => x.Id);
                table.ForeignKey("FK_Images_Datasets_DatasetId", x => x.DatasetId, "Datasets", "Id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "ImageLabels",
            columns: table => new
            {
                ImageId = table.Column<long>(type: "INTEGER", nullable: false),
                LabelId = table.Column<long>(type: "INTEGER", nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_ImageLabels", x => new { x.ImageId, x.LabelId });
                table.ForeignKey("FK_ImageLabels_Images_ImageId", x => x.ImageId, "Images", "Id", onDelete: ReferentialAction.Cascade);
                table.ForeignKey("FK_ImageLabels_Labels_LabelId", x => x.LabelId, "Labels", "Id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "AuditEvents",
            columns: table => new
            {
                Id = table.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                User = table.Column<string>(type: "TEXT", nullable: false),
                At = table.Column<long>(type: "INTEGER", nullable: false),
                EntityType = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                EntityId = table.Column<string>(type: "TEXT", nullable: false),
                Action = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                BeforeJson = table.Column<string>(type: "TEXT", nullable: true),
                AfterJson = table.Column<string>(type: "TEXT", nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_AuditEvents", x => x.Id));

        migrationBuilder.CreateIndex("IX_Projects_Name", "Projects", "Name", unique: true);
        migrationBuilder.CreateIndex("IX_Datasets_ProjectId", "Datasets", "ProjectId");
        migrationBuilder.CreateIndex("IX_Labels_DatasetId_NormalizedName", "Labels", ["DatasetId", "NormalizedName"], unique: true);
        migrationBuilder.CreateIndex("IX_Images_DatasetId_Sha256", "Images", ["DatasetId", "Sha256"], unique: true);
        migrationBuilder.CreateIndex("IX_Images_DatasetId_Split", "Images", ["DatasetId", "Split"]);
        migrationBuilder.CreateIndex("IX_Images_Sha256", "Images", "Sha256");
        migrationBuilder.CreateIndex("IX_ImageLabels_LabelId", "ImageLabels", "LabelId");
        migrationBuilder.CreateIndex("IX_AuditEvents_At", "AuditEvents", "At");
        migrationBuilder.CreateIndex("IX_AuditEvents_EntityType_EntityId", "AuditEvents", ["EntityType", "EntityId"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("AuditEvents");
        migrationBuilder.DropTable("ImageLabels");
        migrationBuilder.DropTable("Images");
        migrationBuilder.DropTable("Labels");
        migrationBuilder.DropTable("Datasets");
        migrationBuilder.DropTable("Projects");
    }
}
