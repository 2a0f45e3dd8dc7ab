using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Tests.Web.Components;

/// <summary>
/// A small in-memory <see cref="IDatasetService"/> that isolates the components from storage. It applies
/// the query filters and paging the way the contract describes and records every query it answered.
/// </summary>
internal sealed class InMemoryDatasetService : IDatasetService, IDatasetEdits
{
    private readonly List<DatasetSummary> _datasets = [];
    private readonly Dictionary<long, List<ImageSummary>> _images = [];
    private readonly Dictionary<long, List<LabelSummary>> _labels = [];

    public List<ImageQuery> Queries { get; } = [];

    public DatasetSummary AddDataset(string name, DatasetKind kind = DatasetKind.SingleLabel, IEnumerable<ImageSummary>? images = null)
    {
        var list = images?.ToList() ?? [];
        var labels = list.SelectMany(i => i.Labels).Distinct(StringComparer.Ordinal)
            .Select((label, i) => new LabelSummary(i + 1, label, list.Count(image => image.Labels.Contains(label))))
            .ToList();
        var dataset = new DatasetSummary(_datasets.Count + 1, name, kind, list.Count, labels.Count,
            new DateTimeOffset(2026, 11, 1, 9, 30, 0, TimeSpan.Zero), "tester");
        _datasets.Add(dataset);
        _images[dataset.Id] = list;
        _labels[dataset.Id] = labels;
        return dataset;
    }

