namespace VisionConsole.Domain.Imaging;

/// <summary>
/// Groups images whose <see cref="PerceptualHash"/> values are within a Hamming distance of each other, without
/// comparing every pair: the 64 bits are cut into <c>maxDistance + 1</c> blocks, and two hashes that differ in at
/// most <c>maxDistance</c> bits agree exactly on at least one block (pigeonhole), so only hashes sharing a block value
/// are compared. Groups are the connected components of the "close" relation (union-find).
/// </summary>
public static class NearDuplicates
{
    /// <summary>The groups (two or more ids each, ids ascending, groups by their first id) of the items.</summary>
    /// <param name="items">Image id and hash.</param>
    /// <param name="maxDistance">Largest number of differing bits that still counts as the same picture (0-15).</param>
    public static IReadOnlyList<IReadOnlyList<long>> Group(IReadOnlyList<(long Id, long Hash)> items, int maxDistance)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfNegative(maxDistance);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDistance, 15);
        var parent = new int[items.Count];
        for (var i = 0; i < parent.Length; i++)
        {
            parent[i] = i;
        }

        var blocks = maxDistance + 1;
        var buckets = new Dictionary<ulong, List<int>>();
        for (var block = 0; block < blocks; block++)
        {
            var start = 64 * block / blocks;
            var width = (64 * (block + 1) / blocks) - start;
            var mask = width == 64 ? ulong.MaxValue : ((1UL << width) - 1) << start;
            buckets.Clear();
            for (var i = 0; i < items.Count; i++)
            {
                var key = unchecked((ulong)items[i].Hash) & mask;
                if (!buckets.TryGetValue(key, out var members))
                {
                    buckets[key] = members = [];
                }
                members.Add(i);
            }
            foreach (var members in buckets.Values)
            {
                for (var a = 0; a < members.Count; a++)
                {
                    for (var b = a + 1; b < members.Count; b++)
                    {
                        var (i, j) = (members[a], members[b]);
                        if (Find(parent, i) != Find(parent, j) && PerceptualHash.Distance(items[i].Hash, items[j].Hash) <= maxDistance)
                        {
                            parent[Find(parent, i)] = Find(parent, j);
                        }
                    }
                }
            }
        }

        return Enumerable.Range(0, items.Count)
            .GroupBy(i => Find(parent, i))
            .Where(g => g.Count() > 1)
            .Select(g => (IReadOnlyList<long>)g.Select(i => items[i].Id).Order().ToList())
            .OrderBy(g => g[0])
            .ToList();
    }

    private static int Find(int[] parent, int i)
    {
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }
}
