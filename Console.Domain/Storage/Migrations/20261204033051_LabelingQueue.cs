using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace VisionConsole.Domain.Storage.Migrations
{
    /// <inheritdoc />
    public partial class LabelingQueue : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "LabeledAt",
                table: "Images",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LabeledBy",
                table: "Images",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ReviewComment",
                table: "Images",
                type: "TEXT",
                maxLength: 1000,
                nullable: true);

            // Edited after generation: images already there start unreviewed (the enum's name, not an empty string).
            migrationBuilder.AddColumn<string>(
                name: "ReviewState",
                table: "Images",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "Unreviewed");

            migrationBuilder.AddColumn<long>(
                name: "ReviewedAt",
                table: "Images",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ReviewedBy",
                table: "Images",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "ImageLeases",
                columns: table => new
                {
                    ImageId = table.Column<long>(type: "INTEGER", nullable: false),
                    DatasetId = table.Column<long>(type: "INTEGER", nullable: false),
                    Holder = table.Column<string>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ImageLeases", x => x.ImageId);
                    table.ForeignKey(
                        name: "FK_ImageLeases_Images_ImageId",
                        column: x => x.ImageId,
                        principalTable: "Images",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Images_DatasetId_ReviewState",
                table: "Images",
                columns: new[] { "DatasetId", "ReviewState" });

            migrationBuilder.CreateIndex(
                name: "IX_ImageLeases_DatasetId_Holder",
                table: "ImageLeases",
                columns: new[] { "DatasetId", "Holder" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ImageLeases");

            migrationBuilder.DropIndex(
                name: "IX_Images_DatasetId_ReviewState",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "LabeledAt",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "LabeledBy",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "ReviewComment",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "ReviewState",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "ReviewedAt",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "ReviewedBy",
                table: "Images");
        }
    }
}
