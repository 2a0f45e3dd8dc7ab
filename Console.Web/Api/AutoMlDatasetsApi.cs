using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Projects;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Web.Api;

/// <summary>
/// Datasets shaped like Cloud AutoML v1: <c>/v1/projects/{project}/locations/{location}/datasets</c>, with
/// <c>:importData</c> (multipart upload, returns an operation) and <c>:exportData</c> (returns an operation).
/// <c>{project}</c> is a console project (<c>default</c> always exists); a dataset of another project is not found there.
/// Any <c>{location}</c> is accepted and echoed back in resource names.
/// </summary>
public static class AutoMlDatasetsApi
{
    /// <summary>Largest import upload accepted (several GB across files; every part is spooled to disk, never buffered).</summary>
    public const long MaxImportBytes = 16L * 1024 * 1024 * 1024;

    /// <summary>Body of <c>datasets.create</c>: a display name and exactly one of the two metadata objects.</summary>
    public sealed record CreateDatasetBody(
        string? DisplayName,
        ImageClassificationDatasetMetadata? ImageClassificationDatasetMetadata,
        ImageObjectDetectionDatasetMetadata? ImageObjectDetectionDatasetMetadata);

    /// <summary>
    /// <c>classificationType</c>: <c>MULTICLASS</c> (one label per image, the default) or <c>MULTILABEL</c>; read also as
    /// the enum's number (1, 2), which Google's clients send (<c>$alt=json;enum-encoding=int</c>).
    /// </summary>
    public sealed record ImageClassificationDatasetMetadata([property: JsonConverter(typeof(ClassificationTypeConverter))] string? ClassificationType);

    /// <summary>Body of <c>datasets.patch</c>: the dataset's fields; <c>updateMask</c> says which count.</summary>
    public sealed record PatchDatasetBody(string? DisplayName);

    /// <summary>An annotation spec (a label of the dataset): its name, display name and how many images carry it.</summary>
    public sealed record AnnotationSpecResource(string Name, string DisplayName, int ExampleCount);

    /// <summary>Object detection datasets carry no settings.</summary>
    public sealed record ImageObjectDetectionDatasetMetadata;

    /// <summary>A label's count in a dataset resource (an extension of AutoML's resource).</summary>
    public sealed record LabelStat(string LabelId, string DisplayName, int ExampleCount);

    /// <summary>The dataset resource.</summary>
    public sealed record DatasetResource(
        string Name,
        string DisplayName,
        DateTimeOffset CreateTime,
        int ExampleCount,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ImageClassificationDatasetMetadata? ImageClassificationDatasetMetadata,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ImageObjectDetectionDatasetMetadata? ImageObjectDetectionDatasetMetadata,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<LabelStat>? LabelStats);

    /// <summary>Response of <c>datasets.list</c>.</summary>
    public sealed record DatasetList(IReadOnlyList<DatasetResource> Datasets);

    /// <summary>Body of <c>:exportData</c>: <c>{"outputConfig":{"format":"FOLDER_ZIP|AUTOML_CSV|COCO|PASCAL_VOC"}}</c>.</summary>
    public sealed record ExportDataBody(OutputConfig? OutputConfig);

    /// <summary>JSON body of <c>:importData</c>: <c>{"inputConfig":{"gcsSource":{"inputUris":["/srv/photos/train.zip"]}}}</c>.</summary>
    public sealed record ImportDataBody(ImportInputConfig? InputConfig);

    /// <summary>AutoML's input config; only <c>gcsSource</c> is read.</summary>
    public sealed record ImportInputConfig(GcsSource? GcsSource);

    /// <summary>Files or folders on the server, under <c>Import:AllowedRoots</c> (as <c>/path</c> or <c>file:///path</c>).</summary>
    public sealed record GcsSource(IReadOnlyList<string>? InputUris);

    /// <summary>Where AutoML takes a <c>gcsDestination</c>, the console takes the archive layout (default <c>AUTOML_CSV</c>).</summary>
    public sealed record OutputConfig(string? Format);

