using System.Buffers;
using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Tests.Dedup;

public sealed class RecentPointsTests
{
    private static readonly StreamDescriptor A = new("pump-1", "pressure", "test:a");
    private static readonly StreamDescriptor B = new("pump-2", "pressure", "test:b");

    /// <summary>The catalog the snapshot names streams by: A is 1, B is 2.</summary>
    private static int IdOf(StreamDescriptor stream) => ReferenceEquals(stream, A) ? 1 : 2;

    private static StreamDescriptor? Stream(int id) => id switch { 1 => A, 2 => B, _ => null };

    private static TelemetryPoint Point(StreamDescriptor stream, long ticks) => new(stream, ticks, PointValue.FromNumber(1), Quality.Good, 0);

    /// <summary>Commits A's first <paramref name="count"/> jittered points as the queue does: admitted, accepted, then remembered.</summary>
    private static void Commit(DedupIndex index, SeriesState state, int count)
    {
        for (var k = 0; k < count; k++) index.Admit(state, Jittered(k));
        index.Accept();
        for (var k = 0; k < count; k++) index.Committed(state, Point(A, Jittered(k)));
    }

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

        Assert.False(recent.Contains(A.Series, 1));
        Assert.True(recent.Contains(B.Series, 1));
        Assert.True(recent.Contains(A.Series, 3));
        Assert.Equal([(B, 1L), (A, 2L), (A, 3L)], recent.Oldest());
    }

    [Fact]
    public void BelowTheWindow_ACommittedPointIsADuplicate_AnotherIsLateUnverified()
    {
        var index = new DedupIndex(historyPerSeries: 4, recentPoints: 1_000);
        var state = index.GetOrAdd(A);
        Commit(index, state, 100);

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
            index.Committed(regular, Point(A, k * 1_000L));
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
        Commit(index, state, 100);
        var output = new ArrayBufferWriter<byte>();
        index.WriteSnapshot(output, IdOf);

        var restored = DedupIndex.ReadSnapshot(output.WrittenSpan, 4, Stream, recentPoints: 50);
        Assert.Equal(index.Recent!.Oldest(), restored.Recent!.Oldest());
        var again = restored.GetOrAdd(A.Series);
        Assert.Equal(DedupOutcome.Duplicate, restored.Admit(again, Jittered(50)));
        Assert.Equal(DedupOutcome.LateUnverified, restored.Admit(again, Jittered(49)));

        var without = DedupIndex.ReadSnapshot(output.WrittenSpan, 4, Stream);
        Assert.Null(without.Recent);
        Assert.Equal(DedupOutcome.LateUnverified, without.Admit(without.GetOrAdd(A.Series), Jittered(50)));
    }

    [Fact]
    public void Snapshot_OfAMillionRecentPoints_ReadsBackThroughTheStream_KeyForKey()
    {
        // 12 MB of recent points: read through the stream overload's 1 MiB buffer, across many refills.
        const int points = 1_000_000;
        var index = new DedupIndex(historyPerSeries: 4, recentPoints: points);
        var a = index.GetOrAdd(A);
        var b = index.GetOrAdd(B);
        for (var k = 0; k < points / 2; k++)
        {
            index.Admit(a, Jittered(k));
            index.Admit(b, Jittered(k));
            index.Committed(a, Point(A, Jittered(k)));
            index.Committed(b, Point(B, Jittered(k)));
        }
        index.Accept();
        var output = new ArrayBufferWriter<byte>();
        index.WriteSnapshot(output, IdOf);
        Assert.True(output.WrittenCount > 11_900_000, $"{output.WrittenCount} bytes");

        using var payload = new MemoryStream(output.WrittenSpan.ToArray());
        var restored = DedupIndex.ReadSnapshot(payload, payload.Length, 4, Stream, recentPoints: points);

        // All but each series' first three (committed while its timestamps still looked evenly spaced).
        Assert.Equal(points - 6, index.Recent!.Count);
        Assert.Equal(index.Recent.Count, restored.Recent!.Count);
        Assert.True(index.Recent.Oldest().SequenceEqual(restored.Recent.Oldest()), "the recent points differ after the round trip");
    }
}
