using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Storage.Tests.Infrastructure;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

public class DurableQueueBudgetTests
{
    private const long OneMiB = 1L << 20;
    private static readonly StreamDescriptor Pressure = Stream("line-1", "pressure");
    private static readonly StreamDescriptor[] Streams = [Pressure, Stream("line-1", "flow"), Stream("line-2", "temperature")];

    /// <summary>One segment's worth of points: <paramref name="perSeries"/> per stream, for commit number <paramref name="n"/>.</summary>
    private static List<TelemetryPoint> Batch(int n, int perSeries) =>
        Streams.SelectMany(s => Series(s, n * perSeries, perSeries)).ToList();

    /// <summary>The points of batch <paramref name="n"/> a 64-deep dedup history still holds: the newest 64 per series.</summary>
    private static List<TelemetryPoint> Remembered(int n, int perSeries) =>
        Batch(n, perSeries).GroupBy(p => p.Series).SelectMany(g => g.TakeLast(64)).ToList();

    /// <summary>Commits batches until the block policy refuses one; returns the ids committed and the refused batch.</summary>
    private static (List<long> Ids, List<TelemetryPoint> Refused, QueueFullException Error) FillUntilBlocked(DurableQueue queue)
    {
        var ids = new List<long>();
        for (var n = 0; n < 10_000; n++)
        {
            var batch = Batch(n, 300);
            try
            {
                ids.Add(queue.CommitPoints(batch).SegmentId);
            }
            catch (QueueFullException ex)
            {
                return (ids, batch, ex);
            }
        }
        throw new Xunit.Sdk.XunitException("the queue never became full");
    }

