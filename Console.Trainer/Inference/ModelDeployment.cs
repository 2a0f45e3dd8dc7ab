using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Trainer.Inference;

/// <summary>
/// AutoML's deployment of a model, as the console has it: a model is deployed while its latest version's
/// <c>model.onnx</c> is loaded in the session cache. <see cref="DeployAsync"/> loads it ahead of the first request,
/// <see cref="UndeployAsync"/> frees it; <c>:predict</c> on an undeployed model deploys it (loads on first use), so no
/// request is ever refused for it.
/// </summary>
public sealed class ModelDeployment(IDbContextFactory<ConsoleDbContext> contextFactory, IModelSessionCache sessions, ConsoleOptions options)
{
    /// <summary>Loads the model's latest <c>model.onnx</c> into the session cache.</summary>
    /// <exception cref="NotFoundException">No such model.</exception>
    /// <exception cref="DomainException"><c>model-unavailable</c>: the version has no exported file.</exception>
    public async Task DeployAsync(long modelId, CancellationToken cancellationToken = default)
    {
        var path = await ModelFileAsync(modelId, cancellationToken).ConfigureAwait(false);
        if (!File.Exists(path))
        {
            throw new DomainException("model-unavailable", $"Model {modelId} has no exported model.onnx to deploy ({path}).");
        }
        // Loading a session is synchronous ONNX Runtime work: off the request thread.
        await Task.Run(() => sessions.Run(path, _ => true), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the model's session, if it is loaded.</summary>
    public async Task UndeployAsync(long modelId, CancellationToken cancellationToken = default) =>
        sessions.Evict(await ModelFileAsync(modelId, cancellationToken).ConfigureAwait(false));

    /// <summary>Whether the model's latest version is loaded now.</summary>
    public async Task<bool> IsDeployedAsync(long modelId, CancellationToken cancellationToken = default) =>
        sessions.Cached.Contains(await ModelFileAsync(modelId, cancellationToken).ConfigureAwait(false), StringComparer.Ordinal);

    /// <summary>The models (by id) whose latest version is loaded now.</summary>
    public async Task<IReadOnlySet<long>> DeployedAsync(CancellationToken cancellationToken = default)
    {
        var loaded = sessions.Cached.ToHashSet(StringComparer.Ordinal);
        if (loaded.Count == 0)
        {
            return new HashSet<long>();
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var latest = await db.ModelVersions.GroupBy(v => v.ModelId)
            .Select(g => g.OrderByDescending(v => v.Number).Select(v => new { v.ModelId, v.ModelFile }).First())
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return latest.Where(v => loaded.Contains(Path.Combine(options.DataFolder, v.ModelFile))).Select(v => v.ModelId).ToHashSet();
    }

    private async Task<string> ModelFileAsync(long modelId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var file = await db.ModelVersions.Where(v => v.ModelId == modelId).OrderByDescending(v => v.Number).Select(v => v.ModelFile)
            .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false) ?? throw new NotFoundException($"Model {modelId}");
        // The same path the predictors run, so the cache entry is the one they use.
        return Path.Combine(options.DataFolder, file);
    }
}
