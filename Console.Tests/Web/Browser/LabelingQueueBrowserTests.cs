using Microsoft.Playwright;
using VisionConsole.Domain.Accounts;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>
/// Two labelers signed in in two browser contexts take images from one dataset's queue at once, and a reviewer's
/// rejection puts an image back in the queue with its comment; the dataset page shows who is on which image, counts it
/// all per person, and its history names who did what.
/// </summary>
public sealed class LabelingQueueBrowserTests(ConsoleServerFixture server, ITestOutputHelper output) : IClassFixture<ConsoleServerFixture>
{
    [Fact]
    public async Task Queue_TwoLabelersAndAReviewer_NeverTheSameImageAndARejectionComesBackWithItsComment()
    {
        var dataset = await server.SeedAntPhotosAsync("Queue", 3, "ants", "bees");
        var lena = await server.SignInAsync("lena", ProjectRole.Labeler);
        var lars = await server.SignInAsync("lars", ProjectRole.Labeler);
        var rita = await server.SignInAsync("rita", ProjectRole.Reviewer);
        await using var lenaSession = await server.OpenPageAsync(output, storageState: lena);
        await using var larsSession = await server.OpenPageAsync(output, storageState: lars);

        await Task.WhenAll(OpenQueueAsync(lenaSession.Page, dataset), OpenQueueAsync(larsSession.Page, dataset));
        var lenaFile = await lenaSession.Page.Locator("[data-test=queue-file]").InnerTextAsync();
        var larsFile = await larsSession.Page.Locator("[data-test=queue-file]").InnerTextAsync();
        Assert.NotEqual(lenaFile, larsFile);

        // Lena labels hers (single-label: the click saves) and gets the third image, not Lars's.
        await lenaSession.Page.Locator("button[data-label-id]").Filter(new() { HasText = "ants" }).ClickAsync();
        await Expect(lenaSession.Page.Locator("[data-test=queue-file]")).Not.ToHaveTextAsync(lenaFile);
        var lenaSecond = await lenaSession.Page.Locator("[data-test=queue-file]").InnerTextAsync();
        Assert.NotEqual(larsFile, lenaSecond);

        await using (var review = await server.OpenPageAsync(output, storageState: rita))
        {
            var page = review.Page;
            await page.GotoAsync($"/datasets/{dataset}/review");
            await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
            await Expect(page.Locator("[data-test=review-file]")).ToHaveTextAsync(lenaFile);
            await Expect(page.Locator("[data-test=review-labeled-by]")).ToContainTextAsync("lena");
            await page.Locator("input[data-test=review-comment], [data-test=review-comment] input").First.FillAsync("This one is a bee.");
            await page.ClickAsync("[data-test=review-reject]");
            await Expect(page.Locator("[data-test=review-empty]")).ToBeVisibleAsync();
            Assert.True(review.ConsoleErrors.Count == 0, "Browser console errors: " + string.Join(" | ", review.ConsoleErrors));
        }

        // Lars skips his image: the queue hands him the rejected one first, with the comment.
        await larsSession.Page.ClickAsync("[data-test=queue-skip]");
        await Expect(larsSession.Page.Locator("[data-test=queue-file]")).ToHaveTextAsync(lenaFile);
        await Expect(larsSession.Page.Locator("[data-test=queue-rejection]")).ToContainTextAsync("Rejected by rita: This one is a bee.");

        await larsSession.Page.GotoAsync($"/datasets/{dataset}");
        await larsSession.Page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        await Expect(larsSession.Page.Locator("[data-test=progress-rejected]")).ToHaveTextAsync("1 rejected");
        // Lena is still on her queue page: Lars sees her on the dataset and on the tile of the image she has open.
        await Expect(larsSession.Page.Locator("[data-test=presence]")).ToContainTextAsync("lena");
        await Expect(larsSession.Page.Locator(".image-tile").Filter(new() { HasText = lenaSecond }).Locator("[data-test=tile-presence]")).ToHaveTextAsync("lena");
        await Expect(larsSession.Page.Locator("[data-test=progress-people] tr[data-user=lena]")).ToContainTextAsync("lena");
        // The dataset's history says who labeled and who rejected what.
        await larsSession.Page.ClickAsync("[data-test=dataset-history]");
        var rejection = larsSession.Page.Locator("[data-test=audit-list] tr[data-action=review-rejected]");
        await Expect(rejection).ToContainTextAsync("rita");
        await Expect(rejection).ToContainTextAsync(lenaFile);
        await Expect(rejection).ToContainTextAsync("This one is a bee.");
        await Expect(larsSession.Page.Locator("[data-test=audit-list] tr[data-action=labels-changed]").First).ToContainTextAsync("lena");
        Assert.True(lenaSession.ConsoleErrors.Count == 0, "Browser console errors: " + string.Join(" | ", lenaSession.ConsoleErrors));
        Assert.True(larsSession.ConsoleErrors.Count == 0, "Browser console errors: " + string.Join(" | ", larsSession.ConsoleErrors));
    }

    private static async Task OpenQueueAsync(IPage page, long dataset)
    {
        await page.GotoAsync($"/datasets/{dataset}/queue");
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        await Expect(page.Locator("[data-test=queue-image]")).ToBeVisibleAsync();
    }
}
