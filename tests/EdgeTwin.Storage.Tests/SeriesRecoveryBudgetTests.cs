using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Storage.Tests.Infrastructure;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

/// <summary>
/// $.dedup.memoryBytes holds through the recovery too: a queue reopened with more series than its budget (in the
/// segments it replays, or in a snapshot written under a larger budget) evicts the cold ones while it opens, their
/// records durable first, and ends within the budget. Every series' dedup still works after it: a point from before
/// the restart is a duplicate whether its series stayed in memory or was evicted during the recovery.
/// </summary>
public sealed class SeriesRecoveryBudgetTests
{
    private const long Budget = 1L << 20; // ~7,500 evenly spaced series at DedupIndex.StateBytes
    private const int SeriesCount = 12_000;

    private static readonly StreamDescriptor[] Streams = [.. Enumerable.Range(0, SeriesCount).Select(i => Stream("pump-" + i, "pressure"))];

    /// <summary>Every tenth series has uneven timestamps (a ring), the others a progression.</summary>
    private static List<TelemetryPoint> PointsOf(int i) => i % 10 == 0
        ? [Number(Streams[i], 0, i), Number(Streams[i], 1.01, i), Number(Streams[i], 2.5, i)]
        : [Number(Streams[i], 0, i), Number(Streams[i], 1, i), Number(Streams[i], 2, i)];

    /// <summary>The series committed 1,000 at a time (a segment each), under a budget that holds them all.</summary>
    private static void CommitAll(DurableQueue queue)
    {
        for (var from = 0; from < SeriesCount; from += 1_000)
        {
            queue.CommitPoints(Enumerable.Range(from, 1_000).SelectMany(PointsOf));
        }
        Assert.Equal(SeriesCount, queue.Dedup.SeriesCount);
        Assert.Equal(0, queue.Dedup.Evictions);
    }

    [Fact]
    public void Replay_OfMoreSeriesThanTheBudget_EvictsWhileItOpens_AndEndsWithinIt()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(seriesMemoryBytes: 64L << 20));
        queue.Maintain(force: true); // a snapshot of nothing: the recovery replays every segment
        CommitAll(queue);

        using var crashed = ctx.Open(ctx.Options(directory: ctx.CrashImage(), seriesMemoryBytes: Budget));

        Assert.Equal(SeriesCount / 1_000, crashed.Recovery.SegmentsReplayed);
        AssertWithinBudget_AndEverySeriesDeduplicated(crashed, ringsEvicted: true);
    }

    [Fact]
    public void Snapshot_WrittenUnderALargerBudget_IsBroughtWithinTheSmallerOneAtOpen()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open(ctx.Options(seriesMemoryBytes: 64L << 20));
        CommitAll(queue);
        queue.Maintain(force: true); // the snapshot holds every series
        queue.Dispose();

        using var reopened = ctx.Open(ctx.Options(seriesMemoryBytes: Budget));

        Assert.True(reopened.Recovery.SnapshotRestored);
        Assert.Equal(0, reopened.Recovery.SegmentsReplayed);
        AssertWithinBudget_AndEverySeriesDeduplicated(reopened, ringsEvicted: false);
    }

    [Fact]
    public void TheIndex_IsSizedForTheExpectedSeries_AsFarAsTheBudgetHoldsThem()
    {
        using var ctx = new QueueContext();
        using (var first = ctx.Open(ctx.Options(seriesMemoryBytes: 64L << 20)))
        {
            first.CommitPoints(PointsOf(1));
            first.Maintain(force: true);
        }

        // Sized for 200,000 series at open (a set entry and a clock slot each, ~28 B): megabytes allocated up front.
        var sized = AllocatedByOpen(ctx, expected: 200_000, budget: 64L << 20);
        // Ten million expected, but the budget holds ~7,500: sized for those, not for ten million (~280 MB).
        var capped = AllocatedByOpen(ctx, expected: 10_000_000, budget: Budget);
        var unsized = AllocatedByOpen(ctx, expected: 0, budget: 64L << 20);

        Assert.True(sized - unsized >= 200_000L * 24, $"sized for 200,000: {sized:N0} bytes allocated, {unsized:N0} unsized");
        Assert.True(capped - unsized < 2_000_000, $"capped by the budget: {capped:N0} bytes allocated, {unsized:N0} unsized");
    }

    private static long AllocatedByOpen(QueueContext ctx, int expected, long budget)
    {
        var options = ctx.Options(seriesMemoryBytes: budget);
        options.ExpectedSeries = expected;
        var before = GC.GetAllocatedBytesForCurrentThread();
        using var queue = ctx.Open(options);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(queue.Recovery.SnapshotRestored);
        Assert.Equal(DedupOutcome.Duplicate, queue.Probe([PointsOf(1)[0]])[0]);
        return allocated;
    }

    private static void AssertWithinBudget_AndEverySeriesDeduplicated(DurableQueue queue, bool ringsEvicted)
    {
        var dedup = queue.Dedup;
        Assert.True(queue.Recovery.SeriesEvicted > 0, "nothing was evicted during the recovery");
        Assert.True(dedup.EstimatedBytes <= Budget, $"{dedup.EstimatedBytes:N0} bytes estimated after the recovery, budget {Budget:N0}");
        var stats = queue.GetStats();
        Assert.Equal(SeriesCount, stats.Series + stats.SeriesStored);

        var inMemory = Enumerable.Range(0, SeriesCount).Where(i => dedup.TryGet(Streams[i].Series, out _)).ToHashSet();
        Assert.InRange(inMemory.Count, 1, SeriesCount - 1);
        // Every point from before the restart is a duplicate, in memory or brought back; the next one is new.
        for (var from = 0; from < SeriesCount; from += 1_000)
        {
            var series = Enumerable.Range(from, 1_000).ToList();
            Assert.All(queue.Probe(series.SelectMany(PointsOf)), o => Assert.Equal(DedupOutcome.Duplicate, o));
            Assert.All(queue.Probe(series.Select(i => Number(Streams[i], 3, i))), o => Assert.Equal(DedupOutcome.New, o));
            foreach (var i in series)
            {
                var state = dedup.GetOrAdd(Streams[i]);
                Assert.Equal(PointsOf(i)[^1].TimestampTicks, state.HighWaterMark);
                Assert.Equal(PointsOf(i)[^1].TimestampTicks, state.Latest!.Value.TimestampTicks);
                Assert.Equal(i, state.Latest!.Value.Value.Number);
            }
            queue.Maintain(); // and between commits the budget holds again
        }
        Assert.True(dedup.EstimatedBytes <= Budget, $"{dedup.EstimatedBytes:N0} bytes estimated after the probes, budget {Budget:N0}");
    }
}
