using System.Buffers;
using System.Diagnostics;
using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using LiteDB;

namespace EdgeTwin.Storage;

public sealed partial class DurableQueue
{
    private void OpenAndRecover()
    {
        var watch = Stopwatch.StartNew();
        try
        {
            _files = SegmentLog.Open(SegmentFolder, _options.SegmentFileBytes);
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
            _files?.Dispose();
            var movedTo = MoveAside();
            Recovery = new RecoveryReport { MovedAsidePath = movedTo };
            Recovery.Problems.Add($"{DatabasePath} could not be opened ({ex.GetType().Name}: {ex.Message}); moved aside to {movedTo}");
            Log.MovedAside(_log, DatabasePath, ex.Message, movedTo);
            _index.Clear();
            _indexHead = 0;
            _cursors.Clear();
            Streams.Reset();
            _files = SegmentLog.Open(SegmentFolder, _options.SegmentFileBytes);
            _db.Open();
            RecoverState();
            var now = NowTicks;
            _ledger.StageClosedRecord(new LossRecord(now, "(queue)", "(all)", 0, now, 0, $"queue database unreadable, moved aside to {movedTo}: {ex.Message}"));
            _ledger.Write(_db.Loss);
            _ledger.Committed();
        }
        Recovery.Duration = watch.Elapsed;
        Log.Opened(_log, DatabasePath, _index.Count - _indexHead, _points, _bytes, Streams.Count, Dedup.SeriesCount, watch.ElapsedMilliseconds);
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

    /// <summary>Where the segment files are (<see cref="SegmentLog"/>).</summary>
    public string SegmentFolder => Path.Combine(_options.Directory, SegmentLog.FolderName);

    private void RecoverState()
    {
        var report = Recovery;
        foreach (var problem in Streams.Load(_db.Streams))
        {
            report.Problems.Add(problem);
            Log.StreamCatalogDamaged(_log, problem);
        }
        _cursors.Load();
        // Before the segment scan: a corrupt segment found there is quarantined on top of these.
        _quarantine.Load();

        // Dedup and shadow: the snapshot, then every segment committed after it.
        _snapshotUpTo = 0;
        DedupIndex? restored = null;
        try
        {
            if ((_snapshot.Read() ?? LegacySnapshot()) is var (upTo, payload))
            {
                restored = DedupIndex.ReadSnapshot(payload, _options.HistoryPerSeries, Streams.Get);
                _snapshotUpTo = upTo;
                report.SnapshotRestored = true;
            }
        }
        catch (InvalidDataException ex)
        {
            report.Problems.Add("dedup snapshot unusable: " + ex.Message);
            Log.SnapshotUnusable(_log, ex.Message);
        }
        Dedup = restored ?? new DedupIndex(_options.HistoryPerSeries);
        var replayFrom = restored is null ? 0 : _snapshotUpTo;

        _index.Clear();
        _indexHead = 0;
        _bytes = 0;
        _points = 0;
        long maxId = 0;
        if (_db.Segments.Count() > 0)
        {
            var first = _db.Segments.Min().AsInt64;
            var last = _db.Segments.Max().AsInt64;
            maxId = last;
            var points = new List<TelemetryPoint>();
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
                    var blob = _files.Read(at, id);
                    report.SegmentsChecked++;
                    if (id > replayFrom)
                    {
                        points.Clear();
                        SegmentCodec.Decode(blob, Streams.Get, points);
                        count = points.Count;
                        foreach (var p in points)
                        {
                            var series = Dedup.GetOrAdd(p.Series);
                            Dedup.Admit(series, p.TimestampTicks);
                            series.ApplyToShadow(p);
                        }
                        Dedup.Accept();
                        report.SegmentsReplayed++;
                    }
                    else
                    {
                        count = SegmentCodec.Verify(blob);
                    }
                }
                catch (InvalidDataException ex)
                {
                    Dedup.Rollback();
                    QuarantineCorruptSegment(id, doc is null ? null : LocationOf(doc), ex.Message);
                    continue;
                }
                _files.Attach(at);
                var minTicks = doc["t0"].IsInt64 ? doc["t0"].AsInt64 : 0;
                var committed = doc["at"].IsInt64 ? doc["at"].AsInt64 : 0;
                _index.Add(new SegmentInfo(id, count, at.Length, minTicks, at, committed));
                _bytes += at.Length;
                _points += count;
            }
        }
        foreach (var cut in _files.FinishRecovery()) Log.SegmentFileTrimmed(_log, cut);
        report.PointsQueued = _points;
        // Replayed segments are newer than the snapshot: until one covers them, Maintain must not consider it current.
        _commitsSinceSnapshot = report.SegmentsReplayed;

