using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Storage;
using VisionConsole.Tests.Domain;

namespace VisionConsole.Tests.Trainer.Jobs;

/// <summary>
/// The real console (web host, hosted trainer, SQLite file, libvips, ONNX Runtime, the zoo from the shared
/// mirror) over a temporary data folder. A second host can be started on the same folder (a restart).
/// </summary>
internal sealed class TrainingHost : IAsyncDisposable
{
    public static readonly string Mirror = SharedData.Zoo;
    public const string Api = "/v1/projects/default/locations/us-central1";

    /// <summary>The repository's npm tarball cache (<c>.cache/npm-pack</c>), shared with the zoo tests.</summary>
    public static readonly string NpmCache = Path.Combine(VisionConsole.Tests.Trainer.Zoo.NodeReference.RepoRoot, ".cache", "npm-pack");

    private readonly WebApplicationFactory<Program> _factory;
    private readonly bool _ownsFolder;

    private TrainingHost(string folder, bool ownsFolder)
    {
        Folder = folder;
        _ownsFolder = ownsFolder;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("data", folder);
            builder.UseSetting("Zoo:Mirror", Mirror);
            builder.UseSetting("Zoo:AllowDownloads", "false");
            // npm tarballs (the CenterNet detector base) where the zoo tests keep them; see DetectorApiEndToEndTests.
            builder.UseSetting("Zoo:NpmCacheFolder", NpmCache);
            builder.UseSetting("Trainer:PollInterval", "00:00:01");
            builder.UseSetting("Trainer:ProgressSaveInterval", "00:00:00.250");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
        });
        Client = _factory.CreateClient();
        // The administrator's key (made on the first start; a restart on the folder makes another for the same account).
        Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Bearer", new VisionConsole.Tests.Web.TestAccounts(_factory.Services).KeyAsync().GetAwaiter().GetResult());
    }

    public string Folder { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _factory.Services;

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public ConsoleDbContext OpenContext() => Get<IDbContextFactory<ConsoleDbContext>>().CreateDbContext();

    /// <summary>Starts a host on a new temporary data folder (deleted on dispose).</summary>
    public static TrainingHost Start() => new(TestDatabase.NewFolder(), ownsFolder: true);

    /// <summary>Starts a host on an existing data folder (kept on dispose).</summary>
    public static TrainingHost StartOn(string folder) => new(folder, ownsFolder: false);

    /// <summary>
    /// Imports hymenoptera images through the real intake: the first <paramref name="trainPerLabel"/> of
    /// train/{ants,bees} as TRAIN and the first <paramref name="valPerLabel"/> of val/{ants,bees} as VALIDATION
    /// (null: all). Files the intake refuses (the GIF placeholder) are skipped, as the console does.
    /// </summary>
    public static async Task<long> ImportHymenopteraAsync(IServiceProvider services, string name, int? trainPerLabel, int? valPerLabel, IReadOnlyList<string>? labels = null)
    {
        var datasets = services.GetRequiredService<IDatasetService>();
        var intake = services.GetRequiredService<IImageIntake>();
        var factory = services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>();
        var dataset = await datasets.CreateAsync(name, DatasetKind.SingleLabel, "tester");
        foreach (var label in labels ?? ["ants", "bees"])
        {
            await datasets.AddLabelAsync(dataset.Id, label, "tester");
        }
        foreach (var (folder, split, take) in new[] { ("train", DataSplit.Train, trainPerLabel), ("val", DataSplit.Validation, valPerLabel) })
        {
            foreach (var label in new[] { "ants", "bees" })
            {
                var files = Directory.EnumerateFiles(Path.Combine(Domain.Import.ImportTestData.Hymenoptera, folder, label))
                    .Where(f => !f.EndsWith(".gif", StringComparison.OrdinalIgnoreCase) || take is null)
                    .Order(StringComparer.Ordinal).Take(take ?? int.MaxValue);
                foreach (var file in files)
                {
                    await using var stream = File.OpenRead(file);
                    var result = await intake.AddAsync(dataset.Id, Path.GetFileName(file), stream, "tester");
                    if (!result.Accepted || result.Duplicate)
                    {
                        continue;
                    }
                    await using var db = await factory.CreateDbContextAsync();
                    var image = await db.Images.Include(i => i.Labels).SingleAsync(i => i.Id == result.ImageId);
                    var labelEntity = await db.Labels.SingleAsync(l => l.DatasetId == dataset.Id && l.Name == label);
                    image.AddLabel(labelEntity);
                    image.OverrideSplit(split);
                    await db.SaveChangesAsync();
                }
            }
        }
        return dataset.Id;
    }

    /// <summary><c>POST .../models</c>; returns the operation id.</summary>
    public async Task<long> StartTrainingAsync(long datasetId, string modelType = "mobile-versatile-1", string? baseModelId = null, string displayName = "test model")
    {
        var response = await PostModelAsync(datasetId, modelType, baseModelId, displayName);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST models answered {(int)response.StatusCode}: {body}");
        var name = JsonNode.Parse(body)!["name"]!.GetValue<string>();
        Assert.StartsWith("projects/default/locations/us-central1/operations/", name, StringComparison.Ordinal);
        return long.Parse(name[(name.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    public Task<HttpResponseMessage> PostModelAsync(long datasetId, string modelType, string? baseModelId, string displayName)
    {
        var metadata = new JsonObject { ["modelType"] = modelType, ["trainBudgetMilliNodeHours"] = "1000" };
        if (baseModelId is not null)
        {
            metadata["baseModelId"] = baseModelId;
        }
        var request = new JsonObject
        {
            ["displayName"] = displayName,
            ["datasetId"] = datasetId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["imageClassificationModelMetadata"] = metadata,
        };
        return Client.PostAsJsonAsync($"{Api}/models", request);
    }

    public async Task<JsonElement> GetOperationAsync(long operationId)
    {
        var response = await Client.GetAsync($"{Api}/operations/{operationId}");
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>Polls the operation until it is done or <paramref name="timeout"/> passes; returns its last state.</summary>
    public async Task<JsonElement> WaitDoneAsync(long operationId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var operation = await GetOperationAsync(operationId);
            if (operation.GetProperty("done").GetBoolean() || DateTime.UtcNow > deadline)
            {
                return operation;
            }
            await Task.Delay(100);
        }
    }

    /// <summary>The model id in a finished operation's <c>response.name</c>.</summary>
    public static string ModelIdOf(JsonElement operation)
    {
        Assert.True(operation.TryGetProperty("response", out var response), $"The operation has no response: {operation}");
        var name = response.GetProperty("name").GetString()!;
        Assert.StartsWith("projects/default/locations/us-central1/models/", name, StringComparison.Ordinal);
        return name[(name.LastIndexOf('/') + 1)..];
    }

    public static string State(JsonElement operation) => operation.GetProperty("metadata").GetProperty("state").GetString()!;

    /// <summary>Files under <c>&lt;data&gt;/models</c>, staging included.</summary>
    public IReadOnlyList<string> ModelFiles() =>
        Directory.Exists(Path.Combine(Folder, "models"))
            ? Directory.EnumerateFiles(Path.Combine(Folder, "models"), "*", SearchOption.AllDirectories).ToList()
            : [];

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
        if (_ownsFolder)
        {
            TestDatabase.DeleteFolder(Folder);
        }
    }
}
