using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using VisionConsole.Domain.Datasets;
using VisionConsole.Tests.Domain.Imaging;

namespace VisionConsole.Tests.Web;

/// <summary><c>/hubs/console</c>: a client in a dataset's group hears <c>datasetChanged</c> when someone labels through the REST API.</summary>
public sealed class DatasetHubTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private readonly ConsoleWebFactory _factory = new();
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task SubscribeDataset_LabelAssignedThroughTheApi_ClientReceivesDatasetChangedWithImageAndUser()
    {
        var dataset = await PostAsync<DatasetSummary>("/api/datasets", new { displayName = "insects", kind = "SingleLabel" });
        var other = await PostAsync<DatasetSummary>("/api/datasets", new { displayName = "other", kind = "SingleLabel" });
        var ants = await PostAsync<LabelSummary>($"/api/datasets/{dataset.Id}/labels", new { name = "ants" });
        using (var form = new MultipartFormDataContent())
        {
            form.Add(new StreamContent(File.OpenRead(TestImages.Hymenoptera("train/ants/0013035.jpg"))), "files", "0013035.jpg");
            (await _client.PostAsync(new Uri($"/api/datasets/{dataset.Id}/images", UriKind.Relative), form)).EnsureSuccessStatusCode();
        }
        var image = Assert.Single((await _client.GetFromJsonAsync<ImagePage>($"/api/datasets/{dataset.Id}/images", Json))!.Items);

        using var hub = await HubClient.ConnectAsync(_factory);
        await hub.InvokeAsync("SubscribeDataset", other.Id);
        await hub.InvokeAsync("SubscribeDataset", dataset.Id);
        await hub.InvokeAsync("UnsubscribeDataset", other.Id);
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/api/datasets/{dataset.Id}/images:labels")
        {
            Content = JsonContent.Create(new { imageIds = new[] { image.Id }, add = new[] { ants.Id } }),
        })
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await _factory.Accounts.KeyAsync("ann"));
            (await _client.SendAsync(request)).EnsureSuccessStatusCode();
        }

        var change = await hub.NextAsync("datasetChanged");
        Assert.Equal(dataset.Id, change.GetProperty("datasetId").GetInt64());
        Assert.Equal([image.Id], change.GetProperty("imageIds").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal("labels", change.GetProperty("kind").GetString());
        Assert.Equal("ann", change.GetProperty("user").GetString());
        Assert.Equal(1, change.GetProperty("imageCount").GetInt32());
    }

    [Fact]
    public async Task SubscribeOperations_ExportThroughTheApi_ClientReceivesTypedProgressThenTheTypedResult()
    {
        var dataset = await PostAsync<DatasetSummary>("/api/datasets", new { displayName = "to export", kind = "SingleLabel" });
        using (var form = new MultipartFormDataContent())
        {
            form.Add(new StreamContent(File.OpenRead(TestImages.Hymenoptera("train/ants/0013035.jpg"))), "files", "0013035.jpg");
            (await _client.PostAsync(new Uri($"/api/datasets/{dataset.Id}/images", UriKind.Relative), form)).EnsureSuccessStatusCode();
        }
        using var hub = await HubClient.ConnectAsync(_factory);
        await hub.InvokeAsync("SubscribeOperations");

        var export = await _client.PostAsJsonAsync($"/v1/projects/default/locations/l/datasets/{dataset.Id}:exportData", new { outputConfig = new { format = "AUTOML_CSV" } });
        export.EnsureSuccessStatusCode();

        // Every update carries the operation with its kind's own records, each tagged with its kind: no JSON string to parse.
        var updates = new List<JsonElement>();
        do
        {
            updates.Add((await hub.NextAsync("operationUpdated")).GetProperty("operation"));
        }
        while (!updates[^1].GetProperty("done").GetBoolean());
        Assert.All(updates, u => Assert.Equal(("export-data", "export-data"), (u.GetProperty("kind").GetString(), u.GetProperty("request").GetProperty("$kind").GetString())));
        Assert.Equal("Queued", updates[0].GetProperty("state").GetString());
        var progress = updates.Where(u => u.GetProperty("progress").ValueKind == JsonValueKind.Object).Select(u => u.GetProperty("progress")).ToList();
        Assert.NotEmpty(progress);
        Assert.All(progress, p => Assert.Equal(("export-data", 1), (p.GetProperty("$kind").GetString(), p.GetProperty("total").GetInt32())));
        var final = updates[^1];
        Assert.Equal("Succeeded", final.GetProperty("state").GetString());
        Assert.Equal(("export-data", 1, "AutoMlCsv"), (final.GetProperty("result").GetProperty("$kind").GetString(),
            final.GetProperty("result").GetProperty("imageCount").GetInt32(), final.GetProperty("result").GetProperty("format").GetString()));
    }

    private async Task<T> PostAsync<T>(string path, object body)
    {
        var response = await _client.PostAsJsonAsync(path, body);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<T>(Json))!;
    }

    /// <summary>
    /// The SignalR JSON hub protocol over the test server's WebSocket (the SignalR .NET client is not in the package
    /// source here): handshake, invocations that wait for their completion, and the next message for a client method.
    /// </summary>
    private sealed class HubClient(WebSocket socket) : IDisposable
    {
        private const char RecordSeparator = '\u001e';
        private readonly Queue<string> _received = new();
        private readonly StringBuilder _partial = new();
        // Not a timed assertion: a generous bound so a missing message fails the test instead of hanging the run.
        private readonly CancellationTokenSource _giveUp = new(TimeSpan.FromMinutes(2));
        private int _nextInvocation;

        public static async Task<HubClient> ConnectAsync(ConsoleWebFactory factory)
        {
            // Skipping negotiation is allowed for WebSockets: the hub takes the connection as it comes.
            // A browser's WebSocket cannot send headers: the key goes as access_token, as SignalR's clients send it.
            var key = Uri.EscapeDataString(await factory.Accounts.KeyAsync());
            var socket = await factory.Server.CreateWebSocketClient().ConnectAsync(new Uri(factory.Server.BaseAddress, $"hubs/console?access_token={key}"), CancellationToken.None);
            var client = new HubClient(socket);
            await client.SendAsync(new { protocol = "json", version = 1 });
            var handshake = await client.ReceiveAsync();
            Assert.False(handshake.TryGetProperty("error", out var error), "handshake refused: " + error);
            return client;
        }

        /// <summary>Calls a hub method and waits for its completion, failing on a hub error.</summary>
        public async Task InvokeAsync(string target, params object[] arguments)
        {
            var id = (++_nextInvocation).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await SendAsync(new { type = 1, invocationId = id, target, arguments });
            while (true)
            {
                var message = await ReceiveAsync();
                if (message.GetProperty("type").GetInt32() == 3 && message.GetProperty("invocationId").GetString() == id)
                {
                    Assert.False(message.TryGetProperty("error", out var error), $"{target} failed: {error}");
                    return;
                }
            }
        }

        /// <summary>The first argument of the next call of client method <paramref name="target"/> (pings and others are skipped).</summary>
        public async Task<JsonElement> NextAsync(string target)
        {
            while (true)
            {
                var message = await ReceiveAsync();
                if (message.GetProperty("type").GetInt32() == 1 && message.GetProperty("target").GetString() == target)
                {
                    return message.GetProperty("arguments")[0];
                }
            }
        }

        private Task SendAsync(object message) =>
            socket.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(message) + RecordSeparator), WebSocketMessageType.Text, true, CancellationToken.None);

        private async Task<JsonElement> ReceiveAsync()
        {
            var buffer = new byte[16 * 1024];
            while (_received.Count == 0)
            {
                var result = await socket.ReceiveAsync(buffer, _giveUp.Token);
                Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
                _partial.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
                var text = _partial.ToString();
                var end = text.LastIndexOf(RecordSeparator);
                if (end >= 0)
                {
                    foreach (var record in text[..end].Split(RecordSeparator))
                    {
                        _received.Enqueue(record);
                    }
                    _partial.Clear().Append(text[(end + 1)..]);
                }
            }
            return JsonDocument.Parse(_received.Dequeue()).RootElement.Clone();
        }

        public void Dispose()
        {
            socket.Dispose();
            _giveUp.Dispose();
        }
    }
}
