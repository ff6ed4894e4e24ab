using System.Buffers;
using System.Diagnostics;
using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using LiteDB;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Storage;

/// <summary>
/// The persistent store-and-forward queue (docs/architecture.md §2.3–2.4). The points themselves, in group-committed
/// segments, are appended to the files of a <see cref="SegmentLog"/>; the dedup/shadow snapshot is a
/// <see cref="SnapshotFile"/>. One LiteDB database holds everything else:
/// <list type="bullet">
/// <item><c>segments</c>: where each segment lies (file, offset, length), its point count and time range, ids strictly increasing;</item>
/// <item><c>streams</c>: the stream catalog the segments refer to;</item>
/// <item><c>cursors</c>: per sink, the last segment it confirmed in queue order, and the segments its live lane
/// delivered ahead of that (<see cref="SinkLane"/>);</item>
/// <item><c>meta</c>: the sources' checkpoints and the quarantine's size;</item>
/// <item><c>quarantine</c> and <c>loss</c>: the quarantine store and the loss ledger.</item>
/// </list>
/// A commit appends the segment's blob to the segment log and fsyncs it, then records it, its new streams, its
/// quarantined readings and the sources' checkpoints in one transaction, then checkpoints that into the data file
/// (LiteDB's own commit returns before its log is written), so what a commit returned is on disk. The dedup state is recovered from the last snapshot plus the segments
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
    private readonly Dictionary<string, SinkLane> _lanes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _sinks = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _dataSignal = new(0, int.MaxValue);
    private int _waiters;

    private SegmentLog _files = null!;
    private readonly SnapshotFile _snapshot;
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
    private readonly LossLedger _ledger;
    private long _lastQuarantineSweepTicks;
    private bool _full;

    /// <summary>Segments the snapshot does not cover were dropped: until a new snapshot is written, their dedup history exists only in memory.</summary>
    private bool _droppedPastSnapshot;

    private DurableQueue(QueueOptions options, ILogger log, TimeProvider time, FileStream lockFile)
    {
        _options = options;
        _log = log;
        _time = time;
        _lockFile = lockFile;
        Streams = new StreamCatalog();
        _snapshot = new SnapshotFile(options.Directory);
        Dedup = new DedupIndex(options.HistoryPerSeries);
        _ledger = new LossLedger(options.LossRangeSpan, options.LossLedgerMaxRecords);
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
        catch (Exception ex) when (StorageException.IsStorageFailure(ex))
        {
            queue.Dispose();
            throw new StorageException("opening the queue", options.Directory, ex);
        }
        catch
        {
            queue.Dispose();
            throw;
        }
    }

    /// <summary>The queue's one translation of a storage failure into <see cref="StorageException"/>.</summary>
    private StorageException Failed(string operation, Exception inner) => new(operation, _options.Directory, inner);

    /// <summary>Runs <paramref name="action"/> under the gate, its storage failures thrown as <see cref="StorageException"/>.</summary>
    private T Guarded<T>(string operation, Func<T> action)
    {
        lock (_gate)
        {
            try
            {
                return action();
            }
            catch (Exception ex) when (StorageException.IsStorageFailure(ex))
            {
                throw Failed(operation, ex);
            }
        }
    }

    private void Guarded(string operation, Action action) => Guarded(operation, () =>
    {
        action();
        return 0;
    });

    private long NowTicks => _time.GetUtcNow().UtcTicks;

    /// <summary>
    /// Closes and reopens the database after a storage error (disk full, I/O error), running the same
    /// recovery as a start-up: LiteDB replays its log, and the dedup state is rebuilt from what is durable.
    /// </summary>
    public void Reopen()
    {
        lock (_gate)
        {
            try
            {
                CloseDatabase();
                _files?.Dispose();
                Recovery = new RecoveryReport();
                OpenAndRecover();
            }
            catch (Exception ex) when (StorageException.IsStorageFailure(ex))
            {
                throw Failed("reopening the queue", ex);
            }
        }
    }

    /// <summary>
    /// Commits <paramref name="request"/> in one transaction. The caller has admitted the points into
    /// <see cref="Dedup"/>; on success the admissions are accepted and the shadow updated, on failure they are
    /// rolled back (so a redelivery is not mistaken for a duplicate).
    /// </summary>
    /// <exception cref="QueueFullException">Over budget or watermark under the block policy (nothing was written).</exception>
    /// <exception cref="StorageException">The storage failed; nothing was written.</exception>
    public CommitResult Commit(CommitRequest request)
    {
        lock (_gate)
        {
            try
            {
                return CommitCore(request);
            }
            catch (Exception ex) when (StorageException.IsStorageFailure(ex))
            {
                throw Failed("commit", ex);
            }
        }
    }

    private CommitResult CommitCore(CommitRequest request)
    {
        var given = request.Points.Count;
        try
        {
            var result = CommitLocked(request);
            Dedup.Accept();
            foreach (var p in request.Points)
            {
                if (Dedup.TryGet(p.Series, out var state)) state!.ApplyToShadow(p);
            }
            if (_droppedPastSnapshot) TrySnapshotAfterDrop();
            return result;
        }
        catch
        {
            Dedup.Rollback();
            _ledger.Discard();
            // Loss events added for this attempt are added again, from the ledger, by the next one.
            if (request.Points.Count > given) request.Points.RemoveRange(given, request.Points.Count - given);
            throw;
        }
    }

    private CommitResult CommitLocked(CommitRequest request)
    {
        var now = NowTicks;
        var id = _lastId + 1;
        List<SegmentInfo>? drop = null;
        var overBudgetAtDrop = false;
        _ledger.Discard();
        if (_ledger.CloseDue(now)) _ledger.StageDueCloses(now);
        if (request.Points.Count > 0 || _ledger.HasEventsToSend)
        {
            if (request.Points.Count > 0)
            {
                Encode(request.Points);
                // Below the engine's floor, drop-oldest first deletes segment files in a transaction of its own.
                if (_options.FullPolicy == QueueFullPolicy.DropOldest && DiskShort(_blob.WrittenCount + SegmentLog.FrameHeaderSize).Hard)
                {
                    DropAtFloor(_blob.WrittenCount + SegmentLog.FrameHeaderSize, now);
                }
            }
            // Closed loss ranges travel north as events, marked sent in this transaction.
            AppendLossPoints(request, _ledger.TakeEvents(MaxLossEventsPerCommit));
        }
        if (request.Points.Count > 0)
        {
            Encode(request.Points);
            var (overBudget, budgetWhy) = OverByteBudget(_blob.WrittenCount);
            var (diskShort, hard, diskWhy) = DiskShort(_blob.WrittenCount + SegmentLog.FrameHeaderSize);
            _full = overBudget || diskShort;
            // Without room for the engine's log no transaction can be written: nothing is left to drop (drop-oldest
            // tried above) or the policy is block.
            if (hard)
            {
                RefusedAtFloor(diskWhy);
                throw new QueueFullException(diskWhy);
            }
            if (_full)
            {
                var why = overBudget ? budgetWhy : diskWhy;
                if (_options.FullPolicy == QueueFullPolicy.Block) throw new QueueFullException(why);
                overBudgetAtDrop = overBudget;
                drop = PlanDrop(_blob.WrittenCount, needDisk: diskShort ? _blob.WrittenCount + SegmentLog.FrameHeaderSize : 0, why,
                    overBudget ? BudgetReason : WatermarkReason, now);
            }
            _refusingAtFloor = false;
        }

        var segmentBytes = request.Points.Count > 0 ? _blob.WrittenCount : 0;
        var streamCount = 0;
        var quarantineIds = new long[request.Quarantine.Count];
        SegmentLocation? appended = null;
        long t0 = long.MaxValue, t1 = long.MinValue;
        if (request.Points.Count > 0)
        {
            foreach (var p in request.Points) { t0 = Math.Min(t0, p.TimestampTicks); t1 = Math.Max(t1, p.TimestampTicks); }
            // Durable before the transaction that records it: a recorded segment is always on disk.
            appended = _files.Append(id, _blob.WrittenSpan);
        }
        var addedQuarantineBytes = request.Quarantine.Sum(q => (long)q.ApproximateBytes);
        long curedQuarantineBytes = 0;
        var curedQuarantineCount = 0;
        var transactionCommitted = false;
        _db.BeginTrans();
        try
        {
            streamCount = Streams.WritePending(_streams);
            if (appended is { } at)
            {
                _segments.Insert(new BsonDocument
                {
                    ["_id"] = id,
                    ["f"] = at.File,
                    ["o"] = at.Offset,
                    ["l"] = at.Length,
                    ["n"] = request.Points.Count,
                    ["t0"] = t0,
                    ["t1"] = t1,
                    ["at"] = now,
                });
            }
            if (drop is not null)
            {
                foreach (var s in drop) _segments.Delete(s.Id);
            }
            _ledger.Write(_loss);
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
            _db.Commit();
            transactionCommitted = true;
            // LiteDB 5 hands the log pages to a background writer and returns from Commit before they reach the file, so
            // a kill -9 right after could lose a commit the sources were already told is durable (docs/architecture.md §2.3).
            // Checkpoint waits for that writer, then copies the log into the data file and flushes it.
            _db.Checkpoint();
        }
        catch
        {
            TryRollback();
            _ledger.Discard();
            // Once the transaction committed, its document may name the appended bytes: keep them (recovery cuts
            // whatever no committed segment names).
            if (!transactionCommitted && appended is { } at) _files.Abandon(at);
            throw;
        }

        // Durable: now update what memory knows.
        if (appended is { } committed) _files.Committed(committed);
        Streams.PendingWritten(streamCount);
        _ledger.Committed();
        if (drop is not null)
        {
            _droppedPastSnapshot |= drop.Any(s => s.Id > _snapshotUpTo);
            foreach (var s in drop) RemoveFromIndex(s);
            DroppedUpTo(drop);
            LogDrop(drop, overBudgetAtDrop ? "byte budget" : "free-disk watermark");
        }
        _quarantineCount += request.Quarantine.Count - curedQuarantineCount;
        _quarantineBytes = Math.Max(0, _quarantineBytes + addedQuarantineBytes - curedQuarantineBytes);
        var dropped = new CommitResult(0, drop?.Count ?? 0, drop?.Sum(s => (long)s.Count) ?? 0);
        if (request.Points.Count == 0) return dropped;

        _lastId = id;
        _commitsSinceSnapshot++;
        _index.Add(new SegmentInfo(id, request.Points.Count, segmentBytes, t0, appended!.Value, now));
        _bytes += segmentBytes;
        _points += request.Points.Count;
        SignalData();
        return dropped with { SegmentId = id };
    }

    private void Encode(List<TelemetryPoint> points)
    {
        _blob.ResetWrittenCount();
        SegmentCodec.Encode(points, Streams.GetOrAdd, _blob);
    }

    /// <summary>
    /// Runs <paramref name="write"/> in one transaction, committed and checkpointed into the data file, so it is on disk
    /// when this returns (LiteDB's own commit returns before its log is written); rolled back if anything fails.
    /// </summary>
    private void Durably(Action write)
    {
        _db.BeginTrans();
        try
        {
            write();
            _db.Commit();
            _db.Checkpoint();
        }
        catch
        {
            TryRollback();
            throw;
        }
    }

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
        _files.Release(s.At);
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
    }

    private void ReadSegmentPoints(SegmentInfo s, List<TelemetryPoint> into) =>
        SegmentCodec.Decode(_files.Read(s.At, s.Id), Streams.Get, into);

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

    /// <param name="CommittedTicks">When the segment was committed (UTC ticks; 0 for a segment of an older layout).</param>
    private readonly record struct SegmentInfo(long Id, int Count, int Bytes, long MinTicks, SegmentLocation At, long CommittedTicks);

    public void Dispose()
    {
        lock (_gate)
        {
            // After a failed write LiteDB may not close cleanly; it recovers from its log at the next open.
            CloseDatabase();
            // Segment files no committed document refers to any more go now, not as a recovery note at the next open.
            _files?.Close();
            _lockFile.Dispose();
        }
    }
}

public sealed class QueueLockedException : Exception
{
    public QueueLockedException(string message) : base(message) { }
}
