using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Storage.Tests.Infrastructure;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

/// <summary>A sink's live lane: segments delivered ahead of its cursor, skipped by the drain and passed when it reaches them.</summary>
public class DurableQueueLaneTests
{
    private static readonly StreamDescriptor Pressure = Stream("line-1", "pressure");

    /// <summary>Commits <paramref name="count"/> segments of 5 points, one second of the queue's clock apart.</summary>
    private static List<long> CommitSegments(QueueContext ctx, DurableQueue queue, int count, int fromSecond = 0) =>
        Enumerable.Range(0, count).Select(i =>
        {
            ctx.Clock.Advance(TimeSpan.FromSeconds(1));
            return queue.CommitPoints(Series(Pressure, fromSecond + (i * 5), 5)).SegmentId;
        }).ToList();

    [Fact]
    public void Confirm_ReachingTheLane_MovesTheCursorPastWhatTheLaneDeliveredAndClosesIt()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var ids = CommitSegments(ctx, queue, 6);
        queue.RegisterSink("kafka", null);

        var lane = queue.OpenLane("kafka", ids[2]);
        Assert.Equal(new SinkLane(ids[2], ids[2]), lane);
        queue.ConfirmLive("kafka", ids[4]);
        Assert.Equal(new SinkLane(ids[2], ids[4]), queue.GetLane("kafka"));

        // The backlog drains from the cursor up to the lane's start, and no further.
        var read = new List<long>();
        for (var at = queue.GetCursor("kafka"); queue.ReadNext(at, ids[2], [], out var id); at = id) read.Add(id);
        Assert.Equal(ids[..3], read);

        queue.Confirm("kafka", ids[1]);
        Assert.Equal(ids[1], queue.GetCursor("kafka"));
        Assert.True(queue.GetLane("kafka").IsOpen);
        queue.Confirm("kafka", ids[2]);

        Assert.Equal(ids[4], queue.GetCursor("kafka"));
        Assert.False(queue.GetLane("kafka").IsOpen);
        Assert.True(queue.ReadNext(queue.GetCursor("kafka"), [], out var next));
        Assert.Equal(ids[5], next);
    }

    [Fact]
    public void Lane_SurvivesReopen_SoACrashRepeatsNothingTheLaneConfirmed()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var ids = CommitSegments(ctx, queue, 5);
        queue.RegisterSink("kafka", null);
        queue.OpenLane("kafka", ids[1]);
        queue.ConfirmLive("kafka", ids[3]);
        queue.Confirm("kafka", ids[0]);
        queue.Dispose();

        using var reopened = ctx.Open();

        Assert.Equal(ids[0], reopened.RegisterSink("kafka", null));
        Assert.Equal(new SinkLane(ids[1], ids[3]), reopened.GetLane("kafka"));
        reopened.Confirm("kafka", ids[1]);
        Assert.Equal(ids[3], reopened.GetCursor("kafka"));
    }

    [Fact]
    public void OpenLane_WithoutBacklogBeforeIt_OpensNothing_AndAnOpenLaneIsKept()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var ids = CommitSegments(ctx, queue, 4);
        queue.RegisterSink("kafka", null);
        queue.Confirm("kafka", ids[1]);

        Assert.False(queue.OpenLane("kafka", ids[1]).IsOpen);
        var lane = queue.OpenLane("kafka", ids[2]);
        Assert.Equal(lane, queue.OpenLane("kafka", ids[3]));
    }

    [Fact]
    public void GetStats_SinkLag_LeavesOutWhatTheLaneDelivered()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var ids = CommitSegments(ctx, queue, 5);
        queue.RegisterSink("kafka", null);
        queue.OpenLane("kafka", ids[1]);
        queue.ConfirmLive("kafka", ids[3]);

        // Segments 0 and 1 (backlog) and 4 (not yet sent): 3 segments of 5 points.
        Assert.Equal(15, queue.GetStats().SinkLagPoints["kafka"]);
        Assert.Equal(10, queue.PointsBetween(queue.GetCursor("kafka"), ids[1]));
    }

    [Fact]
    public void ConfirmLive_WithRejectedPoints_QuarantinesThem()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var ids = CommitSegments(ctx, queue, 3);
        queue.RegisterSink("kafka", null);
        queue.OpenLane("kafka", ids[0]);

        queue.ConfirmLive("kafka", ids[2], [QueueDriver.Record(ctx.Clock.UtcTicks, QuarantineReason.SinkRejected, detail: "too large")]);

        Assert.Equal("too large", Assert.Single(queue.ListQuarantine()).Detail);
        Assert.Equal(ids[2], queue.GetLane("kafka").UpTo);
    }

    [Fact]
    public void PeekNext_And_NewestCommittedBy_TellWhenSegmentsWereCommitted()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var start = ctx.Clock.UtcTicks;
        var ids = CommitSegments(ctx, queue, 4);

        Assert.True(queue.PeekNext(ids[0], out var id, out var committed));
        Assert.Equal(ids[1], id);
        Assert.Equal(start + TimeSpan.FromSeconds(2).Ticks, committed);
        Assert.Equal(ids[2], queue.NewestCommittedBy(start + TimeSpan.FromSeconds(3.5).Ticks));
        Assert.Equal(0, queue.NewestCommittedBy(start));
        Assert.False(queue.PeekNext(ids[3], out _, out _));
    }

    [Fact]
    public void SetSinks_ForgetsTheLaneOfARemovedSink()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var ids = CommitSegments(ctx, queue, 3);
        queue.RegisterSink("kafka", null);
        queue.OpenLane("kafka", ids[1]);
        queue.SetSinks(["file"]);
        queue.Dispose();

        using var reopened = ctx.Open();

        Assert.False(reopened.GetLane("kafka").IsOpen);
    }
}
