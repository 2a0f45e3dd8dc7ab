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
public sealed class ConcurrencyConflictException(string message) : DomainException("conflict", message);
