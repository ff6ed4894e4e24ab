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
    /// The outage, time compressed: 30 simulated minutes at 20,000 points/s over 9 series into an 8 MiB
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
}
