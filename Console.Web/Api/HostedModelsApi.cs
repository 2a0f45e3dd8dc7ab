using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Hosting;
using VisionConsole.Domain.Projects;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Web.Api;

/// <summary>
/// Firebase ML's model management (REST <c>v1beta2</c>) over <see cref="HostedModelService"/>, so apps and scripts that
/// host TFLite models there can host them here:
/// <list type="bullet">
/// <item><c>POST /v1beta2/projects/{project}/models</c> <c>{"displayName":"flowers","tags":["a"],"tfliteModel":{"automlModel":"projects/p/locations/l/models/5"}}</c>:
/// hosts console model 5's latest <c>model.tflite</c>; answers a done operation whose <c>response</c> is the model.</item>
/// <item><c>GET .../models?filter=display_name = flowers AND tags: a&amp;pageSize=&amp;pageToken=</c>, <c>GET .../models/{id}</c>.</item>
/// <item><c>PATCH .../models/{id}?updateMask=displayName,tags,state.published,tfliteModel</c> with the model's fields (and its
/// <c>etag</c> to refuse a stale write): a new <c>tfliteModel</c> source adds a version and makes it active.</item>
/// <item><c>POST .../models/{id}:rollback</c> <c>{"version":1}</c> (the console's own): makes an earlier version active.</item>
/// <item><c>DELETE .../models/{id}</c>.</item>
/// <item><c>GET .../models/{displayName}:download</c>: what an app asks before downloading: <c>downloadUri</c>, <c>modelHash</c>,
/// <c>sizeBytes</c>, with the hash as <c>ETag</c>; <c>If-None-Match</c> with it answers 304 while the active version is the same.
/// Only published models.</item>
/// </list>
/// Errors are Google's JSON error body (400, 404, 409; <see cref="GoogleErrorWriter"/>).
/// </summary>
public static class HostedModelsApi
{
    /// <summary>The source of a hosted model's file.</summary>
    /// <param name="AutomlModel">An AutoML model resource name (<c>projects/{p}/locations/{l}/models/{id}</c>) or its id.</param>
    /// <param name="GcsTfliteUri">Firebase's Cloud Storage source: refused here (there is no Cloud Storage).</param>
    public sealed record TfliteModelSource(string? AutomlModel, string? GcsTfliteUri);

    /// <summary>Firebase ML's <c>state</c>.</summary>
    public sealed record ModelState(bool Published);

    /// <summary>Body of create and patch.</summary>
    public sealed record ModelBody(string? DisplayName, IReadOnlyList<string>? Tags, ModelState? State, TfliteModelSource? TfliteModel, string? Etag);

    /// <summary>Body of <c>:rollback</c>.</summary>
    public sealed record RollbackBody(int Version);

    public static IEndpointRouteBuilder MapHostedModelsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/v1beta2/projects/{project}/models").WithTags("Hosted models (Firebase ML)")
            .ProducesGoogleError(400)
            .ProducesGoogleError(404);
        group.MapPost("/", CreateAsync).DisableAntiforgery();
        group.MapGet("/", ListAsync);
        group.MapGet("/{displayName}:download", DownloadInfoAsync);
        group = group.MapGroup("").InProjectOf(ProjectResource.HostedModel, "id");
        group.MapGet("/{id:long}", async (string project, long id, HostedModelService hosting, CancellationToken cancellationToken)
            => TypedResults.Ok(Resource(project, await hosting.GetAsync(id, cancellationToken))));
        group.MapPatch("/{id:long}", PatchAsync).DisableAntiforgery();
        group.MapPost("/{id:long}:rollback", async (string project, long id, RollbackBody body, HostedModelService hosting, ICurrentUser user, CancellationToken cancellationToken)
            => TypedResults.Ok(Resource(project, await hosting.RollBackAsync(id, body.Version, user.Name, cancellationToken)))).DisableAntiforgery();
        group.MapDelete("/{id:long}", async (long id, HostedModelService hosting, ICurrentUser user, CancellationToken cancellationToken) =>
        {
            await hosting.DeleteAsync(id, user.Name, cancellationToken);
            return TypedResults.Ok(new Dictionary<string, object>());
        });
        endpoints.MapGet("/api/hosted/{id:long}/versions/{number:int}/model.tflite", FileAsync).WithTags("Hosted models (Firebase ML)")
            .InProjectOf(ProjectResource.HostedModel, "id").ProducesFile("application/octet-stream").ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    /// <summary>Firebase ML's <c>Model</c>, plus the console's <c>versions</c> and <c>activeVersion</c>.</summary>
    public sealed record ModelResource(
        string Name, string DisplayName, IReadOnlyList<string> Tags, ModelState State, string Etag, string? ModelHash,
        DateTimeOffset CreateTime, DateTimeOffset UpdateTime, TfliteModelResource? TfliteModel, int ActiveVersion, IReadOnlyList<VersionResource> Versions);

