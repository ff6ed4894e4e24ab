using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Storage.Tests.Infrastructure;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

public class DurableQueueTests
{
    private static readonly StreamDescriptor Pressure = Stream("line-1", "pressure");
    private static readonly StreamDescriptor Flow = Stream("line-1", "flow");
    private static readonly StreamDescriptor Mode = Stream("line-2", "mode");

    [Fact]
    public void Commit_ThenReadNext_ReturnsTheSamePointsInOrder()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var points = new List<TelemetryPoint>
        {
            Number(Pressure, 3, 1.5),
            Number(Flow, 1, -0.0),
            new(Mode, At(2), PointValue.FromString("auto ✓"), Quality.Uncertain, 0x40000000),
            new(Mode, At(1), PointValue.FromBoolean(true), Quality.Bad, 0x80000000),
            Number(Pressure, 2, double.MaxValue),
        };

        var result = queue.CommitPoints(points);

        var into = new List<TelemetryPoint>();
        Assert.True(queue.ReadNext(result.SegmentId - 1, into, out var id));
        Assert.Equal(result.SegmentId, id);
        AssertSame(points, into);
    }

    [Fact]
    public void ReadNext_AfterReopen_DecodesTheSamePointsFromTheSegmentFile()
    {
        using var ctx = new QueueContext();
        var first = ctx.Open();
        var points = Series(Pressure, 0, 100).Concat(Series(Flow, 50, 100)).ToList();
        var committed = first.CommitPoints(points);
        first.Dispose();
        using var queue = ctx.Open();

        var read = new List<TelemetryPoint>();
        Assert.True(queue.ReadNext(committed.SegmentId - 1, read, out _));
        AssertSame(points, read);
    }

    [Fact]
    public void ReadNext_DecodesTheSamePointsFromTheSegmentFile()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var points = Series(Pressure, 0, 100).Concat(Series(Flow, 50, 100)).ToList();

        var result = queue.CommitPoints(points);

        var into = new List<TelemetryPoint>();
        Assert.True(queue.ReadNext(result.SegmentId - 1, into, out _));
        AssertSame(points, into);
    }

    [Fact]
    public void ReadNext_AppendsToWhatTheListAlreadyHolds()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var result = queue.CommitPoints(Series(Pressure, 0, 3));
        var into = new List<TelemetryPoint> { Number(Flow, 99, 99) };

        Assert.True(queue.ReadNext(result.SegmentId - 1, into, out _));

        Assert.Equal(4, into.Count);
        Assert.Equal(Flow, into[0].Stream);
    }

    [Fact]
    public void Commit_SeveralTimes_GivesStrictlyIncreasingSegmentIdsThatReadNextWalksInOrder()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();

        var ids = Enumerable.Range(0, 5).Select(i => queue.CommitPoints(Series(Pressure, i * 10, 10)).SegmentId).ToList();

        Assert.Equal(ids.OrderBy(x => x), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(ids[^1], queue.LastSegmentId);
        var read = queue.ReadAll(ids[0] - 1);
        Assert.Equal(ids, read.Select(s => s.Id));
        AssertSame(Series(Pressure, 0, 50), read.SelectMany(s => s.Points).ToList());
    }

    [Fact]
    public void Commit_FirstSegmentOfANewQueue_IsNumberedFromTheClock()
    {
        // A new queue starts from the clock (µs since 0001), so a sink's position from an older queue cannot hide new data.
        using var ctx = new QueueContext();
        using var queue = ctx.Open();

        var id = queue.CommitPoints(Series(Pressure, 0, 1)).SegmentId;

        Assert.Equal(ctx.Clock.UtcTicks / 10 + 1, id);
    }

    [Fact]
    public void ReadNext_AfterTheLastSegment_ReturnsFalseAndAddsNothing()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var into = new List<TelemetryPoint>();
        Assert.False(queue.ReadNext(0, into, out var none));
        Assert.Equal(0, none);

        var id = queue.CommitPoints(Series(Pressure, 0, 3)).SegmentId;

        Assert.False(queue.ReadNext(id, into, out var after));
        Assert.Equal(0, after);
        Assert.Empty(into);
        Assert.False(queue.ReadNext(id + 1000, into, out _));
    }

    [Fact]
    public void Commit_WithoutPoints_WritesNoSegment()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var before = queue.LastSegmentId;
        var request = new CommitRequest();
        request.Checkpoints["opcua:plc-1"] = "seq=7";

        var result = queue.Commit(request);

        Assert.Equal(0, result.SegmentId);
        Assert.Equal(before, queue.LastSegmentId);
        Assert.Equal(0, queue.GetStats().Segments);
        Assert.False(queue.ReadNext(0, [], out _));
    }

    [Fact]
    public void Commit_AllDuplicates_WritesNoSegmentAndKeepsTheFirstCopy()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var first = queue.CommitPoints(Series(Pressure, 0, 3));

        var again = queue.CommitPoints(Series(Pressure, 0, 3));

        Assert.Equal(0, again.SegmentId);
        Assert.Equal(first.SegmentId, queue.LastSegmentId);
        Assert.Equal(3, queue.GetStats().Points);
    }

    [Fact]
    public async Task WaitForDataAsync_CommitWhileWaiting_WakesTheWaiter()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var last = queue.LastSegmentId;

        var wait = queue.WaitForDataAsync(last, Timeout.InfiniteTimeSpan, CancellationToken.None);
        Assert.False(wait.IsCompleted, "the waiter returned before any data was committed");

        var id = queue.CommitPoints(Series(Pressure, 0, 1)).SegmentId;

        await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(queue.LastSegmentId > last);
        Assert.True(queue.ReadNext(last, [], out var read));
        Assert.Equal(id, read);
    }

    [Fact]
    public async Task WaitForDataAsync_DataAlreadyThere_ReturnsAtOnce()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var id = queue.CommitPoints(Series(Pressure, 0, 1)).SegmentId;

        await queue.WaitForDataAsync(id - 1, Timeout.InfiniteTimeSpan, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task WaitForDataAsync_NoCommit_EndsAtItsTimeoutOrCancellation()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();

        await queue.WaitForDataAsync(queue.LastSegmentId, TimeSpan.FromMilliseconds(1), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        using var cts = new CancellationTokenSource();
        var wait = queue.WaitForDataAsync(queue.LastSegmentId, Timeout.InfiniteTimeSpan, cts.Token);
        Assert.False(wait.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Open_SecondTimeOnTheSameDirectory_ThrowsQueueLocked()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();

        var ex = Assert.Throws<QueueLockedException>(() => ctx.Open());

        Assert.Contains(ctx.Directory, ex.Message);
    }

    [Fact]
    public void Open_AfterTheHolderDisposed_Succeeds()
    {
        using var ctx = new QueueContext();
        var first = ctx.Open();
        first.CommitPoints(Series(Pressure, 0, 2));
        first.Dispose();

        using var second = ctx.Open();

        Assert.Equal(2, second.GetStats().Points);
    }

    [Fact]
    public void Checkpoint_LastCommittedValue_IsReturnedAndSurvivesReopen()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        Assert.Null(queue.GetCheckpoint("mqtt:plant"));

        queue.CommitPoints(Series(Pressure, 0, 1), r => r.Checkpoints["mqtt:plant"] = "offset=1");
        queue.CommitPoints(Series(Pressure, 1, 1), r => { r.Checkpoints["mqtt:plant"] = "offset=2"; r.Checkpoints["opcua:plc"] = "seq=9"; });
        var onlyCheckpoint = new CommitRequest();
        onlyCheckpoint.Checkpoints["opcua:plc"] = "seq=10";
        queue.Commit(onlyCheckpoint);

        Assert.Equal("offset=2", queue.GetCheckpoint("mqtt:plant"));
        Assert.Equal("seq=10", queue.GetCheckpoint("opcua:plc"));
        queue.Dispose();
        using var reopened = ctx.Open();
        Assert.Equal("offset=2", reopened.GetCheckpoint("mqtt:plant"));
        Assert.Equal("seq=10", reopened.GetCheckpoint("opcua:plc"));
        Assert.Null(reopened.GetCheckpoint("other"));
    }

    [Fact]
    public void Shadow_PointsArrivingOutOfOrder_HoldsTheNewestByTimestamp()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();

        queue.CommitPoints([Number(Pressure, 5, 50), Number(Pressure, 9, 90), Number(Pressure, 7, 70)]);
        queue.CommitPoints([Number(Pressure, 8, 80), Number(Pressure, 1, 10)]);

        Assert.True(queue.Dedup.TryGet(Pressure.Series, out var state));
        var latest = Assert.NotNull(state!.Latest);
        Assert.Equal(At(9), latest.TimestampTicks);
        Assert.Equal(90, latest.Value.Number);
        Assert.Equal(Pressure, latest.Stream);
    }

    [Fact]
    public void Shadow_AfterReopenWithoutSnapshot_HoldsTheNewestByTimestamp()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        queue.CommitPoints([Number(Pressure, 9, 90, Quality.Uncertain, 0x40000000), Number(Flow, 2, 2)]);
        queue.CommitPoints([Number(Pressure, 3, 30), Number(Flow, 4, 4)]);
        queue.Dispose();

        using var reopened = ctx.Open();

        AssertLatest(reopened, Pressure, Number(Pressure, 9, 90, Quality.Uncertain, 0x40000000));
        AssertLatest(reopened, Flow, Number(Flow, 4, 4));
    }

    [Fact]
    public void Shadow_AfterReopenFromSnapshotAndReplay_HoldsTheNewestByTimestamp()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        queue.CommitPoints([Number(Pressure, 9, 90), Number(Flow, 2, 2)]);
        queue.Maintain(force: true); // snapshot: pressure@9, flow@2
        queue.CommitPoints([Number(Pressure, 3, 30), Number(Flow, 4, 4), new TelemetryPoint(Mode, At(1), PointValue.FromString("run"), Quality.Good, 0)]);
        queue.Dispose();

        using var reopened = ctx.Open();

        Assert.True(reopened.Recovery.SnapshotRestored);
        Assert.Equal(1, reopened.Recovery.SegmentsReplayed);
        AssertLatest(reopened, Pressure, Number(Pressure, 9, 90));
        AssertLatest(reopened, Flow, Number(Flow, 4, 4));
        AssertLatest(reopened, Mode, new TelemetryPoint(Mode, At(1), PointValue.FromString("run"), Quality.Good, 0));
    }

    [Fact]
    public void Shadow_FailedCommit_IsNotUpdated()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(maxBytes: 1000));
        queue.CommitPoints([Number(Pressure, 1, 10)]);

        Assert.Throws<QueueFullException>(() => queue.CommitPoints(Series(Pressure, 100, 200)));

        AssertLatest(queue, Pressure, Number(Pressure, 1, 10));
    }

    [Fact]
    public void GetStats_AfterCommits_CountsSegmentsPointsBytesAndSeries()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var first = queue.CommitPoints(Series(Pressure, 0, 10));
        queue.CommitPoints(Series(Flow, 0, 5));

        var stats = queue.GetStats();

        Assert.Equal(2, stats.Segments);
        Assert.Equal(15, stats.Points);
        Assert.True(stats.Bytes > 15 * 10, $"bytes {stats.Bytes}");
        Assert.Equal(first.SegmentId, stats.FirstSegmentId);
        Assert.Equal(queue.LastSegmentId, stats.LastSegmentId);
        Assert.Equal(At(0), stats.OldestPointTicks);
        Assert.Equal(2, stats.Series);
        Assert.Equal(2, stats.Streams);
        Assert.False(stats.Full);
    }

    [Fact]
    public void Reopen_InPlace_KeepsSegmentsDedupAndCursors()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var a = queue.CommitPoints(Series(Pressure, 0, 3)).SegmentId;
        queue.CommitPoints(Series(Pressure, 3, 3));
        queue.RegisterSink("kafka", null);
        queue.Confirm("kafka", a);

        queue.Reopen();

        Assert.Equal(6, queue.GetStats().Points);
        Assert.Equal(a, queue.GetCursor("kafka"));
        Assert.All(queue.Probe(Series(Pressure, 0, 6)), o => Assert.Equal(DedupOutcome.Duplicate, o));
        var id = queue.CommitPoints(Series(Pressure, 6, 1)).SegmentId;
        Assert.Equal(a + 2, id);
        AssertSame(Series(Pressure, 3, 4), queue.ReadAllPoints(a));
    }

    private static void AssertLatest(DurableQueue queue, StreamDescriptor stream, TelemetryPoint expected)
    {
        Assert.True(queue.Dedup.TryGet(stream.Series, out var state), $"no dedup state for {stream.Series}");
        var latest = Assert.NotNull(state!.Latest);
        AssertSame(expected, latest);
    }
}
