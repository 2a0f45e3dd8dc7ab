using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Projects;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Accounts;

/// <summary>An API key as lists show it: never the secret.</summary>
/// <param name="Id">The key's id.</param>
/// <param name="Project">The project's name.</param>
/// <param name="Name">What the key is for.</param>
/// <param name="Prefix">The secret's first characters.</param>
/// <param name="Role">What the key may do.</param>
/// <param name="CreatedBy">The account it acts as.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="LastUsedAt">When it last opened the API (to the minute), or null.</param>
/// <param name="RevokedAt">When it was revoked, or null while active.</param>
public sealed record ApiKeySummary(long Id, string Project, string Name, string Prefix, ProjectRole Role, string CreatedBy,
    DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>A key just created: the only time its <paramref name="Secret"/> is known.</summary>
public sealed record CreatedApiKey(ApiKeySummary Key, string Secret);

/// <summary>Who a valid key speaks for.</summary>
/// <param name="KeyId">The key's id.</param>
/// <param name="ProjectName">The one project it opens.</param>
/// <param name="Role">Its role there.</param>
/// <param name="UserId">The account it acts as.</param>
/// <param name="UserName">That account's user name.</param>
public sealed record ApiKeyIdentity(long KeyId, string ProjectName, ProjectRole Role, string UserId, string UserName);

/// <summary>
/// Creates, lists, revokes and checks API keys. A check costs one indexed query, remembered for a few seconds
/// (a revocation in this process forgets it at once).
/// </summary>
public sealed class ApiKeyService(IDbContextFactory<ConsoleDbContext> contexts, TimeProvider clock)
{
    /// <summary>Every secret starts with this, so scanners and people recognise one.</summary>
    public const string SecretPrefix = "vck_";

    private static readonly TimeSpan CheckCacheLifetime = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, (ApiKeyIdentity Identity, DateTimeOffset Until)> _checked = new(StringComparer.Ordinal);

    /// <summary>Creates a key of <paramref name="projectName"/> acting as account <paramref name="userId"/> with <paramref name="role"/>.</summary>
    /// <exception cref="NotFoundException">No such project or account.</exception>
    public async Task<CreatedApiKey> CreateAsync(string projectName, string name, ProjectRole role, string userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var project = await FindProjectAsync(db, projectName, cancellationToken).ConfigureAwait(false);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Account '{userId}'");
        var secret = SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var key = new ApiKey(project.Id, name, secret[..(SecretPrefix.Length + 6)], HashOf(secret), role, user.Id, user.UserName ?? user.Id, clock.GetUtcNow());
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        db.AuditEvents.Add(AuditEvent.Of(key.CreatedBy, key.CreatedAt, "api-key", key.Id, "created", null, new { key.Name, Role = key.Role.ToString(), Project = project.Name }));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return new CreatedApiKey(Summarize(key, project.Name), secret);
    }

    /// <summary>The project's keys, newest first, revoked ones included.</summary>
    public async Task<IReadOnlyList<ApiKeySummary>> ListAsync(string projectName, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var project = await FindProjectAsync(db, projectName, cancellationToken).ConfigureAwait(false);
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.ProjectId == project.Id).OrderByDescending(k => k.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. keys.Select(k => Summarize(k, project.Name))];
    }

    /// <summary>Revokes a key of <paramref name="projectName"/>; it stops working from the next request on.</summary>
    /// <exception cref="NotFoundException">No such key in that project.</exception>
    /// <exception cref="DomainException"><c>invalid-transition</c>: revoked already.</exception>
    public async Task<ApiKeySummary> RevokeAsync(string projectName, long keyId, string by, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var project = await FindProjectAsync(db, projectName, cancellationToken).ConfigureAwait(false);
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == keyId && k.ProjectId == project.Id, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"API key {keyId} of project '{project.Name}'");
        key.Revoke(by, clock.GetUtcNow());
        db.AuditEvents.Add(AuditEvent.Of(by, key.RevokedAt!.Value, "api-key", key.Id, "revoked", new { key.Name }, null));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        _checked.TryRemove(key.Hash, out _);
        return Summarize(key, project.Name);
    }

    /// <summary>Who <paramref name="secret"/> speaks for, or null when it is not an active key.</summary>
    public async Task<ApiKeyIdentity?> CheckAsync(string secret, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(secret) || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal) || secret.Length > 100)
        {
            return null;
        }
        var hash = HashOf(secret);
        var now = clock.GetUtcNow();
        if (_checked.TryGetValue(hash, out var cached) && cached.Until > now)
        {
            return cached.Identity;
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var found = await (from k in db.ApiKeys
                           join p in db.Projects on k.ProjectId equals p.Id
                           join u in db.Users on k.CreatedByUserId equals u.Id
                           where k.Hash == hash && k.RevokedAt == null
                           select new { Key = k, Project = p.Name, User = u.UserName }).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            _checked.TryRemove(hash, out _);
            return null;
        }
        if (found.Key.MarkUsed(now, LastUsedResolution))
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        var identity = new ApiKeyIdentity(found.Key.Id, found.Project, found.Key.Role, found.Key.CreatedByUserId, found.User ?? found.Key.CreatedBy);
        _checked[hash] = (identity, now + CheckCacheLifetime);
        return identity;
    }

    internal static string HashOf(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static async Task<Project> FindProjectAsync(ConsoleDbContext db, string projectName, CancellationToken cancellationToken) =>
        await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Name == projectName, cancellationToken).ConfigureAwait(false)
        ?? throw new NotFoundException($"Project '{projectName}'");

    private static ApiKeySummary Summarize(ApiKey k, string project) =>
        new(k.Id, project, k.Name, k.Prefix, k.Role, k.CreatedBy, k.CreatedAt, k.LastUsedAt, k.RevokedAt);
}
