using Microsoft.AspNetCore.Components;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Web.Components.Pages.Labeling;

/// <summary>
/// Labeled images one at a time for a reviewer: accept them, or reject them with a comment that goes back to the
/// labeling queue with the image. Each verdict names the version shown, so labels changed meanwhile are looked at again.
/// </summary>
public partial class ReviewPage
{
    private DatasetSummary? _dataset;
    private ReviewItem? _item;
    private string? _comment;
    private string? _error;
    private bool _saving;

    [Inject] private LabelingQueue Queue { get; set; } = null!;
    [Inject] private IDatasetService Datasets { get; set; } = null!;
    [Inject] private ICurrentUser CurrentUser { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;

    [Parameter] public long DatasetId { get; set; }

    private IReadOnlyList<BreadcrumbItem> Breadcrumbs =>
    [
        new("Datasets", href: "datasets"),
        new(_dataset?.DisplayName ?? "…", href: $"datasets/{DatasetId}"),
        new("Review", href: null, disabled: true),
    ];

    protected override async Task OnInitializedAsync()
    {
        try
        {
            _dataset = await Datasets.GetAsync(DatasetId);
            _item = await Queue.NextForReviewAsync(DatasetId);
        }
        catch (DomainException e)
        {
            _error = e.Message;
        }
    }

    private async Task ReviewAsync(bool accept)
    {
        if (_item is not { } item)
        {
            return;
        }
        _saving = true;
        try
        {
            await Queue.ReviewAsync(DatasetId, item.ImageId, accept, _comment, item.Version, CurrentUser.Name);
            Snackbar.Add(accept ? $"Accepted {item.FileName}." : $"Rejected {item.FileName}; it is back in the labeling queue.", accept ? Severity.Success : Severity.Info);
            _error = null;
            _comment = null;
            _item = await Queue.NextForReviewAsync(DatasetId, item.ImageId);
        }
        catch (ConcurrencyConflictException e)
        {
            // Someone changed the labels meanwhile: show them as they are now before a verdict.
            _error = e.Message;
            _item = await Queue.NextForReviewAsync(DatasetId, item.ImageId - 1);
        }
        catch (DomainException e)
        {
            _error = e.Message;
        }
        finally
        {
            _saving = false;
        }
    }

    private async Task SkipAsync()
    {
        if (_item is { } item)
        {
            _comment = null;
            _item = await Queue.NextForReviewAsync(DatasetId, item.ImageId);
        }
    }
}
