using System.Text.Json;
using System.Text.Json.Nodes;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Tests.Trainer.Zoo;

/// <summary>
/// One model zoo for the parity tests: a temporary data folder, the shared offline mirror, and the npm
/// tarball cache in the repo's .cache/ (so `npm pack` runs once per machine, not once per test run).
/// </summary>
public sealed class ZooFixture : IDisposable
{
    public static readonly string Mirror = SharedData.Zoo;

    public ZooFixture()
    {
        Root = Directory.CreateTempSubdirectory("vc-zoo-tests-").FullName;
        DataFolder = Path.Combine(Root, "data");
        Work = Directory.CreateDirectory(Path.Combine(Root, "work")).FullName;
        NpmCache = Path.Combine(NodeReference.RepoRoot, ".cache", "npm-pack");
        Zoo = new ModelZoo(new ZooOptions(DataFolder, Mirror, NpmCache));
    }

    public string Root { get; }
    public string DataFolder { get; }
    public string Work { get; }
    public string NpmCache { get; }
    public ModelZoo Zoo { get; }

    public BackboneInfo Info(string id) => Zoo.Catalog.Single(b => b.Id == id);

    /// <summary>Writes the parity images as the backbone's preprocessed input tensors; returns the request's "inputs" array.</summary>
    public JsonArray WriteInputs(BackboneInfo info)
    {
        var inputs = new JsonArray();
        foreach (var image in TestImages.ParityImages)
        {
            var (data, dims) = TestImages.Tensor(image, info.Preprocessing);
            var file = Path.Combine(Work, $"{info.Id}-{Path.GetFileNameWithoutExtension(image)}.f32");
            TestImages.WriteF32(file, data);
            inputs.Add(new JsonObject { ["file"] = file, ["dims"] = new JsonArray(dims.Select(d => (JsonNode)d).ToArray()) });
        }
        return inputs;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

[CollectionDefinition(nameof(ZooCollection))]
public sealed class ZooCollection : ICollectionFixture<ZooFixture>;

/// <summary>One compared output from parity.mjs.</summary>
internal sealed record ParityResult(string Actual, string Ref, int[] ActualDims, int[] RefDims, int Batch, double MaxAbsDiff, double MaxRefAbs)
{
    public static IReadOnlyList<ParityResult> Parse(JsonElement report)
        => report.GetProperty("results").EnumerateArray().Select(r => new ParityResult(
            r.GetProperty("actual").GetString()!,
            r.GetProperty("ref").GetString()!,
            r.GetProperty("actualDims").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
            r.GetProperty("refDims").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
            r.GetProperty("batch").GetInt32(),
            r.GetProperty("maxAbsDiff").ValueKind == JsonValueKind.Number ? r.GetProperty("maxAbsDiff").GetDouble() : double.PositiveInfinity,
            r.GetProperty("maxRefAbs").GetDouble())).ToList();

    public override string ToString() => $"{Actual} vs {Ref}: dims [{string.Join(",", ActualDims)}], max |diff| {MaxAbsDiff:G4}, max |ref| {MaxRefAbs:G4}, ratio {MaxAbsDiff / MaxRefAbs:G3}";
}
