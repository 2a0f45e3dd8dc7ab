using Microsoft.AspNetCore.Identity;

namespace VisionConsole.Domain.Accounts;

/// <summary>
/// A person who signs in to the console (ASP.NET Core Identity's user, in the console's own database). The user name is
/// what audit events and "added by" columns record. The first account becomes the administrator, who owns every project.
/// </summary>
public sealed class ConsoleUser : IdentityUser
{
    /// <summary>Longest user name accepted (audit columns hold 64 characters).</summary>
    public const int MaxUserNameLength = 64;

    /// <summary>Whether this account administers the console: owner of every project, manages accounts.</summary>
    public bool IsAdministrator { get; set; }

    /// <summary>When the account was created.</summary>
    public DateTimeOffset CreatedAt { get; set; }
}
