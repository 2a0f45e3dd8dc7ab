using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace VisionConsole.Domain.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ImageDeletionAndLabelEdits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Images_DatasetId_Sha256",
                table: "Images");

            migrationBuilder.AddColumn<long>(
                name: "DeletedAt",
                table: "Images",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DeletionBatch",
                table: "Images",
                type: "TEXT",
                maxLength: 36,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Images_DatasetId_DeletionBatch",
                table: "Images",
                columns: new[] { "DatasetId", "DeletionBatch" });

            migrationBuilder.CreateIndex(
                name: "IX_Images_DatasetId_Sha256",
                table: "Images",
                columns: new[] { "DatasetId", "Sha256" },
                unique: true,
                filter: "\"DeletedAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Images_DatasetId_DeletionBatch",
                table: "Images");

            migrationBuilder.DropIndex(
                name: "IX_Images_DatasetId_Sha256",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "DeletedAt",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "DeletionBatch",
                table: "Images");

            migrationBuilder.CreateIndex(
                name: "IX_Images_DatasetId_Sha256",
                table: "Images",
                columns: new[] { "DatasetId", "Sha256" },
                unique: true);
        }
    }
}
