using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;
using VisionConsole.Tests.Domain.Imaging;

namespace VisionConsole.Tests.Web;

/// <summary>The labeling queue and review over HTTP with real images, each caller with a real account's key and role.</summary>
public sealed class LabelingQueueApiTests : IAsyncLifetime
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
    public async Task QueueThenReview_TwoLabelersAndAReviewer_DifferentImagesAndARejectionComesBackWithItsComment()
    {
        var (dataset, ants) = await InsectsAsync();
        using var lena = await _factory.CreateClientAsAsync("lena", ProjectRole.Labeler);
        using var lars = await _factory.CreateClientAsAsync("lars", ProjectRole.Labeler);
        using var rita = await _factory.CreateClientAsAsync("rita", ProjectRole.Reviewer);

        var first = await NextAsync(lena, dataset);
        var second = await NextAsync(lars, dataset);
        Assert.NotEqual(first.ImageId, second.ImageId);

        var labeled = await lena.PostAsJsonAsync($"/api/datasets/{dataset}/images:labels", new { imageIds = new[] { first.ImageId }, add = new[] { ants } });
        labeled.EnsureSuccessStatusCode();
        var waiting = await (await rita.PostAsync($"/api/datasets/{dataset}/review:next", null)).Content.ReadFromJsonAsync<ReviewItem>(Json);
        Assert.Equal((first.ImageId, "lena"), (waiting!.ImageId, waiting.LabeledBy));
        Assert.Equal(["ants"], waiting.Labels);

        var rejected = await rita.PostAsJsonAsync($"/api/datasets/{dataset}/images/{first.ImageId}:review", new { accept = false, comment = "This one is a bee.", version = waiting.Version });
        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);
        // lars still holds his image; a third labeler gets the rejected one first.
        using var lisa = await _factory.CreateClientAsAsync("lisa", ProjectRole.Labeler);
        var again = await NextAsync(lisa, dataset);

        Assert.Equal((first.ImageId, ImageReviewState.Rejected, "This one is a bee.", "rita"), (again.ImageId, again.ReviewState, again.ReviewComment, again.ReviewedBy));
        var progress = await _owner.GetFromJsonAsync<LabelingProgress>($"/api/datasets/{dataset}/labeling-progress", Json);
        Assert.Equal(1, progress!.Rejected);
        Assert.Equal([new LabelerCounts("lena", 1, 0, 1)], progress.People);
    }

    [Fact]
    public async Task Review_StaleVersionOrNoComment_409And400WithProblemBodies()
    {
        var (dataset, ants) = await InsectsAsync();
        using var rita = await _factory.CreateClientAsAsync("rita", ProjectRole.Reviewer);
        var image = (await NextAsync(_owner, dataset)).ImageId;
        (await _owner.PostAsJsonAsync($"/api/datasets/{dataset}/images:labels", new { imageIds = new[] { image }, add = new[] { ants } })).EnsureSuccessStatusCode();
        var waiting = await (await rita.PostAsync($"/api/datasets/{dataset}/review:next", null)).Content.ReadFromJsonAsync<ReviewItem>(Json);

        var stale = await rita.PostAsJsonAsync($"/api/datasets/{dataset}/images/{image}:review", new { accept = true, version = waiting!.Version - 1 });
        var noComment = await rita.PostAsJsonAsync($"/api/datasets/{dataset}/images/{image}:review", new { accept = false, comment = " ", version = waiting.Version });

        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Contains("look at it again", await stale.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noComment.StatusCode);
        Assert.Contains("invalid-comment", await noComment.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Roles_ViewerTakesLabelerReviews_Refused403()
    {
        var (dataset, _) = await InsectsAsync();
        using var vera = await _factory.CreateClientAsAsync("vera", ProjectRole.Viewer);
        using var lena = await _factory.CreateClientAsAsync("lena", ProjectRole.Labeler);

        var take = await vera.PostAsync($"/api/datasets/{dataset}/queue:next", null);
        var review = await lena.PostAsJsonAsync($"/api/datasets/{dataset}/images/1:review", new { accept = true, version = 1 });
        var progress = await vera.GetAsync($"/api/datasets/{dataset}/labeling-progress");

        Assert.Equal(HttpStatusCode.Forbidden, take.StatusCode);
        Assert.Contains("labeler", await take.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, review.StatusCode);
        Assert.Equal(HttpStatusCode.OK, progress.StatusCode);
    }

    [Fact]
    public async Task Release_HeldImage_NextLabelerGetsIt()
    {
        var (dataset, _) = await InsectsAsync();
        using var lena = await _factory.CreateClientAsAsync("lena", ProjectRole.Labeler);
        using var lars = await _factory.CreateClientAsAsync("lars", ProjectRole.Labeler);
        var held = await NextAsync(lena, dataset);

        var renewed = await lena.PostAsync($"/api/datasets/{dataset}/queue/{held.ImageId}:renew", null);
        var larsRenew = await lars.PostAsync($"/api/datasets/{dataset}/queue/{held.ImageId}:renew", null);
        (await lena.PostAsync($"/api/datasets/{dataset}/queue/{held.ImageId}:release", null)).EnsureSuccessStatusCode();
        var larsGets = await NextAsync(lars, dataset);

        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, larsRenew.StatusCode);
        Assert.Equal(held.ImageId, larsGets.ImageId);
    }

    private static async Task<QueueItem> NextAsync(HttpClient client, long dataset)
    {
        var response = await client.PostAsync($"/api/datasets/{dataset}/queue:next", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<QueueItem>(Json))!;
    }

    private async Task<(long Dataset, long Ants)> InsectsAsync()
    {
        var dataset = await (await _owner.PostAsJsonAsync("/api/datasets", new { displayName = "insects", kind = "SingleLabel" })).Content.ReadFromJsonAsync<DatasetSummary>(Json);
        var ants = await (await _owner.PostAsJsonAsync($"/api/datasets/{dataset!.Id}/labels", new { name = "ants" })).Content.ReadFromJsonAsync<LabelSummary>(Json);
        using var form = new MultipartFormDataContent();
        foreach (var file in new[] { "train/ants/0013035.jpg", "train/bees/16838648_415acd9e3f.jpg", "train/ants/5650366_e22b7e1065.jpg" })
        {
            form.Add(new StreamContent(File.OpenRead(TestImages.Hymenoptera(file))), "files", Path.GetFileName(file));
        }
        (await _owner.PostAsync(new Uri($"/api/datasets/{dataset.Id}/images", UriKind.Relative), form)).EnsureSuccessStatusCode();
        return (dataset.Id, ants!.Id);
    }
}
