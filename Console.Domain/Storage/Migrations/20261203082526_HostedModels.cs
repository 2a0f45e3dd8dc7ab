using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace VisionConsole.Domain.Storage.Migrations
{
    /// <inheritdoc />
    public partial class HostedModels : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "HostedModels",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProjectId = table.Column<long>(type: "INTEGER", nullable: false),
                    DisplayName = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    TagsJson = table.Column<string>(type: "TEXT", nullable: false),
                    Published = table.Column<bool>(type: "INTEGER", nullable: false),
                    ActiveVersion = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HostedModels", x => x.Id);
                    table.ForeignKey(
                        name: "FK_HostedModels_Projects_ProjectId",
                        column: x => x.ProjectId,
                        principalTable: "Projects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "HostedModelVersions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    HostedModelId = table.Column<long>(type: "INTEGER", nullable: false),
                    Number = table.Column<int>(type: "INTEGER", nullable: false),
                    SourceModelId = table.Column<long>(type: "INTEGER", nullable: false),
                    SourceVersionNumber = table.Column<int>(type: "INTEGER", nullable: false),
                    ModelHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SizeBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    File = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HostedModelVersions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_HostedModelVersions_HostedModels_HostedModelId",
                        column: x => x.HostedModelId,
                        principalTable: "HostedModels",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_HostedModelVersions_HostedModelId_Number",
                table: "HostedModelVersions",
                columns: new[] { "HostedModelId", "Number" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_HostedModels_DisplayName",
                table: "HostedModels",
                column: "DisplayName",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_HostedModels_ProjectId",
                table: "HostedModels",
                column: "ProjectId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "HostedModelVersions");

            migrationBuilder.DropTable(
                name: "HostedModels");
        }
    }
}
