namespace VisionConsole.Domain.Accounts;

/// <summary>
/// A secret that lets a script or an app call the API of one project with one role, on behalf of the account that created
/// it. Only the SHA-256 of the secret is stored (the secret is 32 random bytes, so a slow password hash adds nothing);
/// the secret itself is shown once, when it is created.
/// </summary>
public sealed class ApiKey
{
    private ApiKey()
    {
        Name = string.Empty;
        Prefix = string.Empty;
        Hash = string.Empty;
        CreatedByUserId = string.Empty;
        CreatedBy = string.Empty;
    }

    /// <summary>A key of <paramref name="projectId"/> that acts as <paramref name="createdBy"/> with <paramref name="role"/>.</summary>
    public ApiKey(long projectId, string name, string prefix, string hash, ProjectRole role, string createdByUserId, string createdBy, DateTimeOffset createdAt)
    {
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxNameLength || trimmed.Any(char.IsControl))
        {
            throw new DomainException("invalid-name", $"An API key's name must be 1-{MaxNameLength} printable characters.");
        }
        ProjectId = projectId;
        Name = trimmed;
        Prefix = prefix;
        Hash = hash;
        Role = role;
        CreatedByUserId = createdByUserId;
        CreatedBy = createdBy;
        CreatedAt = createdAt;
    }

    /// <summary>Longest key name.</summary>
    public const int MaxNameLength = 100;

    public long Id { get; private set; }

    public long ProjectId { get; private set; }

    /// <summary>What the key is for, as its creator named it (for example <c>ci</c> or <c>android app</c>).</summary>
    public string Name { get; private set; }

    /// <summary>The secret's first characters, shown in lists so a person can tell keys apart.</summary>
    public string Prefix { get; private set; }

    /// <summary>Lower-case hex SHA-256 of the whole secret.</summary>
    public string Hash { get; private set; }

    public ProjectRole Role { get; private set; }

    /// <summary>The account the key acts as.</summary>
    public string CreatedByUserId { get; private set; }

    /// <summary>That account's user name when the key was created.</summary>
    public string CreatedBy { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public DateTimeOffset? LastUsedAt { get; private set; }

    public DateTimeOffset? RevokedAt { get; private set; }

    public string? RevokedBy { get; private set; }

    /// <summary>Whether the key still opens the API.</summary>
    public bool IsActive => RevokedAt is null;

    /// <summary>Revokes the key: it no longer authenticates, from the next request on.</summary>
    /// <exception cref="DomainException"><c>invalid-transition</c> when it is revoked already.</exception>
    public void Revoke(string by, DateTimeOffset at)
    {
        if (RevokedAt is not null)
        {
            throw new DomainException("invalid-transition", $"API key '{Name}' was revoked already, by {RevokedBy} at {RevokedAt:u}.");
        }
        RevokedAt = at;
        RevokedBy = by;
    }

    /// <summary>Records a use; only when the last recorded one is older than <paramref name="resolution"/>, so busy keys do not write on every call.</summary>
    /// <returns>True when the time was changed (and needs saving).</returns>
    public bool MarkUsed(DateTimeOffset at, TimeSpan resolution)
    {
        if (LastUsedAt is { } last && at - last < resolution)
        {
            return false;
        }
        LastUsedAt = at;
        return true;
    }
}
