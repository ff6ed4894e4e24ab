using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Storage.Tests.Infrastructure;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

/// <summary>
/// Over $.dedup.memoryBytes the series least recently seen leave memory for the queue's database, and a series
/// that comes back is deduplicated exactly as if it had stayed: its history, high-water mark and shadow return
/// with it, across a restart and a crash too. Every series counts once, in memory or stored.
/// </summary>
public sealed class SeriesEvictionTests
{
    private const long Budget = 1L << 20; // ~5,200 series at DedupIndex.StateBytes
    private static readonly StreamDescriptor Regular = Stream("early", "regular");
    private static readonly StreamDescriptor Jittered = Stream("early", "jittered");

    private static List<TelemetryPoint> Early() =>
    [
        .. Series(Regular, 0, 30),
        .. Enumerable.Range(0, 30).Select(i => Number(Jittered, i + ((i % 3) * 0.01), i)),
    ];

    /// <summary>8,000 other series, a point each, committed 500 series at a time with maintenance between.</summary>
    private static void Crowd(DurableQueue queue, int second)
    {
        for (var from = 0; from < 8_000; from += 500)
        {
            queue.CommitPoints(Enumerable.Range(from, 500).Select(i => Number(Stream("crowd-" + i, "m"), second, i)));
            queue.Maintain();
        }
    }

    [Fact]
    public void EvictedSeries_ComingBackWithinItsWindow_IsDeduplicated_WithItsShadow()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(seriesMemoryBytes: Budget));
        queue.CommitPoints(Early());
        queue.Maintain();
        Crowd(queue, 100);

        Assert.True(queue.Dedup.Evictions > 0);
        Assert.True(queue.Dedup.EstimatedBytes <= Budget, $"{queue.Dedup.EstimatedBytes} bytes estimated");
        Assert.False(queue.Dedup.TryGet(Regular.Series, out _));
        Assert.False(queue.Dedup.TryGet(Jittered.Series, out _));

        AssertCameBack(queue);
    }

    [Fact]
    public void EvictedSeries_AfterRestartAndCrash_IsStillDeduplicated()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open(ctx.Options(seriesMemoryBytes: Budget));
        queue.CommitPoints(Early());
        queue.Maintain(force: true); // a snapshot that holds them
        Crowd(queue, 100);            // evicted after it
        ctx.Clock.Advance(TimeSpan.FromSeconds(11));
        queue.CommitPoints([Number(Stream("crowd-0", "m"), 101, 0)]);
        queue.Maintain();             // a snapshot without them: only the database has them now
        Assert.False(queue.Dedup.TryGet(Regular.Series, out _));

        using (var crashed = ctx.Open(ctx.Options(directory: ctx.CrashImage(), seriesMemoryBytes: Budget)))
        {
            Assert.True(crashed.Recovery.SnapshotRestored);
            Assert.False(crashed.Dedup.TryGet(Regular.Series, out _));
            AssertCameBack(crashed);
        }
        queue.Dispose();
        using var reopened = ctx.Open(ctx.Options(seriesMemoryBytes: Budget));
        AssertCameBack(reopened);
    }

    [Fact]
    public void SeriesReturning_AfterNewerPointsOfTheirOwn_FollowTheWindowRule()
    {
        using var ctx = new QueueContext();
        // Without recent points ($.dedup.recentPoints, RecentPointsRecoveryTests), which would know the jittered ones too.
        using var queue = ctx.Open(ctx.Options(seriesMemoryBytes: Budget, historyPerSeries: 8, recentPoints: 0));
        static double Jitter(int i) => i + ((i % 3) * 0.01);
        queue.CommitPoints([.. Series(Regular, 0, 30), .. Enumerable.Range(0, 30).Select(i => Number(Jittered, Jitter(i), i))]);
        Crowd(queue, 100);
        Assert.False(queue.Dedup.TryGet(Regular.Series, out _));
        Assert.False(queue.Dedup.TryGet(Jittered.Series, out _));

        // Back with 30 .. 34 (new), then a redelivery of 20 .. 29. Jittered: within the 8 newest → duplicates, older →
        // late. Evenly spaced: the whole run came back from the database, so every one is a duplicate.
        queue.CommitPoints([.. Series(Regular, 30, 5), .. Enumerable.Range(30, 5).Select(i => Number(Jittered, Jitter(i), i))]);
        var jittered = queue.Probe(Enumerable.Range(20, 10).Select(i => Number(Jittered, Jitter(i), i)));
        var regular = queue.Probe(Series(Regular, 20, 10));

        Assert.Equal([.. Enumerable.Repeat(DedupOutcome.LateUnverified, 7), .. Enumerable.Repeat(DedupOutcome.Duplicate, 3)], jittered);
        Assert.All(regular, o => Assert.Equal(DedupOutcome.Duplicate, o));
    }

    [Fact]
    public void SeriesThatCameBack_CountInMemoryOnly_AlsoAfterARestart()
    {
        const int all = 8_002; // the two early series and the crowd
        using var ctx = new QueueContext();
        var queue = ctx.Open(ctx.Options(seriesMemoryBytes: Budget));
        queue.CommitPoints(Early());
        queue.Maintain();
        Crowd(queue, 100);
        var evicted = queue.GetStats();
        Assert.True(evicted.SeriesStored > 2, $"{evicted.SeriesStored} stored");
        Assert.Equal(all, evicted.Series + evicted.SeriesStored);

        // Both come back: their records stay in the database, but they count once, in memory.
        queue.CommitPoints([Number(Regular, 30, 1), Number(Jittered, 30, 1)]);
        var back = queue.GetStats();
        Assert.Equal(evicted.SeriesStored - 2, back.SeriesStored);
        Assert.Equal(all, back.Series + back.SeriesStored);

        // The checkpoint remembers which series in memory have a record too.
        queue.Maintain(force: true);
        Assert.True(queue.Dedup.TryGet(Regular.Series, out _));
        var written = queue.GetStats();
        queue.Dispose();
        using var reopened = ctx.Open(ctx.Options(seriesMemoryBytes: Budget));
        var after = reopened.GetStats();
        Assert.Equal(written.Series, after.Series);
        Assert.Equal(written.SeriesStored, after.SeriesStored);
        Assert.Equal(all, after.Series + after.SeriesStored);
    }

    private static void AssertCameBack(DurableQueue queue)
    {
        Assert.All(queue.Probe(Early()), o => Assert.Equal(DedupOutcome.Duplicate, o));
        Assert.All(queue.Probe([Number(Regular, 30, 1), Number(Jittered, 30, 1), Number(Regular, 12.5, 1)]), o => Assert.Equal(DedupOutcome.New, o));
        var regular = queue.Dedup.GetOrAdd(Regular.Series);
        Assert.Equal(At(29), regular.HighWaterMark);
        Assert.Equal(At(29), regular.Latest!.Value.TimestampTicks);
        Assert.Equal(29, regular.Latest!.Value.Value.Number);
        Assert.Equal(At(29 + 0.02), queue.Dedup.GetOrAdd(Jittered.Series).Latest!.Value.TimestampTicks);
    }
}
