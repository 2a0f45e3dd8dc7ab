using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;

namespace VisionConsole.Tests.Domain.Accounts;

public sealed class ProjectRolesTests
{
    [Theory]
    [InlineData(ProjectRole.Viewer, "Read")]
    [InlineData(ProjectRole.Labeler, "Read Label")]
    [InlineData(ProjectRole.Reviewer, "Read Label Review")]
    [InlineData(ProjectRole.Editor, "Read Label Review Edit")]
    [InlineData(ProjectRole.Owner, "Read Label Review Edit Manage")]
    public void Allows_EachRole_GrantsExactlyItsPermissions(ProjectRole role, string granted)
    {
        var allowed = Enum.GetValues<ProjectPermission>().Where(p => ProjectRoles.Allows(role, p)).Select(p => p.ToString());

        Assert.Equal(granted, string.Join(' ', allowed));
    }

    [Theory]
    [InlineData("editor", ProjectRole.Editor)]
    [InlineData("Owner", ProjectRole.Owner)]
    [InlineData("LABELER", ProjectRole.Labeler)]
    public void Parse_RoleNameInAnyCase_IsThatRole(string name, ProjectRole expected) => Assert.Equal(expected, ProjectRoles.Parse(name));

    [Theory]
    [InlineData("admin")]
    [InlineData("3")]
    [InlineData("")]
    [InlineData(null)]
    public void Parse_NotARole_ThrowsListingTheRoles(string? name)
    {
        var error = Assert.Throws<DomainException>(() => ProjectRoles.Parse(name));

        Assert.Equal("invalid-role", error.Code);
        Assert.Contains("viewer, labeler, reviewer, editor, owner", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Least_Manage_IsOwner() => Assert.Equal(ProjectRole.Owner, ProjectRoles.Least(ProjectPermission.Manage));
}
