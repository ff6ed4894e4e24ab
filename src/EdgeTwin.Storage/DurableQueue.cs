using System.Buffers;
using System.Diagnostics;
using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using LiteDB;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Storage;

/// <summary>
/// The persistent store-and-forward queue on LiteDB (design.md §2.3–2.4). One database file holds:
/// <list type="bullet">
/// <item><c>segments</c>: points in group-committed segments, ids strictly increasing;</item>
/// <item><c>streams</c>: the stream catalog the segments refer to;</item>
/// <item><c>cursors</c>: per sink, the last segment it confirmed;</item>
/// <item><c>meta</c>: the dedup/shadow snapshot and the sources' checkpoints;</item>
/// <item><c>quarantine</c> and <c>loss</c>: the quarantine store and the loss ledger.</item>
/// </list>
/// A commit writes a segment, its new streams, its quarantined readings and the sources' checkpoints in one
/// transaction, then checkpoints it into the data file (LiteDB's own commit returns before its log is written), so
/// what a commit returned is on disk. The dedup state is recovered from the last snapshot plus the segments
/// committed after it, and a segment newer than the snapshot is never deleted, so dedup survives any crash.
/// <para>Thread model: one writer (the pipeline thread) calls <see cref="Commit"/> and <see cref="Maintain"/>;
/// sink threads call <see cref="ReadNext"/> and <see cref="Confirm"/>.</para>
/// </summary>
public sealed partial class DurableQueue : IDisposable
{
    public const string DatabaseFileName = "queue.db";
    private const string LockFileName = "queue.lock";

    private readonly QueueOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly FileStream _lockFile;
    private readonly ArrayBufferWriter<byte> _blob = new(1 << 20);
    private readonly List<SegmentInfo> _index = [];
    private int _indexHead;
    private readonly Dictionary<string, long> _cursors = new(StringComparer.Ordinal);
    private readonly HashSet<string> _sinks = new(StringComparer.Ordinal);
    private readonly Dictionary<long, byte[]> _recent = [];
    private long _recentBytes;
    private readonly Queue<long> _recentOrder = new();
    private readonly SemaphoreSlim _dataSignal = new(0, int.MaxValue);
    private int _waiters;

    private LiteDatabase _db = null!;
    private ILiteCollection<BsonDocument> _segments = null!;
    private ILiteCollection<BsonDocument> _streams = null!;
    private ILiteCollection<BsonDocument> _cursorDocs = null!;
    private ILiteCollection<BsonDocument> _meta = null!;
    private ILiteCollection<BsonDocument> _quarantine = null!;
    private ILiteCollection<BsonDocument> _loss = null!;

    private long _bytes;
    private long _points;
    private long _lastId;
    private long _snapshotUpTo;
    private long _lastSnapshotTicks;
    private long _commitsSinceSnapshot;
    private long _quarantineCount;
    private long _quarantineBytes;
    private long _lossRecords;
    private long _lostPoints;
    private long _lastQuarantineSweepTicks;
    private bool _full;

    private DurableQueue(QueueOptions options, ILogger log, TimeProvider time, FileStream lockFile)
    {
        _options = options;
        _log = log;
        _time = time;
        _lockFile = lockFile;
        Streams = new StreamCatalog();
        Dedup = new DedupIndex(options.HistoryPerSeries);
    }

    public string DatabasePath => Path.Combine(_options.Directory, DatabaseFileName);

    public QueueOptions Options => _options;

    /// <summary>The dedup index and digital shadow, restored at open. Mutated only by the writer thread.</summary>
    public DedupIndex Dedup { get; private set; }

    public StreamCatalog Streams { get; }

    public RecoveryReport Recovery { get; private set; } = new();

    public long LastSegmentId { get { lock (_gate) return _lastId; } }

    public bool IsFull { get { lock (_gate) return _full; } }

