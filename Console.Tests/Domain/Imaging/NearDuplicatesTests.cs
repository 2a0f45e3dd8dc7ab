using VisionConsole.Domain.Imaging;

namespace VisionConsole.Tests.Domain.Imaging;

public sealed class NearDuplicatesTests
{
    [Fact]
    public void Group_HashesAtTheLimitAndOneBitBeyond_GroupsOnlyThoseWithinTheLimit()
    {
        const long basis = 0x0F0F_0F0F_0F0F_0F0FL;
        var items = new List<(long, long)>
        {
            (1, basis),
            (2, basis ^ 0b1_1111),           // 5 bits away from 1: same picture
            (3, basis ^ (0b11_1111L << 40)), // 6 bits away from 1 and 11 from 2: another picture
            (4, ~basis),
        };

        var groups = NearDuplicates.Group(items, maxDistance: 5);

        Assert.Equal([[1L, 2L]], groups);
    }

    [Fact]
    public void Group_ChainOfCloseHashes_IsOneGroupEvenWhenItsEndsAreFarApart()
    {
        // 1-2 and 2-3 are 4 bits apart, 1-3 is 8: the group is the connected component.
        var items = new List<(long, long)> { (10, 0L), (20, 0b1111L), (30, 0b1111_1111L) };

        Assert.Equal([[10L, 20L, 30L]], NearDuplicates.Group(items, maxDistance: 4));
    }

    [Fact]
    public void Group_RandomHashesWithPlantedCopies_MatchesComparingEveryPair()
    {
        var random = new Random(7);
        var items = new List<(long Id, long Hash)>();
        for (var i = 0; i < 1500; i++)
        {
            var hash = random.NextInt64(long.MinValue, long.MaxValue);
            items.Add((items.Count, hash));
            if (i % 10 == 0)
            {
                // A copy with up to 6 random bits flipped: within 5 it belongs to the group, at 6 it may not.
                var copy = hash;
                for (var flips = random.Next(7); flips > 0; flips--)
                {
                    copy ^= 1L << random.Next(64);
                }
                items.Add((items.Count, copy));
            }
        }

        var expected = BruteForce(items, 5);
        var groups = NearDuplicates.Group(items, 5);

        Assert.True(expected.Count > 100, $"The planted copies make groups ({expected.Count}).");
        Assert.Equal(expected, groups);
    }

    [Fact]
    public void Group_DistanceOutOfRange_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => NearDuplicates.Group([(1, 0)], 16));

    private static List<IReadOnlyList<long>> BruteForce(List<(long Id, long Hash)> items, int maxDistance)
    {
        var component = Enumerable.Range(0, items.Count).ToArray();
        int Find(int i) => component[i] == i ? i : component[i] = Find(component[i]);
        for (var i = 0; i < items.Count; i++)
        {
            for (var j = i + 1; j < items.Count; j++)
            {
                if (PerceptualHash.Distance(items[i].Hash, items[j].Hash) <= maxDistance)
                {
                    component[Find(i)] = Find(j);
                }
            }
        }
        return Enumerable.Range(0, items.Count).GroupBy(Find).Where(g => g.Count() > 1)
            .Select(g => (IReadOnlyList<long>)g.Select(i => items[i].Id).Order().ToList()).OrderBy(g => g[0]).ToList();
    }
}