    /// <summary><c>tfliteModel</c>: the active file's size (a string, as protobuf's int64 in JSON) and its source.</summary>
    public sealed record TfliteModelResource(string SizeBytes, string AutomlModel);

    /// <summary>One version of a hosted model.</summary>
    public sealed record VersionResource(int Number, string ModelHash, string SizeBytes, string AutomlModel, DateTimeOffset CreateTime, string DownloadUri);

    /// <summary>A done google.longrunning operation around a model (create and patch answer one, as Firebase ML does).</summary>
    public sealed record ModelOperation(string Name, bool Done, ModelResource Response);

    /// <summary>The answer of <c>:download</c>.</summary>
    public sealed record DownloadInfo(string DownloadUri, string ModelHash, string SizeBytes, string ModelFormat, DateTimeOffset ExpireTime);

    private static async Task<Ok<ModelOperation>> CreateAsync(
        string project, ModelBody body, HostedModelService hosting, ProjectAccessService access, ICurrentUser user, CancellationToken cancellationToken)
    {
        var source = SourceId(body.TfliteModel) ?? throw new DomainException("invalid-argument", "tfliteModel.automlModel is required: the console model whose model.tflite is hosted.");
        await access.EnsureInProjectAsync(ProjectResource.Model, source, project, cancellationToken);
        var model = await hosting.CreateAsync(body.DisplayName ?? string.Empty, body.Tags, source, body.State?.Published ?? false, user.Name, cancellationToken);
        return TypedResults.Ok(new ModelOperation($"projects/{project}/operations/create-{model.Id.ToString(CultureInfo.InvariantCulture)}", true, Resource(project, model)));
    }

    private static async Task<Ok<ModelListResource>> ListAsync(string project, string? filter, int? pageSize, string? pageToken, HostedModelService hosting, CancellationToken cancellationToken)
    {
        var page = await hosting.ListAsync(filter, pageSize ?? 100, pageToken, project, cancellationToken);
        return TypedResults.Ok(new ModelListResource([.. page.Models.Select(m => Resource(project, m))], page.NextPageToken));
    }

    /// <summary>The list answer.</summary>
    public sealed record ModelListResource(IReadOnlyList<ModelResource> Models, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NextPageToken);