    public static ImageSummary Image(long id, DataSplit split = DataSplit.Unassigned, params string[] labels) =>
        new(id, $"{id:x64}", $"photo-{id:D5}.jpg", "Jpeg", 640, 480, 50_000, split, labels,
            new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero), "tester");

    public Task<IReadOnlyList<DatasetSummary>> ListAsync(string? project = null, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<DatasetSummary>>([.. _datasets]);

    public List<DatasetListQuery> ListQueries { get; } = [];

    public Task<DatasetPage> ListPageAsync(DatasetListQuery query, CancellationToken cancellationToken = default)
    {
        ListQueries.Add(query);
        IEnumerable<DatasetSummary> sorted = query.SortBy switch
        {
            DatasetSortField.Name => _datasets.OrderBy(d => d.DisplayName, StringComparer.Ordinal),
            DatasetSortField.Kind => _datasets.OrderBy(d => d.Kind),
            DatasetSortField.Images => _datasets.OrderBy(d => d.ImageCount),
            DatasetSortField.Labels => _datasets.OrderBy(d => d.LabelCount),
            _ => _datasets.OrderBy(d => d.Id),
        };
        if (query.Descending)
        {
            sorted = sorted.Reverse();
        }
        return Task.FromResult(new DatasetPage([.. sorted.Skip(query.Skip).Take(query.Take)], _datasets.Count));
    }

    public Task<DatasetSummary> GetAsync(long datasetId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_datasets.SingleOrDefault(d => d.Id == datasetId) ?? throw new NotFoundException($"Dataset {datasetId}"));

    public Task<DatasetSummary> CreateAsync(string displayName, DatasetKind kind, string user, string project = VisionConsole.Domain.Projects.Project.DefaultName, CancellationToken cancellationToken = default) =>
        Task.FromResult(AddDataset(displayName, kind));

    public async Task<DatasetSummary> RenameAsync(long datasetId, string displayName, string user, CancellationToken cancellationToken = default)
    {
        var renamed = await GetAsync(datasetId, cancellationToken) with { DisplayName = displayName };
        _datasets[_datasets.FindIndex(d => d.Id == datasetId)] = renamed;
        return renamed;
    }

    public Task DeleteAsync(long datasetId, string user, CancellationToken cancellationToken = default)
    {
        _datasets.RemoveAll(d => d.Id == datasetId);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<LabelSummary>> ListLabelsAsync(long datasetId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<LabelSummary>>(_labels.TryGetValue(datasetId, out var labels) ? labels : throw new NotFoundException($"Dataset {datasetId}"));

    public Task<LabelSummary> AddLabelAsync(long datasetId, string name, string user, CancellationToken cancellationToken = default)
    {
        var labels = _labels[datasetId];
        var label = new LabelSummary(labels.Count + 1, name, 0);
        labels.Add(label);
        return Task.FromResult(label);
    }

    public Task<ImagePage> QueryImagesAsync(long datasetId, ImageQuery query, CancellationToken cancellationToken = default)
    {
        Queries.Add(query);
        if (!_images.TryGetValue(datasetId, out var images))
        {
            throw new NotFoundException($"Dataset {datasetId}");
        }
        var label = query.LabelId is { } id ? _labels[datasetId].Single(l => l.Id == id).Name : null;
        var matching = images
            .Where(i => query.Split is null || i.Split == query.Split)
            .Where(i => label is null || i.Labels.Contains(label))
            .Where(i => !query.UnlabeledOnly || i.Labels.Count == 0)
            .Where(i => query.Search is null || i.FileName.Contains(query.Search, StringComparison.OrdinalIgnoreCase))
            .ToList();
        return Task.FromResult(new ImagePage([.. matching.Skip(query.Skip).Take(query.Take)], matching.Count));
    }

    public Task<VisionConsole.Domain.Imaging.ImageFormat?> FindBlobFormatAsync(string sha256, CancellationToken cancellationToken = default) =>
        Task.FromResult<VisionConsole.Domain.Imaging.ImageFormat?>(null);

    public Task<long> SetSplitAsync(long datasetId, long imageId, DataSplit split, long expectedVersion, string user, CancellationToken cancellationToken = default)
    {
        var images = _images[datasetId];
        var index = images.FindIndex(i => i.Id == imageId);
        if (index < 0)
        {
            throw new NotFoundException($"Image {imageId}");
        }
        images[index] = images[index] with { Split = split };
        return Task.FromResult(expectedVersion + 1);
    }

    public List<(LabelChange Change, string User)> LabelChanges { get; } = [];

    public async Task<IReadOnlyList<long>> QueryImageIdsAsync(long datasetId, ImageQuery query, CancellationToken cancellationToken = default)
    {
        var page = await QueryImagesAsync(datasetId, query with { Skip = 0, Take = int.MaxValue }, cancellationToken);
        return [.. page.Items.Select(i => i.Id)];
    }

    /// <summary>Applies the change to the stored summaries (single-label replaces) and records it.</summary>
    public Task<IReadOnlyList<ImageLabelState>> ChangeLabelsAsync(long datasetId, LabelChange change, string user, CancellationToken cancellationToken = default)
    {
        LabelChanges.Add((change, user));
        var kind = _datasets.Single(d => d.Id == datasetId).Kind;
        var names = _labels[datasetId].ToDictionary(l => l.Id, l => l.Name);
        var images = _images[datasetId];
        foreach (var (id, version) in change.ExpectedVersions ?? new Dictionary<long, long>())
        {
            if (images.Single(i => i.Id == id).Version != version)
            {
                throw new ConcurrencyConflictException($"Image {id} changed since version {version}; refresh and try again.");
            }
        }
        var results = new List<ImageLabelState>();
        foreach (var id in change.ImageIds)
        {
            var index = images.FindIndex(i => i.Id == id);
            var image = images[index];
            var labels = kind == DatasetKind.SingleLabel && change.Add.Count == 1 ? [] : image.Labels.ToList();
            labels.RemoveAll(l => change.Remove.Any(r => names[r] == l));
            labels.AddRange(change.Add.Select(a => names[a]).Where(a => !labels.Contains(a)));
            labels.Sort(StringComparer.Ordinal);
            var changed = !labels.SequenceEqual(image.Labels);
            images[index] = image with { Labels = labels, Version = image.Version + (changed ? 1 : 0) };
            results.Add(new ImageLabelState(id, labels, images[index].Version, changed));
        }
        return Task.FromResult<IReadOnlyList<ImageLabelState>>(results);
    }

    private readonly Dictionary<string, (long DatasetId, List<ImageSummary> Images)> _deletions = [];

    public List<string> Edits { get; } = [];

    public Task<LabelUsage> GetLabelUsageAsync(long datasetId, long labelId, CancellationToken cancellationToken = default)
    {
        var label = _labels[datasetId].Single(l => l.Id == labelId);
        return Task.FromResult(new LabelUsage(labelId, label.Name, _images[datasetId].Count(i => i.Labels.Contains(label.Name)), 0));
    }

    public Task<LabelEditResult> RenameLabelAsync(long datasetId, long labelId, string name, string user, CancellationToken cancellationToken = default)
    {
        var labels = _labels[datasetId];
        var index = labels.FindIndex(l => l.Id == labelId);
        var old = labels[index].Name;
        var check = LabelName.Check(name, labels.Where(l => l.Id != labelId).Select(l => l.Name));
        if (!check.IsValid)
        {
            throw new DomainException(check.Code!, $"{check.Error} Try '{check.Suggestion}'.");
        }
        labels[index] = labels[index] with { Name = name };
        var changed = Relabel(datasetId, l => l == old ? name : l);
        Edits.Add($"rename {old}->{name}");
        return Task.FromResult(new LabelEditResult(labelId, name, changed, 0));
    }

    public Task<LabelEditResult> MergeLabelAsync(long datasetId, long labelId, long intoLabelId, string user, CancellationToken cancellationToken = default)
    {
        var labels = _labels[datasetId];
        var from = labels.Single(l => l.Id == labelId).Name;
        var into = labels.Single(l => l.Id == intoLabelId).Name;
        labels.RemoveAll(l => l.Id == labelId);
        var changed = Relabel(datasetId, l => l == from ? into : l);
        Edits.Add($"merge {from}->{into}");
        return Task.FromResult(new LabelEditResult(intoLabelId, into, changed, 0));
    }

    public Task<LabelEditResult> DeleteLabelAsync(long datasetId, long labelId, string user, CancellationToken cancellationToken = default)
    {
        var labels = _labels[datasetId];
        var name = labels.Single(l => l.Id == labelId).Name;
        labels.RemoveAll(l => l.Id == labelId);
        var changed = Relabel(datasetId, l => l == name ? null : l);
        Edits.Add($"delete {name}");
        return Task.FromResult(new LabelEditResult(labelId, name, changed, 0));
    }

    public Task<ImageDeletion> DeleteImagesAsync(long datasetId, IReadOnlyCollection<long> imageIds, string user, CancellationToken cancellationToken = default)
    {
        var images = _images[datasetId];
        var removed = images.Where(i => imageIds.Contains(i.Id)).ToList();
        images.RemoveAll(i => imageIds.Contains(i.Id));
        var batch = $"batch-{_deletions.Count + 1}";
        _deletions[batch] = (datasetId, removed);
        Edits.Add($"delete images {string.Join(",", removed.Select(i => i.Id))}");
        return Task.FromResult(new ImageDeletion(batch, removed.Count, DateTimeOffset.UnixEpoch, user));
    }

    public Task<ImageDeletion?> GetLastDeletionAsync(long datasetId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_deletions.LastOrDefault(d => d.Value.DatasetId == datasetId) is { Key: not null } last
            ? new ImageDeletion(last.Key, last.Value.Images.Count, DateTimeOffset.UnixEpoch, "tester")
            : null);

    public Task<ImageRestore> UndoDeleteAsync(long datasetId, string batch, string user, CancellationToken cancellationToken = default)
    {
        var (_, images) = _deletions[batch];
        _deletions.Remove(batch);
        _images[datasetId].AddRange(images);
        _images[datasetId].Sort((a, b) => a.Id.CompareTo(b.Id));
        Edits.Add($"undo {batch}");
        return Task.FromResult(new ImageRestore(images.Count, 0));
    }

    public Task<int> SetSplitsAsync(long datasetId, IReadOnlyCollection<long> imageIds, DataSplit split, string user, CancellationToken cancellationToken = default)
    {
        var images = _images[datasetId];
        var changed = 0;
        for (var i = 0; i < images.Count; i++)
        {
            if (imageIds.Contains(images[i].Id) && images[i].Split != split)
            {
                images[i] = images[i] with { Split = split, Version = images[i].Version + 1 };
                changed++;
            }
        }
        Edits.Add($"split {string.Join(",", imageIds.Order())}->{split}");
        return Task.FromResult(changed);
    }

    public Task<ResplitResult> ResplitAsync(long datasetId, bool onlyUnassigned, string user, CancellationToken cancellationToken = default)
    {
        Edits.Add("resplit");
        return Task.FromResult(new ResplitResult(_images[datasetId].Count, 0, 0, 0));
    }

    private int Relabel(long datasetId, Func<string, string?> map)
    {
        var images = _images[datasetId];
        var changed = 0;
        for (var i = 0; i < images.Count; i++)
        {
            var labels = images[i].Labels.Select(map).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (!labels.SequenceEqual(images[i].Labels))
            {
                images[i] = images[i] with { Labels = labels, Version = images[i].Version + 1 };
                changed++;
            }
        }
        return changed;
    }
}