    public static IEndpointRouteBuilder MapAutoMlDatasetsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/v1/projects/{project}/locations/{location}/datasets").WithTags("AutoML datasets")
            .ProducesGoogleError(400)
            .ProducesGoogleError(404);
        group.MapPost("/", CreateAsync);
        group.MapGet("/", ListAsync);
        group = group.MapGroup("").InProjectOf(ProjectResource.Dataset, "datasetId");
        group.MapGet("/{datasetId}", GetAsync);
        group.MapDelete("/{datasetId}", DeleteAsync);
        group.MapPatch("/{datasetId}", PatchAsync);
        group.MapGet("/{datasetId}/annotationSpecs/{specId}", AnnotationSpecAsync);
        // No Accepts<> content-type filter: routing would answer another content type with a bare 404; the handler
        // answers it with a 415 problem that says what to send.
        group.MapPost("/{datasetId}:importData", ImportDataAsync)
            .WithMetadata(new RequestSizeLimitAttribute(MaxImportBytes))
            .RequireRateLimiting(ApiRateLimits.Import)
            .ProducesGoogleError(StatusCodes.Status429TooManyRequests)
            .DisableAntiforgery();
        group.MapPost("/{datasetId}:exportData", ExportDataAsync);
        return endpoints;
    }

    /// <summary>AutoML's <c>datasets.create</c>: answers an operation, done at once, whose <c>response</c> is the dataset.</summary>
    private static async Task<Ok<AutoMlOperation>> CreateAsync(string project, string location, CreateDatasetBody body, IDatasetService datasets, ICurrentUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var kind = (body.ImageClassificationDatasetMetadata, body.ImageObjectDetectionDatasetMetadata) switch
        {
            ({ } c, null) => c.ClassificationType?.ToUpperInvariant() switch
            {
                null or "" or "MULTICLASS" => DatasetKind.SingleLabel,
                "MULTILABEL" => DatasetKind.MultiLabel,
                var other => throw new DomainException("invalid-argument", $"classificationType '{other}' is not MULTICLASS or MULTILABEL."),
            },
            (null, { }) => DatasetKind.ObjectDetection,
            _ => throw new DomainException("invalid-argument",
                "Give exactly one of imageClassificationDatasetMetadata ({\"classificationType\":\"MULTICLASS\"|\"MULTILABEL\"}) or imageObjectDetectionDatasetMetadata ({})."),
        };
        var created = await datasets.CreateAsync(body.DisplayName ?? "", kind, user.Name, project, cancellationToken);
        return TypedResults.Ok(AutoMlOperation.Immediate(project, location, "create-dataset", created.Id, created.Id,
            DatasetOperationResponse.Of(ToResource(project, location, created, null))));
    }

    /// <summary>
    /// AutoML's <c>datasets.patch</c> with <c>?updateMask=displayName</c> (or <c>display_name</c>): renames the dataset and
    /// answers it. Other fields are refused by name: the console keeps no description, labels or etag on datasets.
    /// </summary>
    private static async Task<Ok<DatasetResource>> PatchAsync(
        string project, string location, string datasetId, string? updateMask, PatchDatasetBody body, IDatasetService datasets, ICurrentUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var id = ParseId(datasetId);
        var paths = (updateMask ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (paths.Length == 0)
        {
            throw new DomainException("invalid-argument", "updateMask is required: name the fields to change, for example ?updateMask=displayName.");
        }
        if (paths.FirstOrDefault(p => p is not ("displayName" or "display_name")) is { } other)
        {
            throw new DomainException("invalid-argument", $"updateMask field '{other}' cannot be changed; only displayName can.");
        }
        var renamed = await datasets.RenameAsync(id, body.DisplayName ?? "", user.Name, cancellationToken);
        return TypedResults.Ok(ToResource(project, location, renamed, null));
    }

    /// <summary>AutoML's <c>annotationSpecs.get</c>: a label of the dataset by its id (the <c>labelId</c> of <c>labelStats</c>).</summary>
    private static async Task<Ok<AnnotationSpecResource>> AnnotationSpecAsync(
        string project, string location, string datasetId, string specId, IDatasetService datasets, CancellationToken cancellationToken)
    {
        var id = ParseId(datasetId);
        var labelId = AutoMl.ParseId(specId, "annotationSpecId");
        var label = (await datasets.ListLabelsAsync(id, cancellationToken)).FirstOrDefault(l => l.Id == labelId)
            ?? throw new NotFoundException($"Annotation spec {labelId} of dataset {id}");
        return TypedResults.Ok(new AnnotationSpecResource(
            $"{AutoMl.Parent(project, location)}/datasets/{AutoMl.Id(id)}/annotationSpecs/{AutoMl.Id(label.Id)}", label.Name, label.ImageCount));
    }

    /// <summary>
    /// AutoML's <c>datasets.list</c>, newest first; <c>filter</c>: <c>imageClassificationDatasetMetadata:*</c>,
    /// <c>imageObjectDetectionDatasetMetadata:*</c>, <c>displayName=NAME</c>, joined by AND.
    /// </summary>
    private static async Task<Ok<DatasetList>> ListAsync(string project, string location, string? filter, IDatasetService datasets, CancellationToken cancellationToken)
    {
        var terms = AutoMlListFilter.Parse(filter, "datasets", "imageClassificationDatasetMetadata", "imageObjectDetectionDatasetMetadata", "displayName");
        var all = await datasets.ListAsync(project, cancellationToken);
        var matching = all.Where(d => terms.All(t => t.Field switch
        {
            "imageClassificationDatasetMetadata" => d.Kind != DatasetKind.ObjectDetection,
            "imageObjectDetectionDatasetMetadata" => d.Kind == DatasetKind.ObjectDetection,
            _ => d.DisplayName == t.Value,
        }));
        return TypedResults.Ok(new DatasetList(matching.Select(d => ToResource(project, location, d, null)).ToList()));
    }

    private static async Task<Ok<DatasetResource>> GetAsync(string project, string location, string datasetId, IDatasetService datasets, CancellationToken cancellationToken)
    {
        var id = ParseId(datasetId);
        var dataset = await datasets.GetAsync(id, cancellationToken);
        var labels = await datasets.ListLabelsAsync(id, cancellationToken);
        return TypedResults.Ok(ToResource(project, location, dataset,
            labels.Select(l => new LabelStat(l.Id.ToString(CultureInfo.InvariantCulture), l.Name, l.ImageCount)).ToList()));
    }

    private static async Task<Ok<AutoMlOperation>> DeleteAsync(string project, string location, string datasetId, IDatasetService datasets, ICurrentUser user, CancellationToken cancellationToken)
    {
        var id = ParseId(datasetId);
        await datasets.DeleteAsync(id, user.Name, cancellationToken);
        return TypedResults.Ok(AutoMlOperation.Immediate(project, location, "delete-dataset", id, id, new EmptyResponse()));
    }

    /// <summary>
    /// Spools every file part of the multipart body to <c>&lt;data&gt;/uploads/&lt;operation&gt;/</c> (one part at a time,
    /// straight to disk), or copies there the server files a JSON body's <c>inputConfig.gcsSource.inputUris</c> names
    /// (<see cref="ImportSources"/>), then queues the import and returns its operation. <c>?format=</c> forces a reader
    /// (<c>FOLDER_TREE</c>, <c>CSV</c>, <c>COCO</c>, <c>PASCAL_VOC</c>, <c>CVAT_XML</c>; default: detected).
    /// </summary>
    private static async Task<Results<Ok<AutoMlOperation>, ProblemHttpResult>> ImportDataAsync(
        string project, string location, string datasetId, string? format, HttpRequest request,
        IDatasetService datasets, DataOperationService operations, ICurrentUser user, IConfiguration configuration, CancellationToken cancellationToken)
    {
        var id = ParseId(datasetId);
        await datasets.GetAsync(id, cancellationToken);
        var importFormat = ParseImportFormat(format);
        IReadOnlyList<string>? sources = null;
        if (request.HasJsonContentType())
        {
            // AutoML's body: {"inputConfig":{"gcsSource":{"inputUris":[...]}}}, read as server paths.
            var body = await request.ReadFromJsonAsync<ImportDataBody>(cancellationToken);
            sources = ImportSources.Resolve(body?.InputConfig?.GcsSource?.InputUris, ImportSources.AllowedRoots(configuration));
        }
        var folder = operations.CreateUploadFolder();
        IReadOnlyList<ImportFile> files;
        try
        {
            files = sources is null
                ? await MultipartUpload.SpoolAsync(request, folder, MaxImportBytes, cancellationToken)
                : ImportSources.CopyInto(sources, folder, MaxImportBytes);
        }
        catch when (sources is not null)
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
        if (files.Count == 0)
        {
            Directory.Delete(folder, recursive: true);
            return Problem(StatusCodes.Status400BadRequest, "The upload has no file parts; send the zip, CSV, COCO JSON, VOC XML or images as parts named 'file'.");
        }
        var operation = await operations.StartImportAsync(id, folder, files, importFormat, user.Name, cancellationToken);
        return TypedResults.Ok(AutoMlOperation.From(project, location, operation));
    }

    private static async Task<Ok<AutoMlOperation>> ExportDataAsync(
        string project, string location, string datasetId, ExportDataBody? body, DataOperationService operations, ICurrentUser user, CancellationToken cancellationToken)
    {
        var id = ParseId(datasetId);
        var format = (body?.OutputConfig?.Format?.Trim().ToUpperInvariant()) switch
        {
            null or "" or "AUTOML_CSV" => ExportFormat.AutoMlCsv,
            "FOLDER_ZIP" => ExportFormat.FolderZip,
            "COCO" => ExportFormat.Coco,
            "PASCAL_VOC" => ExportFormat.PascalVoc,
            var other => throw new DomainException("invalid-argument", $"outputConfig.format '{other}' is not one of FOLDER_ZIP, AUTOML_CSV, COCO, PASCAL_VOC."),
        };
        var operation = await operations.StartExportAsync(id, format, user.Name, cancellationToken);
        return TypedResults.Ok(AutoMlOperation.From(project, location, operation));
    }

    internal static long ParseId(string value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : throw new NotFoundException($"Resource '{value}'");

    private static ImportFormat ParseImportFormat(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        null or "" or "AUTO" => ImportFormat.Auto,
        "FOLDER_TREE" or "FOLDER_ZIP" => ImportFormat.FolderTree,
        "CSV" or "AUTOML_CSV" => ImportFormat.Csv,
        "COCO" => ImportFormat.Coco,
        "PASCAL_VOC" => ImportFormat.PascalVoc,
        "CVAT_XML" => ImportFormat.CvatXml,
        var other => throw new DomainException("invalid-argument", $"format '{other}' is not one of AUTO, FOLDER_TREE, CSV, COCO, PASCAL_VOC, CVAT_XML."),
    };

    private static DatasetResource ToResource(string project, string location, DatasetSummary d, IReadOnlyList<LabelStat>? labels) => new(
        $"projects/{project}/locations/{location}/datasets/{d.Id.ToString(CultureInfo.InvariantCulture)}",
        d.DisplayName, d.CreatedAt, d.ImageCount,
        d.Kind == DatasetKind.ObjectDetection ? null : new ImageClassificationDatasetMetadata(d.Kind == DatasetKind.MultiLabel ? "MULTILABEL" : "MULTICLASS"),
        d.Kind == DatasetKind.ObjectDetection ? new ImageObjectDetectionDatasetMetadata() : null,
        labels);

    private static ProblemHttpResult Problem(int status, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: "Invalid upload",
            extensions: new Dictionary<string, object?> { ["code"] = "invalid-upload" });

    /// <summary>Reads <c>classificationType</c> as its name or as the enum's number (0 unspecified, 1 MULTICLASS, 2 MULTILABEL).</summary>
    internal sealed class ClassificationTypeConverter : JsonConverter<string?>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number when reader.TryGetInt32(out var n) => n switch
            {
                0 => null,
                1 => "MULTICLASS",
                2 => "MULTILABEL",
                _ => throw new DomainException("invalid-argument", $"classificationType {n} is not 1 (MULTICLASS) or 2 (MULTILABEL)."),
            },
            _ => throw new JsonException("classificationType is a string or a number."),
        };

        public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteStringValue(value);
        }
    }
}
