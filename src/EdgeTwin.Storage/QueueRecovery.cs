using System.Diagnostics;
using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;
using LiteDB;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Storage;

/// <summary>
/// What the queue does at open (and at a reopen after a storage error): opens the segment files and the database,
/// loads the catalog, cursors, quarantine and ledger, restores the dedup state from the snapshot and the segments after
/// it, checks every segment and quarantines the corrupt ones; a database that cannot be read is moved aside.
/// </summary>
internal sealed class QueueRecovery(QueueOptions options, ILogger log, TimeProvider time, QueueDatabase db, SnapshotFile snapshot,
    SegmentStore store, SinkCursors cursors, QuarantineStore quarantine, LossLedger ledger)
{
    private readonly QueueOptions _options = options;
    private readonly ILogger _log = log;
    private readonly TimeProvider _time = time;
    private readonly QueueDatabase _db = db;
    private readonly SnapshotFile _snapshot = snapshot;
    private readonly SegmentStore _store = store;
    private readonly SinkCursors _cursors = cursors;
    private readonly QuarantineStore _quarantine = quarantine;
    private readonly LossLedger _ledger = ledger;

    private StreamCatalog Streams => _store.Streams;

    private long NowTicks => _time.GetUtcNow().UtcTicks;

    private string DatabasePath => _db.DataPath;

    /// <summary>Where the segment files are (<see cref="SegmentLog"/>).</summary>
    public string SegmentFolder => Path.Combine(_options.Directory, SegmentLog.FolderName);

    public void OpenAndRecover()
    {
        var watch = Stopwatch.StartNew();
        try
        {
            _store.Files = SegmentLog.Open(SegmentFolder, _options.SegmentFileBytes);
            _db.Open();
            RecoverState();
        }
        catch (Exception ex) when (ex is not (IOException or UnauthorizedAccessException or QueueLockedException or OutOfMemoryException))
        {
            // Only a file LiteDB (or our integrity check) cannot make sense of lands here. An I/O error — a full
            // disk, a file still held — says nothing about the data: it propagates and the caller retries.
            // The file is unreadable as a database (torn header, garbage pages). Crash-looping would help no one:
            // keep the file for forensics, start an empty queue, and say so loudly and in the loss ledger.
            _db.Close();
            _store.Files?.Dispose();
            var movedTo = MoveAside();
            _store.Report = new RecoveryReport { MovedAsidePath = movedTo };
            _store.Report.Problems.Add($"{DatabasePath} could not be opened ({ex.GetType().Name}: {ex.Message}); moved aside to {movedTo}");
            Log.MovedAside(_log, DatabasePath, ex.Message, movedTo);
            _store.Index.Clear();
            _store.IndexHead = 0;
            _cursors.Clear();
            Streams.Reset();
            _store.Files = SegmentLog.Open(SegmentFolder, _options.SegmentFileBytes);
            _db.Open();
            RecoverState();
            var now = NowTicks;
            _ledger.StageClosedRecord(new LossRecord(now, "(queue)", "(all)", 0, now, 0, $"queue database unreadable, moved aside to {movedTo}: {ex.Message}"));
            _ledger.Write(_db.Loss);
            _ledger.Committed();
        }
        _store.Report.Duration = watch.Elapsed;
        Log.Opened(_log, DatabasePath, _store.Count, _store.Points, _store.Bytes, Streams.Count, _store.Dedup.SeriesCount, watch.ElapsedMilliseconds);
    }

    private string MoveAside()
    {
        var folder = Path.Combine(_options.Directory, "corrupt");
        System.IO.Directory.CreateDirectory(folder);
        var stamp = new DateTime(NowTicks, DateTimeKind.Utc).ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var target = Path.Combine(folder, $"queue-{stamp}.db");
        if (File.Exists(DatabasePath)) File.Move(DatabasePath, target, overwrite: true);
        if (File.Exists(_db.LogPath)) File.Move(_db.LogPath, Path.Combine(folder, $"queue-{stamp}-log.db"), overwrite: true);
        // The segment files and the snapshot mean nothing without the database that says what they hold.
        if (System.IO.Directory.Exists(SegmentFolder)) System.IO.Directory.Move(SegmentFolder, Path.Combine(folder, $"segments-{stamp}"));
        if (File.Exists(_snapshot.Path)) File.Move(_snapshot.Path, Path.Combine(folder, $"{SnapshotFile.FileName}-{stamp}"), overwrite: true);
        return target;
    }

    private void RecoverState()
    {
        var report = _store.Report;
        foreach (var problem in Streams.Load(_db.Streams))
        {
            report.Problems.Add(problem);
            Log.StreamCatalogDamaged(_log, problem);
        }
        _cursors.Load();
        // Before the segment scan: a corrupt segment found there is quarantined on top of these.
        _quarantine.Load();

        // Dedup and shadow: the snapshot, then every segment committed after it.
        _store.SnapshotUpTo = 0;
        DedupIndex? restored = null;
        try
        {
            if ((_snapshot.Open() ?? LegacySnapshot()) is var (upTo, payload, length))
            {
                using (payload) restored = DedupIndex.ReadSnapshot(payload, length, _options.HistoryPerSeries, Streams.Get, ExpectedInMemory, _options.RecentPoints);
                _store.SnapshotUpTo = upTo;
                report.SnapshotRestored = true;
            }
        }
        catch (InvalidDataException ex)
        {
            report.Problems.Add("dedup snapshot unusable: " + ex.Message);
            Log.SnapshotUnusable(_log, ex.Message);
        }
        var dedup = _store.Dedup = restored ?? NewIndex();
        _store.Spill.Reset();
        dedup.AttachSpill(_store.Spill);
        var replayFrom = restored is null ? 0 : _store.SnapshotUpTo;
        // The budget holds through the recovery too: a snapshot written under a larger budget, and the series the
        // replay brings back or adds, leave memory as they would between commits (their records durable first).
        KeepSeriesWithinBudget();

        var files = _store.Files;
        var index = _store.Index;
        index.Clear();
        _store.IndexHead = 0;
        _store.Bytes = 0;
        _store.Points = 0;
        long maxId = 0;
        if (_db.Segments.Count() > 0)
        {
            var first = _db.Segments.Min().AsInt64;
            var last = _db.Segments.Max().AsInt64;
            maxId = last;
            var points = new List<TelemetryPoint>();
            var states = new List<SeriesState>();
            for (var id = first; id <= last; id++)
            {
                BsonDocument? doc = null;
                SegmentLocation at;
                int count;
                try
                {
                    doc = _db.Segments.FindById(id);
                    if (doc is null) continue;
                    at = doc["b"].IsBinary ? MigrateLegacySegment(id, doc) : LocationOf(doc);
                    var blob = files.Read(at, id);
                    report.SegmentsChecked++;
                    if (id > replayFrom)
                    {
                        points.Clear();
                        SegmentCodec.Decode(blob, Streams.Get, points);
                        count = points.Count;
                        states.Clear();
                        foreach (var p in points)
                        {
                            var series = dedup.GetOrAdd(p.Stream);
                            dedup.Admit(series, p.TimestampTicks);
                            series.ApplyToShadow(p);
                            if (dedup.Recent is not null) states.Add(series);
                        }
                        dedup.Accept();
                        // As a commit does: the segment's points, each by its series' form once all are admitted.
                        for (var i = 0; i < states.Count; i++) dedup.Committed(states[i], points[i]);
                        report.SegmentsReplayed++;
                    }
                    else
                    {
                        count = SegmentCodec.Verify(blob);
                    }
                }
                catch (InvalidDataException ex)
                {
                    dedup.Rollback();
                    _store.QuarantineCorruptSegment(id, doc is null ? null : LocationOf(doc), ex.Message);
                    continue;
                }
                files.Attach(at);
                var minTicks = doc["t0"].IsInt64 ? doc["t0"].AsInt64 : 0;
                var committed = doc["at"].IsInt64 ? doc["at"].AsInt64 : 0;
                index.Add(new SegmentInfo(id, count, at.Length, minTicks, at, committed));
                _store.Bytes += at.Length;
                _store.Points += count;
                KeepSeriesWithinBudget();
            }
        }
        foreach (var cut in files.FinishRecovery()) Log.SegmentFileTrimmed(_log, cut);
        report.PointsQueued = _store.Points;
        // Replayed segments are newer than the snapshot: until one covers them, Maintain must not consider it current.
        _store.CommitsSinceSnapshot = report.SegmentsReplayed;

        var maxCursor = _cursors.MaxNamed();
        _store.LastId = Math.Max(Math.Max(maxId, _store.SnapshotUpTo), maxCursor);
        if (_store.LastId == 0)
        {
            // A new queue numbers its segments from the clock (µs since the epoch), above anything a sink could
            // remember from an earlier queue in this directory; a sink's stale position can then never hide new data.
            _store.LastId = NowTicks / 10;
        }
        if (restored is null) _store.SnapshotUpTo = 0;
        _store.LastSnapshotTicks = NowTicks;

        _ledger.Load(_db.Loss);
        // Recovery read the stream catalog, the segment index and the rest through LiteDB's page cache, which keeps every
        // page it read until the engine closes (a million streams' catalog is tens of MB): the daemon starts on a fresh one.
        _db.Close();
        _db.Open();
        _store.LastRecycleTicks = NowTicks;
    }

    /// <summary>The series the index is sized for at open: those expected, as far as the budget holds them.</summary>
    private int ExpectedInMemory => (int)Math.Min(_options.ExpectedSeries, _options.SeriesMemoryBytes / DedupIndex.StateBytes);

    private DedupIndex NewIndex()
    {
        var index = new DedupIndex(_options.HistoryPerSeries, _options.RecentPoints);
        index.EnsureCapacity(ExpectedInMemory);
        return index;
    }

    private void KeepSeriesWithinBudget()
    {
        if (_store.Dedup.EstimatedBytes > _options.SeriesMemoryBytes) _store.Report.SeriesEvicted += _store.EvictSeries();
    }

    /// <summary>
    /// A queue written before the segment files kept each segment's blob in its document ("b"): the blob moves to the
    /// segment log and the document then says where, in one committed step per segment, so an upgrade loses nothing.
    /// </summary>
    private SegmentLocation MigrateLegacySegment(long id, BsonDocument doc)
    {
        var at = _store.Files.Append(id, doc["b"].AsBinary);
        doc.Remove("b");
        doc["f"] = at.File;
        doc["o"] = at.Offset;
        doc["l"] = at.Length;
        _db.Durably(() => _db.Segments.Update(doc));
        return at;
    }

    /// <summary>The dedup snapshot as a queue written before <see cref="SnapshotFile"/> kept it (meta "state"), or null.</summary>
    private (long UpTo, Stream Payload, long Length)? LegacySnapshot() =>
        _db.Meta.FindById("state") is { } state && state["b"].IsBinary && state["upTo"].IsInt64
            ? (state["upTo"].AsInt64, new MemoryStream(state["b"].AsBinary, writable: false), state["b"].AsBinary.LongLength)
            : null;

    /// <summary>Where a segment document says its blob is; a document that does not say reads as a missing file.</summary>
    private static SegmentLocation LocationOf(BsonDocument doc) =>
        doc["f"].IsInt32 && doc["o"].IsInt64 && doc["l"].IsInt32
            ? new SegmentLocation(doc["f"].AsInt32, doc["o"].AsInt64, doc["l"].AsInt32)
            : new SegmentLocation(0, SegmentLog.FrameHeaderSize, 0);
}
