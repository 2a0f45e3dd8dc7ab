namespace VisionConsole.Domain.Accounts;

/// <summary>An account's role in one project.</summary>
public sealed class ProjectMember
{
    private ProjectMember()
    {
        UserId = string.Empty;
    }

    /// <summary>Makes <paramref name="userId"/> a member of <paramref name="projectId"/> with <paramref name="role"/>.</summary>
    public ProjectMember(long projectId, string userId, ProjectRole role, DateTimeOffset addedAt)
    {
        ProjectId = projectId;
        UserId = userId;
        Role = role;
        AddedAt = addedAt;
    }

    public long ProjectId { get; private set; }

    public string UserId { get; private set; }

    public ProjectRole Role { get; private set; }

    public DateTimeOffset AddedAt { get; private set; }

    /// <summary>Gives the member another role.</summary>
    public void ChangeRole(ProjectRole role) => Role = role;
}
