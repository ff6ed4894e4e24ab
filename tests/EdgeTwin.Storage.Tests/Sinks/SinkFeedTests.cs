using EdgeTwin.Core.Telemetry;
using EdgeTwin.Storage.Tests.Infrastructure;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests.Sinks;

/// <summary>A sink's delivery interface: what comes next (queue order, or live lane first and the backlog behind it), and what confirming does.</summary>
public sealed class SinkFeedTests
{
    private static readonly StreamDescriptor Pressure = Stream("line-1", "pressure");

    private sealed class RecordedEvents : ISinkLaneEvents
    {
        public List<string> Lines { get; } = [];

        public void LaneOpened(long backlogPoints, TimeSpan oldestWaited, long laneFrom, double? rateLimit) =>
            Lines.Add($"opened {backlogPoints} from {laneFrom} waited {oldestWaited.TotalSeconds} s");

        public void Draining(long backlogPoints) => Lines.Add($"draining {backlogPoints}");

        public void LaneClosed(long replayedPoints, TimeSpan took, long cursor) => Lines.Add($"closed {replayedPoints} at {cursor}");
    }

    private static List<long> CommitSegments(QueueContext ctx, DurableQueue queue, int count, int fromSecond) =>
        Enumerable.Range(0, count).Select(i =>
        {
            ctx.Clock.Advance(TimeSpan.FromSeconds(1));
            return queue.CommitPoints(Series(Pressure, fromSecond + (i * 5), 5)).SegmentId;
        }).ToList();

    [Fact]
    public async Task Feed_WithoutLanePolicy_HandsOutInQueueOrderAndConfirmMovesTheCursor()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var ids = CommitSegments(ctx, queue, 3, 0);
        var feed = queue.FeedFor("file", null, ctx.Clock);
        feed.Resume(null);

        var points = new List<TelemetryPoint>();
        var delivery = await feed.NextAsync(points, 1000, CancellationToken.None);

        Assert.Equal(new SinkDelivery(ids[0], ids[2], 15, SinkLaneKind.Ordered, false), delivery);
        Assert.False(delivery!.Value.MayTurnLate);
        Assert.Equal(15, points.Count);
        Assert.Equal(3, queue.HeldSegments());
        feed.Confirm(delivery.Value, null);
        Assert.Equal(ids[2], queue.GetCursor("file"));
        Assert.Equal(0, queue.HeldSegments());
    }

    [Fact]
    public async Task Feed_BehindTheThreshold_SendsTheFreshSegmentFirstThenTheBacklogFlaggedReplayed()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var backlog = CommitSegments(ctx, queue, 3, 0);
        ctx.Clock.Advance(TimeSpan.FromSeconds(10));
        var fresh = CommitSegments(ctx, queue, 1, 100)[0];
        var events = new RecordedEvents();
        var feed = queue.FeedFor("kafka", new SinkLanePolicy(true, TimeSpan.FromSeconds(2), 0), ctx.Clock, events);
        feed.Resume(null);
        var points = new List<TelemetryPoint>();

        var live = await feed.NextAsync(points, 1000, CancellationToken.None);
        Assert.Equal(new SinkDelivery(fresh, fresh, 5, SinkLaneKind.Live, false) { MayTurnLate = true }, live);
        Assert.Equal([$"opened 15 from {backlog[2]} waited 13 s"], events.Lines);
        feed.Confirm(live!.Value, null);
        Assert.Equal(new SinkLane(backlog[2], fresh), queue.GetLane("kafka"));

        var replay = await feed.NextAsync(points, 1000, CancellationToken.None);
        Assert.Equal(new SinkDelivery(backlog[0], backlog[2], 15, SinkLaneKind.Backlog, true), replay);
        feed.Confirm(replay!.Value, null);

        Assert.Equal($"closed 15 at {fresh}", events.Lines[^1]);
        Assert.Equal(fresh, queue.GetCursor("kafka"));
        Assert.False(queue.GetLane("kafka").IsOpen);
    }

    [Fact]
    public void Queue_OnAStorageFailure_ThrowsItsOwnExceptionSayingWhatFailedAndWhere()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        queue.Dispose();

        var ex = Assert.Throws<StorageException>(() => queue.ListQuarantine());

        Assert.Equal("listing the quarantine", ex.Operation);
        Assert.Equal(ctx.Directory, ex.Where);
        Assert.NotNull(ex.InnerException);
        Assert.StartsWith($"listing the quarantine failed in {ctx.Directory}: ", ex.Message);
    }
}
