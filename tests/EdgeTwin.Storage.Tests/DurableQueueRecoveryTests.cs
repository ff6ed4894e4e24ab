using System.Buffers.Binary;
using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Storage.Tests.Infrastructure;
using LiteDB;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

public class DurableQueueRecoveryTests
{
    private static readonly StreamDescriptor Pressure = Stream("line-1", "pressure");
    private static readonly StreamDescriptor Flow = Stream("line-1", "flow");

    private static List<TelemetryPoint> Both(int fromSecond, int count) => [.. Series(Pressure, fromSecond, count), .. Series(Flow, fromSecond, count)];

    [Fact]
    public void Dedup_CommitThenCloseWithoutMaintain_SameTimestampsAreDuplicatesNewOnesNew()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        queue.CommitPoints(Both(0, 20));
        queue.CommitPoints(Both(20, 20));
        queue.Dispose();

        using var reopened = ctx.Open();

        Assert.False(reopened.Recovery.SnapshotRestored);
        Assert.Equal(2, reopened.Recovery.SegmentsReplayed);
        Assert.All(reopened.Probe(Both(0, 40)), o => Assert.Equal(DedupOutcome.Duplicate, o));
        Assert.All(reopened.Probe(Both(40, 5)), o => Assert.Equal(DedupOutcome.New, o));
        Assert.All(reopened.Probe([Number(Pressure, 10.5, 1)]), o => Assert.Equal(DedupOutcome.New, o));
    }

    [Fact]
    public void Dedup_CrashImageRightAfterCommit_SameTimestampsAreDuplicates()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        queue.CommitPoints(Both(0, 20));
        queue.CommitPoints(Both(20, 20));

        using var crashed = ctx.Open(ctx.Options(directory: ctx.CrashImage()));

        Assert.All(crashed.Probe(Both(0, 40)), o => Assert.Equal(DedupOutcome.Duplicate, o));
        Assert.All(crashed.Probe(Both(40, 5)), o => Assert.Equal(DedupOutcome.New, o));
        AssertSame(Both(0, 20).Concat(Both(20, 20)).ToList(), crashed.ReadAllPoints());
    }

    [Fact]
    public void Commit_EveryReturnedCommit_IsInACrashImageTakenAtThatInstant()
    {
        // docs/architecture.md §2.3: sources are acknowledged once Commit returns, so a kill -9 right then must keep the commit.
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        for (var i = 0; i < 10; i++)
        {
            var points = Both(i * 10, 10);
            var id = queue.CommitPoints(points, r => r.Checkpoints["mqtt:plant"] = "offset=" + i).SegmentId;

            var image = ctx.CrashImage();

            using var crashed = ctx.Open(ctx.Options(directory: image));
            Assert.Equal(id, crashed.LastSegmentId);
            Assert.Equal("offset=" + i, crashed.GetCheckpoint("mqtt:plant"));
            var into = new List<TelemetryPoint>();
            Assert.True(crashed.ReadNext(id - 1, into, out var read), $"commit {i} (segment {id}) is not in the crash image");
            Assert.Equal(id, read);
            AssertSame(points, into);
        }
    }

    [Fact]
    public void Dedup_SnapshotThenMoreCommits_SurvivesReopenFromSnapshotPlusReplay()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var first = queue.CommitPoints(Both(0, 20)).SegmentId;
        queue.RegisterSink("kafka", null);
        queue.Confirm("kafka", first);
        queue.Maintain(force: true); // snapshot covers the first segment, which is then deleted
        Assert.Equal(0, queue.GetStats().Segments);
        queue.CommitPoints(Both(20, 20));
        queue.CommitPoints([Number(Pressure, 5.5, 1)]); // out of order, new
        queue.Dispose();

        using var reopened = ctx.Open();

        Assert.True(reopened.Recovery.SnapshotRestored);
        Assert.Equal(2, reopened.Recovery.SegmentsReplayed);
        Assert.Equal(2, reopened.Recovery.SegmentsChecked);
        Assert.Equal(41, reopened.Recovery.PointsQueued);
        Assert.All(reopened.Probe(Both(0, 40)), o => Assert.Equal(DedupOutcome.Duplicate, o));
        Assert.Equal([DedupOutcome.Duplicate], reopened.Probe([Number(Pressure, 5.5, 1)]));
        Assert.All(reopened.Probe(Both(40, 3)), o => Assert.Equal(DedupOutcome.New, o));
    }

    [Fact]
    public void Dedup_SnapshotThenCrashImage_SurvivesFromSnapshotPlusReplay()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        queue.CommitPoints(Both(0, 20));
        queue.Maintain(force: true);
        queue.CommitPoints(Both(20, 20));

        using var crashed = ctx.Open(ctx.Options(directory: ctx.CrashImage()));

        Assert.True(crashed.Recovery.SnapshotRestored);
        Assert.All(crashed.Probe(Both(0, 40)), o => Assert.Equal(DedupOutcome.Duplicate, o));
        Assert.All(crashed.Probe(Both(40, 3)), o => Assert.Equal(DedupOutcome.New, o));
    }

    [Fact]
    public void Dedup_RefusedCommitThenReopen_RedeliveryIsNew()
    {
        using var ctx = new QueueContext();
        var options = ctx.Options(maxBytes: 2000);
        var queue = ctx.Open(options);
        queue.CommitPoints(Both(0, 5));
        var refused = Both(100, 200);
        Assert.Throws<QueueFullException>(() => queue.CommitPoints(refused));
        Assert.All(queue.Probe(refused), o => Assert.Equal(DedupOutcome.New, o));
        queue.Dispose();

        using var reopened = ctx.Open(options);

        Assert.All(reopened.Probe(refused), o => Assert.Equal(DedupOutcome.New, o));
        Assert.All(reopened.Probe(Both(0, 5)), o => Assert.Equal(DedupOutcome.Duplicate, o));
    }

    [Fact]
    public void Open_UnusableSnapshot_RebuildsDedupFromTheQueuedSegmentsAndSaysSo()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        queue.CommitPoints(Both(0, 10));
        queue.Maintain(force: true);
        queue.CommitPoints(Both(10, 10));
        queue.Dispose();
        Assert.True(File.Exists(ctx.SnapshotPath));
        QueueContext.FlipByte(ctx.SnapshotPath, new FileInfo(ctx.SnapshotPath).Length - 3, 0x10);

        using var reopened = ctx.Open();

        Assert.False(reopened.Recovery.SnapshotRestored);
        Assert.Contains(reopened.Recovery.Problems, p => p.Contains("dedup snapshot unusable", StringComparison.Ordinal));
        Assert.Equal(2, reopened.Recovery.SegmentsReplayed);
        Assert.All(reopened.Probe(Both(0, 20)), o => Assert.Equal(DedupOutcome.Duplicate, o));
        // The next forced maintenance writes a good snapshot again.
        reopened.Maintain(force: true);
        reopened.Dispose();
        using var again = ctx.Open();
        Assert.True(again.Recovery.SnapshotRestored);
        Assert.Equal(0, again.Recovery.SegmentsReplayed);
    }

    [Theory]
    [InlineData(false)] // no snapshot: every segment is decoded and replayed at open
    [InlineData(true)] // snapshot covers every segment: only verified at open
    public void Open_FlippedPayloadByteInOneSegment_QuarantinesThatSegmentAndKeepsTheOthers(bool snapshot)
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        // Segment i holds 10 + i points, so its header says which segment a blob in the file is.
        var batches = Enumerable.Range(0, 3).Select(i => Series(Pressure, i * 100, 10 + i)).ToList();
        var ids = batches.Select(b => queue.CommitPoints(b).SegmentId).ToList();
        if (snapshot) queue.Maintain(force: true);
        queue.Dispose();
        var headers = ctx.FindSegmentHeaders();
        Assert.Equal(3, headers.Count);
        var (file, at) = headers[1];
        var bytes = File.ReadAllBytes(file);
        var victim = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4)) - 10;
        bytes[at + SegmentCodec.HeaderSize + 5] ^= 0x40;
        File.WriteAllBytes(file, bytes);

        var reopened = ctx.Open();

        Assert.Equal(1, reopened.Recovery.CorruptSegmentsQuarantined);
        Assert.Null(reopened.Recovery.MovedAsidePath);
        Assert.Contains(reopened.Recovery.Problems, p => p.Contains($"segment {ids[victim]}", StringComparison.Ordinal));
        var survivors = Enumerable.Range(0, 3).Where(i => i != victim).ToList();
        var read = reopened.ReadAll();
        Assert.Equal(survivors.Select(i => ids[i]), read.Select(s => s.Id));
        for (var k = 0; k < survivors.Count; k++) AssertSame(batches[survivors[k]], read[k].Points);
        var record = Assert.Single(reopened.ListQuarantine(reason: QuarantineReason.CorruptRecord));
        Assert.Contains($"queue segment {ids[victim]}", record.Detail);
        Assert.Contains("CRC", record.Detail);
        Assert.Equal($"queue:segment/{ids[victim]}", record.Reading.Address);
        var blobLength = SegmentCodec.HeaderSize + (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8));
        Assert.Equal(Convert.ToBase64String(bytes.AsSpan(at, blobLength)), record.Reading.Raw); // the corrupt bytes, kept for forensics
        Assert.Equal(1, reopened.GetStats().QuarantineEntries);
        Assert.Equal(2, reopened.GetStats().Segments);

        // Quarantined once: the next open finds a clean queue, and the entry is still listed.
        reopened.Dispose();
        using var again = ctx.Open();
        Assert.Equal(0, again.Recovery.CorruptSegmentsQuarantined);
        Assert.Single(again.ListQuarantine(reason: QuarantineReason.CorruptRecord));
        Assert.Equal(survivors.Select(i => ids[i]), again.ReadAll().Select(s => s.Id));
    }

    [Fact]
    public void Open_GarbageDatabaseFile_MovesItAsideRecordsTheLossAndStartsAnEmptyQueue()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var lastOld = queue.CommitPoints(Both(0, 10)).SegmentId;
        queue.Dispose();
        var garbage = new byte[3 * 8192]; // whole pages: LiteDB's failed open trims a partial last page before the move
        new Random(99).NextBytes(garbage);
        File.WriteAllBytes(ctx.DatabasePath, garbage);

        ctx.Clock.Advance(TimeSpan.FromHours(1));
        var reopened = ctx.Open();

        var moved = reopened.Recovery.MovedAsidePath;
        Assert.NotNull(moved);
        Assert.Equal(Path.Combine(ctx.Directory, "corrupt"), Path.GetDirectoryName(moved));
        Assert.True(File.Exists(moved));
        Assert.Equal(garbage, File.ReadAllBytes(moved));
        Assert.NotEmpty(reopened.Recovery.Problems);
        var loss = Assert.Single(reopened.ListLoss());
        Assert.Contains("moved aside", loss.Reason);
        Assert.Contains(moved, loss.Reason);
        Assert.Equal(1, reopened.GetStats().LossRecords);
        Assert.Equal(0, reopened.GetStats().Segments);

        var id = reopened.CommitPoints(Both(0, 10)).SegmentId; // nothing of the old queue is remembered
        Assert.True(id > lastOld, "a segment id of the new queue repeats one of the moved-aside queue");
        AssertSame(Both(0, 10), reopened.ReadAllPoints());
        reopened.Dispose();
        using var again = ctx.Open();
        Assert.Null(again.Recovery.MovedAsidePath);
        Assert.Empty(again.Recovery.Problems);
        AssertSame(Both(0, 10), again.ReadAllPoints());
        Assert.Single(again.ListLoss());
    }

    [Fact]
    public void Open_ZeroedDatabaseWithAGarbageLog_StartsAWorkingQueue()
    {
        using var ctx = new QueueContext();
        ctx.Open().Dispose();
        File.WriteAllBytes(ctx.DatabasePath, new byte[8192 * 2]);
        File.WriteAllBytes(ctx.LogPath, [1, 2, 3]);

        var reopened = ctx.Open();

        Assert.NotNull(reopened.Recovery.MovedAsidePath);
        Assert.Contains("moved aside", Assert.Single(reopened.ListLoss()).Reason);
        reopened.CommitPoints(Both(0, 3));
        reopened.Dispose();
        using var again = ctx.Open();
        Assert.Null(again.Recovery.MovedAsidePath);
        AssertSame(Both(0, 3), again.ReadAllPoints());
    }

    [Fact]
    public void Open_DamagedDatabasePageMovedAside_StillPersistsTheStreamsOfNewCommits()
    {
        // A damaged LiteDB page fails the open after the stream catalog was loaded; the new database must not inherit
        // the old numbering, or its segments would refer to streams it never stored and read back as corrupt.
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        for (var i = 0; i < 3; i++) queue.CommitPoints(Both(i * 10, 10));
        queue.Dispose();
        var bytes = File.ReadAllBytes(ctx.DatabasePath);
        // A data page holding segment documents: BSON element "t0" (type 0x12, int64) is a field of every one.
        var page = bytes.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x12, (byte)'t', (byte)'0', 0]) / 8192 * 8192;
        Assert.True(page > 0, "no segment document found in queue.db");
        bytes[page + 4] ^= 0xFF; // its page-type byte
        File.WriteAllBytes(ctx.DatabasePath, bytes);

        var moved = ctx.Open();
        Assert.NotNull(moved.Recovery.MovedAsidePath);
        moved.CommitPoints(Both(100, 10));
        moved.Dispose();

        using var reopened = ctx.Open();
        Assert.Equal(0, reopened.Recovery.CorruptSegmentsQuarantined);
        Assert.Empty(reopened.ListQuarantine());
        AssertSame(Both(100, 10), reopened.ReadAllPoints());
    }

    [Fact]
    public void Open_QuarantinedCorruptSegment_CountsTowardTheQuarantineByteBound()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        queue.CommitPoints(Series(Pressure, 0, 200));
        queue.Dispose();
        var (file, at) = Assert.Single(ctx.FindSegmentHeaders());
        QueueContext.FlipByte(file, at + SegmentCodec.HeaderSize + 7, 0x01);

        // The entry keeps the whole segment (base64, ~3 KB of text): over a 1 KB bound it is evicted, as any entry would be.
        using var reopened = ctx.Open(ctx.Options(quarantineMaxBytes: 1024));
        Assert.Equal(1, reopened.Recovery.CorruptSegmentsQuarantined);
        reopened.Maintain();

        Assert.Empty(reopened.ListQuarantine());
        Assert.StartsWith("quarantine_evicted", Assert.Single(reopened.ListLoss()).Reason);
    }

    [Fact]
    public void Open_CorruptSegmentQuarantinedAtOpen_AddsToTheQuarantineBytesAlreadyStored()
    {
        using var ctx = new QueueContext();
        var entry = QueueDriver.Record(ctx.Clock.UtcTicks, padding: 500);
        var queue = ctx.Open();
        queue.CommitPoints([Number(Pressure, 1, 1)], r => r.Quarantine.AddRange([entry, entry, entry]));
        queue.Dispose();
        var (file, at) = Assert.Single(ctx.FindSegmentHeaders());
        QueueContext.FlipByte(file, at + SegmentCodec.HeaderSize + 2, 0x01);

        // The three stored entries exactly fill the bound; the corrupt segment's entry tips it over by its own size.
        using var reopened = ctx.Open(ctx.Options(quarantineMaxBytes: 3L * entry.ApproximateBytes));
        Assert.Equal(1, reopened.Recovery.CorruptSegmentsQuarantined);
        Assert.Equal(4, reopened.GetStats().QuarantineEntries);
        reopened.Maintain();

        var left = reopened.ListQuarantine();
        Assert.Equal(3, left.Count);
        Assert.Equal(QuarantineReason.CorruptRecord, left[^1].Reason);
        Assert.Equal(1, Assert.Single(reopened.ListLoss()).Count);
    }
}
