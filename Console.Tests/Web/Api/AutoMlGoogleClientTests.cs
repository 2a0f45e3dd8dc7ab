using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Tests.Domain;
using VisionConsole.Tests.Web;
using VisionConsole.Tests.Trainer.Ort;
using VisionConsole.Web;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Web.Api;

/// <summary>
/// Google's own client, <c>@google-cloud/automl</c> 5.1.1 in its REST fallback mode, pointed at the console on a real
/// port (<c>apiEndpoint</c>, <c>port</c>, <c>protocol: 'http'</c>, the API key as the bearer token): create a dataset,
/// get, list, read an annotation spec, rename, train a model and wait for its long-running operation, list evaluations, deploy, predict
/// through <c>PredictionServiceClient</c>, undeploy, delete. Only the upload is plain HTTP: the client's importData reads
/// Cloud Storage.
/// </summary>
public sealed class AutoMlGoogleClientTests(ITestOutputHelper output)
{
    [Fact]
    public async Task GoogleAutoMlClient_WholeFlow_EveryCallAnsweredAsAutoMlDoes()
    {
        var data = TestDatabase.NewFolder();
        var zip = Path.Combine(data, "..", $"photos-{Guid.NewGuid():N}.zip");
        var ants = Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, "train", "ants")).Order(StringComparer.Ordinal).ToList();
        var bees = Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, "train", "bees")).Order(StringComparer.Ordinal).ToList();
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            foreach (var photo in ants.Take(20).Concat(bees.Take(20)))
                archive.CreateEntryFromFile(photo, $"{Path.GetFileName(Path.GetDirectoryName(photo))}/{Path.GetFileName(photo)}", CompressionLevel.NoCompression);
        }
        var app = ConsoleHost.Build(ConsoleHost.CreateBuilder(["--data", data, "--urls", "http://127.0.0.1:0", "--zoo-mirror", SharedData.Zoo,
            "--Zoo:AllowDownloads", "false", "--Logging:LogLevel:Default", "Warning"]));
        try
        {
            await app.StartAsync();
            var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;

            var steps = await RunFlowAsync(port, await new TestAccounts(app.Services).KeyAsync(), zip, ants[30]);

            // The library asks for and reads enums as numbers ($alt=json;enum-encoding=int): 1 is MULTICLASS.
            Assert.Equal(("hymenoptera", 1), (steps["createDataset"].GetProperty("displayName").GetString(), steps["createDataset"].GetProperty("classificationType").GetInt32()));
            var datasetName = steps["createDataset"].GetProperty("name").GetString();
            Assert.StartsWith("projects/default/locations/us-central1/datasets/", datasetName, StringComparison.Ordinal);
            Assert.Equal(datasetName, steps["getDataset"].GetProperty("name").GetString());
            Assert.Equal(JsonValueKind.Null, steps["importData"].GetProperty("error").ValueKind);
            Assert.Equal(40, steps["listDatasets"].GetProperty("exampleCount").GetInt32());
            Assert.Equal(("bees", 20), (steps["getAnnotationSpec"].GetProperty("displayName").GetString(), steps["getAnnotationSpec"].GetProperty("exampleCount").GetInt32()));
            Assert.Equal("hymenoptera-renamed", steps["updateDataset"].GetProperty("displayName").GetString());
            Assert.StartsWith("projects/default/locations/us-central1/models/", steps["trained"].GetProperty("name").GetString(), StringComparison.Ordinal);
            Assert.Equal([steps["trained"].GetProperty("name").GetString()], steps["listModels"].GetProperty("ofDataset").EnumerateArray().Select(m => m.GetString()));
            Assert.Equal(0, steps["listModels"].GetProperty("detectors").GetInt32());
            var evaluations = steps["listModelEvaluations"];
            Assert.Equal(3, evaluations.GetProperty("count").GetInt32());
            Assert.Equal(["ants", "bees"], evaluations.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
            Assert.InRange(evaluations.GetProperty("auPrc").GetDouble(), 0.5, 1.0);
            Assert.Equal("DEPLOYED", steps["deployModel"].GetProperty("deploymentState").GetString());
            var payload = steps["predict"].GetProperty("payload").EnumerateArray().ToList();
            Assert.Equal(2, payload.Count);
            Assert.Equal("ants", payload[0].GetProperty("displayName").GetString());
            Assert.InRange(payload.Sum(p => p.GetProperty("score").GetDouble()), 0.99, 1.01);
            Assert.Equal("UNDEPLOYED", steps["undeployModel"].GetProperty("deploymentState").GetString());
            // Google's error body, read by the library's own GoogleError: gRPC code 5 (NOT_FOUND), the reason and the console's message.
            foreach (var (step, what) in new[] { ("getDeleted", "Dataset"), ("getDeletedModel", "Model") })
            {
                var error = steps[step];
                Assert.Equal((false, 404, 5, "not-found"), (error.GetProperty("found").GetBoolean(), error.GetProperty("httpCode").GetInt32(), error.GetProperty("code").GetInt32(), error.GetProperty("reason").GetString()));
                Assert.StartsWith($"{what} ", error.GetProperty("message").GetString(), StringComparison.Ordinal);
                Assert.EndsWith(" was not found.", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            }
        }
        finally
        {
            await app.DisposeAsync();
            File.Delete(zip);
            TestDatabase.DeleteFolder(data);
        }
    }

    private async Task<Dictionary<string, JsonElement>> RunFlowAsync(int port, string key, string zip, string photo)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = NodeProbe.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(NodeProbe.RepositoryRoot, "Console.Tests", "Web", "Api", "automl-client-flow.mjs"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), key, zip, photo })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        output.WriteLine(stdout);
        output.WriteLine(await stderr);
        Assert.True(process.ExitCode == 0, $"the flow failed: {stdout} {await stderr}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToDictionary(step => step.GetProperty("step").GetString()!, StringComparer.Ordinal);
    }
}