    private static async Task<Ok<ModelOperation>> PatchAsync(
        string project, long id, string? updateMask, ModelBody body, HostedModelService hosting, ProjectAccessService access, ICurrentUser user, CancellationToken cancellationToken)
    {
        // Without an updateMask every field sent is updated, as Firebase ML's REST API does.
        var mask = (updateMask ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        bool Wanted(string field, object? value) => mask.Count == 0 ? value is not null : mask.Contains(field);
        foreach (var field in mask.Where(f => f is not ("displayName" or "tags" or "state.published" or "tfliteModel" or "tfliteModel.automlModel")))
        {
            throw new DomainException("invalid-argument", $"updateMask field '{field}' cannot be updated; use displayName, tags, state.published, tfliteModel.");
        }
        var update = new HostedModelUpdate(
            Wanted("displayName", body.DisplayName) ? body.DisplayName ?? string.Empty : null,
            Wanted("tags", body.Tags) ? body.Tags ?? [] : null,
            Wanted("state.published", body.State) ? body.State?.Published ?? false : null,
            Wanted("tfliteModel", body.TfliteModel) || mask.Contains("tfliteModel.automlModel")
                ? SourceId(body.TfliteModel) ?? throw new DomainException("invalid-argument", "tfliteModel.automlModel is required when tfliteModel is updated.")
                : null);
        if (update.SourceModelId is { } source)
        {
            await access.EnsureInProjectAsync(ProjectResource.Model, source, project, cancellationToken);
        }
        var model = await hosting.UpdateAsync(id, update, body.Etag, user.Name, cancellationToken);
        return TypedResults.Ok(new ModelOperation($"projects/{project}/operations/update-{id.ToString(CultureInfo.InvariantCulture)}-{model.Etag}", true, Resource(project, model)));
    }

    private static async Task<Results<Ok<DownloadInfo>, StatusCodeHttpResult>> DownloadInfoAsync(
        string project, string displayName, HostedModelService hosting, ProjectAccessService access, HttpRequest request, HttpResponse response, CancellationToken cancellationToken)
    {
        var (model, _) = await hosting.FindDownloadAsync(displayName, cancellationToken);
        await access.EnsureInProjectAsync(ProjectResource.HostedModel, model.Id, project, cancellationToken);
        var active = model.Active!;
        var etag = new EntityTagHeaderValue($"\"{active.ModelHash}\"");
        response.Headers.ETag = etag.ToString();
        response.Headers.CacheControl = "no-cache";
        if (request.GetTypedHeaders().IfNoneMatch.Any(t => t.Compare(etag, useStrongComparison: false) || t.Equals(EntityTagHeaderValue.Any)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        return TypedResults.Ok(new DownloadInfo(FileUri(model.Id, active.Number), active.ModelHash, active.SizeBytes.ToString(CultureInfo.InvariantCulture), "TFLITE",
            DateTimeOffset.UtcNow.AddHours(1)));
    }

    private static async Task<PhysicalFileHttpResult> FileAsync(long id, int number, HostedModelService hosting, CancellationToken cancellationToken)
    {
        var model = await hosting.GetAsync(id, cancellationToken);
        var version = model.Versions.FirstOrDefault(v => v.Number == number) ?? throw new NotFoundException($"Version {number} of hosted model {id}");
        var path = await hosting.VersionFileAsync(id, number, cancellationToken);
        return TypedResults.PhysicalFile(path, "application/octet-stream", $"{model.DisplayName}-v{number.ToString(CultureInfo.InvariantCulture)}.tflite",
            entityTag: new EntityTagHeaderValue($"\"{version.ModelHash}\""));
    }

    private static string FileUri(long id, int number) => $"/api/hosted/{id.ToString(CultureInfo.InvariantCulture)}/versions/{number.ToString(CultureInfo.InvariantCulture)}/model.tflite";

    private static long? SourceId(TfliteModelSource? source)
    {
        if (source?.GcsTfliteUri is { Length: > 0 })
        {
            throw new DomainException("invalid-argument", "tfliteModel.gcsTfliteUri is Cloud Storage, which this server does not reach; name the console model in tfliteModel.automlModel.");
        }
        if (source?.AutomlModel is not { Length: > 0 } name) return null;
        var last = name.Split('/')[^1];
        return long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : throw new DomainException("invalid-argument", $"tfliteModel.automlModel '{name}' is not a model resource name (projects/{{p}}/locations/{{l}}/models/{{id}}).");
    }

    private static ModelResource Resource(string project, HostedModelView m) => new(
        $"projects/{project}/models/{m.Id.ToString(CultureInfo.InvariantCulture)}", m.DisplayName, m.Tags, new ModelState(m.Published), m.Etag, m.Active?.ModelHash,
        m.CreatedAt, m.UpdatedAt,
        m.Active is { } active ? new TfliteModelResource(active.SizeBytes.ToString(CultureInfo.InvariantCulture), AutoMlModel(project, active.SourceModelId)) : null,
        m.ActiveVersion,
        [.. m.Versions.Select(v => new VersionResource(v.Number, v.ModelHash, v.SizeBytes.ToString(CultureInfo.InvariantCulture), AutoMlModel(project, v.SourceModelId), v.CreatedAt, FileUri(m.Id, v.Number)))]);

    private static string AutoMlModel(string project, long id) => $"projects/{project}/locations/local/models/{id.ToString(CultureInfo.InvariantCulture)}";
}
