using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;
using VisionConsole.Tests.Domain.Imaging;

namespace VisionConsole.Tests.Web;

/// <summary>
/// Two real SignalR clients (Microsoft.AspNetCore.SignalR.Client, each with its own account's key) on one dataset:
/// each sees the other arrive, move and leave, and one sees the other's label change.
/// </summary>
public sealed class PresenceHubTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private readonly ConsoleWebFactory _factory = new();
    private HttpClient _owner = null!;

    public Task InitializeAsync()
    {
        _owner = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _owner.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task JoinDataset_TwoClients_SeeEachOthersPresenceAndLabelChange()
    {
        var dataset = await (await _owner.PostAsJsonAsync("/api/datasets", new { displayName = "insects", kind = "SingleLabel" })).Content.ReadFromJsonAsync<DatasetSummary>(Json);
        var ants = await (await _owner.PostAsJsonAsync($"/api/datasets/{dataset!.Id}/labels", new { name = "ants" })).Content.ReadFromJsonAsync<LabelSummary>(Json);
        using (var form = new MultipartFormDataContent())
        {
            form.Add(new StreamContent(File.OpenRead(TestImages.Hymenoptera("train/ants/0013035.jpg"))), "files", "0013035.jpg");
            (await _owner.PostAsync(new Uri($"/api/datasets/{dataset.Id}/images", UriKind.Relative), form)).EnsureSuccessStatusCode();
        }
        var image = Assert.Single((await _owner.GetFromJsonAsync<ImagePage>($"/api/datasets/{dataset.Id}/images", Json))!.Items);
        var lenaKey = await _factory.Accounts.KeyAsync("lena", ProjectRole.Labeler);
        var larsKey = await _factory.Accounts.KeyAsync("lars", ProjectRole.Labeler);

        await using var lena = await ConnectAsync(lenaKey);
        var lenaHears = Listen<PresenceSnapshot>(lena, "presenceChanged");
        var lenaChanges = Listen<DatasetChange>(lena, "datasetChanged");
        var first = await lena.InvokeAsync<PresenceSnapshot>("JoinDataset", dataset.Id, image.Id);
        Assert.Equal([new PresenceEntry("lena", image.Id)], first.People);
        await using var lars = await ConnectAsync(larsKey);
        var seen = await lars.InvokeAsync<PresenceSnapshot>("JoinDataset", dataset.Id, (long?)null);

        Assert.Equal([new PresenceEntry("lars", null), new PresenceEntry("lena", image.Id)], seen.People);
        Assert.Equal(["lena"], seen.OthersOn(image.Id, "lars"));
        await NextWhereAsync(lenaHears, s => s.People.Any(p => p.User == "lars"));

        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/api/datasets/{dataset.Id}/images:labels") { Content = JsonContent.Create(new { imageIds = new[] { image.Id }, add = new[] { ants!.Id } }) })
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", larsKey);
            (await _owner.SendAsync(request)).EnsureSuccessStatusCode();
        }
        var change = await NextWhereAsync(lenaChanges, c => c.Kind == DatasetChangeKind.Labels);
        Assert.Equal("lars", change.User);
        Assert.Equal([image.Id], change.ImageIds);

        await lars.StopAsync();
        var after = await NextWhereAsync(lenaHears, s => s.People.All(p => p.User != "lars"));
        Assert.Equal([new PresenceEntry("lena", image.Id)], after.People);
    }

    private async Task<HubConnection> ConnectAsync(string key)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(_factory.Server.BaseAddress, "hubs/console"), options =>
            {
                // The test server has no sockets: long polling through its in-memory handler, the key as the bearer token.
                options.Transports = HttpTransportType.LongPolling;
                options.HttpMessageHandlerFactory = _ => _factory.Server.CreateHandler();
                options.AccessTokenProvider = () => Task.FromResult<string?>(key);
            })
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
            .Build();
        await connection.StartAsync();
        return connection;
    }

    private static Channel<T> Listen<T>(HubConnection connection, string method)
    {
        var channel = Channel.CreateUnbounded<T>();
        connection.On<T>(method, value => channel.Writer.TryWrite(value));
        return channel;
    }

    private static async Task<T> NextWhereAsync<T>(Channel<T> channel, Func<T, bool> wanted)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var value = await channel.Reader.ReadAsync(timeout.Token);
            if (wanted(value))
            {
                return value;
            }
        }
    }
}
