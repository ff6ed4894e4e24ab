using EdgeTwin.Core.Telemetry;
using EdgeTwin.Storage.Tests.Infrastructure;
using Xunit.Abstractions;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

/// <summary>The loss ledger records ranges: a long outage is a few records per series per span, exact in its counts, on bounded disk.</summary>
public class LossLedgerTests(ITestOutputHelper output)
{
    private const long OneMiB = 1L << 20;

    private static readonly StreamDescriptor[] Nine =
        [.. from asset in new[] { "pump-1", "pump-2", "line-1" } from metric in new[] { "pressure", "flow", "temperature" } select Stream(asset, metric)];

    /// <summary>Second <paramref name="second"/> of a feed of <paramref name="perSeries"/> points per second on each stream.</summary>
    private static List<TelemetryPoint> Second(IReadOnlyList<StreamDescriptor> streams, int second, int perSeries)
    {
        var points = new List<TelemetryPoint>(streams.Count * perSeries);
        var step = TimeSpan.TicksPerSecond / perSeries;
        foreach (var s in streams)
        {
            for (var i = 0; i < perSeries; i++)
            {
                points.Add(new TelemetryPoint(s, Epoch.UtcTicks + second * TimeSpan.TicksPerSecond + i * step, PointValue.FromNumber(i), Quality.Good, 0));
            }
        }
        return points;
    }

    private static bool IsLoss(string metric) => metric.StartsWith(DurableQueue.LossMetricPrefix, StringComparison.Ordinal);

    private static long DirectoryBytes(string path) =>
        new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    /// <summary>
    /// The issue's outage, time compressed: 30 simulated minutes at 20,000 points/s over 9 series into an 8 MiB
    /// drop-oldest queue whose one sink never confirms, then the uplink returns. The disk stays under the documented
    /// bound, the ledger holds a few records per series per span, and its counts are exactly the points that did not
    /// reach the sink.
    /// </summary>
    [Fact]
    public void LongOutage_ThirtyMinutesAt20000PointsPerSecond_BoundedDiskAndExactLedger()
    {
        const int seconds = 1800, perSeries = 20_000 / 9;
        var span = TimeSpan.FromMinutes(5);
        using var ctx = new QueueContext();
        var options = ctx.Options(maxBytes: 8 * OneMiB, policy: QueueFullPolicy.DropOldest, lossRangeSpan: span);
        using var queue = ctx.Open(options);
        queue.RegisterSink("kafka", null);
        long telemetryIn = 0, maxDisk = 0, maxSegments = 0, maxDatabase = 0;
        for (var s = 0; s < seconds; s++)
        {
            var batch = Second(Nine, s, perSeries);
            queue.CommitPoints(batch);
            telemetryIn += batch.Count;
            ctx.Clock.Advance(TimeSpan.FromSeconds(1));
            if (s % 10 != 9) continue;
            queue.Maintain();
            var stats = queue.GetStats();
            maxSegments = Math.Max(maxSegments, stats.Segments);
            maxDisk = Math.Max(maxDisk, DirectoryBytes(ctx.Directory));
            maxDatabase = Math.Max(maxDatabase, new FileInfo(ctx.DatabasePath).Length);
            if (s % 300 == 299 || s is 29 or 59 or 89 or 119)
            {
                output.WriteLine($"after {s + 1,4} s: queue bytes {stats.Bytes / (double)OneMiB:F1} MiB, queue.db {new FileInfo(ctx.DatabasePath).Length / (double)OneMiB:F2} MiB, " +
                    $"state dir {DirectoryBytes(ctx.Directory) / (double)OneMiB:F1} MiB, loss records {stats.LossRecords:N0} ({stats.OpenLossRecords} open), lost points {stats.LostPoints:N0}");
            }
        }
        var during = queue.GetStats();
        var bound = QueueDiskBound.Compute(options, maxSegments, during.Streams, during.Series);
        output.WriteLine($"largest state directory {maxDisk:N0} bytes (queue.db {maxDatabase:N0}), documented bound {bound:N0} for {maxSegments} segments, {during.Series} series");
        Assert.True(maxDisk <= bound, $"the state directory reached {maxDisk} bytes, over the documented bound {bound}");

        // A few records per series per span: one per span for each of the 9 series, plus the ranges of loss events that were dropped in turn.
        var ledger = queue.ListLoss(limit: 100_000);
        var spans = (int)Math.Ceiling(seconds / span.TotalSeconds);
        foreach (var series in ledger.GroupBy(l => (l.AssetId, l.Metric)))
        {
            Assert.True(series.Count() <= spans + 1, $"{series.Key}: {series.Count()} records for {spans} spans");
        }
        Assert.Equal(Nine.Length, ledger.Where(l => !IsLoss(l.Metric)).Select(l => (l.AssetId, l.Metric)).Distinct().Count());

        // The uplink returns: the sink takes everything queued, then the loss events of the ranges that closed.
        var delivered = new List<TelemetryPoint>();
        long cursor = 0;
        for (var round = 0; round < 3; round++)
        {
            var segments = queue.ReadAll(cursor);
            if (segments.Count == 0) break;
            delivered.AddRange(segments.SelectMany(x => x.Points));
            cursor = segments[^1].Id;
            queue.Confirm("kafka", cursor);
            queue.Maintain(force: true);
        }
        Assert.Equal(0, queue.GetStats().Segments);
        var final = queue.ListLoss(limit: 100_000);
        Assert.All(final, l => Assert.False(l.Open));
        var telemetryDelivered = delivered.Count(p => p.Stream.EventKind != EventKind.Loss);
        var lostTelemetry = final.Where(l => !IsLoss(l.Metric)).Sum(l => l.Count);
        output.WriteLine($"points in {telemetryIn:N0}, reached the sink {telemetryDelivered:N0}, ledger {lostTelemetry:N0} in {final.Count} records; loss events {delivered.Count - telemetryDelivered}");
        Assert.Equal(telemetryIn - telemetryDelivered, lostTelemetry);
        Assert.True(lostTelemetry > telemetryIn / 2);

        // Every closed range was committed as one loss event, exactly once: it reached the sink, or it was dropped in
        // turn and is counted under its _loss/ series. Those of telemetry ranges carry the record's range and count.
        var events = delivered.Where(p => p.Stream.EventKind == EventKind.Loss).ToList();
        var eventsLost = final.Where(l => IsLoss(l.Metric)).Sum(l => l.Count);
        Assert.Equal(final.Count, events.Count + eventsLost);
        foreach (var e in events)
        {
            var lostMetric = e.Stream.Tags.First(t => t.Key == "lost_metric").Value;
            if (IsLoss(lostMetric)) continue;
            Assert.Single(final, l => l.AssetId == e.Stream.AssetId && l.Metric == lostMetric && l.FromTicks == e.TimestampTicks
                && l.ToTicks == e.EndTicks && l.Count == (long)e.Value.Number);
        }
    }

