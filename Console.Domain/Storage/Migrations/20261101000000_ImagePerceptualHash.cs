using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace VisionConsole.Domain.Storage.Migrations;

/// <summary>Schema step 4: each image keeps its thumbnail's difference hash, so the health page can find near-duplicates.</summary>
[DbContext(typeof(ConsoleDbContext))]
[Migration(Id)]
internal sealed class ImagePerceptualHash : Migration
{
    public const string Id = "20261101000000_ImagePerceptualHash";

    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AddColumn<long>(name: "PerceptualHash", table: "Images", type: "INTEGER", nullable: true);

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropColumn(name: "PerceptualHash", table: "Images");
}
