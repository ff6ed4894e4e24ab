using System.Buffers;
using System.Diagnostics;
using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using LiteDB;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Storage;

/// <summary>
/// The persistent store-and-forward queue (docs/architecture.md §2.3–2.4), composed of parts with one job each:
/// segments and group commit (here and in its Recovery and Drop files), <see cref="SinkCursors"/>,
/// <see cref="QuarantineStore"/>, <see cref="LossLedger"/> and <see cref="SourceCheckpoints"/>, sharing one
/// <see cref="QueueDatabase"/> so that a commit writes all it changes in one transaction. What a commit returned is on disk.
/// Thread model: one writer (the pipeline thread) commits and maintains; sink threads read and confirm.
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
    private readonly SemaphoreSlim _dataSignal = new(0, int.MaxValue);
    private int _waiters;

    private SegmentLog _files = null!;
    private readonly SnapshotFile _snapshot;
    private readonly QueueDatabase _db;
    private readonly QuarantineStore _quarantine;
    private readonly SinkCursors _cursors;
    private readonly SourceCheckpoints _checkpoints;

    private long _bytes;
    private long _points;
    private long _lastId;
    private long _snapshotUpTo;
    private long _lastSnapshotTicks;
    private long _commitsSinceSnapshot;
    private readonly LossLedger _ledger;
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
        _db = new QueueDatabase(options.Directory);
        _quarantine = new QuarantineStore(_db, _ledger, options, log);
        _cursors = new SinkCursors(_db, _quarantine);
        _checkpoints = new SourceCheckpoints(_db);
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
                _db.Close();
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
        SegmentLocation? appended = null;
        long t0 = long.MaxValue, t1 = long.MinValue;
        if (request.Points.Count > 0)
        {
            foreach (var p in request.Points) { t0 = Math.Min(t0, p.TimestampTicks); t1 = Math.Max(t1, p.TimestampTicks); }
            // Durable before the transaction that records it: a recorded segment is always on disk.
            appended = _files.Append(id, _blob.WrittenSpan);
        }
        var quarantined = default(QuarantineStore.Change);
        var transactionCommitted = false;
        _db.BeginTrans();
        try
        {
            streamCount = Streams.WritePending(_db.Streams);
            if (appended is { } at)
            {
                _db.Segments.Insert(new BsonDocument
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
                foreach (var s in drop) _db.Segments.Delete(s.Id);
            }
            _ledger.Write(_db.Loss);
            quarantined = _quarantine.Write(request.Quarantine, request.CuredQuarantineIds);
            _checkpoints.Write(request.Checkpoints);
            _db.Commit();
            transactionCommitted = true;
            // LiteDB 5 hands the log pages to a background writer and returns from Commit before they reach the file, so
            // a kill -9 right after could lose a commit the sources were already told is durable (docs/architecture.md §2.3).
            // Checkpoint waits for that writer, then copies the log into the data file and flushes it.
            _db.Checkpoint();
        }
        catch
        {
            _db.TryRollback();
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
        _quarantine.Apply(quarantined);
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

    private void Durably(Action write) => _db.Durably(write);

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
            _db.Close();
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
