using System.Buffers;
using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Tests.Dedup;

public sealed class RecentPointsTests
{
    private static readonly SeriesKey A = new("pump-1", "pressure");
    private static readonly SeriesKey B = new("pump-2", "pressure");

    /// <summary>Timestamps not evenly spaced: the series keeps a ring.</summary>
    private static long Jittered(int k) => (k * 1_000) + (k % 3);

    [Fact]
    public void FirstInFirstOut_AtCapacity_AndAKeyHeldTwiceTakesOneSlot()
    {
        var recent = new RecentPoints(3);
        recent.Add(A, 1);
        recent.Add(A, 1);
        recent.Add(B, 1);
        recent.Add(A, 2);
        Assert.Equal(3, recent.Count);
        recent.Add(A, 3); // forgets (A, 1)

        Assert.False(recent.Contains(A, 1));
        Assert.True(recent.Contains(B, 1));
        Assert.True(recent.Contains(A, 3));
        Assert.Equal([(B, 1L), (A, 2L), (A, 3L)], recent.Oldest());
    }

    [Fact]
    public void BelowTheWindow_ACommittedPointIsADuplicate_AnotherIsLateUnverified()
    {
        var index = new DedupIndex(historyPerSeries: 4, recentPoints: 1_000);
        var state = index.GetOrAdd(A);
        for (var k = 0; k < 100; k++)
        {
            index.Admit(state, Jittered(k));
            index.Committed(state, Jittered(k));
        }
        index.Accept();

        Assert.False(state.HistoryIsCompact);
        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, Jittered(3)));   // far below the window of 4, but recent
        Assert.Equal(DedupOutcome.LateUnverified, index.Admit(state, 3_500));   // never committed
        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, Jittered(99)));  // in the window
    }

    [Fact]
    public void OnlyCommittedPoints_OfARing_AreRemembered()
    {
        var index = new DedupIndex(historyPerSeries: 4, recentPoints: 1_000);
        var regular = index.GetOrAdd(A);
        for (var k = 0; k < 100; k++)
        {
            index.Admit(regular, k * 1_000L);
            index.Committed(regular, k * 1_000L);
        }
        Assert.True(regular.HistoryIsCompact);
        Assert.Equal(0, index.Recent!.Count); // the run recognises its own

        // Admitted but never committed (a failed commit rolls back): not remembered.
        var jittered = index.GetOrAdd(B);
        for (var k = 0; k < 100; k++) index.Admit(jittered, Jittered(k));
        index.Rollback();
        Assert.Equal(0, index.Recent.Count);
    }

    [Fact]
    public void Snapshot_KeepsTheRecentPoints_OldestFirst_AndAnIndexWithoutThemSkipsThem()
    {
        var index = new DedupIndex(historyPerSeries: 4, recentPoints: 50);
        var state = index.GetOrAdd(A);
        for (var k = 0; k < 100; k++)
        {
            index.Admit(state, Jittered(k));
            index.Committed(state, Jittered(k));
        }
        index.Accept();
        var output = new ArrayBufferWriter<byte>();
        index.WriteSnapshot(output, _ => 0);

        var restored = DedupIndex.ReadSnapshot(output.WrittenSpan, 4, _ => null, recentPoints: 50);
        Assert.Equal(index.Recent!.Oldest(), restored.Recent!.Oldest());
        var again = restored.GetOrAdd(A);
        Assert.Equal(DedupOutcome.Duplicate, restored.Admit(again, Jittered(50)));
        Assert.Equal(DedupOutcome.LateUnverified, restored.Admit(again, Jittered(49)));

        var without = DedupIndex.ReadSnapshot(output.WrittenSpan, 4, _ => null);
        Assert.Null(without.Recent);
        Assert.Equal(DedupOutcome.LateUnverified, without.Admit(without.GetOrAdd(A), Jittered(50)));
    }
}
