using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Tests.Dedup;

/// <summary>
/// Which series leave memory over the budget: a clock with a second chance. A series that had a point since the hand
/// last passed is kept over one that had none, a picked series is picked once, and the series in memory stay
/// listed exactly once (the shadow's readers see the same set as the index).
/// </summary>
public sealed class DedupEvictionClockTests
{
    private static SeriesKey Key(int i) => new("asset-" + i, "m");

    private static DedupIndex Filled(int series)
    {
        var index = new DedupIndex(8);
        for (var i = 0; i < series; i++) index.Admit(index.GetOrAdd(Key(i)), 1_000);
        index.Accept();
        return index;
    }

    /// <summary>The budget that leaves <paramref name="series"/> evenly spaced series in memory.</summary>
    private static long BudgetFor(int series) => (long)series * DedupIndex.StateBytes;

    private static List<(SeriesKey Key, byte[] Record)> Evict(DedupIndex index, int keep)
    {
        var picked = index.PickEvictions(BudgetFor(keep), _ => 1);
        index.CompleteEvictions(picked);
        return picked;
    }

    [Fact]
    public void SeriesWithAPointSinceTheHandPassed_AreKept_OverTheOnesWithout()
    {
        var index = Filled(100);
        var first = Evict(index, 90);
        Assert.Equal(10, first.Count);
        Assert.Equal(10, first.Select(p => p.Key).Distinct().Count());

        // The hand has passed every series once; of the 90 left, five have a point after that.
        var left = index.Series.Select(s => s.Key).ToList();
        var hot = left.Take(40).Where((_, i) => i % 8 == 0).ToList();
        foreach (var key in hot) index.Admit(index.GetOrAdd(key), 2_000);
        index.Accept();

        var second = Evict(index, 40);
        Assert.Equal(50, second.Count);
        Assert.Empty(second.Select(p => p.Key).Intersect(hot));
        Assert.All(hot, key => Assert.True(index.TryGet(key, out _)));
        Assert.Equal(40, index.SeriesCount);
        Assert.Equal(index.Series.Select(s => s.Key.ToString()).Order(), index.SnapshotSeries().Select(s => s.Key.ToString()).Order());
        Assert.All(second, p => Assert.False(index.TryGet(p.Key, out _)));
    }

    [Fact]
    public void EverySeriesActive_StillEvictsDownToTheBudget_EachOnce()
    {
        var index = Filled(1_000);
        var picked = Evict(index, 100);
        Assert.Equal(900, picked.Count);
        Assert.Equal(900, picked.Select(p => p.Key).Distinct().Count());
        Assert.Equal(100, index.SeriesCount);
        Assert.Equal(100, index.SnapshotSeries().Length);
        Assert.Equal(900, index.Evictions);
    }
}
