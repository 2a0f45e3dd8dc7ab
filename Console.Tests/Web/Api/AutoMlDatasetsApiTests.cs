using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;
using VisionConsole.Tests.Domain.Import;
using static VisionConsole.Tests.Domain.Import.ImportTestData;

namespace VisionConsole.Tests.Web.Api;

/// <summary>The AutoML-shaped datasets API end to end: real SQLite file, real libvips store, the hosted operation runner.</summary>
public sealed class AutoMlDatasetsApiTests : IAsyncLifetime
{
    private const string Root = "/v1/projects/default/locations/us-central1";
    private readonly ConsoleWebFactory _factory = new();
    private readonly GatedImageStore.Gate _gate = new();
    private WebApplicationFactory _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _app = new WebApplicationFactory(_factory.WithWebHostBuilder(b => b.ConfigureTestServices(services =>
            services.AddSingleton<IImageStore>(sp => new GatedImageStore(ActivatorUtilities.CreateInstance<ImageStore>(sp), _gate)))));
        // The first client starts the host (and makes the administrator); then a key of ann's.
        _client = await _factory.Accounts.AuthorizeAsync(_app.Inner.CreateClient(), "ann");
    }

    public async Task DisposeAsync()
    {
        _gate.Open();
        _client.Dispose();
        await _app.Inner.DisposeAsync();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Datasets_CreateBothKindsListGetDelete_AutoMlResourceShapes()
    {
        var classification = await CreateAsync(new { displayName = "insects", imageClassificationDatasetMetadata = new { classificationType = "MULTILABEL" } });
        var detection = await CreateAsync(new { displayName = "raccoons", imageObjectDetectionDatasetMetadata = new { } });

        var id = IdOf(classification);
        Assert.Equal($"projects/default/locations/us-central1/datasets/{id}", classification.GetProperty("name").GetString());
        Assert.Equal(("insects", 0, "MULTILABEL"), (classification.GetProperty("displayName").GetString(), classification.GetProperty("exampleCount").GetInt32(),
            classification.GetProperty("imageClassificationDatasetMetadata").GetProperty("classificationType").GetString()));
        Assert.True(classification.TryGetProperty("createTime", out _));
        Assert.False(classification.TryGetProperty("imageObjectDetectionDatasetMetadata", out _));
        Assert.Equal(JsonValueKind.Object, detection.GetProperty("imageObjectDetectionDatasetMetadata").ValueKind);

        var list = await _client.GetFromJsonAsync<JsonElement>($"{Root}/datasets");
        Assert.Equal([IdOf(detection), id], list.GetProperty("datasets").EnumerateArray().Select(IdOf));
        // AutoML's filter, in either spelling of the field.
        var classifications = await _client.GetFromJsonAsync<JsonElement>($"{Root}/datasets?filter=image_classification_dataset_metadata:*");
        Assert.Equal([id], classifications.GetProperty("datasets").EnumerateArray().Select(IdOf));
        var detectionFilter = Uri.EscapeDataString("imageObjectDetectionDatasetMetadata:* AND displayName=\"raccoons\"");
        var detections = await _client.GetFromJsonAsync<JsonElement>($"{Root}/datasets?filter={detectionFilter}");
        Assert.Equal([IdOf(detection)], detections.GetProperty("datasets").EnumerateArray().Select(IdOf));
        // Any project and location value means the default project.
        var got = await _client.GetFromJsonAsync<JsonElement>($"/v1/projects/default/locations/eu/datasets/{id}");
        Assert.Equal($"projects/default/locations/eu/datasets/{id}", got.GetProperty("name").GetString());
        Assert.Equal(0, got.GetProperty("labelStats").GetArrayLength());

        var delete = await _client.DeleteAsync(new Uri($"{Root}/datasets/{id}", UriKind.Relative));
        var deleted = await delete.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(deleted.GetProperty("done").GetBoolean());
        var gone = await GoogleErrorAssert.ReadAsync(await _client.GetAsync(new Uri($"{Root}/datasets/{id}", UriKind.Relative)), HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal(($"Dataset {id} was not found.", "not-found"), (GoogleErrorAssert.Message(gone), GoogleErrorAssert.Reason(gone)));
        var bad = await _client.PostAsJsonAsync($"{Root}/datasets", new { displayName = "both", imageClassificationDatasetMetadata = new { }, imageObjectDetectionDatasetMetadata = new { } });
        Assert.Equal("invalid-argument", GoogleErrorAssert.Reason(await GoogleErrorAssert.ReadAsync(bad, HttpStatusCode.BadRequest, "INVALID_ARGUMENT")));
    }

    [Fact]
    public async Task ImportData_FolderZip_OperationRunsToDoneWithCountsReportAndLabelStats_ThenExportDataDownloadsTheZip()
    {
        using var temp = new TempFolder();
        var files = ImportJobFixture.HymenopteraFiles().Where(f => f.Split == "val").Where((_, i) => i % 20 == 0).ToList();
        var zip = WriteZip(temp.File("insects.zip"), files.Select(f => ($"{f.Split}/{f.Label}/{Path.GetFileName(f.File)}", (string?)f.File, (byte[]?)null)));
        var dataset = await CreateAsync(new { displayName = "insects", imageClassificationDatasetMetadata = new { classificationType = "MULTICLASS" } });
        var updates = new List<OperationUpdate>();
        using var subscription = _app.Inner.Services.GetRequiredService<IOperationNotifier>().Subscribe(u =>
        {
            lock (updates)
                updates.Add(u);
        });

        var started = await ImportAsync(IdOf(dataset), ("insects.zip", zip));
        Assert.False(started.GetProperty("done").GetBoolean());
        Assert.Matches("^projects/default/locations/us-central1/operations/[0-9]+$", started.GetProperty("name").GetString());
        var operationId = IdOf(started);

        var done = await WaitDoneAsync(started);

        Assert.False(done.TryGetProperty("error", out _));
        var response = done.GetProperty("response");
        Assert.Equal(("FolderTree", files.Count, files.Count, 0, 0, 0), (response.GetProperty("format").GetString(), response.GetProperty("items").GetInt32(),
            response.GetProperty("imported").GetInt32(), response.GetProperty("duplicates").GetInt32(), response.GetProperty("refused").GetInt32(), response.GetProperty("errors").GetInt32()));
        Assert.Equal((100, "SUCCEEDED"), (done.GetProperty("metadata").GetProperty("progressPercent").GetInt32(), done.GetProperty("metadata").GetProperty("state").GetString()));
        // The upload's temporary files are gone once the operation ended.
        Assert.False(Directory.Exists(Path.Combine(_factory.DataFolder, "uploads", operationId.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        var report = await _client.GetStringAsync(response.GetProperty("reportUri").GetString());
        Assert.Equal("severity,source,line,entry,message,fix\n", report);
        // Live progress went through the one notifier (what the hub relays): every image, then the final state with the result.
        List<OperationSummary> seen;
        lock (updates)
            seen = updates.Where(u => u.Operation.Id == operationId).Select(u => u.Operation).ToList();
        Assert.Equal(Enumerable.Range(1, files.Count), seen.Where(o => !o.Done && o.ImportProgress?.Phase == ImportPhase.Importing).Select(o => o.ImportProgress!.Done));
        // The final update carries the last progress too, so a page that joins late still shows where the import ended.
        Assert.Equal(files.Count, seen[^1].ImportProgress!.Done);
        Assert.Equal((OperationState.Succeeded, files.Count), (seen[^1].State, seen[^1].ImportResult!.Imported));

        var got = await _client.GetFromJsonAsync<JsonElement>($"{Root}/datasets/{IdOf(dataset)}");
        Assert.Equal(files.Count, got.GetProperty("exampleCount").GetInt32());
        var stats = got.GetProperty("labelStats").EnumerateArray().ToDictionary(s => s.GetProperty("displayName").GetString()!, s => s.GetProperty("exampleCount").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["ants"] = files.Count(f => f.Label == "ants"), ["bees"] = files.Count(f => f.Label == "bees") }, stats);

        var export = await _client.PostAsJsonAsync($"{Root}/datasets/{IdOf(dataset)}:exportData", new { outputConfig = new { format = "FOLDER_ZIP" } });
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var exported = await WaitDoneAsync(await export.Content.ReadFromJsonAsync<JsonElement>());
        var download = exported.GetProperty("response").GetProperty("downloadUri").GetString()!;
        Assert.Equal($"/api/exports/{IdOf(exported)}", download);
        var bytes = await _client.GetByteArrayAsync(download);
        using var archive = new ZipArchive(new MemoryStream(bytes));
        Assert.Equal(files.Select(f => $"validation/{f.Label}/{Path.GetFileName(f.File)}").Order(StringComparer.Ordinal),
            archive.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        Assert.Equal(File.ReadAllBytes(files[0].File), ReadEntry(archive, $"validation/{files[0].Label}/{Path.GetFileName(files[0].File)}"));

        var unsupported = await _client.PostAsJsonAsync($"{Root}/datasets/{IdOf(dataset)}:exportData", new { outputConfig = new { format = "PASCAL_VOC" } });
        Assert.Equal("export-unsupported", GoogleErrorAssert.Reason(await GoogleErrorAssert.ReadAsync(unsupported, HttpStatusCode.BadRequest, "INVALID_ARGUMENT")));
    }

    [Fact]
    public async Task ImportData_CsvWithFiveBadRowsAmong100Good_Imports100AndReportsFiveErrorsWithLineNumbers()
    {
        using var temp = new TempFolder();
        var files = ImportJobFixture.HymenopteraFiles().Take(100).Select(f => f.File).ToList();
        var lines = files.Select(f => $"TRAIN,images/{Path.GetFileName(f)},{(f.Contains("/ants/", StringComparison.Ordinal) ? "ant" : "bee")}").ToList();
        var bad = new SortedDictionary<int, string>
        {
            [3] = $"TRAINING,images/{Path.GetFileName(files[0])},ant",
            [30] = "TRAIN,gs://bucket/images/not-uploaded.jpg,ant",
            [55] = "TRAIN,,ant",
            [80] = $"VALIDATE,images/{Path.GetFileName(files[1])},ant",
            [105] = $"TRAIN,images/{Path.GetFileName(files[2])},\"???\"",
        };
        foreach (var (line, row) in bad)
            lines.Insert(line - 1, row);
        var csv = temp.Write("labels.csv", string.Join("\n", lines) + "\n");
        var dataset = await CreateAsync(new { displayName = "insects", imageClassificationDatasetMetadata = new { } });

        var done = await WaitDoneAsync(await ImportAsync(IdOf(dataset), files.Select(f => ("images/" + Path.GetFileName(f), f)).Prepend(("labels.csv", csv)).ToArray()));

        var response = done.GetProperty("response");
        Assert.Equal((100, 100, 0, 5), (response.GetProperty("items").GetInt32(), response.GetProperty("imported").GetInt32(), response.GetProperty("refused").GetInt32(), response.GetProperty("errors").GetInt32()));
        var report = ParseCsv(await _client.GetStringAsync(response.GetProperty("reportUri").GetString()));
        var errors = report.Where(r => r[0] == "Error").ToList();
        Assert.Equal(bad.Keys.Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture)), errors.Select(e => e[2]));
        Assert.All(errors, e => Assert.Equal("labels.csv", e[1]));
        Assert.Contains("Unknown set 'TRAINING'", errors[0][4], StringComparison.Ordinal);
        Assert.Contains("not-uploaded.jpg", errors[1][4], StringComparison.Ordinal);
        Assert.Equal(100, (await _client.GetFromJsonAsync<JsonElement>($"{Root}/datasets/{IdOf(dataset)}")).GetProperty("exampleCount").GetInt32());
    }

    [Fact]
    public async Task ImportData_ZipWithZipSlipEntries_ImportsTheSafeEntriesAndReportsEachRefusedEntry()
    {
        using var temp = new TempFolder();
        var files = ImportJobFixture.HymenopteraFiles().Take(2).Select(f => f.File).ToList();
        var zip = WriteZip(temp.File("slip.zip"), [
            ("ants/" + Path.GetFileName(files[0]), files[0], null),
            ("../../etc/evil.jpg", files[1], null),
            ("/abs/evil2.jpg", files[1], null),
            ("ants/" + Path.GetFileName(files[1]), files[1], null),
        ]);
        var dataset = await CreateAsync(new { displayName = "insects", imageClassificationDatasetMetadata = new { } });

        var done = await WaitDoneAsync(await ImportAsync(IdOf(dataset), ("slip.zip", zip)));

        var response = done.GetProperty("response");
        Assert.Equal((2, 2), (response.GetProperty("imported").GetInt32(), response.GetProperty("errors").GetInt32()));
        var errors = ParseCsv(await _client.GetStringAsync(response.GetProperty("reportUri").GetString())).Where(r => r[0] == "Error").ToList();
        Assert.Equal([("slip.zip", "2"), ("slip.zip", "3")], errors.Select(e => (e[1], e[3])));
        Assert.All(errors, e => Assert.Contains("zip-slip", e[4], StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(_factory.DataFolder, "..", "etc", "evil.jpg")));
    }

    [Fact]
    public async Task ImportData_CocoWithDanglingCategoryId_DropsThatBoxAndKeepsTheRest()
    {
        using var temp = new TempFolder();
        var files = ImportJobFixture.HymenopteraFiles().Take(2).Select(f => f.File).ToList();
        var sizes = files.Select(f => (Name: Path.GetFileName(f), Size: ImageSize(f))).ToList();
        var json = temp.Write("coco.json", $$"""
            {
              "images": [
                {"id": 1, "file_name": "{{sizes[0].Name}}", "width": {{sizes[0].Size.W}}, "height": {{sizes[0].Size.H}}},
                {"id": 2, "file_name": "{{sizes[1].Name}}", "width": {{sizes[1].Size.W}}, "height": {{sizes[1].Size.H}}}
              ],
              "categories": [{"id": 1, "name": "ant"}],
              "annotations": [
                {"id": 10, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 40]},
                {"id": 11, "image_id": 2, "category_id": 99, "bbox": [10, 10, 20, 20]},
                {"id": 12, "image_id": 2, "category_id": 1, "bbox": [0, 0, 30, 30]}
              ]
            }
            """);
        var dataset = await CreateAsync(new { displayName = "ants", imageObjectDetectionDatasetMetadata = new { } });

        var done = await WaitDoneAsync(await ImportAsync(IdOf(dataset), files.Select(f => (Path.GetFileName(f), f)).Prepend(("coco.json", json)).ToArray()));

        var response = done.GetProperty("response");
        Assert.Equal(("Coco", 2, 2, 1), (response.GetProperty("format").GetString(), response.GetProperty("imported").GetInt32(), response.GetProperty("boxesAdded").GetInt32(), response.GetProperty("errors").GetInt32()));
        var error = Assert.Single(ParseCsv(await _client.GetStringAsync(response.GetProperty("reportUri").GetString())), r => r[0] == "Error");
        Assert.Equal(("coco.json", "2"), (error[1], error[3]));
        Assert.Contains("dangling category id", error[4], StringComparison.Ordinal);
        var health = await _client.GetFromJsonAsync<JsonElement>($"/api/datasets/{IdOf(dataset)}/health");
        Assert.Equal((2, 2, 0), (health.GetProperty("imageCount").GetInt32(), health.GetProperty("boxCount").GetInt32(), health.GetProperty("unlabeledCount").GetInt32()));
        Assert.Contains(health.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("code").GetString() == "few-images");
    }

    [Fact]
    public async Task ImportData_ZipWith4GbBombHeader_RefusesThatEntryUpFrontAndImportsTheOthers()
    {
        using var temp = new TempFolder();
        var good = ImportJobFixture.HymenopteraFiles()[0].File;
        var path = WriteZip(temp.File("bomb.zip"), [("good.jpg", good, null), ("bomb.jpg", null, new byte[4096]), ("also-good.jpg", null, SecondPhoto())]);
        var bytes = File.ReadAllBytes(path);
        var bomb = ReadCentralDirectory(bytes).Single(e => e.Name == "bomb.jpg");
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bomb.RecordOffset + 24), 0xFFFFFFFE);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)bomb.LocalHeaderOffset + 22), 0xFFFFFFFE);
        File.WriteAllBytes(path, bytes);
        var dataset = await CreateAsync(new { displayName = "bomb", imageClassificationDatasetMetadata = new { } });

        var done = await WaitDoneAsync(await ImportAsync(IdOf(dataset), ("bomb.zip", path)));

        var response = done.GetProperty("response");
        Assert.Equal((2, 2, 1), (response.GetProperty("items").GetInt32(), response.GetProperty("imported").GetInt32(), response.GetProperty("errors").GetInt32()));
        var error = Assert.Single(ParseCsv(await _client.GetStringAsync(response.GetProperty("reportUri").GetString())), r => r[0] == "Error");
        Assert.Equal(("bomb.zip", "2"), (error[1], error[3]));
        Assert.Equal("Entry 'bomb.jpg' claims 4.0 GB uncompressed, over the 30.0 MB limit for one image; refused without extracting it.", error[4]);
    }

    [Fact]
    public async Task WaitOperation_HeldImport_AnswersAtTheTimeoutThenAsSoonAsItIsDone()
    {
        using var temp = new TempFolder();
        var files = ImportJobFixture.HymenopteraFiles().Where(f => f.Split == "train").Take(12).ToList();
        var zip = WriteZip(temp.File("insects.zip"), files.Select(f => ($"{f.Label}/{Path.GetFileName(f.File)}", (string?)f.File, (byte[]?)null)));
        var dataset = await CreateAsync(new { displayName = "insects", imageClassificationDatasetMetadata = new { } });
        _gate.CloseAfter(5);
        var started = await ImportAsync(IdOf(dataset), ("insects.zip", zip));
        await _gate.WaitUntilHeldAsync();
        var wait = new Uri($"/v1/{started.GetProperty("name").GetString()}:wait", UriKind.Relative);

        // A wait without a timeout answers when the import finishes, not at its two minutes; one with a timeout at the timeout.
        var waiting = _client.PostAsJsonAsync(wait, new { });
        var held = await (await _client.PostAsJsonAsync(wait, new { timeout = "0.3s" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(held.GetProperty("done").GetBoolean());
        Assert.Equal("RUNNING", held.GetProperty("metadata").GetProperty("state").GetString());
        Assert.False(waiting.IsCompleted);
        _gate.Open();
        var done = await (await waiting).Content.ReadFromJsonAsync<JsonElement>();

        Assert.True(done.GetProperty("done").GetBoolean());
        Assert.Equal("SUCCEEDED", done.GetProperty("metadata").GetProperty("state").GetString());
        var bad = await _client.PostAsJsonAsync(wait, new { timeout = "an hour" });
        Assert.Contains("timeout 'an hour' is not a duration", GoogleErrorAssert.Message(await GoogleErrorAssert.ReadAsync(bad, HttpStatusCode.BadRequest, "INVALID_ARGUMENT")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancelOperation_MidImport_LeavesTheDatasetAsItWasAndReportsCancelled()
    {
        using var temp = new TempFolder();
        var files = ImportJobFixture.HymenopteraFiles().Where(f => f.Split == "train").Take(30).ToList();
        var zip = WriteZip(temp.File("insects.zip"), files.Select(f => ($"{f.Label}/{Path.GetFileName(f.File)}", (string?)f.File, (byte[]?)null)));
        var dataset = await CreateAsync(new { displayName = "insects", imageClassificationDatasetMetadata = new { } });
        // The store lets 10 images through, then holds the 11th until the test has asked for the cancel.
        _gate.CloseAfter(10);

        var started = await ImportAsync(IdOf(dataset), ("insects.zip", zip));
        await _gate.WaitUntilHeldAsync();
        var cancelling = await _client.PostAsync(new Uri($"/v1/{started.GetProperty("name").GetString()}:cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, cancelling.StatusCode);
        Assert.Equal("CANCELLING", (await cancelling.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("metadata").GetProperty("state").GetString());
        _gate.Open();
        var done = await WaitDoneAsync(started);

        Assert.Equal(("CANCELLED", 1), (done.GetProperty("metadata").GetProperty("state").GetString(), done.GetProperty("error").GetProperty("code").GetInt32()));
        Assert.False(done.TryGetProperty("response", out _));
        var got = await _client.GetFromJsonAsync<JsonElement>($"{Root}/datasets/{IdOf(dataset)}");
        Assert.Equal((0, 0), (got.GetProperty("exampleCount").GetInt32(), got.GetProperty("labelStats").GetArrayLength()));
        var report = ParseCsv(await _client.GetStringAsync(done.GetProperty("metadata").GetProperty("reportUri").GetString()));
        Assert.Contains(report, r => r[0] == "Error" && r[4].Contains("cancelled", StringComparison.Ordinal));
        var again = await _client.PostAsync(new Uri($"/v1/{started.GetProperty("name").GetString()}:cancel", UriKind.Relative), null);
        await GoogleErrorAssert.ReadAsync(again, HttpStatusCode.Conflict, "ABORTED");
    }

    [Fact]
    public async Task ImportData_NotMultipartOrNoFiles_IsAGoogleError()
    {
        var dataset = await CreateAsync(new { displayName = "insects", imageClassificationDatasetMetadata = new { } });

        var json = await _client.PostAsJsonAsync($"{Root}/datasets/{IdOf(dataset)}:importData", new { inputConfig = new { } });
        Assert.Contains("inputUris is empty", GoogleErrorAssert.Message(await GoogleErrorAssert.ReadAsync(json, HttpStatusCode.BadRequest, "INVALID_ARGUMENT")), StringComparison.Ordinal);
        using var text = new StringContent("just text");
        var plain = await _client.PostAsync(new Uri($"{Root}/datasets/{IdOf(dataset)}:importData", UriKind.Relative), text);
        await GoogleErrorAssert.ReadAsync(plain, HttpStatusCode.UnsupportedMediaType, "INVALID_ARGUMENT");
        using var empty = new MultipartFormDataContent { { new StringContent("x"), "note" } };
        var none = await _client.PostAsync(new Uri($"{Root}/datasets/{IdOf(dataset)}:importData", UriKind.Relative), empty);
        Assert.Equal("invalid-upload", GoogleErrorAssert.Reason(await GoogleErrorAssert.ReadAsync(none, HttpStatusCode.BadRequest, "INVALID_ARGUMENT")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_factory.DataFolder, "uploads")));
        var unknown = await _client.PostAsync(new Uri($"{Root}/datasets/999:importData", UriKind.Relative), empty);
        await GoogleErrorAssert.ReadAsync(unknown, HttpStatusCode.NotFound, "NOT_FOUND");
    }

    /// <summary><c>datasets.create</c>: a done operation whose <c>response</c> is the dataset resource, as AutoML v1 answers.</summary>
    private async Task<JsonElement> CreateAsync(object body)
    {
        var response = await _client.PostAsJsonAsync($"{Root}/datasets", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var operation = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(operation.GetProperty("done").GetBoolean());
        var dataset = operation.GetProperty("response");
        Assert.Equal("type.googleapis.com/google.cloud.automl.v1.Dataset", dataset.GetProperty("@type").GetString());
        return dataset;
    }

    private async Task<JsonElement> ImportAsync(long datasetId, params (string Name, string Path)[] files)
    {
        using var content = new MultipartFormDataContent();
        foreach (var (name, path) in files)
        {
            var part = new StreamContent(File.OpenRead(path));
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Add(part, "file", name);
        }
        var response = await _client.PostAsync(new Uri($"{Root}/datasets/{datasetId}:importData", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<JsonElement> GetOperationAsync(JsonElement operation) =>
        await _client.GetFromJsonAsync<JsonElement>($"/v1/{operation.GetProperty("name").GetString()}");

    /// <summary>Polls the operation until done (a safety limit of 5 minutes, not a timing assertion).</summary>
    private async Task<JsonElement> WaitDoneAsync(JsonElement operation)
    {
        for (var i = 0; i < 3000; i++)
        {
            var current = await GetOperationAsync(operation);
            if (current.GetProperty("done").GetBoolean())
                return current;
            await Task.Delay(100);
        }
        throw new TimeoutException($"Operation {operation.GetProperty("name")} did not finish.");
    }

    private static long IdOf(JsonElement resource) => long.Parse(resource.GetProperty("name").GetString()!.Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);

    private static byte[] ReadEntry(ZipArchive archive, string name)
    {
        using var stream = archive.GetEntry(name)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static List<string[]> ParseCsv(string text)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, text, Encoding.UTF8);
            return ImportJobFixture.ReadReport(path).Skip(1).ToList();
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static (int W, int H) ImageSize(string path)
    {
        var codec = new VisionConsole.Trainer.Imaging.VipsImageCodec();
        var header = codec.ReadHeader(File.ReadAllBytes(path));
        return (header.Width, header.Height);
    }

    private static byte[] SecondPhoto() => File.ReadAllBytes(ImportJobFixture.HymenopteraFiles()[1].File);

    /// <summary>Holds the factory with test services added (WithWebHostBuilder returns a new factory).</summary>
    private sealed record WebApplicationFactory(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> Inner);
}

/// <summary>
/// The real image store behind a gate a test can close after N images, to stop an import at a known point (and
/// cancel it there) without any timing.
/// </summary>
internal sealed class GatedImageStore(IImageStore inner, GatedImageStore.Gate gate) : IImageStore
{
    public async Task<StoredImage> StoreAsync(string fileName, Stream content, CancellationToken cancellationToken = default)
    {
        await gate.PassAsync(cancellationToken);
        return await inner.StoreAsync(fileName, content, cancellationToken);
    }

    public Stream OpenOriginal(string sha256) => inner.OpenOriginal(sha256);

    public Task<byte[]> ReadOriginalAsync(string sha256, CancellationToken cancellationToken = default) => inner.ReadOriginalAsync(sha256, cancellationToken);

    public Task<Stream> OpenThumbnailAsync(string sha256, CancellationToken cancellationToken = default) => inner.OpenThumbnailAsync(sha256, cancellationToken);

    public sealed class Gate
    {
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _limit = int.MaxValue;
        private int _passed;

        public void CloseAfter(int images) => _limit = images;

        public void Open() => _open.TrySetResult();

        public Task WaitUntilHeldAsync() => _held.Task.WaitAsync(TimeSpan.FromMinutes(5));

        public async Task PassAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _passed) <= _limit)
                return;
            _held.TrySetResult();
            await _open.Task.WaitAsync(cancellationToken);
        }
    }
}
