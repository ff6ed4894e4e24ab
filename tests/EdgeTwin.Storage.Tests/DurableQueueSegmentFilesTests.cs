using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Storage.Tests.Infrastructure;
using LiteDB;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

/// <summary>The segment files beside the database: roll-over, deletion, and what a crash or damage leaves in them.</summary>
public class DurableQueueSegmentFilesTests
{
    private static readonly StreamDescriptor Pressure = Stream("line-1", "pressure");

    private static string[] SegmentFiles(QueueContext ctx) =>
        Directory.GetFiles(ctx.SegmentFolder, "*.seg").Order(StringComparer.Ordinal).ToArray();

    private static List<long> CommitMany(DurableQueue queue, int segments, int perSegment = 50)
    {
        var ids = new List<long>();
        for (var i = 0; i < segments; i++) ids.Add(queue.CommitPoints(Series(Pressure, i * perSegment, perSegment)).SegmentId);
        return ids;
    }

    [Fact]
    public void Commit_PastTheFileSize_RollsOverToNewFilesAndReadsAcrossThem()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(segmentFileBytes: 2048));

        var ids = CommitMany(queue, 20);

        Assert.True(SegmentFiles(ctx).Length >= 5, $"expected several files, found {SegmentFiles(ctx).Length}");
        Assert.All(SegmentFiles(ctx), f => Assert.True(new FileInfo(f).Length <= 2048 + 1024, $"{f} is {new FileInfo(f).Length} bytes"));
        var read = queue.ReadAll();
        Assert.Equal(ids, read.Select(s => s.Id));
        AssertSame(Series(Pressure, 0, 20 * 50), read.SelectMany(s => s.Points).ToList());
        Assert.Equal(SegmentFiles(ctx).Sum(f => new FileInfo(f).Length), queue.GetStats().Bytes + (20 * SegmentLog.FrameHeaderSize));
    }

    [Fact]
    public void Maintain_EverySegmentOfAFileConfirmed_DeletesThatFileOnly()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(segmentFileBytes: 2048));
        queue.SetSinks(["north"]);
        queue.RegisterSink("north", null);
        var ids = CommitMany(queue, 20);
        var before = SegmentFiles(ctx);

        queue.Confirm("north", ids[9]);
        queue.Maintain(force: true);

        var after = SegmentFiles(ctx);
        Assert.True(after.Length < before.Length, "no file was deleted");
        Assert.Equal(before[^after.Length..], after); // the oldest went, the newest stayed
        var read = queue.ReadAll(ids[9]);
        Assert.Equal(ids[10..], read.Select(s => s.Id));

        queue.Confirm("north", ids[^1]);
        queue.Maintain(force: true);
        Assert.True(SegmentFiles(ctx).Length <= 1, "files of confirmed segments remain");
        Assert.Equal(0, queue.GetStats().Segments);
    }

    [Fact]
    public void Open_BytesAfterTheLastCommittedSegment_CutsThemAndKeepsEverySegment()
    {
        // An append is fsync'd before the transaction that records it: a crash in between leaves bytes nothing names.
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var ids = CommitMany(queue, 3);
        queue.Dispose();
        var last = SegmentFiles(ctx)[^1];
        var length = new FileInfo(last).Length;
        using (var tail = new FileStream(last, FileMode.Append)) tail.Write(new byte[777]);

        var reopened = ctx.Open();

        Assert.Equal(length, new FileInfo(last).Length);
        Assert.Empty(reopened.Recovery.Problems);
        Assert.Equal(ids, reopened.ReadAll().Select(s => s.Id));
        var next = reopened.CommitPoints(Series(Pressure, 1000, 5)).SegmentId;
        reopened.Dispose();
        using var again = ctx.Open();
        Assert.Equal([.. ids, next], again.ReadAll().Select(s => s.Id));
    }

    [Fact]
    public void Open_SegmentFileNoCommittedSegmentNames_IsDeleted()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        CommitMany(queue, 2);
        queue.Dispose();
        var stray = Path.Combine(ctx.SegmentFolder, SegmentLog.FileName(999));
        File.WriteAllBytes(stray, new byte[100]);

        using var reopened = ctx.Open();

        Assert.False(File.Exists(stray));
        Assert.Equal(2, reopened.ReadAll().Count);
    }

    [Fact]
    public void Dispose_EverySegmentConfirmed_LeavesNothingForTheNextOpenToRecover()
    {
        // The active file outlives its last segment while the queue runs; a clean close deletes it, a crash cannot.
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        queue.SetSinks(["north"]);
        queue.RegisterSink("north", null);
        var ids = CommitMany(queue, 3);
        queue.Confirm("north", ids[^1]);
        queue.Maintain(force: true);
        Assert.Single(SegmentFiles(ctx)); // the active file, no segment left in it
        var crashed = ctx.CrashImage();

        queue.Dispose();

        Assert.Empty(SegmentFiles(ctx));
        var clean = new RecordingLogger();
        using (var reopened = DurableQueue.Open(ctx.Options(), clean, ctx.Clock))
        {
            Assert.Equal(0, reopened.GetStats().Segments);
        }
        Assert.DoesNotContain(clean.Lines, l => l.Contains("Queue recovery", StringComparison.Ordinal));

        // The same state left by a kill -9 still has the file, and recovery says what it deleted.
        var afterCrash = new RecordingLogger();
        using (var recovered = DurableQueue.Open(ctx.Options(directory: crashed), afterCrash, ctx.Clock))
        {
            Assert.Equal(0, recovered.GetStats().Segments);
        }
        Assert.Contains(afterCrash.Lines, l => l.Contains("Queue recovery", StringComparison.Ordinal) && l.Contains("no committed segment refers to", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(Path.Combine(crashed, "segments"), "*.seg"));
    }

    [Fact]
    public void Dispose_QueueWithUnconfirmedSegments_KeepsThemAndTheNextOpenReadsThemAll()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open(ctx.Options(segmentFileBytes: 2048));
        queue.SetSinks(["north"]);
        queue.RegisterSink("north", null);
        var ids = CommitMany(queue, 20);
        queue.Confirm("north", ids[4]);
        queue.Maintain(force: true);

        queue.Dispose();

        var log = new RecordingLogger();
        using var reopened = DurableQueue.Open(ctx.Options(segmentFileBytes: 2048), log, ctx.Clock);
        reopened.RegisterSink("north", null);
        Assert.Equal(ids[5..], reopened.ReadAll(ids[4]).Select(s => s.Id));
        Assert.DoesNotContain(log.Lines, l => l.Contains("Queue recovery", StringComparison.Ordinal));
    }

    /// <summary>Keeps every formatted log line.</summary>
    private sealed class RecordingLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }

    [Fact]
    public void Open_MissingSegmentFile_QuarantinesItsSegmentsSaysWhichFileAndKeepsTheRest()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open(ctx.Options(segmentFileBytes: 2048));
        var ids = CommitMany(queue, 20);
        queue.Dispose();
        var files = SegmentFiles(ctx);
        File.Delete(files[1]);

        using var reopened = ctx.Open(ctx.Options(segmentFileBytes: 2048));

        var lost = reopened.Recovery.CorruptSegmentsQuarantined;
        Assert.True(lost >= 1);
        var entries = reopened.ListQuarantine(reason: QuarantineReason.CorruptRecord);
        Assert.Equal(lost, entries.Count);
        Assert.All(entries, e => Assert.Contains($"{Path.GetFileName(files[1])} is missing", e.Detail));
        var kept = reopened.ReadAll().Select(s => s.Id).ToList();
        Assert.Equal(ids.Count - lost, kept.Count);
        Assert.Equal(kept.Order(), kept);
        Assert.Contains(ids[0], kept);
        Assert.Contains(ids[^1], kept);
    }

    [Fact]
    public void Open_SegmentFileCutShort_QuarantinesTheSegmentsBeyondItsEnd()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var ids = CommitMany(queue, 4);
        queue.Dispose();
        var file = Assert.Single(SegmentFiles(ctx));
        var headers = ctx.FindSegmentHeaders();
        using (var stream = new FileStream(file, FileMode.Open)) stream.SetLength(headers[2].Offset + 10);

        using var reopened = ctx.Open();

        Assert.Equal(2, reopened.Recovery.CorruptSegmentsQuarantined);
        Assert.Equal(ids[..2], reopened.ReadAll().Select(s => s.Id));
        Assert.All(reopened.ListQuarantine(), e => Assert.Contains("bytes", e.Detail));
    }

    [Fact]
    public void ReadNext_FrameHeaderDamagedWhileRunning_QuarantinesThatSegmentWithTheByteOffset()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var ids = CommitMany(queue, 3);
        var (file, blobAt) = ctx.FindSegmentHeaders()[1];
        var frameAt = blobAt - SegmentLog.FrameHeaderSize;
        // The frame's segment id (bytes 8-15), rewritten in place: what a misdirected write would leave.
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.Position = frameAt + 9;
            stream.WriteByte(0x5A);
        }

        var read = queue.ReadAll();

        Assert.Equal([ids[0], ids[2]], read.Select(s => s.Id));
        var entry = Assert.Single(queue.ListQuarantine(reason: QuarantineReason.CorruptRecord));
        Assert.Contains($"queue segment {ids[1]}", entry.Detail);
        Assert.Contains($"byte offset {frameAt + 16}", entry.Detail); // the header CRC no longer matches
    }

    [Fact]
    public void Open_QueueWrittenBeforeSegmentFiles_MovesEveryBlobIntoTheSegmentLogAndLosesNothing()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var ids = CommitMany(queue, 3);
        queue.Maintain(force: true);
        queue.Dispose();
        // Rewrite it in the earlier layout: each blob in its segment document, the snapshot in meta "state", no files.
        using (var db = new LiteDatabase(new ConnectionString { Filename = ctx.DatabasePath, Connection = ConnectionType.Direct }))
        {
            var segments = db.GetCollection("segments");
            foreach (var doc in segments.FindAll().ToList())
            {
                var file = Path.Combine(ctx.SegmentFolder, SegmentLog.FileName(doc["f"].AsInt32));
                var blob = File.ReadAllBytes(file).AsSpan((int)doc["o"].AsInt64, doc["l"].AsInt32).ToArray();
                doc.Remove("f");
                doc.Remove("o");
                doc.Remove("l");
                doc["b"] = blob;
                segments.Update(doc);
            }
            var snapshot = File.ReadAllBytes(ctx.SnapshotPath);
            db.GetCollection("meta").Upsert(new BsonDocument { ["_id"] = "state", ["upTo"] = BitConverter.ToInt64(snapshot, 4), ["b"] = snapshot[32..] });
        }
        Directory.Delete(ctx.SegmentFolder, recursive: true);
        File.Delete(ctx.SnapshotPath);

        var reopened = ctx.Open();

        Assert.Equal(0, reopened.Recovery.CorruptSegmentsQuarantined);
        Assert.True(reopened.Recovery.SnapshotRestored);
        Assert.Equal(ids, reopened.ReadAll().Select(s => s.Id));
        AssertSame(Series(Pressure, 0, 150), reopened.ReadAllPoints());
        // The snapshot came across too: the last segment's timestamps (within the 64-deep history) are known.
        Assert.All(reopened.Probe(Series(Pressure, 100, 50)), o => Assert.Equal(DedupOutcome.Duplicate, o));
        Assert.NotEmpty(SegmentFiles(ctx));
        // Migrated once: the next open reads the segment files.
        reopened.Dispose();
        using var again = ctx.Open();
        Assert.Equal(0, again.Recovery.CorruptSegmentsQuarantined);
        AssertSame(Series(Pressure, 0, 150), again.ReadAllPoints());
    }

    [Fact]
    public void Open_LeftoverSnapshotTempFile_IsIgnored()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        queue.CommitPoints(Series(Pressure, 0, 10));
        queue.Maintain(force: true);
        queue.Dispose();
        File.WriteAllBytes(ctx.SnapshotPath + ".tmp", [1, 2, 3]); // a crash in the middle of the next snapshot

        using var reopened = ctx.Open();

        Assert.True(reopened.Recovery.SnapshotRestored);
        Assert.Empty(reopened.Recovery.Problems);
        Assert.All(reopened.Probe(Series(Pressure, 0, 10)), o => Assert.Equal(DedupOutcome.Duplicate, o));
    }

    [Fact]
    public void DropOldest_ByteBudget_DeletesTheDroppedFilesAndRecordsTheLoss()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(maxBytes: 8 * 1024, policy: QueueFullPolicy.DropOldest, segmentFileBytes: 1024));

        CommitMany(queue, 60);

        var stats = queue.GetStats();
        Assert.True(stats.Bytes <= 8 * 1024, $"{stats.Bytes} bytes queued");
        Assert.True(stats.LostPoints > 0);
        var onDisk = SegmentFiles(ctx).Sum(f => new FileInfo(f).Length);
        Assert.True(onDisk <= (8 * 1024) + 2048, $"segment files hold {onDisk} bytes for a budget of 8 KiB");
        // Every point is either still queued or accounted as lost (loss events themselves are queued points).
        var queued = queue.ReadAllPoints().Count(p => !p.Stream.Metric.StartsWith(DurableQueue.LossMetricPrefix, StringComparison.Ordinal));
        Assert.Equal(60 * 50, queued + queue.ListLoss().Where(l => l.Metric == "pressure").Sum(l => l.Count));
    }
}
