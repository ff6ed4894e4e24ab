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
            OpenDatabase();
            RecoverState();
        }
        catch (Exception ex) when (ex is not (IOException or UnauthorizedAccessException or QueueLockedException or OutOfMemoryException))
        {
            // Only a file LiteDB (or our integrity check) cannot make sense of lands here. An I/O error — a full
            // disk, a file still held — says nothing about the data: it propagates and the caller retries.
            // The file is unreadable as a database (torn header, garbage pages). Crash-looping would help no one:
            // keep the file for forensics, start an empty queue, and say so loudly and in the loss ledger.
            CloseDatabase();
            var movedTo = MoveAside();
            Recovery = new RecoveryReport { MovedAsidePath = movedTo };
            Recovery.Problems.Add($"{DatabasePath} could not be opened ({ex.GetType().Name}: {ex.Message}); moved aside to {movedTo}");
            Log.MovedAside(_log, DatabasePath, ex.Message, movedTo);
            _index.Clear();
            _indexHead = 0;
            _cursors.Clear();
            Streams.Reset();
            OpenDatabase();
            RecoverState();
            var now = NowTicks;
            _loss.Insert(LossToDoc(new LossRecord(now, "(queue)", "(all)", 0, now, 0, $"queue database unreadable, moved aside to {movedTo}: {ex.Message}")));
            _lossRecords++;
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
        File.Move(DatabasePath, target, overwrite: true);
        if (File.Exists(LogPath)) File.Move(LogPath, Path.Combine(folder, $"queue-{stamp}-log.db"), overwrite: true);
        return target;
    }

    private void OpenDatabase()
    {
        // We open the files ourselves, unbuffered, so that we can always close them: after an I/O error (a full
        // disk) LiteDB's engine stays faulted and its own Dispose may leave its files open, which would make the
        // reopen that recovers from the error impossible. LiteDB still fsyncs them (FileStream.Flush(true)).
        _dataStream = OpenFile(DatabasePath);
        _logStream = OpenFile(LogPath);
        _db = new LiteDatabase(_dataStream, null, _logStream);
        _segments = _db.GetCollection("segments", BsonAutoId.Int64);
        _streams = _db.GetCollection("streams", BsonAutoId.Int32);
        _cursorDocs = _db.GetCollection("cursors", BsonAutoId.ObjectId);
        _meta = _db.GetCollection("meta", BsonAutoId.ObjectId);
        _quarantine = _db.GetCollection("quarantine", BsonAutoId.Int64);
        _loss = _db.GetCollection("loss", BsonAutoId.Int64);
    }

    private string LogPath => Path.Combine(_options.Directory, "queue-log.db");

    private static FileStream OpenFile(string path) =>
        new(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0, FileOptions.RandomAccess);

    /// <summary>Closes the database and, whatever LiteDB managed, our file handles.</summary>
    private void CloseDatabase()
    {
        try { _db?.Dispose(); } catch (Exception ex) when (ex is LiteException or IOException or ObjectDisposedException or InvalidOperationException) { }
        try { _logStream?.Dispose(); } catch (IOException) { }
        try { _dataStream?.Dispose(); } catch (IOException) { }
        _db = null!;
        _logStream = null;
        _dataStream = null;
    }

    private FileStream? _dataStream;
    private FileStream? _logStream;

    private void RecoverState()
    {
        var report = Recovery;
        Streams.Load(_streams);
        foreach (var doc in _cursorDocs.FindAll()) _cursors[doc["_id"].AsString] = doc["seg"].AsInt64;
        // Before the segment scan: a corrupt segment found there is quarantined on top of these.
        _quarantineCount = _quarantine.Count();
        var qmeta = _meta.FindById("quarantine");
        _quarantineBytes = qmeta is null ? 0 : qmeta["bytes"].AsInt64;

        // Dedup and shadow: the snapshot, then every segment committed after it.
        _snapshotUpTo = 0;
        var state = _meta.FindById("state");
        DedupIndex? restored = null;
        if (state is not null)
        {
            try
            {
                restored = DedupIndex.ReadSnapshot(state["b"].AsBinary, _options.HistoryPerSeries, Streams.Get);
                _snapshotUpTo = state["upTo"].AsInt64;
                report.SnapshotRestored = true;
            }
            catch (InvalidDataException ex)
            {
                report.Problems.Add("dedup snapshot unusable: " + ex.Message);
                Log.SnapshotUnusable(_log, ex.Message);
            }
        }
        Dedup = restored ?? new DedupIndex(_options.HistoryPerSeries);
        var replayFrom = restored is null ? 0 : _snapshotUpTo;

        _index.Clear();
        _indexHead = 0;
        _bytes = 0;
        _points = 0;
        long maxId = 0;
        if (_segments.Count() > 0)
        {
            var first = _segments.Min().AsInt64;
            var last = _segments.Max().AsInt64;
            maxId = last;
            var points = new List<TelemetryPoint>();
            for (var id = first; id <= last; id++)
            {
                BsonDocument? doc;
                byte[] blob;
                int count;
                try
                {
                    doc = _segments.FindById(id);
                    if (doc is null) continue;
                    blob = doc["b"].AsBinary ?? throw new InvalidDataException("segment document has no blob");
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
                    QuarantineCorruptSegment(id, ex.Message);
                    continue;
                }
                var minTicks = doc["t0"].IsInt64 ? doc["t0"].AsInt64 : 0;
                _index.Add(new SegmentInfo(id, count, blob.Length, minTicks));
                _bytes += blob.Length;
                _points += count;
            }
        }
        report.PointsQueued = _points;
        // Replayed segments are newer than the snapshot: until one covers them, Maintain must not consider it current.
        _commitsSinceSnapshot = report.SegmentsReplayed;

        var maxCursor = _cursors.Count == 0 ? 0 : _cursors.Values.Max();
        _lastId = Math.Max(Math.Max(maxId, _snapshotUpTo), maxCursor);
        if (_lastId == 0)
        {
            // A new queue numbers its segments from the clock (µs since the epoch), above anything a sink could
            // remember from an earlier queue in this directory; a sink's stale position can then never hide new data.
            _lastId = NowTicks / 10;
        }
        if (restored is null) _snapshotUpTo = 0;
        _lastSnapshotTicks = NowTicks;

        _lossRecords = 0;
        _lostPoints = 0;
        foreach (var l in _loss.FindAll())
        {
            _lossRecords++;
            _lostPoints += l["n"].AsInt64;
        }
        _lastQuarantineSweepTicks = 0;
        _lastRecycleTicks = NowTicks;
    }

    private void QuarantineCorruptSegment(long id, string reason)
    {
        string raw;
        try
        {
            var doc = _segments.FindById(id);
            raw = doc?["b"].IsBinary == true ? Convert.ToBase64String(doc["b"].AsBinary) : "";
        }
        catch (LiteException)
        {
            raw = "";
        }
        var record = new QuarantineRecord(QuarantineReason.CorruptRecord, $"queue segment {id}: {reason}", "queue", NowTicks,
            new Reading($"queue:segment/{id}", 0, PointValue.None, Raw: raw));
        var bytes = _quarantineBytes + record.ApproximateBytes;
        _db.BeginTrans();
        try
        {
            _quarantine.Insert(QuarantineToDoc(record));
            WriteQuarantineBytes(bytes);
            _segments.Delete(id);
            _db.Commit();
        }
        catch
        {
            TryRollback();
            throw;
        }
        _quarantineCount++;
        _quarantineBytes = bytes;
        Recovery.CorruptSegmentsQuarantined++;
        Recovery.Problems.Add($"segment {id} quarantined: {reason}");
        Log.CorruptSegment(_log, id, reason);
    }

    /// <summary>
    /// Writes the dedup/shadow snapshot inside the caller's transaction. Returns how many pending streams it wrote with
    /// it; the caller marks them written (<see cref="StreamCatalog.PendingWritten"/>) only once the transaction commits.
    /// </summary>
    private int WriteSnapshot(long upTo)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(4096, Dedup.SeriesCount * 128));
        Dedup.WriteSnapshot(buffer, Streams.GetOrAdd);
        // Streams first seen by the shadow are already in the catalog; any new ones go in the same transaction.
        var written = Streams.WritePending(_streams);
        _meta.Upsert(new BsonDocument { ["_id"] = "state", ["upTo"] = upTo, ["b"] = buffer.WrittenSpan.ToArray(), ["at"] = NowTicks });
        return written;
    }
}
