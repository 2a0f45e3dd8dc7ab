using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Datasets;

/// <summary>A model's label for an unlabeled image: its best label that the dataset also has, and the score.</summary>
/// <param name="ImageId">The image.</param>
/// <param name="FileName">Its file name.</param>
/// <param name="Sha256">Its blob (for the thumbnail).</param>
/// <param name="Version">The image version scored; accepting it names this version.</param>
/// <param name="LabelId">The dataset's label of that name.</param>
/// <param name="Label">The label's name.</param>
/// <param name="Score">The model's score for it (0 to 1).</param>
public sealed record LabelSuggestion(long ImageId, string FileName, string Sha256, long Version, long LabelId, string Label, float Score);

/// <summary>Suggestions for a page of unlabeled images, and how many unlabeled images there are in all.</summary>
public sealed record LabelSuggestionPage(long ModelId, int ModelVersion, string ModelName, IReadOnlyList<LabelSuggestion> Items, int Unlabeled, int Failed);

/// <summary>One suggestion a person accepts.</summary>
public sealed record AcceptedSuggestion(long ImageId, long LabelId, long Version);

/// <summary>
/// Model-assisted labeling: a trained classification model scores a dataset's unlabeled images and suggests its best
/// label for each; a person accepts the ones they trust (usually those above a score) and those images get the label,
/// audited as theirs with the model named as the source.
/// </summary>
public sealed class LabelSuggestions(IDbContextFactory<ConsoleDbContext> contexts, IModelService models, IImageStore images, IDatasetService datasets)
{
    /// <summary>The most images scored in one call.</summary>
    public const int MaxPageSize = 100;

    /// <summary>
    /// Scores up to <paramref name="take"/> unlabeled images of <paramref name="datasetId"/> (oldest first, after
    /// <paramref name="skip"/>) with the latest version of <paramref name="modelId"/>, best suggestion first.
    /// </summary>
    /// <exception cref="NotFoundException">No such dataset or model.</exception>
    /// <exception cref="DomainException"><c>model-kind</c> for a detector or a detection dataset, <c>no-shared-labels</c> when the model knows none of the dataset's labels, <c>invalid-query</c> for a bad page.</exception>
    public async Task<LabelSuggestionPage> SuggestAsync(long datasetId, long modelId, int skip = 0, int take = 50, CancellationToken cancellationToken = default)
    {
        if (skip < 0 || take < 1 || take > MaxPageSize)
        {
            throw new DomainException("invalid-query", $"Suggestions need skip >= 0 and 1 <= take <= {MaxPageSize} (got skip {skip}, take {take}).");
        }
        var dataset = await datasets.GetAsync(datasetId, cancellationToken).ConfigureAwait(false);
        var model = await models.GetAsync(modelId, cancellationToken).ConfigureAwait(false);
        if (dataset.Kind == DatasetKind.ObjectDetection || model.Kind == DatasetKind.ObjectDetection)
        {
            throw new DomainException("model-kind", "Label suggestions come from a classification model for a classification dataset; boxes are drawn on the canvas.");
        }
        var labels = (await datasets.ListLabelsAsync(datasetId, cancellationToken).ConfigureAwait(false)).ToDictionary(l => l.Name, StringComparer.Ordinal);
        if (!model.Labels.Any(labels.ContainsKey))
        {
            throw new DomainException("no-shared-labels", $"Model '{model.DisplayName}' knows none of this dataset's labels ({string.Join(", ", labels.Keys.Order(StringComparer.Ordinal))}).");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var unlabeled = db.Images.Where(i => i.DatasetId == datasetId && !i.Labels.Any());
        var total = await unlabeled.CountAsync(cancellationToken).ConfigureAwait(false);
        var page = await unlabeled.OrderBy(i => i.Id).Skip(skip).Take(take)
            .Select(i => new { i.Id, i.FileName, i.Sha256, i.Version }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var suggestions = new List<LabelSuggestion>(page.Count);
        var failed = 0;
        foreach (var image in page)
        {
            ClassificationPrediction prediction;
            try
            {
                prediction = await models.PredictAsync(modelId, await images.ReadOriginalAsync(image.Sha256, cancellationToken).ConfigureAwait(false), null, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ImageRejectedException or IOException)
            {
                failed++; // a blob that no longer decodes is the integrity check's business; the others still get suggestions
                continue;
            }
            if (prediction.Scores.Where(s => labels.ContainsKey(s.Label)).MaxBy(s => s.Score) is { } best)
            {
                suggestions.Add(new LabelSuggestion(image.Id, image.FileName, image.Sha256, image.Version, labels[best.Label].Id, best.Label, best.Score));
            }
        }
        return new LabelSuggestionPage(model.Id, model.LatestVersionNumber, model.DisplayName,
            [.. suggestions.OrderByDescending(s => s.Score).ThenBy(s => s.ImageId)], total, failed);
    }

    /// <summary>
    /// Gives each accepted image its suggested label (single-label: in place of none; an image labeled or changed since it
    /// was scored is refused as a whole, as any stale label write), audited as <paramref name="user"/>'s with the model named.
    /// </summary>
    /// <exception cref="NotFoundException">No such dataset, model, image or label.</exception>
    /// <exception cref="ConcurrencyConflictException">An image changed since it was scored.</exception>
    public async Task<int> AcceptAsync(long datasetId, long modelId, IReadOnlyList<AcceptedSuggestion> accepted, string user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        if (accepted.Count == 0)
        {
            return 0;
        }
        var model = await models.GetAsync(modelId, cancellationToken).ConfigureAwait(false);
        var source = $"suggested by model {model.Id} '{model.DisplayName}' version {model.LatestVersionNumber}";
        var changed = 0;
        foreach (var group in accepted.GroupBy(a => a.LabelId))
        {
            var states = await datasets.ChangeLabelsAsync(datasetId, new LabelChange([.. group.Select(a => a.ImageId)], [group.Key], [],
                group.ToDictionary(a => a.ImageId, a => a.Version), source), user, cancellationToken).ConfigureAwait(false);
            changed += states.Count(s => s.Changed);
        }
        return changed;
    }
}
