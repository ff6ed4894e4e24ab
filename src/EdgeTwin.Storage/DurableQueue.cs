using EdgeTwin.Core.Dedup;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Storage;

/// <summary>
/// The persistent store-and-forward queue (docs/architecture.md §2.3–2.4). It composes parts with one job each —
/// <see cref="SegmentStore"/> (segments and group commit), <see cref="QueueRecovery"/>, <see cref="SinkCursors"/>,
/// <see cref="QuarantineStore"/>, <see cref="LossLedger"/>, <see cref="SourceCheckpoints"/> — over one
/// <see cref="QueueDatabase"/>, so that a commit writes all it changes in one transaction, and it holds the gate:
/// one writer (the pipeline thread) commits and maintains; sink threads read and confirm.
/// </summary>
public sealed partial class DurableQueue : IDisposable
{
    public const string DatabaseFileName = "queue.db";
    private const string LockFileName = "queue.lock";

    /// <summary>Free space kept for LiteDB's log and checkpoint beyond the segment itself.</summary>
    public const long EngineHeadroomBytes = 4L << 20;

    /// <summary>Loss events use the series <c>asset / _loss/metric</c>, so their keys never collide with the lost points'.</summary>
    public const string LossMetricPrefix = "_loss/";

    /// <summary>Segment documents deleted per transaction between commits (<see cref="SegmentStore.MaxDeletesPerTransaction"/>).</summary>
    internal const int MaxDeletesPerTransaction = SegmentStore.MaxDeletesPerTransaction;

    private readonly QueueOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly FileStream _lockFile;

    private readonly QueueDatabase _db;
    private readonly SegmentStore _store;
    private readonly QueueRecovery _recovery;
    private readonly QuarantineStore _quarantine;
    private readonly SinkCursors _cursors;
    private readonly SourceCheckpoints _checkpoints;
    private readonly LossLedger _ledger;

    private DurableQueue(QueueOptions options, ILogger log, TimeProvider time, FileStream lockFile)
    {
        _options = options;
        _log = log;
        _time = time;
        _lockFile = lockFile;
        var snapshot = new SnapshotFile(options.Directory);
        _ledger = new LossLedger(options.LossRangeSpan, options.LossLedgerMaxRecords);
        _db = new QueueDatabase(options.Directory);
        _quarantine = new QuarantineStore(_db, _ledger, options, log);
        _cursors = new SinkCursors(_db, _quarantine);
        _checkpoints = new SourceCheckpoints(_db);
        _store = new SegmentStore(options, log, time, _gate, _db, snapshot, new StreamCatalog(options.KnownStream, options.ExpectedStreams), _ledger, _quarantine, _cursors, _checkpoints);
        _recovery = new QueueRecovery(options, log, time, _db, snapshot, _store, _cursors, _quarantine, _ledger);
    }

    public string DatabasePath => Path.Combine(_options.Directory, DatabaseFileName);

    /// <summary>Where the segment files are (<see cref="SegmentLog"/>).</summary>
    public string SegmentFolder => _recovery.SegmentFolder;

    public QueueOptions Options => _options;

    /// <summary>The dedup index and digital shadow, restored at open. Mutated only by the writer thread.</summary>
    public DedupIndex Dedup => _store.Dedup;

    public StreamCatalog Streams => _store.Streams;

    public RecoveryReport Recovery => _store.Report;

    public long LastSegmentId { get { lock (_gate) return _store.LastId; } }

    public bool IsFull { get { lock (_gate) return _store.Full; } }

    /// <summary>Loss ranges are closed but their events not yet queued, or ranges are due to close: the loss is not reported north yet.</summary>
    public bool LossEventsPending
    {
        get
        {
            lock (_gate) return _ledger.HasEventsToSend || _ledger.CloseDue(_time.GetUtcNow().UtcTicks);
        }
    }

    public long FreeDiskBytes() => _store.FreeDiskBytes();

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
            queue._recovery.OpenAndRecover();
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
                _store.Files?.Dispose();
                _store.Report = new RecoveryReport();
                _recovery.OpenAndRecover();
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
                return _store.Commit(request);
            }
            catch (Exception ex) when (StorageException.IsStorageFailure(ex))
            {
                throw Failed("commit", ex);
            }
        }
    }

    /// <summary>Waits until a segment newer than <paramref name="afterId"/> exists, or the timeout passes.</summary>
    public Task WaitForDataAsync(long afterId, TimeSpan timeout, CancellationToken cancellationToken) =>
        _store.WaitForDataAsync(afterId, timeout, cancellationToken);

    /// <summary>
    /// Housekeeping on the writer thread, between commits: checkpoints the dedup/shadow state when due (or
    /// when <paramref name="force"/>), deletes segments every sink has confirmed and the snapshot covers, and
    /// keeps the quarantine within its bounds.
    /// </summary>
    public void Maintain(bool force = false) => Guarded("maintenance", () => _store.Maintain(force));

    public void Dispose()
    {
        lock (_gate)
        {
            // After a failed write LiteDB may not close cleanly; it recovers from its log at the next open.
            _db.Close();
            // Segment files no committed document refers to any more go now, not as a recovery note at the next open.
            _store.Close();
            _lockFile.Dispose();
        }
    }
}

public sealed class QueueLockedException : Exception
{
    public QueueLockedException(string message) : base(message) { }
}
