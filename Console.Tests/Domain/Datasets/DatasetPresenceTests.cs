using Microsoft.Extensions.Logging.Abstractions;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Tests.Domain.Datasets;

public sealed class DatasetPresenceTests
{
    [Fact]
    public void Set_TwoSessionsOnADataset_SnapshotNamesBothAndWhereTheyAre()
    {
        var presence = new DatasetPresence(NullLogger<DatasetPresence>.Instance);
        var published = new List<PresenceSnapshot>();
        using var subscription = presence.Subscribe(published.Add);

        presence.Set("a", "lena", 7, 12);
        presence.Set("b", "lars", 7, null);
        presence.Set("b", "lars", 7, null); // no move, no message

        Assert.Equal(2, published.Count);
        Assert.Equal([new PresenceEntry("lars", null), new PresenceEntry("lena", 12)], published[^1].People);
        Assert.Equal(["lena"], published[^1].OthersOn(12, "lars"));
        Assert.Empty(published[^1].OthersOn(12, "lena"));
    }

    [Fact]
    public void Set_SessionMovesToAnotherDataset_BothDatasetsHearIt()
    {
        var presence = new DatasetPresence(NullLogger<DatasetPresence>.Instance);
        presence.Set("a", "lena", 7, 12);
        var published = new List<PresenceSnapshot>();
        using var subscription = presence.Subscribe(published.Add);

        presence.Set("a", "lena", 8, null);

        Assert.Equal([(7L, 0), (8L, 1)], published.Select(p => (p.DatasetId, p.People.Count)));
    }

    [Fact]
    public void Leave_LastSession_DatasetIsEmptyAndAnUnknownSessionIsIgnored()
    {
        var presence = new DatasetPresence(NullLogger<DatasetPresence>.Instance);
        presence.Set("a", "lena", 7, 12);
        var published = new List<PresenceSnapshot>();
        using var subscription = presence.Subscribe(published.Add);

        presence.Leave("a");
        presence.Leave("nobody");

        var only = Assert.Single(published);
        Assert.Empty(only.People);
        Assert.Empty(presence.Snapshot(7).People);
    }
}