    /// <summary>Opens (or creates) the queue in <see cref="QueueOptions.Directory"/> and runs the integrity check.</summary>
    /// <exception cref="QueueLockedException">Another process holds the queue.</exception>
    public static DurableQueue Open(QueueOptions options, ILogger log, TimeProvider? time = null)
    {
        System.IO.Directory.CreateDirectory(options.Directory);
        var lockPath = Path.Combine(options.Directory, LockFileName);
        FileStream lockFile;
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix: one daemon per state directory.
            lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new QueueLockedException($"the queue in {options.Directory} is in use by another EdgeTwin process ({ex.Message})");
        }
        var queue = new DurableQueue(options, log, time ?? TimeProvider.System, lockFile);
        try
        {
            queue.OpenAndRecover();
            return queue;
        }
        catch
        {
            queue.Dispose();
            throw;
        }
    }

    private long NowTicks => _time.GetUtcNow().UtcTicks;

    /// <summary>
    /// Closes and reopens the database after a storage error (disk full, I/O error), running the same
    /// recovery as a start-up: LiteDB replays its log, and the dedup state is rebuilt from what is durable.
    /// </summary>
    public void Reopen()
    {
        lock (_gate)
        {
            CloseDatabase();
            _recent.Clear();
            _recentBytes = 0;
            _recentOrder.Clear();
            Recovery = new RecoveryReport();
            OpenAndRecover();
        }
    }

    /// <summary>
    /// Commits <paramref name="request"/> in one transaction. The caller has admitted the points into
    /// <see cref="Dedup"/>; on success the admissions are accepted and the shadow updated, on failure they are
    /// rolled back (so a redelivery is not mistaken for a duplicate).
    /// </summary>
    /// <exception cref="QueueFullException">Over budget or watermark under the block policy (nothing was written).</exception>
    public CommitResult Commit(CommitRequest request)
    {
        lock (_gate)
        {
            try
            {
                var result = CommitLocked(request);
                Dedup.Accept();
                foreach (var p in request.Points)
                {
                    if (Dedup.TryGet(p.Series, out var state)) state!.ApplyToShadow(p);
                }
                return result;
            }
            catch
            {
                Dedup.Rollback();
                throw;
            }
        }
    }

    private CommitResult CommitLocked(CommitRequest request)
    {
        var now = NowTicks;
        var id = _lastId + 1;
        List<SegmentInfo>? drop = null;
        List<LossRecord>? losses = null;
        if (request.Points.Count > 0)
        {
            Encode(request.Points);
            var (overBudget, budgetWhy) = OverByteBudget(_blob.WrittenCount);
            var (diskShort, hard, diskWhy) = DiskShort(_blob.WrittenCount);
            _full = overBudget || diskShort;
            // Dropping segments frees pages inside the database file, not disk: without room for the engine's
            // log no policy can write, so that is always a refusal.
            if (hard) throw new QueueFullException(diskWhy);
            if (_full)
            {
                var why = overBudget ? budgetWhy : diskWhy;
                if (_options.FullPolicy == QueueFullPolicy.Block) throw new QueueFullException(why);
                (drop, losses) = PlanDrop(_blob.WrittenCount, reuseFreedPages: diskShort, why, now);
                AppendLossPoints(request, losses);
                Encode(request.Points);
            }
        }

        var snapshotNeeded = drop is not null && drop.Any(s => s.Id > _snapshotUpTo);
        var segmentBytes = request.Points.Count > 0 ? _blob.WrittenCount : 0;
        var streamCount = 0;
        var quarantineIds = new long[request.Quarantine.Count];
        byte[]? segmentBlob = null;
        long t0 = long.MaxValue, t1 = long.MinValue;
        var addedQuarantineBytes = request.Quarantine.Sum(q => (long)q.ApproximateBytes);
        long curedQuarantineBytes = 0;
        var curedQuarantineCount = 0;
        _db.BeginTrans();
        try
        {
            streamCount = Streams.WritePending(_streams);
            if (request.Points.Count > 0)
            {
                foreach (var p in request.Points) { t0 = Math.Min(t0, p.TimestampTicks); t1 = Math.Max(t1, p.TimestampTicks); }
                segmentBlob = _blob.WrittenSpan.ToArray();
                _segments.Insert(new BsonDocument
                {
                    ["_id"] = id,
                    ["b"] = segmentBlob,
                    ["n"] = request.Points.Count,
                    ["t0"] = t0,
                    ["t1"] = t1,
                    ["at"] = now,
                });
            }
            if (drop is not null)
            {
                foreach (var s in drop) _segments.Delete(s.Id);
                foreach (var l in losses!) _loss.Insert(LossToDoc(l));
            }
            for (var i = 0; i < request.Quarantine.Count; i++) quarantineIds[i] = _quarantine.Insert(QuarantineToDoc(request.Quarantine[i])).AsInt64;
            foreach (var qid in request.CuredQuarantineIds)
            {
                // Account for what is really removed: an id evicted meanwhile (or listed twice) removes nothing.
                if (_quarantine.FindById(qid) is not { } cured) continue;
                curedQuarantineBytes += cured["sz"].AsInt32;
                curedQuarantineCount++;
                _quarantine.Delete(qid);
            }
            if (request.Quarantine.Count > 0 || request.CuredQuarantineIds.Count > 0)
            {
                WriteQuarantineBytes(Math.Max(0, _quarantineBytes + addedQuarantineBytes - curedQuarantineBytes));
            }
            foreach (var cp in request.Checkpoints) _meta.Upsert(new BsonDocument { ["_id"] = "cp:" + cp.Key, ["v"] = cp.Value });
            // The snapshot covers up to the previous segment, not this one: this segment's values reach the shadow only
            // after the commit, so recovery must replay it (its dedup admissions, already in the snapshot, replay as no-ops).
            if (snapshotNeeded) streamCount = WriteSnapshot(_lastId);
            _db.Commit();
            // LiteDB 5 hands the log pages to a background writer and returns from Commit before they reach the file, so
            // a kill -9 right after could lose a commit the sources were already told is durable (design.md §2.3).
            // Checkpoint waits for that writer, then copies the log into the data file and flushes it.
            _db.Checkpoint();
        }
        catch
        {
            TryRollback();
            throw;
        }

        // Durable: now update what memory knows.
        Streams.PendingWritten(streamCount);
        if (drop is not null)
        {
            foreach (var s in drop) RemoveFromIndex(s);
            _lossRecords += losses!.Count;
            _lostPoints += losses.Sum(l => l.Count);
            Log.DroppedOldest(_log, "byte budget or free-disk watermark", drop.Count, drop.Sum(s => (long)s.Count));
        }
        if (snapshotNeeded) { _snapshotUpTo = _lastId; _lastSnapshotTicks = now; _commitsSinceSnapshot = 0; }
        _quarantineCount += request.Quarantine.Count - curedQuarantineCount;
        _quarantineBytes = Math.Max(0, _quarantineBytes + addedQuarantineBytes - curedQuarantineBytes);
        var dropped = new CommitResult(0, drop?.Count ?? 0, drop?.Sum(s => (long)s.Count) ?? 0);
        if (request.Points.Count == 0) return dropped;

        _lastId = id;
        _commitsSinceSnapshot++;
        _index.Add(new SegmentInfo(id, request.Points.Count, segmentBytes, t0));
        _bytes += segmentBytes;
        _points += request.Points.Count;
        CacheRecent(id, segmentBlob!);
        SignalData();
        return dropped with { SegmentId = id };
    }

    private void Encode(List<TelemetryPoint> points)
    {
        _blob.ResetWrittenCount();
        SegmentCodec.Encode(points, Streams.GetOrAdd, _blob);
    }

    private (bool Over, string Why) OverByteBudget(long adding) =>
        _bytes + adding > _options.MaxBytes
            ? (true, $"queue holds {_bytes} bytes, adding {adding} exceeds $.queue.maxBytes = {_options.MaxBytes}")
            : (false, "");

    /// <summary>
    /// Whether the state directory's file system is short for a segment of <paramref name="adding"/> bytes:
    /// below the configured watermark (soft: dropping old segments lets the file reuse their pages), or below
    /// the engine's own floor (hard: LiteDB needs fresh disk for its log whatever is dropped).
    /// </summary>
    private (bool Short, bool Hard, string Why) DiskShort(long adding)
    {
        var free = FreeDiskBytes();
        // Whatever the configured watermark, never let LiteDB itself meet a full disk: when its background
        // log writer fails with ENOSPC, LiteDB 5.0.20 never completes the commit's checkpoint and the pipeline
        // would hang. A commit goes ahead only with room for the segment twice plus the engine's headroom.
        var floor = (2 * adding) + EngineHeadroomBytes;
        if (free < floor)
        {
            return (true, true, $"{free} bytes free on {_options.Directory}; a commit needs {floor} (the segment twice plus {EngineHeadroomBytes} for the database engine)");
        }
        // Reserve twice the segment: LiteDB writes it to its log and then to the data file.
        if (free - (2 * adding) < _options.MinFreeDiskBytes)
        {
            return (true, false, $"{free} bytes free on {_options.Directory}, below $.queue.minFreeDiskBytes = {_options.MinFreeDiskBytes}");
        }
        return (false, false, "");
    }

    /// <summary>Free space kept for LiteDB's log and checkpoint beyond the segment itself.</summary>
    public const long EngineHeadroomBytes = 4L << 20;

    public long FreeDiskBytes()
    {
        try
        {
            return new DriveInfo(_options.Directory).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return long.MaxValue;
        }
    }

    /// <summary>Chooses the oldest segments to drop so the new one fits, and what the loss ledger records for them.</summary>
    private (List<SegmentInfo> Drop, List<LossRecord> Losses) PlanDrop(long adding, bool reuseFreedPages, string why, long now)
    {
        // Enough is dropped when the byte budget holds and, below the disk watermark, when the dropped
        // segments' pages can take the new one so the file does not grow.
        bool Enough(long need, long freed) => _bytes + need - freed <= _options.MaxBytes && (!reuseFreedPages || freed >= need);
        var drop = new List<SegmentInfo>();
        var freed = 0L;
        var perSeries = new Dictionary<SeriesKey, (long From, long To, long Count)>();
        var decoded = new List<TelemetryPoint>();
        var i = _indexHead;
        // The loss points appended to the new segment need room too; budget a little for them.
        var slack = 4096L;
        while (i < _index.Count)
        {
            if (Enough(adding + slack, freed)) break;
            var s = _index[i++];
            drop.Add(s);
            freed += s.Bytes;
            decoded.Clear();
            try
            {
                if (!TryRecent(s.Id, decoded)) ReadSegmentPoints(s.Id, decoded);
            }
            catch (Exception ex) when (ex is InvalidDataException or LiteException)
            {
                perSeries[new SeriesKey("(unreadable)", "segment-" + s.Id)] = (s.MinTicks, s.MinTicks, s.Count);
                continue;
            }
            // A dropped loss event is itself loss, accounted under its own series (asset / _loss/metric).
            foreach (var p in decoded)
            {
                var key = p.Series;
                perSeries[key] = perSeries.TryGetValue(key, out var agg)
                    ? (Math.Min(agg.From, p.TimestampTicks), Math.Max(agg.To, p.TimestampTicks), agg.Count + 1)
                    : (p.TimestampTicks, p.TimestampTicks, 1);
            }
            slack += 64L * perSeries.Count;
        }
        if (!Enough(adding + slack, freed))
        {
            throw new QueueFullException($"cannot make room even after dropping every queued segment: {why}");
        }
        var losses = perSeries.Select(kv => new LossRecord(now, kv.Key.AssetId, kv.Key.Metric, kv.Value.From, kv.Value.To, kv.Value.Count, "queue_full_drop_oldest: " + why)).ToList();
        return (drop, losses);
    }

    /// <summary>Loss records travel north as data: one event point per dropped series (design.md §2.4).</summary>
    private void AppendLossPoints(CommitRequest request, List<LossRecord> losses)
    {
        foreach (var l in losses)
        {
            var stream = LossStream(l.AssetId, l.Metric);
            var point = new TelemetryPoint(stream, l.FromTicks, PointValue.FromNumber(l.Count), Quality.Good, 0, replayed: false, endTicks: l.ToTicks);
            var state = Dedup.GetOrAdd(stream.Series);
            if (Dedup.Admit(state, point.TimestampTicks) != DedupOutcome.Duplicate) request.Points.Add(point);
        }
    }

    private readonly Dictionary<SeriesKey, StreamDescriptor> _lossStreams = [];

    private StreamDescriptor LossStream(string asset, string metric)
    {
        var key = new SeriesKey(asset, metric);
        if (!_lossStreams.TryGetValue(key, out var s))
        {
            s = new StreamDescriptor(asset, LossMetricPrefix + metric, "edgetwin:queue",
                [new("lost_metric", metric), new("reason", "queue_full_drop_oldest")], eventKind: EventKind.Loss);
            _lossStreams[key] = s;
        }
        return s;
    }

    /// <summary>Loss events use the series <c>asset / _loss/metric</c>, so their keys never collide with the lost points'.</summary>
    public const string LossMetricPrefix = "_loss/";

    private void TryRollback()
    {
        try
        {
            _db?.Rollback();
        }
        catch (Exception ex) when (ex is LiteException or IOException or InvalidOperationException)
        {
            // The database may be unusable (disk full mid-write); the caller reopens it.
        }
    }

    private void RemoveFromIndex(SegmentInfo s)
    {
        var at = _index.FindIndex(_indexHead, x => x.Id == s.Id);
        if (at < 0) return;
        _bytes -= s.Bytes;
        _points -= s.Count;
        if (at == _indexHead)
        {
            _indexHead++;
            if (_indexHead > 1024 && _indexHead * 2 > _index.Count)
            {
                _index.RemoveRange(0, _indexHead);
                _indexHead = 0;
            }
        }
        else
        {
            _index.RemoveAt(at);
        }
        // Its cached blob, if any, ages out of the recent cache by the cache's byte budget.
    }

    /// <summary>
    /// Keeps the encoded blobs of recently committed segments (the very arrays handed to LiteDB) for sinks that
    /// are caught up, within <see cref="QueueOptions.RecentSegmentCacheBytes"/>. Sinks then decode them instead
    /// of reading the database, which keeps LiteDB's own page cache — which never shrinks — small.
    /// </summary>
    private void CacheRecent(long id, byte[] blob)
    {
        if (_options.RecentSegmentCacheBytes <= 0) return;
        _recent[id] = blob;
        _recentBytes += blob.Length;
        _recentOrder.Enqueue(id);
        while (_recentBytes > _options.RecentSegmentCacheBytes && _recentOrder.Count > 0)
        {
            if (_recent.Remove(_recentOrder.Dequeue(), out var evicted)) _recentBytes -= evicted.Length;
        }
    }

    private bool TryRecent(long id, List<TelemetryPoint> into)
    {
        if (!_recent.TryGetValue(id, out var blob)) return false;
        SegmentCodec.Decode(blob, Streams.Get, into);
        return true;
    }

    private void ReadSegmentPoints(long id, List<TelemetryPoint> into)
    {
        var doc = _segments.FindById(id) ?? throw new InvalidDataException($"segment {id} is missing");
        SegmentCodec.Decode(doc["b"].AsBinary, Streams.Get, into);
    }

    private void SignalData()
    {
        var waiters = Volatile.Read(ref _waiters);
        if (waiters > 0) _dataSignal.Release(waiters);
    }

    /// <summary>Waits until a segment newer than <paramref name="afterId"/> exists, or the timeout passes.</summary>
    public async Task WaitForDataAsync(long afterId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiters);
        try
        {
            // A readable segment, not merely a higher id: an id can be taken by a segment that was then quarantined.
            lock (_gate)
            {
                if (FindFirstAfter(afterId) >= 0) return;
            }
            await _dataSignal.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }
    }

    private readonly record struct SegmentInfo(long Id, int Count, int Bytes, long MinTicks);

    public void Dispose()
    {
        lock (_gate)
        {
            // After a failed write LiteDB may not close cleanly; it recovers from its log at the next open.
            CloseDatabase();
            _lockFile.Dispose();
        }
    }
}

public sealed class QueueLockedException : Exception
{
    public QueueLockedException(string message) : base(message) { }
}