    [Fact]
    public void Commit_BlockPolicyOverMaxBytes_ThrowsQueueFullNamingTheSettingAndWritesNothing()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(maxBytes: OneMiB));
        var (ids, refused, error) = FillUntilBlocked(queue);
        Assert.True(ids.Count > 10, $"only {ids.Count} segments fit in 1 MiB");
        Assert.Contains("$.queue.maxBytes", error.Message);
        queue.CommitPoints([], r => r.Checkpoints["mqtt:plant"] = "before");
        var before = queue.GetStats();
        var newStream = Stream("line-9", "new-metric");

        var ex = Assert.Throws<QueueFullException>(() => queue.CommitPoints(
            [.. refused, Number(newStream, 1, 1)],
            r =>
            {
                r.Checkpoints["mqtt:plant"] = "after";
                r.Quarantine.Add(QueueDriver.Record(ctx.Clock.UtcTicks));
            }));

        Assert.Contains("$.queue.maxBytes", ex.Message);
        Assert.Contains(OneMiB.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
        var after = queue.GetStats();
        Assert.Equal(before.Segments, after.Segments);
        Assert.Equal(before.Points, after.Points);
        Assert.Equal(before.Bytes, after.Bytes);
        Assert.Equal(ids[^1], queue.LastSegmentId);
        Assert.Equal("before", queue.GetCheckpoint("mqtt:plant"));
        Assert.Empty(queue.ListQuarantine());
        Assert.True(queue.IsFull);
        Assert.True(after.Full);
        Assert.Equal(0, after.LostPoints);
        Assert.Equal(ids, queue.ReadAll().Select(s => s.Id));
    }

    [Fact]
    public void Commit_RefusedUnderBlockPolicy_RollsBackDedupSoTheRedeliveryIsNew()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(maxBytes: OneMiB));
        var (ids, refused, _) = FillUntilBlocked(queue);

        Assert.Equal(0, queue.Dedup.PendingAdmissions);
        Assert.All(queue.Probe(refused), o => Assert.Equal(DedupOutcome.New, o));
        Assert.All(queue.Probe(Remembered(ids.Count - 1, 300)), o => Assert.Equal(DedupOutcome.Duplicate, o));
    }

    [Fact]
    public void Commit_RefusedUnderBlockPolicy_LeavesNothingAfterReopen()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open(ctx.Options(maxBytes: OneMiB));
        var (ids, refused, _) = FillUntilBlocked(queue);
        Assert.Throws<QueueFullException>(() => queue.CommitPoints(refused, r => r.Checkpoints["src"] = "refused"));
        var points = queue.GetStats().Points;
        queue.Dispose();

        using var reopened = ctx.Open(ctx.Options(maxBytes: OneMiB));

        Assert.Equal(ids[^1], reopened.LastSegmentId);
        Assert.Equal(points, reopened.GetStats().Points);
        Assert.Null(reopened.GetCheckpoint("src"));
        Assert.All(reopened.Probe(refused), o => Assert.Equal(DedupOutcome.New, o));
    }

    [Fact]
    public void Commit_BlockedQueue_AcceptsAgainAfterASinkConfirmsAndMaintainDeletes()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(maxBytes: OneMiB));
        var (ids, refused, _) = FillUntilBlocked(queue);
        queue.RegisterSink("kafka", null);

        queue.Confirm("kafka", ids[ids.Count / 2]);
        queue.Maintain(force: true);

        Assert.False(queue.IsFull);
        var id = queue.CommitPoints(refused).SegmentId;
        Assert.True(id > ids[^1]);
        var into = new List<TelemetryPoint>();
        Assert.True(queue.ReadNext(ids[^1], into, out _));
        AssertSame(refused, into);
    }

    [Fact]
    public void Commit_BlockedQueueReopenedAfterSinksConfirmed_AcceptsAfterForcedMaintain()
    {
        // A gateway restarted while blocked must be able to free the confirmed segments before any commit succeeds.
        using var ctx = new QueueContext();
        var queue = ctx.Open(ctx.Options(maxBytes: OneMiB));
        var (ids, refused, _) = FillUntilBlocked(queue);
        queue.RegisterSink("kafka", null);
        queue.Confirm("kafka", ids[^1]);
        queue.Dispose();

        using var reopened = ctx.Open(ctx.Options(maxBytes: OneMiB));
        reopened.RegisterSink("kafka", null);
        reopened.Maintain(force: true);

        Assert.Equal(0, reopened.GetStats().Segments);
        Assert.All(reopened.Probe(Remembered(ids.Count - 1, 300)), o => Assert.Equal(DedupOutcome.Duplicate, o));
        Assert.True(reopened.CommitPoints(refused).SegmentId > ids[^1]);
    }

    [Fact]
    public void Commit_SegmentLargerThanTheWholeBudget_IsRefusedEvenUnderDropOldest()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(maxBytes: 4096, policy: QueueFullPolicy.DropOldest));
        var small = queue.CommitPoints(Series(Pressure, 0, 10)).SegmentId;

        Assert.Throws<QueueFullException>(() => queue.CommitPoints(Series(Pressure, 100, 2000)));

        Assert.Equal([small], queue.ReadAll().Select(s => s.Id));
        Assert.Empty(queue.ListLoss());
        Assert.All(queue.Probe(Series(Pressure, 100, 2000)), o => Assert.Equal(DedupOutcome.New, o));
    }

    private sealed record Key(SeriesKey Series, long Ticks);

    [Fact]
    public void Commit_DropOldest_AccountsForEveryDroppedPointInTheLossLedgerAndAsLossEvents()
    {
        using var ctx = new QueueContext();
        var options = ctx.Options(maxBytes: 256 * 1024, policy: QueueFullPolicy.DropOldest);
        var queue = ctx.Open(options);
        var committed = new Dictionary<Key, TelemetryPoint>();
        var lossEvents = new List<TelemetryPoint>();
        long droppedByResults = 0;
        for (var n = 0; n < 150; n++)
        {
            var batch = Batch(n, 100);
            var result = queue.CommitPoints(batch, out var request);
            Assert.NotEqual(0, result.SegmentId);
            droppedByResults += result.DroppedPoints;
            // While drops continue within the span, the series' ranges stay open: no loss event yet.
            Assert.Equal(batch.Count, request.Points.Count);
            Assert.True(queue.GetStats().OpenLossRecords <= Streams.Length);
            foreach (var p in request.Points) committed.Add(new Key(p.Series, p.TimestampTicks), p);
            ctx.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        var readable = queue.ReadAllPoints().Select(p => new Key(p.Series, p.TimestampTicks)).ToHashSet();
        Assert.Subset(committed.Keys.ToHashSet(), readable);
        var dropped = committed.Keys.Where(k => !readable.Contains(k)).ToList();
        Assert.True(dropped.Count > committed.Count / 3, $"only {dropped.Count} of {committed.Count} points were dropped");

        var stats = queue.GetStats();
        var ledger = queue.ListLoss(limit: 100_000);
        // One open range per dropped series, however many segments went.
        Assert.Equal(Streams.Length, ledger.Count);
        Assert.All(ledger, l => Assert.True(l.Open));
        Assert.Equal(Streams.Length, stats.OpenLossRecords);
        Assert.Equal(dropped.Count, stats.LostPoints);
        Assert.Equal(dropped.Count, droppedByResults);
        Assert.Equal(dropped.Count, ledger.Sum(l => l.Count));
        Assert.Equal(ledger.Count, stats.LossRecords);
        Assert.True(stats.Bytes <= options.MaxBytes, $"{stats.Bytes} bytes queued, budget {options.MaxBytes}");
        Assert.All(ledger, l =>
        {
            Assert.StartsWith("queue_full_drop_oldest: ", l.Reason);
            Assert.Contains("$.queue.maxBytes", l.Reason);
        });

        // Per series: the ledger's counts and time ranges are exactly the dropped points.
        var droppedBySeries = dropped.GroupBy(k => k.Series).ToDictionary(g => g.Key, g => g.Select(k => k.Ticks).ToList());
        var ledgerBySeries = ledger.GroupBy(l => new SeriesKey(l.AssetId, l.Metric)).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(droppedBySeries.Keys.OrderBy(k => k.ToString()), ledgerBySeries.Keys.OrderBy(k => k.ToString()));
        foreach (var (series, ticks) in droppedBySeries)
        {
            var records = ledgerBySeries[series];
            Assert.Equal(ticks.Count, records.Sum(r => r.Count));
            Assert.Equal(ticks.Min(), records.Min(r => r.FromTicks));
            Assert.Equal(ticks.Max(), records.Max(r => r.ToTicks));
            foreach (var r in records)
            {
                Assert.Equal(r.Count, ticks.Count(t => t >= r.FromTicks && t <= r.ToTicks));
            }
        }

        // The uplink returns: a sink takes every queued segment, the series are kept again, the ranges close, and
        // every ledger record goes into the queue as one loss event carrying the same facts.
        queue.RegisterSink("kafka", null);
        var delivered = queue.ReadAll();
        queue.Confirm("kafka", delivered[^1].Id);
        queue.Maintain(force: true);
        lossEvents.AddRange(queue.ReadAllPoints(delivered[^1].Id));
        Assert.All(queue.ListLoss(limit: 100_000), l => Assert.False(l.Open));
        Assert.Equal(ledger.Count, lossEvents.Count);
        foreach (var l in ledger)
        {
            // A dropped loss event is accounted under its own series ("_loss/m", never "_loss/_loss/m"); its event is stamped
            // with the start of the range, or the next free tick when an earlier event there already has that key.
            var metric = l.Metric.StartsWith(DurableQueue.LossMetricPrefix, StringComparison.Ordinal) ? l.Metric : DurableQueue.LossMetricPrefix + l.Metric;
            var e = Assert.Single(lossEvents, e => e.Stream.AssetId == l.AssetId && e.Stream.Metric == metric
                && e.TimestampTicks >= l.FromTicks && e.TimestampTicks < l.FromTicks + 1000 && e.EndTicks == Math.Max(e.TimestampTicks, l.ToTicks));
            Assert.Equal(EventKind.Loss, e.Stream.EventKind);
            Assert.NotEqual(0, e.EndTicks);
            Assert.Equal(l.Count, e.Value.Number);
            Assert.Contains(new KeyValuePair<string, string>("lost_metric", l.Metric), e.Stream.Tags);
        }
        // The events are sent once: a further Maintain or commit adds none.
        queue.Maintain(force: true);
        queue.CommitPoints(Batch(1000, 1));
        Assert.DoesNotContain(queue.ReadAllPoints(delivered[^1].Id).Skip(lossEvents.Count), p => p.Stream.EventKind == EventKind.Loss);

        // The ledger is durable.
        queue.Dispose();
        using var reopened = ctx.Open(options);
        Assert.Equal(dropped.Count, reopened.GetStats().LostPoints);
        Assert.Equal(ledger.Count, reopened.GetStats().LossRecords);
        Assert.Equal(0, reopened.GetStats().OpenLossRecords);
    }

    [Fact]
    public void Commit_DropOldest_KeepsDedupForDroppedPointsAcrossReopen()
    {
        using var ctx = new QueueContext();
        // A history deep enough for every point of the test, so "duplicate" is decidable for each one.
        var options = ctx.Options(maxBytes: 64 * 1024, policy: QueueFullPolicy.DropOldest, historyPerSeries: 4096);
        var queue = ctx.Open(options);
        for (var n = 0; n < 60; n++) queue.CommitPoints(Batch(n, 50));
        Assert.True(queue.GetStats().LostPoints > 0);
        queue.Dispose();

        using var reopened = ctx.Open(options);

        // Dropped or queued, every committed point is still a duplicate: a redelivery must not come back as new data.
        Assert.All(reopened.Probe(Enumerable.Range(0, 60).SelectMany(n => Batch(n, 50))), o => Assert.Equal(DedupOutcome.Duplicate, o));
    }

    [Fact]
    public void Shadow_AfterADropOldestCommitAndReopen_HoldsTheNewestValue()
    {
        using var ctx = new QueueContext();
        var options = ctx.Options(maxBytes: 64 * 1024, policy: QueueFullPolicy.DropOldest);
        var queue = ctx.Open(options);
        CommitResult last = default;
        var n = 0;
        while (last.DroppedSegments == 0) last = queue.CommitPoints(Batch(n++, 50));
        var newest = Batch(n - 1, 50).Last(p => p.Stream == Pressure);
        queue.Dispose();

        using var reopened = ctx.Open(options);

        Assert.True(reopened.Dedup.TryGet(Pressure.Series, out var state));
        AssertSame(newest, Assert.NotNull(state!.Latest));
    }

    [Fact]
    public void Maintain_AfterSinksCatchUp_ClearsTheFullFlag()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(maxBytes: 64 * 1024, policy: QueueFullPolicy.DropOldest));
        for (var n = 0; n < 40; n++) queue.CommitPoints(Batch(n, 50));
        Assert.True(queue.IsFull);
        queue.RegisterSink("kafka", null);

        queue.Confirm("kafka", queue.LastSegmentId);
        queue.Maintain(force: true);

        Assert.False(queue.IsFull);
        // What is left is the closed loss ranges, one event each.
        var stats = queue.GetStats();
        var left = queue.ReadAllPoints();
        Assert.All(left, p => Assert.Equal(EventKind.Loss, p.Stream.EventKind));
        Assert.Equal(stats.LossRecords, left.Count);
        Assert.Equal(stats.LostPoints, left.Sum(p => (long)p.Value.Number));
    }
}
