using EdgeTwin.Core.Telemetry;
using EdgeTwin.Storage.Tests.Infrastructure;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

/// <summary>
/// Drop-oldest never drops a segment a sink has read and not yet confirmed: a point is either delivered or counted
/// lost, never both, and the ledger's counts plus the points delivered are exactly the points in.
/// </summary>
public class DurableQueueHoldTests
{
    private const long OneMiB = 1L << 20;
    private const string Sink = "kafka";
    private static readonly StreamDescriptor[] Streams = [Stream("line-1", "pressure"), Stream("line-1", "flow"), Stream("line-2", "temperature")];

    private static List<TelemetryPoint> Batch(int n, int perSeries = 300) =>
        Streams.SelectMany(s => Series(s, n * perSeries, perSeries)).ToList();

    private static QueueOptions DropOldest(QueueContext ctx) => ctx.Options(maxBytes: OneMiB, policy: QueueFullPolicy.DropOldest);

    /// <summary>Commits batches until the next one would be over the byte budget; returns how many points went in.</summary>
    private static (long PointsIn, int Next) FillToBudget(DurableQueue queue)
    {
        long pointsIn = 0;
        for (var n = 0; ; n++)
        {
            var batch = Batch(n);
            var result = queue.CommitPoints(batch);
            pointsIn += batch.Count;
            Assert.Equal(0, result.DroppedSegments);
            var stats = queue.GetStats();
            // Room for less than one more segment (with a margin: segments differ a little in size).
            if (stats.Bytes + stats.Bytes * 5 / (4 * stats.Segments) > OneMiB)
            {
                Assert.Equal(0, queue.GetStats().LostPoints);
                return (pointsIn, n + 1);
            }
        }
    }

    /// <summary>Reads, for <see cref="Sink"/>, whole segments after <paramref name="after"/> up to <paramref name="upTo"/>, at most <paramref name="segments"/>.</summary>
    private static (List<TelemetryPoint> Points, long Last) ReadBatch(DurableQueue queue, long after, int segments, long upTo = long.MaxValue)
    {
        var points = new List<TelemetryPoint>();
        var last = after;
        for (var i = 0; i < segments && queue.ReadNext(Sink, last, upTo, points, out var id); i++) last = id;
        return (points, last);
    }

    /// <summary>The uplink is back: the sink takes everything queued (telemetry and loss events), confirming as it goes.</summary>
    private static void DrainAll(DurableQueue queue, List<TelemetryPoint> delivered)
    {
        for (var round = 0; round < 4; round++)
        {
            queue.Maintain(force: true);
            var (points, last) = ReadBatch(queue, queue.GetCursor(Sink), int.MaxValue);
            if (points.Count == 0) break;
            delivered.AddRange(points);
            queue.Confirm(Sink, last);
        }
        queue.Maintain(force: true);
        Assert.Equal(0, queue.GetStats().Segments);
    }

    /// <summary>The ledger's telemetry counts plus the telemetry delivered are the points in; no delivered point lies in a lost range of its series.</summary>
    private static void AssertExact(DurableQueue queue, long pointsIn, List<TelemetryPoint> delivered)
    {
        var telemetry = delivered.Where(p => p.Stream.EventKind != EventKind.Loss).ToList();
        Assert.Equal(telemetry.Count, telemetry.Select(p => (p.Series, p.TimestampTicks)).Distinct().Count());
        var ledger = queue.ListLoss(limit: 100_000).Where(l => !l.Metric.StartsWith(DurableQueue.LossMetricPrefix, StringComparison.Ordinal)).ToList();
        var lost = ledger.Sum(l => l.Count);
        Assert.True(lost > 0, "nothing was dropped: the test did not reach the budget");
        Assert.Equal(pointsIn, telemetry.Count + lost);
        foreach (var p in telemetry)
        {
            Assert.DoesNotContain(ledger, l => l.AssetId == p.Stream.AssetId && l.Metric == p.Stream.Metric && p.TimestampTicks >= l.FromTicks && p.TimestampTicks <= l.ToTicks);
        }
    }

    [Fact]
    public void DropOldest_SegmentsASinkReadAndHasNotConfirmed_StayQueuedAndTheLedgerStaysExact()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(DropOldest(ctx));
        queue.RegisterSink(Sink, null);
        var (pointsIn, next) = FillToBudget(queue);

        // The uplink is back while the queue is at its budget: the sink reads a batch of the oldest segments ...
        var (inFlight, last) = ReadBatch(queue, queue.GetCursor(Sink), 5);
        Assert.Equal(5, queue.HeldSegments());
        // ... and while it sends them, new points keep arriving and force drops.
        var dropped = 0L;
        for (var n = next; n < next + 20; n++)
        {
            var batch = Batch(n);
            dropped += queue.CommitPoints(batch).DroppedPoints;
            pointsIn += batch.Count;
        }
        Assert.True(dropped > inFlight.Count, $"only {dropped} points were dropped");
        // The send succeeds and the sink confirms what it read.
        var stillQueued = ReadBatch(queue, 0, 5).Last;
        queue.Confirm(Sink, last);
        var delivered = new List<TelemetryPoint>(inFlight);

