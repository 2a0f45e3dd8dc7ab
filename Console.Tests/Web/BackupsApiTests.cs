using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Storage;
using VisionConsole.Tests.Domain.Imaging;

namespace VisionConsole.Tests.Web;

/// <summary>A backup asked for over HTTP (what the Settings page's button does): queued, run by the console's own runner, listed, downloaded.</summary>
public sealed class BackupsApiTests : IAsyncLifetime
{
    private readonly ConsoleWebFactory _factory = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = await _factory.CreateClientAsAsync("ann");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task PostBackup_DatasetWithAPhoto_OperationSucceedsAndTheZipDownloadsWithTheImage()
    {
        var datasets = _factory.Services.GetRequiredService<IDatasetService>();
        var dataset = await datasets.CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        IntakeResult added;
        await using (var photo = File.OpenRead(TestImages.Hymenoptera("train/ants/0013035.jpg")))
        {
            added = await _factory.Services.GetRequiredService<IImageIntake>().AddAsync(dataset.Id, "0013035.jpg", photo, "ann");
        }

        var operation = await RunBackupAsync(_factory, _client);

        Assert.Equal(OperationState.Succeeded, operation.State);
        var result = Assert.IsType<BackupResult>(operation.Result);
        Assert.Equal((1L, 1L), (result.Manifest.Counts.Datasets, result.Manifest.Counts.Images));
        var list = await _client.GetFromJsonAsync<JsonElement>("/api/backups");
        var name = Assert.Single(list.EnumerateArray()).GetProperty("name").GetString()!;
        Assert.Equal(Path.GetFileName(result.File), name);
        var download = await _client.GetAsync(new Uri($"/api/backups/{name}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        var zipPath = Path.Combine(_factory.DataFolder, "downloaded.zip");
        await File.WriteAllBytesAsync(zipPath, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal(result.Manifest, await DataBackup.ReadManifestAsync(zipPath));
        using (var zip = ZipFile.OpenRead(zipPath))
        {
            Assert.Contains(zip.Entries, e => e.FullName.StartsWith("blobs/", StringComparison.Ordinal) && e.Name.StartsWith(added.Sha256!, StringComparison.Ordinal));
        }
        // Only the plain names of backups/ are served.
        foreach (var other in new[] { "..%2Fconsole.db", "console.db", "missing.zip" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync(new Uri($"/api/backups/{other}", UriKind.Relative))).StatusCode);
        }
    }

    /// <summary><c>POST /api/backups</c> (202), then the operation followed until it is done (at most a minute).</summary>
    internal static async Task<OperationSummary> RunBackupAsync(ConsoleWebFactory factory, HttpClient client)
    {
        var started = await client.PostAsync(new Uri("/api/backups", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var operationId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("operationId").GetInt64();
        var operations = factory.Services.GetRequiredService<IOperationService>();
        var operation = await operations.GetAsync(operationId);
        for (var wait = 0; !operation.Done && wait < 600; wait++)
        {
            await Task.Delay(100);
            operation = await operations.GetAsync(operationId);
        }
        return operation;
    }
}
