namespace VisionConsole.Domain.Datasets;

/// <summary>What a dataset is labeled for.</summary>
public enum DatasetKind { SingleLabel, MultiLabel, ObjectDetection }

/// <summary>Which part of training an image serves. UNASSIGNED images get 80/10/10 by hash when training.</summary>
public enum DataSplit { Unassigned, Train, Validation, Test }

/// <summary>A dataset as lists and headers show it.</summary>
public sealed record DatasetSummary(long Id, string DisplayName, DatasetKind Kind, int ImageCount, int LabelCount, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>What the datasets list can be ordered by.</summary>
public enum DatasetSortField { Created, Name, Kind, Images, Labels }

/// <summary>A page of the datasets list, ordered by <paramref name="SortBy"/> (ties by id, newest first); <c>Project</c> keeps
/// the datasets of the project with that name (null: every project's).</summary>
public sealed record DatasetListQuery(DatasetSortField SortBy = DatasetSortField.Created, bool Descending = true, int Skip = 0, int Take = 25, string? Project = null);

/// <summary>One page of datasets and how many there are in all.</summary>
public sealed record DatasetPage(IReadOnlyList<DatasetSummary> Items, int Total);

/// <summary>A label with how many images carry it (boxes count their image once).</summary>
public sealed record LabelSummary(long Id, string Name, int ImageCount);

/// <summary>A page request over a dataset's images; all filters combine with AND.</summary>
public sealed record ImageQuery(DataSplit? Split = null, long? LabelId = null, bool UnlabeledOnly = false, string? Search = null, int Skip = 0, int Take = 100);

/// <summary>One image as the grid shows it. Thumbnails are served at <c>/api/blobs/{Sha256}/thumbnail</c>, originals at <c>/api/blobs/{Sha256}</c>. <see cref="Version"/> is the concurrency token a single-image edit sends back.</summary>
public sealed record ImageSummary(long Id, string Sha256, string FileName, string Format, int Width, int Height, long ByteSize, DataSplit Split, IReadOnlyList<string> Labels, DateTimeOffset AddedAt, string AddedBy, long Version = 1);

/// <summary>
/// A label change over several images at once: <paramref name="Add"/> and <paramref name="Remove"/> are label ids.
/// <paramref name="ExpectedVersions"/> (image id to the version the user saw) is optional; an image whose version moved on is refused.
/// </summary>
/// <param name="ImageIds">The images to change.</param>
/// <param name="Add">Label ids to add.</param>
/// <param name="Remove">Label ids to remove.</param>
/// <param name="ExpectedVersions">Image id to the version the user saw (optional).</param>
/// <param name="Source">Where the labels came from when not from the person alone (a model's suggestion); kept in the audit.</param>
public sealed record LabelChange(IReadOnlyCollection<long> ImageIds, IReadOnlyCollection<long> Add, IReadOnlyCollection<long> Remove, IReadOnlyDictionary<long, long>? ExpectedVersions = null, string? Source = null);

/// <summary>An image's whole-image labels after a change, its new version, and whether the change altered it.</summary>
public sealed record ImageLabelState(long ImageId, IReadOnlyList<string> Labels, long Version, bool Changed);

/// <summary>One page of images and the total that match the query.</summary>
public sealed record ImagePage(IReadOnlyList<ImageSummary> Items, int Total);

/// <summary>The outcome for one uploaded file: accepted (maybe as a duplicate of an image already in the dataset) or refused with the reason.</summary>
public sealed record IntakeResult(string FileName, bool Accepted, long? ImageId, string? Sha256, bool Duplicate, string? Error);

/// <summary>Datasets, labels and their images. Implementations open one DbContext per call.</summary>
public interface IDatasetService
{
    /// <summary>The datasets of project <paramref name="project"/> (null: of every project), newest first.</summary>
    Task<IReadOnlyList<DatasetSummary>> ListAsync(string? project = null, CancellationToken cancellationToken = default);

    /// <summary>One page of the datasets list, sorted in the database (the console's data grid pages on the server).</summary>
    Task<DatasetPage> ListPageAsync(DatasetListQuery query, CancellationToken cancellationToken = default);
    Task<DatasetSummary> GetAsync(long datasetId, CancellationToken cancellationToken = default);

    /// <summary>Creates an empty dataset in project <paramref name="project"/>, audited as created by <paramref name="user"/>.</summary>
    /// <exception cref="NotFoundException">No such project.</exception>
    Task<DatasetSummary> CreateAsync(string displayName, DatasetKind kind, string user, string project = Projects.Project.DefaultName, CancellationToken cancellationToken = default);

    /// <summary>Renames a dataset (the name rules of <see cref="CreateAsync"/>), audited.</summary>
    Task<DatasetSummary> RenameAsync(long datasetId, string displayName, string user, CancellationToken cancellationToken = default);
    Task DeleteAsync(long datasetId, string user, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<LabelSummary>> ListLabelsAsync(long datasetId, CancellationToken cancellationToken = default);
    Task<LabelSummary> AddLabelAsync(long datasetId, string name, string user, CancellationToken cancellationToken = default);
    Task<ImagePage> QueryImagesAsync(long datasetId, ImageQuery query, CancellationToken cancellationToken = default);

    /// <summary>The ids of every image matching the query's filters (paging ignored), oldest first: "select all filtered".</summary>
    Task<IReadOnlyList<long>> QueryImageIdsAsync(long datasetId, ImageQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds and removes whole-image labels on several images in one transaction, one audit event per changed image
    /// (before and after label sets). A single-label dataset takes at most one label to add, which replaces the image's
    /// label. A stale expected version refuses the whole change with <see cref="ConcurrencyConflictException"/>.
    /// </summary>
    Task<IReadOnlyList<ImageLabelState>> ChangeLabelsAsync(long datasetId, LabelChange change, string user, CancellationToken cancellationToken = default);

    /// <summary>The format of a stored blob (for its content type), from any image that uses it; null when none does.</summary>
    Task<VisionConsole.Domain.Imaging.ImageFormat?> FindBlobFormatAsync(string sha256, CancellationToken cancellationToken = default);

    /// <summary>Overrides an image's split (UNASSIGNED lets the hash decide); refuses a stale <paramref name="expectedVersion"/> with a conflict. Returns the new version.</summary>
    Task<long> SetSplitAsync(long datasetId, long imageId, DataSplit split, long expectedVersion, string user, CancellationToken cancellationToken = default);
}

/// <summary>Checks, stores and registers uploaded image files, one at a time, streaming.</summary>
public interface IImageIntake
{
    /// <summary>Never throws for a bad file: the refusal is in the result, naming the file and the reason.</summary>
    Task<IntakeResult> AddAsync(long datasetId, string fileName, Stream content, string user, CancellationToken cancellationToken = default);
}
