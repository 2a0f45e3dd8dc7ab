using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace VisionConsole.Domain.Storage.Migrations
{
    /// <inheritdoc />
    public partial class BoxLabeling : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "BoxesChangedAt",
                table: "Images",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BoxesChangedBy",
                table: "Images",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "BoxesVersion",
                table: "Images",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<bool>(
                name: "NoObjects",
                table: "Images",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "BoxesChangedAt",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "BoxesChangedBy",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "BoxesVersion",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "NoObjects",
                table: "Images");
        }
    }
}
