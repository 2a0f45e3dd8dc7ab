using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Accounts;

/// <summary>A project member as the members list shows one.</summary>
public sealed record ProjectMemberSummary(string UserId, string UserName, ProjectRole Role, DateTimeOffset AddedAt);

/// <summary>
/// Who may do what where: an account's role in a project (the administrator owns every project), the members of a
/// project, and whether the console has any account yet (until it has, it serves only its set-up page).
/// </summary>
public sealed class ProjectAccessService(IDbContextFactory<ConsoleDbContext> contexts, TimeProvider clock)
{
    // Accounts are never all deleted, so once one exists the answer stays true without asking again.
    private volatile bool _hasAccounts;

    /// <summary>Whether at least one account exists.</summary>
    public async Task<bool> HasAccountsAsync(CancellationToken cancellationToken = default)
    {
        if (_hasAccounts)
        {
            return true;
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        // Only accounts someone can sign in with: single-user mode's local account has no password.
        _hasAccounts = await db.Users.AnyAsync(u => u.PasswordHash != null, cancellationToken).ConfigureAwait(false);
        return _hasAccounts;
    }

    /// <summary>
    /// The role of account <paramref name="userId"/> in <paramref name="projectName"/>: <see cref="ProjectRole.Owner"/> for an
    /// administrator, else its membership's role; null when it is not a member. Throws when the project does not exist.
    /// </summary>
    /// <exception cref="NotFoundException">No such project.</exception>
    public async Task<ProjectRole?> RoleOfAsync(string userId, string projectName, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var found = await db.Projects.AsNoTracking().Where(p => p.Name == projectName)
            .Select(p => new
            {
                p.Id,
                Administrator = db.Users.Any(u => u.Id == userId && u.IsAdministrator),
                Role = db.ProjectMembers.Where(m => m.ProjectId == p.Id && m.UserId == userId).Select(m => (ProjectRole?)m.Role).FirstOrDefault(),
            })
            .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Project '{projectName}'");
        return found.Administrator ? ProjectRole.Owner : found.Role;
    }

    /// <summary>Whether the project exists.</summary>
    public async Task<bool> ProjectExistsAsync(string projectName, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.Projects.AnyAsync(p => p.Name == projectName, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gives account <paramref name="userName"/> <paramref name="role"/> in the project (adding it, or changing its role).</summary>
    /// <exception cref="NotFoundException">No such project or account.</exception>
    public async Task<ProjectMemberSummary> SetMemberAsync(string projectName, string userName, ProjectRole role, string by, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var project = await db.Projects.FirstOrDefaultAsync(p => p.Name == projectName, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Project '{projectName}'");
        var normalized = userName.Trim().ToUpperInvariant();
        var user = await db.Users.FirstOrDefaultAsync(u => u.NormalizedUserName == normalized, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Account '{userName}'");
        var member = await db.ProjectMembers.FirstOrDefaultAsync(m => m.ProjectId == project.Id && m.UserId == user.Id, cancellationToken).ConfigureAwait(false);
        var before = member?.Role.ToString();
        if (member is null)
        {
            member = new ProjectMember(project.Id, user.Id, role, clock.GetUtcNow());
            db.ProjectMembers.Add(member);
        }
        else
        {
            member.ChangeRole(role);
        }
        db.AuditEvents.Add(AuditEvent.Of(by, clock.GetUtcNow(), "project-member", $"{project.Name}/{user.UserName}", "role-set",
            before is null ? null : new { Role = before }, new { Role = role.ToString() }));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return new ProjectMemberSummary(user.Id, user.UserName ?? user.Id, member.Role, member.AddedAt);
    }
}
