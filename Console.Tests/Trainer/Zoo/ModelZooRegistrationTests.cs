using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Tests.Trainer.Zoo;

public sealed class ModelZooRegistrationTests
{
    [Fact]
    public async Task AddModelZoo_ConfiguredMirrorAndDataFolder_ServesModelFromThem()
    {
        var root = Directory.CreateTempSubdirectory("vc-zoo-di-").FullName;
        try
        {
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?> { ["Zoo:DataFolder"] = root, ["Zoo:AllowDownloads"] = "false" })
                .AddCommandLine(["--zoo-mirror", ZooFixture.Mirror])
                .Build();
            using var provider = new ServiceCollection().AddModelZoo(configuration).BuildServiceProvider();

            var zoo = provider.GetRequiredService<IModelZoo>();
            var options = provider.GetRequiredService<ZooOptions>();
            var path = await zoo.GetModelPathAsync(ZooCatalog.MobileNetV2Int8);

            Assert.Equal(ZooFixture.Mirror, options.Mirror);
            Assert.False(options.AllowDownloads);
            Assert.Equal(Path.Combine(root, "zoo", ZooCatalog.MobileNetV2Int8, "model.onnx"), path);
            Assert.Equal(3, zoo.Catalog.Count);
            Assert.All(zoo.Catalog, b => Assert.True(b.FeatureDimension > 0 && !string.IsNullOrEmpty(b.License)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
