using System.Text.Json;
using System.Text.RegularExpressions;

namespace VisionConsole.Domain.Hosting;

/// <summary>
/// A model hosted for apps, as Firebase ML's model management has them: a unique display name apps ask for, tags, a
/// published flag, and a line of versions (each a copy of one console model version's <c>model.tflite</c>), one of
/// which is active: the one apps download. Replacing the source adds a version and makes it active; a rollback makes
/// an earlier version active again.
/// </summary>
public sealed partial class HostedModel
{
    private readonly List<HostedModelVersion> _versions = [];

    private HostedModel()
    {
        DisplayName = string.Empty;
        TagsJson = "[]";
        CreatedBy = string.Empty;
    }

    /// <summary>Creates an unpublished hosted model without versions (add one with <see cref="AddVersion"/>).</summary>
    public HostedModel(long projectId, string displayName, IReadOnlyList<string> tags, string createdBy, DateTimeOffset createdAt)
    {
        ProjectId = projectId;
        DisplayName = ValidName(displayName);
        TagsJson = JsonSerializer.Serialize(ValidTags(tags));
        CreatedBy = createdBy;
        CreatedAt = createdAt;
        UpdatedAt = createdAt;
    }

    public long Id { get; private set; }

    public long ProjectId { get; private set; }

    /// <summary>The name apps download it by: 1-32 letters, digits, '_' or '-' (Firebase ML's rule), unique.</summary>
    public string DisplayName { get; private set; }

    /// <summary>The tags, as a JSON array.</summary>
    public string TagsJson { get; private set; }

    /// <summary>Whether apps can download it.</summary>
    public bool Published { get; private set; }

    /// <summary>The number of the version apps download (0 before the first version).</summary>
    public int ActiveVersion { get; private set; }

    public string CreatedBy { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>The last change; also the concurrency token and the resource's <c>etag</c>.</summary>
    public DateTimeOffset UpdatedAt { get; private set; }

    public IReadOnlyCollection<HostedModelVersion> Versions => _versions;

    /// <summary>The tags.</summary>
    public IReadOnlyList<string> Tags => JsonSerializer.Deserialize<string[]>(TagsJson) ?? [];

    /// <summary>The active version (null before the first one).</summary>
    public HostedModelVersion? Active => _versions.FirstOrDefault(v => v.Number == ActiveVersion);

    /// <summary>Adds the next version (numbered from 1) and makes it active. <see cref="Versions"/> must be loaded.</summary>
    public HostedModelVersion AddVersion(long sourceModelId, int sourceVersionNumber, string modelHash, long sizeBytes, string file, DateTimeOffset at)
    {
        var number = _versions.Count == 0 ? 1 : _versions.Max(v => v.Number) + 1;
        var version = new HostedModelVersion(number, sourceModelId, sourceVersionNumber, modelHash, sizeBytes, file, at);
        _versions.Add(version);
        ActiveVersion = number;
        UpdatedAt = at;
        return version;
    }

    /// <summary>Makes an earlier (or later) version active again.</summary>
    /// <exception cref="NotFoundException">No such version.</exception>
    /// <exception cref="DomainException"><c>invalid-rollback</c>: it is the active version already.</exception>
    public void RollBack(int number, DateTimeOffset at)
    {
        if (_versions.All(v => v.Number != number))
        {
            throw new NotFoundException($"Version {number} of hosted model '{DisplayName}'");
        }
        if (number == ActiveVersion)
        {
            throw new DomainException("invalid-rollback", $"Version {number} of '{DisplayName}' is the active version already.");
        }
        ActiveVersion = number;
        UpdatedAt = at;
    }

    /// <summary>Publishes or unpublishes it.</summary>
    /// <exception cref="DomainException"><c>invalid-state</c>: publishing a model without a version.</exception>
    public void SetPublished(bool published, DateTimeOffset at)
    {
        if (published && ActiveVersion == 0)
        {
            throw new DomainException("invalid-state", $"'{DisplayName}' has no model file to publish.");
        }
        Published = published;
        UpdatedAt = at;
    }

    /// <summary>Renames it (the caller checks the name is free).</summary>
    public void Rename(string displayName, DateTimeOffset at)
    {
        DisplayName = ValidName(displayName);
        UpdatedAt = at;
    }

    /// <summary>Replaces its tags.</summary>
    public void SetTags(IReadOnlyList<string> tags, DateTimeOffset at)
    {
        TagsJson = JsonSerializer.Serialize(ValidTags(tags));
        UpdatedAt = at;
    }

    private static string ValidName(string? displayName)
    {
        var name = displayName?.Trim() ?? string.Empty;
        return NamePattern().IsMatch(name)
            ? name
            : throw new DomainException("invalid-name", $"displayName '{name}' must be 1-32 letters, digits, '_' or '-' (as Firebase ML asks).");
    }

    private static string[] ValidTags(IReadOnlyList<string>? tags)
    {
        var list = (tags ?? []).Select(t => t?.Trim() ?? string.Empty).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var tag in list)
        {
            if (!NamePattern().IsMatch(tag)) throw new DomainException("invalid-tag", $"Tag '{tag}' must be 1-32 letters, digits, '_' or '-'.");
        }
        return list.Length <= 20 ? list : throw new DomainException("invalid-tag", $"At most 20 tags (got {list.Length}).");
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex NamePattern();
}

/// <summary>One version of a <see cref="HostedModel"/>: a copy of a console model version's <c>model.tflite</c>.</summary>
public sealed class HostedModelVersion
{
    private HostedModelVersion()
    {
        ModelHash = string.Empty;
        File = string.Empty;
    }

    internal HostedModelVersion(int number, long sourceModelId, int sourceVersionNumber, string modelHash, long sizeBytes, string file, DateTimeOffset createdAt)
    {
        Number = number;
        SourceModelId = sourceModelId;
        SourceVersionNumber = sourceVersionNumber;
        ModelHash = modelHash;
        SizeBytes = sizeBytes;
        File = file;
        CreatedAt = createdAt;
    }

    public long Id { get; private set; }

    public long HostedModelId { get; private set; }

    public int Number { get; private set; }

    /// <summary>The console model it was copied from (it may since have been deleted; the copy stays).</summary>
    public long SourceModelId { get; private set; }

    public int SourceVersionNumber { get; private set; }

    /// <summary>Lowercase hex SHA-256 of the file (Firebase ML's <c>modelHash</c>, and the download's ETag).</summary>
    public string ModelHash { get; private set; }

    public long SizeBytes { get; private set; }

    /// <summary>The file, relative to the data folder.</summary>
    public string File { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }
}