        DrainAll(queue, delivered);
        AssertExact(queue, pointsIn, delivered);
        // Drop-oldest had left what the sink held queued; confirmed, nothing is held.
        Assert.Equal(last, stillQueued);
        Assert.Equal(0, queue.HeldSegments());
    }

    [Fact]
    public void DropOldest_SegmentsTheLiveLaneReadAndHasNotConfirmed_StayQueuedWhileTheBacklogIsDropped()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(DropOldest(ctx));
        queue.RegisterSink(Sink, null);
        var (pointsIn, next) = FillToBudget(queue);
        var lane = queue.OpenLane(Sink, queue.LastSegmentId - 3);
        Assert.True(lane.IsOpen);

        // The sink holds a backlog batch and a live batch at once.
        var (backlog, backlogLast) = ReadBatch(queue, queue.GetCursor(Sink), 3, lane.From);
        var (live, liveLast) = ReadBatch(queue, lane.UpTo, 3);
        Assert.Equal(6, queue.HeldSegments());
        for (var n = next; n < next + 20; n++)
        {
            var batch = Batch(n);
            queue.CommitPoints(batch);
            pointsIn += batch.Count;
        }
        Assert.True(queue.GetStats().LostPoints > 0);
        Assert.Equal(6, queue.HeldSegments());

        queue.ConfirmLive(Sink, liveLast);
        queue.Confirm(Sink, backlogLast);
        var delivered = new List<TelemetryPoint>(backlog);
        delivered.AddRange(live);
        // The rest of the backlog (what was not dropped) up to the lane's start, then everything after the lane.
        var (rest, restLast) = ReadBatch(queue, backlogLast, int.MaxValue, lane.From);
        delivered.AddRange(rest);
        queue.Confirm(Sink, Math.Max(restLast, lane.From));
        Assert.False(queue.GetLane(Sink).IsOpen);

        DrainAll(queue, delivered);
        AssertExact(queue, pointsIn, delivered);
    }

    [Fact]
    public void DropOldest_PastSegmentsASinkHolds_ClosesTheOpenRangesSoNoRangeSpansADeliveredPoint()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(DropOldest(ctx));
        queue.RegisterSink(Sink, null);
        var (pointsIn, next) = FillToBudget(queue);
        // The outage: drops open a range per series.
        for (var k = 0; k < 10; k++)
        {
            var batch = Batch(next++);
            queue.CommitPoints(batch);
            pointsIn += batch.Count;
        }
        Assert.Equal(Streams.Length, queue.GetStats().OpenLossRecords);

        // The uplink returns: the sink reads the oldest segments left while the drops go on past them.
        var (inFlight, last) = ReadBatch(queue, queue.GetCursor(Sink), 3);
        for (var n = next; n < next + 10; n++)
        {
            var batch = Batch(n);
            queue.CommitPoints(batch);
            pointsIn += batch.Count;
        }
        queue.Confirm(Sink, last);
        var delivered = new List<TelemetryPoint>(inFlight);

        DrainAll(queue, delivered);
        AssertExact(queue, pointsIn, delivered);
        // One range per series before the held segments, one after.
        Assert.Equal(2 * Streams.Length, queue.ListLoss().Count(l => !l.Metric.StartsWith(DurableQueue.LossMetricPrefix, StringComparison.Ordinal)));
    }

    [Fact]
    public void DropOldest_WhenEverySegmentIsHeld_RefusesLikeBlockUntilTheSinkLetsGo()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(DropOldest(ctx));
        queue.RegisterSink(Sink, null);
        var (_, next) = FillToBudget(queue);
        QueueFullException? refused = null;
        for (var tries = 0; tries < 5 && refused is null; tries++)
        {
            // The sink holds every queued segment: nothing may be dropped, so the queue fills up and then refuses.
            ReadBatch(queue, queue.GetCursor(Sink), int.MaxValue);
            Assert.Equal(queue.GetStats().Segments, queue.HeldSegments());
            try
            {
                Assert.Equal(0, queue.CommitPoints(Batch(next)).DroppedSegments);
                next++;
            }
            catch (QueueFullException ex)
            {
                refused = ex;
            }
        }
        Assert.NotNull(refused);
        Assert.Contains("no sink is delivering", refused.Message);
        var segments = queue.GetStats().Segments;
        Assert.Equal(segments, queue.GetStats().Segments);
        Assert.Equal(0, queue.GetStats().LostPoints);

        // The send failed and the batch was let go: drop-oldest drops again.
        queue.Release(Sink);
        Assert.True(queue.CommitPoints(Batch(next)).DroppedSegments > 0);
    }

    [Fact]
    public void ReadNext_FromTheCursorAgain_ReplacesWhatTheSinkHeld()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(DropOldest(ctx));
        queue.RegisterSink(Sink, null);
        FillToBudget(queue);

        ReadBatch(queue, queue.GetCursor(Sink), 5);
        Assert.Equal(5, queue.HeldSegments());
        // A retry reads a smaller batch from the cursor: only that is held now.
        ReadBatch(queue, queue.GetCursor(Sink), 2);
        Assert.Equal(2, queue.HeldSegments());
    }
}