    /// <summary>Commits <paramref name="batch"/> and reads what the commit (and any Maintain before it) added, so every point that ever entered the queue is counted.</summary>
    private static long CommitAndCount(DurableQueue queue, List<TelemetryPoint> batch, ref long lastSeen)
    {
        queue.CommitPoints(batch);
        return CountNew(queue, ref lastSeen);
    }

    private static long CountNew(DurableQueue queue, ref long lastSeen)
    {
        var segments = queue.ReadAll(lastSeen);
        if (segments.Count > 0) lastSeen = segments[^1].Id;
        return segments.Sum(x => (long)x.Points.Count);
    }

    [Fact]
    public void KillDuringOpenRanges_AfterRestartTheCountsAreExactAndTheRangesGoOn()
    {
        using var ctx = new QueueContext();
        var options = ctx.Options(maxBytes: OneMiB, policy: QueueFullPolicy.DropOldest);
        var queue = ctx.Open(options);
        long pointsIn = 0, lastSeen = 0;
        for (var s = 0; s < 60; s++)
        {
            pointsIn += CommitAndCount(queue, Second(Nine, s, 500), ref lastSeen);
            ctx.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        var open = queue.GetStats().OpenLossRecords;
        Assert.Equal(Nine.Length, open);
        // What a kill -9 now would leave, while every range is open.
        var image = ctx.CrashImage();
        queue.Dispose();

        var reopenedOptions = ctx.Options(maxBytes: OneMiB, policy: QueueFullPolicy.DropOldest, directory: image);
        var reopened = ctx.Open(reopenedOptions);
        var stats = reopened.GetStats();
        var queued = reopened.ReadAllPoints().Count;
        Assert.Equal(pointsIn - queued, stats.LostPoints);
        Assert.Equal(pointsIn - queued, reopened.ListLoss().Sum(l => l.Count));
        Assert.Equal(Nine.Length, stats.OpenLossRecords);

        // The open ranges go on after the restart: further drops extend them, no new records.
        lastSeen = reopened.LastSegmentId;
        for (var s = 60; s < 90; s++)
        {
            pointsIn += CommitAndCount(reopened, Second(Nine, s, 500), ref lastSeen);
            ctx.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        var after = reopened.ListLoss();
        Assert.Equal(Nine.Length, after.Count);
        Assert.Equal(pointsIn - reopened.ReadAllPoints().Count, after.Sum(l => l.Count));
    }

    [Fact]
    public void ManySeries_TheLedgerCoalescesPerAssetThenPerGatewayAndStaysWithinItsAllowance()
    {
        const int maxRecords = 100;
        var streams = (from a in Enumerable.Range(1, 20) from m in Enumerable.Range(1, 15) select Stream($"asset-{a}", $"m{m}")).ToList();
        using var ctx = new QueueContext();
        var options = ctx.Options(maxBytes: OneMiB, policy: QueueFullPolicy.DropOldest, lossRangeSpan: TimeSpan.FromSeconds(10), lossLedgerMaxRecords: maxRecords);
        using var queue = ctx.Open(options);
        long pointsIn = 0, lastSeen = 0, most = 0;
        for (var s = 0; s < 200; s++)
        {
            pointsIn += CommitAndCount(queue, Second(streams, s, 20), ref lastSeen);
            ctx.Clock.Advance(TimeSpan.FromSeconds(1));
            queue.Maintain();
            pointsIn += CountNew(queue, ref lastSeen);
            most = Math.Max(most, queue.GetStats().LossRecords);
        }
        var ledger = queue.ListLoss(limit: 100_000);
        output.WriteLine($"{streams.Count} series, 200 s of drops, 10 s span: {ledger.Count} records now, {most} at most; " +
            $"{ledger.Count(l => l.AssetId == "(all)")} for the gateway, {ledger.Count(l => l.AssetId != "(all)" && l.Metric == "(all)")} per asset");
        // Without coalescing this would be one record per series per span: 300 x 20.
        Assert.True(most <= maxRecords + streams.Count / 10, $"the ledger reached {most} records, allowance {maxRecords}");
        Assert.Contains(ledger, l => l.Metric == "(all)");
        // Counts are never lost, only detail.
        Assert.Equal(pointsIn - queue.ReadAllPoints().Count, ledger.Sum(l => l.Count));
        Assert.Equal(queue.GetStats().LostPoints, ledger.Sum(l => l.Count));
    }

    [Fact]
    public void Span_ClosesEachRangeOncePerSpanAndSendsOneEventForIt()
    {
        using var ctx = new QueueContext();
        var options = ctx.Options(maxBytes: OneMiB, policy: QueueFullPolicy.DropOldest, lossRangeSpan: TimeSpan.FromSeconds(30));
        using var queue = ctx.Open(options);
        var events = new List<TelemetryPoint>();
        long lastSeen = 0;
        for (var s = 0; s < 125; s++)
        {
            queue.CommitPoints(Second(Nine, s, 500));
            var segments = queue.ReadAll(lastSeen);
            if (segments.Count > 0) lastSeen = segments[^1].Id;
            events.AddRange(segments.SelectMany(x => x.Points).Where(p => p.Stream.EventKind == EventKind.Loss));
            ctx.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        var ledger = queue.ListLoss(limit: 100_000).Where(l => !IsLoss(l.Metric)).ToList();
        foreach (var series in ledger.GroupBy(l => (l.AssetId, l.Metric)))
        {
            // Drops began after about 15 s: 110 s of them in 30 s spans.
            Assert.InRange(series.Count(), 3, 5);
            Assert.Single(series, l => l.Open);
            foreach (var closed in series.Where(l => !l.Open))
            {
                Assert.True(closed.AtTicks - closed.OpenedTicks < TimeSpan.FromSeconds(30).Ticks);
                Assert.Single(events, e => e.Stream.AssetId == closed.AssetId && e.Stream.Metric == DurableQueue.LossMetricPrefix + closed.Metric
                    && e.TimestampTicks == closed.FromTicks && e.EndTicks == closed.ToTicks && (long)e.Value.Number == closed.Count);
            }
        }
        Assert.Equal(ledger.Count(l => !l.Open), events.Count(e => !IsLoss(e.Stream.Tags.First(t => t.Key == "lost_metric").Value)));
    }
}
