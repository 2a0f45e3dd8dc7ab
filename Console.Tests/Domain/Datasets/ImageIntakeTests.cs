using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;

namespace VisionConsole.Tests.Domain.Datasets;

/// <summary>The intake's own rules (registration, duplicates, refusals), with the image store replaced by a fake to isolate them.</summary>
public sealed class ImageIntakeTests : IAsyncLifetime
{
    private readonly FakeImageStore _store = new();
    private TestDatabase _database = null!;

    private IImageIntake Intake => _database.Get<IImageIntake>();

    private IDatasetService Datasets => _database.Get<IDatasetService>();

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync(services => services.AddSingleton<IImageStore>(_store));

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task AddAsync_NewImage_RegistersWhatTheStoreReported()
    {
        var dataset = await Datasets.CreateAsync("insects", DatasetKind.SingleLabel, "ann");

        var result = await Intake.AddAsync(dataset.Id, "photos/ant.jpg", Content("ant"), "ann");

        Assert.True(result.Accepted);
        Assert.False(result.Duplicate);
        Assert.Null(result.Error);
        Assert.Equal(("photos/ant.jpg", Sha("ant")), (result.FileName, result.Sha256));
        var image = Assert.Single((await Datasets.QueryImagesAsync(dataset.Id, new ImageQuery())).Items);
        Assert.Equal((result.ImageId!.Value, "ant.jpg", "Png", 30, 20, 3L, DataSplit.Unassigned, "ann"),
            (image.Id, image.FileName, image.Format, image.Width, image.Height, image.ByteSize, image.Split, image.AddedBy));
        await using var db = _database.OpenContext();
        Assert.Equal(1, await db.AuditEvents.CountAsync(a => a.EntityType == "image" && a.Action == "created"));
    }

    [Fact]
    public async Task AddAsync_SameBytesTwice_SecondIsDuplicateOfFirst()
    {
        var dataset = await Datasets.CreateAsync("insects", DatasetKind.SingleLabel, "ann");

        var first = await Intake.AddAsync(dataset.Id, "ant.jpg", Content("ant"), "ann");
        var second = await Intake.AddAsync(dataset.Id, "copy of ant.jpg", Content("ant"), "bob");

        Assert.True(second.Accepted);
        Assert.True(second.Duplicate);
        Assert.Equal(first.ImageId, second.ImageId);
        Assert.Equal(1, (await Datasets.GetAsync(dataset.Id)).ImageCount);
    }

    [Fact]
    public async Task AddAsync_SameBytesInTwoDatasets_EachGetsItsImage()
    {
        var a = await Datasets.CreateAsync("a", DatasetKind.SingleLabel, "ann");
        var b = await Datasets.CreateAsync("b", DatasetKind.SingleLabel, "ann");

        var inA = await Intake.AddAsync(a.Id, "ant.jpg", Content("ant"), "ann");
        var inB = await Intake.AddAsync(b.Id, "ant.jpg", Content("ant"), "ann");

        Assert.False(inB.Duplicate);
        Assert.NotEqual(inA.ImageId, inB.ImageId);
        Assert.Equal(inA.Sha256, inB.Sha256);
    }

    [Fact]
    public async Task AddAsync_StoreRefusesFile_ReturnsRefusalWithReasonAndRegistersNothing()
    {
        var dataset = await Datasets.CreateAsync("insects", DatasetKind.SingleLabel, "ann");

        var refused = await Intake.AddAsync(dataset.Id, "notes.txt", Content("BAD text"), "ann");
        var next = await Intake.AddAsync(dataset.Id, "bee.jpg", Content("bee"), "ann");

        Assert.False(refused.Accepted);
        Assert.Null(refused.ImageId);
        Assert.Equal("notes.txt: not an image (fake store)", refused.Error);
        Assert.True(next.Accepted);
        Assert.Equal(1, (await Datasets.GetAsync(dataset.Id)).ImageCount);
    }

    [Fact]
    public async Task AddAsync_UnknownDataset_ThrowsNotFoundBeforeStoring()
    {
        await Assert.ThrowsAsync<NotFoundException>(() => Intake.AddAsync(404, "ant.jpg", Content("ant"), "ann"));

        Assert.Equal(0, _store.Calls);
    }

    private static MemoryStream Content(string text) => new(Encoding.UTF8.GetBytes(text));

    private static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Hashes the bytes and reports a fixed 30x20 PNG; refuses content starting with "BAD".</summary>
    private sealed class FakeImageStore : IImageStore
    {
        public int Calls { get; private set; }

        public async Task<StoredImage> StoreAsync(string fileName, Stream content, CancellationToken cancellationToken = default)
        {
            Calls++;
            using var buffer = new MemoryStream();
            await content.CopyToAsync(buffer, cancellationToken);
            var bytes = buffer.ToArray();
            if (Encoding.UTF8.GetString(bytes).StartsWith("BAD", StringComparison.Ordinal))
            {
                throw new ImageRejectedException($"{fileName}: not an image (fake store)");
            }
            return new StoredImage(Convert.ToHexStringLower(SHA256.HashData(bytes)), ImageFormat.Png, 30, 20, bytes.Length, false);
        }

        public Stream OpenOriginal(string sha256) => throw new NotSupportedException("The intake never reads blobs.");

        public Task<byte[]> ReadOriginalAsync(string sha256, CancellationToken cancellationToken = default) => throw new NotSupportedException("The intake never reads blobs.");

        public Task<Stream> OpenThumbnailAsync(string sha256, CancellationToken cancellationToken = default) => throw new NotSupportedException("The intake never reads blobs.");
    }
}
