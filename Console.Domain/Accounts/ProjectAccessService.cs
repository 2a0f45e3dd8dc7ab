using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Projects;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Accounts;

/// <summary>A project member as the members list shows one.</summary>
public sealed record ProjectMemberSummary(string UserId, string UserName, ProjectRole Role, DateTimeOffset AddedAt);

/// <summary>A project as its members see it: its name and their role there.</summary>
public sealed record ProjectMembership(string Name, ProjectRole Role, DateTimeOffset CreatedAt);

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
            if (role != ProjectRole.Owner)
            {
                await EnsureAnotherOwnerAsync(db, member, cancellationToken).ConfigureAwait(false);
            }
            member.ChangeRole(role);
        }
        db.AuditEvents.Add(AuditEvent.Of(by, clock.GetUtcNow(), "project-member", $"{project.Name}/{user.UserName}", "role-set",
            before is null ? null : new { Role = before }, new { Role = role.ToString() }));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return new ProjectMemberSummary(user.Id, user.UserName ?? user.Id, member.Role, member.AddedAt);
    }

    /// <summary>
    /// The projects account <paramref name="userId"/> belongs to with its role in each, by name; an
    /// <paramref name="administrator"/>'s is every project, as owner.
    /// </summary>
    public async Task<IReadOnlyList<ProjectMembership>> ProjectsOfUserAsync(string userId, bool administrator, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var rows = administrator
            ? await db.Projects.AsNoTracking().Select(p => new { p.Name, Role = ProjectRole.Owner, p.CreatedAt }).ToListAsync(cancellationToken).ConfigureAwait(false)
            : await db.ProjectMembers.AsNoTracking().Where(m => m.UserId == userId)
                .Join(db.Projects, m => m.ProjectId, p => p.Id, (m, p) => new { p.Name, m.Role, p.CreatedAt })
                .ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. rows.OrderBy(r => r.Name, StringComparer.Ordinal).Select(r => new ProjectMembership(r.Name, r.Role, r.CreatedAt))];
    }

    /// <summary>
    /// Creates project <paramref name="name"/> with account <paramref name="ownerUserId"/> as its owner (who creates a project
    /// owns it, as in AutoML and Custom Vision), audited as done by <paramref name="by"/>.
    /// </summary>
    /// <exception cref="DomainException"><c>invalid-name</c>; <c>name-taken</c> when a project has that name.</exception>
    /// <exception cref="NotFoundException">No such account.</exception>
    public async Task<ProjectMembership> CreateProjectAsync(string name, string ownerUserId, string by, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var project = new Project(name?.Trim() ?? string.Empty, now);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (!await db.Users.AnyAsync(u => u.Id == ownerUserId, cancellationToken).ConfigureAwait(false))
        {
            throw new NotFoundException($"Account {ownerUserId}");
        }
        if (await db.Projects.AnyAsync(p => p.Name == project.Name, cancellationToken).ConfigureAwait(false))
        {
            throw new DomainException("name-taken", $"A project named '{project.Name}' already exists.");
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        db.Projects.Add(project);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        db.ProjectMembers.Add(new ProjectMember(project.Id, ownerUserId, ProjectRole.Owner, now));
        db.AuditEvents.Add(AuditEvent.Of(by, now, "project", project.Name, "created", null, new { project.Name }));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new ProjectMembership(project.Name, ProjectRole.Owner, project.CreatedAt);
    }

    /// <summary>Takes account <paramref name="userName"/> out of the project, audited as done by <paramref name="by"/>.</summary>
    /// <exception cref="NotFoundException">No such project, or the account is not a member.</exception>
    /// <exception cref="DomainException"><c>last-owner</c>: the project would be left without an owner.</exception>
    public async Task RemoveMemberAsync(string projectName, string userName, string by, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var projectId = await ProjectIdAsync(db, projectName, cancellationToken).ConfigureAwait(false);
        var normalized = userName.Trim().ToUpperInvariant();
        var member = await db.ProjectMembers.Where(m => m.ProjectId == projectId)
            .Join(db.Users.Where(u => u.NormalizedUserName == normalized), m => m.UserId, u => u.Id, (m, u) => m)
            .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Member '{userName}' of project '{projectName}'");
        await EnsureAnotherOwnerAsync(db, member, cancellationToken).ConfigureAwait(false);
        db.ProjectMembers.Remove(member);
        db.AuditEvents.Add(AuditEvent.Of(by, clock.GetUtcNow(), "project-member", $"{projectName}/{userName.Trim()}", "removed", new { Role = member.Role.ToString() }, null));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The names of the projects <paramref name="resource"/> <paramref name="key"/> belongs to: one, several for a blob
    /// several projects hold, none when there is no such thing.
    /// </summary>
    public async Task<IReadOnlyList<string>> ProjectsOfAsync(ProjectResource resource, string key, CancellationToken cancellationToken = default)
    {
        if (!long.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && resource != ProjectResource.Blob)
        {
            return [];
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        IQueryable<long> projectIds = resource switch
        {
            ProjectResource.Dataset => db.Datasets.Where(d => d.Id == id).Select(d => d.ProjectId),
            ProjectResource.Model => db.Models.Where(m => m.Id == id).Select(m => m.ProjectId),
            ProjectResource.HostedModel => db.HostedModels.Where(m => m.Id == id).Select(m => m.ProjectId),
            // An operation on no dataset (a backup) is the whole console's, which the default project's owners run.
            ProjectResource.Operation => db.Operations.Where(o => o.Id == id).Select(o => o.DatasetId == null
                ? db.Projects.Where(p => p.Name == Project.DefaultName).Select(p => p.Id).FirstOrDefault()
                : db.Datasets.Where(d => d.Id == o.DatasetId).Select(d => d.ProjectId).FirstOrDefault()),
            ProjectResource.Blob => db.Images.Where(i => i.Sha256 == key)
                .Join(db.Datasets, i => i.DatasetId, d => d.Id, (i, d) => d.ProjectId),
            _ => throw new ArgumentOutOfRangeException(nameof(resource)),
        };
        return await db.Projects.Where(p => projectIds.Contains(p.Id)).Select(p => p.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Refuses <paramref name="resource"/> <paramref name="id"/> when it is not in <paramref name="projectName"/> exactly as
    /// when it does not exist: a request of one project that names another project's dataset or model learns nothing.
    /// </summary>
    /// <exception cref="NotFoundException">No such resource in that project.</exception>
    public async Task EnsureInProjectAsync(ProjectResource resource, long id, string projectName, CancellationToken cancellationToken = default)
    {
        var projects = await ProjectsOfAsync(resource, id.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        if (!projects.Contains(projectName))
        {
            throw new NotFoundException($"{resource} {id}");
        }
    }

    private static async Task<long> ProjectIdAsync(ConsoleDbContext db, string projectName, CancellationToken cancellationToken) =>
        await db.Projects.Where(p => p.Name == projectName).Select(p => (long?)p.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Project '{projectName}'");

    // A project without an owner could only be managed by an administrator: refuse to take its last one away.
    private static async Task EnsureAnotherOwnerAsync(ConsoleDbContext db, ProjectMember member, CancellationToken cancellationToken)
    {
        if (member.Role == ProjectRole.Owner
            && !await db.ProjectMembers.AnyAsync(m => m.ProjectId == member.ProjectId && m.UserId != member.UserId && m.Role == ProjectRole.Owner, cancellationToken).ConfigureAwait(false))
        {
            throw new DomainException("last-owner", "This is the project's only owner; make someone else an owner first.");
        }
    }
}
