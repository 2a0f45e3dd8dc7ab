namespace VisionConsole.Domain;

/// <summary>
/// A rule of the domain was broken: an illegal state transition, an invalid name, a stale write.
/// The web layer turns it into a problem-details response; <see cref="Code"/> is stable for clients.
/// </summary>
public class DomainException : Exception
{
    /// <summary>Creates the exception with a stable machine-readable code and a message for people.</summary>
    public DomainException(string code, string message) : base(message) => Code = code;

    /// <summary>Stable, machine-readable reason (for example <c>invalid-transition</c>).</summary>
    public string Code { get; }
}

/// <summary>The thing asked for does not exist (HTTP 404).</summary>
public sealed class NotFoundException(string what) : DomainException("not-found", $"{what} was not found.");

/// <summary>A write was based on a stale version of the data (HTTP 409); the client must refresh.</summary>
public class ConcurrencyConflictException(string message) : DomainException("conflict", message);

/// <summary>
/// A box edit was based on a stale version of an image's boxes (HTTP 409, or 412 when the version came in <c>If-Match</c>):
/// the message and the properties say the version now, and who changed the boxes last and when, where known.
/// </summary>
public sealed class ImageChangedException(string message, long currentVersion, string? changedBy, DateTimeOffset? changedAt) : ConcurrencyConflictException(message)
{
    /// <summary>The boxes' version now.</summary>
    public long CurrentVersion { get; } = currentVersion;

    /// <summary>Who saved the boxes last, when known.</summary>
    public string? ChangedBy { get; } = changedBy;

    /// <summary>When the boxes were saved last, when known.</summary>
    public DateTimeOffset? ChangedAt { get; } = changedAt;
}
