using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Storage.Tests.Infrastructure;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

public class DurableQueueSinksTests
{
    private static readonly StreamDescriptor Pressure = Stream("line-1", "pressure");
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private static List<long> CommitSegments(DurableQueue queue, int count, int pointsEach = 5, int fromSecond = 0) =>
        Enumerable.Range(0, count).Select(i => queue.CommitPoints(Series(Pressure, fromSecond + (i * pointsEach), pointsEach)).SegmentId).ToList();

    private static List<long> QueuedIds(DurableQueue queue) => queue.ReadAll().Select(s => s.Id).ToList();

    [Fact]
    public void RegisterSink_NewSink_StartsJustBeforeTheOldestSegment()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var ids = CommitSegments(queue, 3);

        var cursor = queue.RegisterSink("kafka", recovered: null);

        Assert.Equal(ids[0] - 1, cursor);
        Assert.Equal(cursor, queue.GetCursor("kafka"));
        Assert.True(queue.ReadNext(cursor, [], out var first));
        Assert.Equal(ids[0], first);
    }

    [Fact]
    public void RegisterSink_NewSinkOnAnEmptyQueue_StartsAtTheLastIdAndSeesTheNextCommit()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();

        var cursor = queue.RegisterSink("kafka", recovered: null);

        Assert.Equal(queue.LastSegmentId, cursor);
        var id = queue.CommitPoints(Series(Pressure, 0, 1)).SegmentId;
        Assert.True(queue.ReadNext(cursor, [], out var read));
        Assert.Equal(id, read);
    }

    [Fact]
    public void RegisterSink_RecoveredPositionWithinTheQueue_MovesTheCursorForward()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var ids = CommitSegments(queue, 3);

        var cursor = queue.RegisterSink("file", recovered: ids[1]);

        Assert.Equal(ids[1], cursor);
        Assert.Equal(ids[1], queue.GetCursor("file"));
        Assert.True(queue.ReadNext(cursor, [], out var next));
        Assert.Equal(ids[2], next);
    }

    [Fact]
    public void RegisterSink_RecoveredPositionBeyondTheLastSegment_IsIgnored()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var ids = CommitSegments(queue, 3);

        var cursor = queue.RegisterSink("file", recovered: ids[2] + 1);

        Assert.Equal(ids[0] - 1, cursor);
        Assert.Equal(ids[0] - 1, queue.GetCursor("file"));
    }

    [Fact]
    public void RegisterSink_RecoveredPositionBehindTheStoredCursor_KeepsTheCursor()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var ids = CommitSegments(queue, 3);
        queue.RegisterSink("kafka", null);
        queue.Confirm("kafka", ids[1]);
        queue.Dispose();

        using var reopened = ctx.Open();
        var cursor = reopened.RegisterSink("kafka", recovered: ids[0]);

        Assert.Equal(ids[1], cursor);
    }

    [Fact]
    public void Confirm_Cursor_SurvivesReopenAndNeverMovesBackward()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var ids = CommitSegments(queue, 3);
        queue.RegisterSink("kafka", null);
        queue.Confirm("kafka", ids[1]);
        queue.Confirm("kafka", ids[0]);
        Assert.Equal(ids[1], queue.GetCursor("kafka"));
        queue.Dispose();

        using var reopened = ctx.Open();

        Assert.Equal(ids[1], reopened.RegisterSink("kafka", null));
        Assert.Equal(ids[1], reopened.GetStats().SinkCursors["kafka"]);
    }

    [Fact]
    public void Confirm_WithRejectedPoints_QuarantinesThemAndMovesTheCursor()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var ids = CommitSegments(queue, 2);
        queue.RegisterSink("kafka", null);
        var rejected = QueueDriver.Record(ctx.Clock.UtcTicks, QuarantineReason.SinkRejected, detail: "broker refused: record too large");

        queue.Confirm("kafka", ids[1], [rejected]);

        Assert.Equal(ids[1], queue.GetCursor("kafka"));
        var listed = Assert.Single(queue.ListQuarantine());
        Assert.Equal(QuarantineReason.SinkRejected, listed.Reason);
        Assert.Equal("broker refused: record too large", listed.Detail);
        Assert.Equal(1, queue.GetStats().QuarantineEntries);
    }

    [Fact]
    public void GetStats_SinkLag_CountsThePointsAfterEachSinksCursor()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var ids = CommitSegments(queue, 3, pointsEach: 4);
        queue.SetSinks(["kafka", "file"]);
        queue.RegisterSink("kafka", null);
        queue.RegisterSink("file", null);
        queue.Confirm("kafka", ids[0]);
        queue.Confirm("file", ids[2]);

        var stats = queue.GetStats();

        Assert.Equal(8, stats.SinkLagPoints["kafka"]);
        Assert.Equal(0, stats.SinkLagPoints["file"]);
    }

    [Fact]
    public void Maintain_ConfirmedByEverySink_DeletesOnlyUpToTheSlowestSink()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var ids = CommitSegments(queue, 4);
        queue.SetSinks(["kafka", "mqtt"]);
        queue.RegisterSink("kafka", null);
        queue.RegisterSink("mqtt", null);
        queue.Confirm("kafka", ids[3]);
        queue.Confirm("mqtt", ids[1]);

        queue.Maintain(force: true);

        Assert.Equal(ids[2..], QueuedIds(queue));
        var stats = queue.GetStats();
        Assert.Equal(2, stats.Segments);
        Assert.Equal(10, stats.Points);
        Assert.Equal(ids[2], stats.FirstSegmentId);
        // The slow sink reads on from where it was.
        Assert.True(queue.ReadNext(queue.GetCursor("mqtt"), [], out var next));
        Assert.Equal(ids[2], next);
    }

    [Fact]
    public void Maintain_ManySegmentsDue_DeletesOneBoundedTransactionPerCall_AndAForcedCallDeletesTheRest()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var count = DurableQueue.MaxDeletesPerTransaction * 2 + 5;
        var ids = CommitSegments(queue, count, pointsEach: 2);
        queue.SetSinks(["kafka"]);
        queue.RegisterSink("kafka", null);
        queue.Confirm("kafka", ids[^1]);
        queue.Maintain(force: true);
        Assert.Empty(QueuedIds(queue));

        // The next checkpoint interval: segments are due again, and a regular call deletes a bounded number.
        var more = CommitSegments(queue, count, pointsEach: 2, fromSecond: count * 2);
        queue.Confirm("kafka", more[^1]);
        ctx.Clock.Advance(TimeSpan.FromSeconds(11));
        queue.Maintain();
        Assert.Equal(more[DurableQueue.MaxDeletesPerTransaction..], QueuedIds(queue));
        queue.Maintain();
        Assert.Equal(more[(DurableQueue.MaxDeletesPerTransaction * 2)..], QueuedIds(queue));
        queue.Maintain();
        Assert.Empty(QueuedIds(queue));
        Assert.Equal(0, queue.GetStats().Points);
    }

    [Fact]
    public void Maintain_SinkDeclaredButNeverConfirmed_PinsEverySegment()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var ids = CommitSegments(queue, 3);
        queue.SetSinks(["kafka", "file"]);
        queue.RegisterSink("kafka", null);
        queue.Confirm("kafka", ids[2]);

        queue.Maintain(force: true);

        Assert.Equal(ids, QueuedIds(queue));
    }

    [Fact]
    public void Maintain_NoSinks_DeletesNothing()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var ids = CommitSegments(queue, 3);

        queue.Maintain(force: true);

        Assert.Equal(ids, QueuedIds(queue));
    }

    [Fact]
    public void Maintain_BeforeTheCheckpointInterval_DeletesNothingTheSnapshotDoesNotCover()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(checkpointInterval: Interval));
        var ids = CommitSegments(queue, 2);
        queue.RegisterSink("kafka", null);
        queue.Confirm("kafka", ids[1]);

        ctx.Clock.Advance(Interval - TimeSpan.FromTicks(1));
        queue.Maintain();

        Assert.Equal(ids, QueuedIds(queue));
    }

    [Fact]
    public void Maintain_AfterTheCheckpointInterval_SnapshotsAndDeletesConfirmedSegments()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(checkpointInterval: Interval));
        var ids = CommitSegments(queue, 3);
        queue.RegisterSink("kafka", null);
        queue.Confirm("kafka", ids[1]);

        ctx.Clock.Advance(Interval);
        queue.Maintain();

        Assert.Equal([ids[2]], QueuedIds(queue));
        // The snapshot now covers ids[2] too: confirming it lets the next Maintain delete it without waiting.
        queue.Confirm("kafka", ids[2]);
        queue.Maintain();
        Assert.Empty(QueuedIds(queue));
    }

    [Fact]
    public void Maintain_SegmentCommittedAfterTheSnapshot_WaitsForTheNextSnapshotOrForce()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(checkpointInterval: Interval));
        var ids = CommitSegments(queue, 1);
        queue.RegisterSink("kafka", null);
        queue.Maintain(force: true); // snapshot covers ids[0]
        var later = queue.CommitPoints(Series(Pressure, 100, 5)).SegmentId;
        queue.Confirm("kafka", later);

        queue.Maintain();
        Assert.Equal([later], QueuedIds(queue));

        queue.Maintain(force: true);
        Assert.Empty(QueuedIds(queue));
        Assert.Equal(0, queue.GetStats().Segments);
        Assert.Equal(0, queue.GetStats().Bytes);
    }

    [Fact]
    public void Maintain_DeletedSegments_StayDeletedAndDedupRemembersThemAfterReopen()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var ids = CommitSegments(queue, 3);
        queue.RegisterSink("kafka", null);
        queue.Confirm("kafka", ids[2]);
        queue.Maintain(force: true);
        queue.Dispose();

        using var reopened = ctx.Open();

        Assert.Empty(QueuedIds(reopened));
        Assert.Equal(ids[2], reopened.LastSegmentId);
        Assert.All(reopened.Probe(Series(Pressure, 0, 15)), o => Assert.Equal(DedupOutcome.Duplicate, o));
        Assert.True(reopened.CommitPoints(Series(Pressure, 15, 1)).SegmentId > ids[2]);
    }

    [Fact]
    public void Maintain_AfterReopen_DeletesConfirmedSegmentsCommittedAfterTheLastSnapshot()
    {
        // Segments replayed at open are newer than the snapshot; with no new commit, only a fresh snapshot lets them go.
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var ids = CommitSegments(queue, 3);
        queue.RegisterSink("kafka", null);
        queue.Confirm("kafka", ids[2]);
        queue.Dispose();

        using var reopened = ctx.Open();
        reopened.RegisterSink("kafka", null);
        reopened.Maintain(force: true);

        Assert.Empty(QueuedIds(reopened));
        Assert.All(reopened.Probe(Series(Pressure, 0, 15)), o => Assert.Equal(DedupOutcome.Duplicate, o));
    }

    [Fact]
    public void Maintain_WithPendingAdmissions_Throws()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        queue.Dedup.Admit(queue.Dedup.GetOrAdd(Pressure.Series), At(1));

        Assert.Throws<InvalidOperationException>(() => queue.Maintain(force: true));
    }

    [Fact]
    public void SetSinks_RemovedSink_NoLongerPinsTheQueueAndLosesItsCursor()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var ids = CommitSegments(queue, 3);
        queue.SetSinks(["kafka", "old"]);
        queue.RegisterSink("kafka", null);
        queue.RegisterSink("old", null);
        queue.Confirm("kafka", ids[2]);

        queue.SetSinks(["kafka"]);
        queue.Maintain(force: true);

        Assert.Empty(QueuedIds(queue));
        Assert.Equal(0, queue.GetCursor("old"));
        Assert.False(queue.GetStats().SinkCursors.ContainsKey("old"));
        queue.Dispose();
        using var reopened = ctx.Open();
        Assert.False(reopened.GetStats().SinkCursors.ContainsKey("old"));
    }

    [Fact]
    public void ReadNext_SegmentDeletedWhileTheSinkWasBehind_ContinuesWithTheNextOne()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var ids = CommitSegments(queue, 3);
        queue.SetSinks(["fast", "slow"]);
        queue.RegisterSink("fast", null);
        queue.RegisterSink("slow", null);
        queue.Confirm("fast", ids[2]);
        queue.Confirm("slow", ids[1]);
        queue.Maintain(force: true);

        // A sink reading from a position before the oldest remaining segment gets the oldest remaining one.
        var into = new List<TelemetryPoint>();
        Assert.True(queue.ReadNext(ids[0] - 1, into, out var id));
        Assert.Equal(ids[2], id);
        AssertSame(Series(Pressure, 10, 5), into);
    }

    [Fact]
    public async Task ReadNext_SinkRunningWhileTheWriterCommitsAndMaintains_GetsEveryPointOnceInOrder()
    {
        // The documented thread model: one writer (commit, maintain), sink threads (wait, read, confirm).
        using var ctx = new QueueContext();
        // Small segment files: the writer rolls over and deletes files while the sink reads.
        using var queue = ctx.Open(ctx.Options(segmentFileBytes: 4096));
        const int Segments = 150;
        const int PerSegment = 20;
        var start = queue.RegisterSink("kafka", null);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var sink = Task.Run(async () =>
        {
            var received = new List<TelemetryPoint>();
            var cursor = start;
            while (received.Count < Segments * PerSegment)
            {
                var batch = new List<TelemetryPoint>();
                if (!queue.ReadNext(cursor, batch, out var id))
                {
                    await queue.WaitForDataAsync(cursor, TimeSpan.FromSeconds(1), cts.Token);
                    continue;
                }
                Assert.True(id > cursor);
                received.AddRange(batch);
                queue.Confirm("kafka", id);
                cursor = id;
            }
            return received;
        }, cts.Token);
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < Segments; i++)
            {
                queue.CommitPoints(Series(Pressure, i * PerSegment, PerSegment));
                if (i % 10 == 0) queue.Maintain(force: i % 20 == 0);
            }
        }, cts.Token);

        await writer.WaitAsync(cts.Token);
        var all = await sink.WaitAsync(cts.Token);

        AssertSame(Series(Pressure, 0, Segments * PerSegment), all);
        queue.Maintain(force: true);
        Assert.Equal(0, queue.GetStats().Segments);
    }
}