        var maxCursor = _cursors.MaxNamed();
        _lastId = Math.Max(Math.Max(maxId, _snapshotUpTo), maxCursor);
        if (_lastId == 0)
        {
            // A new queue numbers its segments from the clock (µs since the epoch), above anything a sink could
            // remember from an earlier queue in this directory; a sink's stale position can then never hide new data.
            _lastId = NowTicks / 10;
        }
        if (restored is null) _snapshotUpTo = 0;
        _lastSnapshotTicks = NowTicks;

        _ledger.Load(_db.Loss);
        _lastRecycleTicks = NowTicks;
    }

    /// <summary>
    /// A queue written before the segment files kept each segment's blob in its document ("b"): the blob moves to the
    /// segment log and the document then says where, in one committed step per segment, so an upgrade loses nothing.
    /// </summary>
    private SegmentLocation MigrateLegacySegment(long id, BsonDocument doc)
    {
        var at = _files.Append(id, doc["b"].AsBinary);
        doc.Remove("b");
        doc["f"] = at.File;
        doc["o"] = at.Offset;
        doc["l"] = at.Length;
        Durably(() => _db.Segments.Update(doc));
        return at;
    }

    /// <summary>The dedup snapshot as a queue written before <see cref="SnapshotFile"/> kept it (meta "state"), or null.</summary>
    private (long UpTo, byte[] Payload)? LegacySnapshot() =>
        _db.Meta.FindById("state") is { } state && state["b"].IsBinary && state["upTo"].IsInt64 ? (state["upTo"].AsInt64, state["b"].AsBinary) : null;

    /// <summary>Where a segment document says its blob is; a document that does not say reads as a missing file.</summary>
    private static SegmentLocation LocationOf(BsonDocument doc) =>
        doc["f"].IsInt32 && doc["o"].IsInt64 && doc["l"].IsInt32
            ? new SegmentLocation(doc["f"].AsInt32, doc["o"].AsInt64, doc["l"].AsInt32)
            : new SegmentLocation(0, SegmentLog.FrameHeaderSize, 0);

    private void QuarantineCorruptSegment(long id, SegmentLocation? at, string reason)
    {
        // Whatever bytes are there, kept for forensics (base64).
        var raw = at is { } where ? Convert.ToBase64String(_files.ReadRaw(where)) : "";
        var record = new QuarantineRecord(QuarantineReason.CorruptRecord, $"queue segment {id}: {reason}", "queue", NowTicks,
            new Reading($"queue:segment/{id}", 0, PointValue.None, Raw: raw));
        var change = default(QuarantineStore.Change);
        Durably(() =>
        {
            change = _quarantine.Write([record]);
            _db.Segments.Delete(id);
        });
        _quarantine.Apply(change);
        Recovery.CorruptSegmentsQuarantined++;
        Recovery.Problems.Add($"segment {id} quarantined: {reason}");
        Log.CorruptSegment(_log, id, reason);
    }

    /// <summary>
    /// Writes the dedup/shadow snapshot, covering every segment committed so far, to its own file. Called between
    /// commits (no admission pending), so the snapshot holds only what is durable.
    /// </summary>
    private void WriteSnapshot(long now)
    {
        if (Dedup.PendingAdmissions != 0) throw new InvalidOperationException("snapshot with uncommitted dedup admissions");
        // The shadow refers to streams by catalog id; any stream not yet in the database goes there first.
        if (Streams.HasPending)
        {
            var written = 0;
            Durably(() => written = Streams.WritePending(_db.Streams));
            Streams.PendingWritten(written);
        }
        _snapshot.Write(_lastId, now, buffer => Dedup.WriteSnapshot(buffer, Streams.GetOrAdd));
        _snapshotUpTo = _lastId;
        _lastSnapshotTicks = now;
        _commitsSinceSnapshot = 0;
        _droppedPastSnapshot = false;
    }

    /// <summary>After a drop of segments the snapshot did not cover; a failure leaves it to <see cref="Maintain"/>.</summary>
    private void TrySnapshotAfterDrop()
    {
        try
        {
            WriteSnapshot(NowTicks);
        }
        catch (Exception ex) when (ex is IOException or LiteException or UnauthorizedAccessException)
        {
            // Not retried on every commit (the disk may be what is short): the next checkpoint is due anyway.
            _droppedPastSnapshot = false;
            Log.SnapshotFailed(_log, ex.Message);
        }
    }
}
