using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Projects;

namespace VisionConsole.Tests.Domain.Accounts;

public sealed class ApiKeyServiceTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 12, 4, 9, 0, 0, TimeSpan.Zero));
    private TestDatabase _database = null!;
    private string _userId = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(services => services.AddSingleton<TimeProvider>(_clock));
        await using var db = _database.OpenContext();
        var user = new ConsoleUser { UserName = "ann", NormalizedUserName = "ANN", CreatedAt = _clock.GetUtcNow() };
        db.Users.Add(user);
        await db.SaveChangesAsync();
        _userId = user.Id;
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private ApiKeyService Keys => _database.Get<ApiKeyService>();

    [Fact]
    public async Task CheckAsync_SecretOfANewKey_IsItsAccountProjectAndRole()
    {
        var created = await Keys.CreateAsync(Project.DefaultName, "ci", ProjectRole.Labeler, _userId);

        var identity = await Keys.CheckAsync(created.Secret);

        Assert.Equal(new ApiKeyIdentity(created.Key.Id, Project.DefaultName, ProjectRole.Labeler, _userId, "ann"), identity);
        Assert.StartsWith(ApiKeyService.SecretPrefix, created.Secret, StringComparison.Ordinal);
        Assert.StartsWith(created.Key.Prefix, created.Secret, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_AnyKey_StoresOnlyTheHashOfTheSecret()
    {
        var created = await Keys.CreateAsync(Project.DefaultName, "ci", ProjectRole.Editor, _userId);

        await using var db = _database.OpenContext();
        var row = await db.ApiKeys.SingleAsync();
        Assert.Equal(ApiKeyService.HashOf(created.Secret), row.Hash);
        Assert.DoesNotContain(created.Secret, row.Hash + row.Prefix + row.Name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_RevokedKey_IsNullAtOnceEvenWhenCheckedJustBefore()
    {
        var created = await Keys.CreateAsync(Project.DefaultName, "ci", ProjectRole.Editor, _userId);
        Assert.NotNull(await Keys.CheckAsync(created.Secret));

        var revoked = await Keys.RevokeAsync(Project.DefaultName, created.Key.Id, "ann");

        Assert.Null(await Keys.CheckAsync(created.Secret));
        Assert.Equal(_clock.GetUtcNow(), revoked.RevokedAt);
        var again = await Assert.ThrowsAsync<DomainException>(() => Keys.RevokeAsync(Project.DefaultName, created.Key.Id, "ann"));
        Assert.Equal("invalid-transition", again.Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("vck_not-a-key")]
    [InlineData("Bearer vck_x")]
    [InlineData("sk-0123456789")]
    public async Task CheckAsync_NotAKeysSecret_IsNull(string secret)
    {
        await Keys.CreateAsync(Project.DefaultName, "ci", ProjectRole.Editor, _userId);

        Assert.Null(await Keys.CheckAsync(secret));
    }

    [Fact]
    public async Task CheckAsync_UsedTwiceWithinAMinuteThenLater_LastUsedMovesOnlyAfterTheMinute()
    {
        var created = await Keys.CreateAsync(Project.DefaultName, "ci", ProjectRole.Viewer, _userId);
        var first = _clock.GetUtcNow();
        await Keys.CheckAsync(created.Secret);
        _clock.Advance(TimeSpan.FromSeconds(30));
        await Keys.CheckAsync(created.Secret);
        Assert.Equal(first, (await Keys.ListAsync(Project.DefaultName)).Single().LastUsedAt);

        _clock.Advance(TimeSpan.FromSeconds(45));
        await Keys.CheckAsync(created.Secret);

        Assert.Equal(_clock.GetUtcNow(), (await Keys.ListAsync(Project.DefaultName)).Single().LastUsedAt);
    }

    [Fact]
    public async Task CreateAsync_UnknownProject_IsNotFound()
    {
        await Assert.ThrowsAsync<NotFoundException>(() => Keys.CreateAsync("nowhere", "ci", ProjectRole.Viewer, _userId));
    }

    [Fact]
    public async Task RevokeAsync_KeyOfAnotherProject_IsNotFound()
    {
        var created = await Keys.CreateAsync(Project.DefaultName, "ci", ProjectRole.Viewer, _userId);
        await using (var db = _database.OpenContext())
        {
            db.Projects.Add(new Project("other", _clock.GetUtcNow()));
            await db.SaveChangesAsync();
        }

        await Assert.ThrowsAsync<NotFoundException>(() => Keys.RevokeAsync("other", created.Key.Id, "ann"));
        Assert.NotNull(await Keys.CheckAsync(created.Secret));
    }
}
