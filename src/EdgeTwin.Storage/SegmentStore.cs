using System.Buffers;
using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;
using LiteDB;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Storage;

/// <summary>
/// The queue's segments and group commit: the in-memory index of queued segments over their files
/// (<see cref="SegmentLog"/>), the one transaction per commit that the other parts write into, drop-oldest and the
/// free-disk floor, the dedup snapshot and the housekeeping between commits. Not thread-safe: called under the
/// queue's gate, except where a method says it takes the gate itself.
/// </summary>
internal sealed partial class SegmentStore
{
    private readonly QueueOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly Lock _gate;
    private readonly ArrayBufferWriter<byte> _blob = new(1 << 20);
    private readonly SemaphoreSlim _dataSignal = new(0, int.MaxValue);
    private int _waiters;

    private readonly SnapshotFile _snapshot;
    private readonly QueueDatabase _db;
    private readonly QuarantineStore _quarantine;
    private readonly SinkCursors _cursors;
    private readonly SourceCheckpoints _checkpoints;
    private readonly LossLedger _ledger;

    /// <summary>Segments the snapshot does not cover were dropped: until a new snapshot is written, their dedup history exists only in memory.</summary>
    private bool _droppedPastSnapshot;

    public SegmentStore(QueueOptions options, ILogger log, TimeProvider time, Lock gate, QueueDatabase db, SnapshotFile snapshot,
        StreamCatalog streams, LossLedger ledger, QuarantineStore quarantine, SinkCursors cursors, SourceCheckpoints checkpoints)
    {
        _options = options;
        _log = log;
        _time = time;
        _gate = gate;
        _db = db;
        _snapshot = snapshot;
        Streams = streams;
        _ledger = ledger;
        _quarantine = quarantine;
        _cursors = cursors;
        _checkpoints = checkpoints;
        Spill = new SeriesSpill(db, streams);
        Dedup = new DedupIndex(options.HistoryPerSeries, options.RecentPoints);
        Dedup.AttachSpill(Spill);
    }

    /// <summary>The series evicted from memory, in the database.</summary>
    public SeriesSpill Spill { get; }

    public StreamCatalog Streams { get; }

    /// <summary>The dedup index and digital shadow; replaced by recovery. Mutated only by the writer thread.</summary>
    public DedupIndex Dedup { get; set; }

    /// <summary>What the last open found; a corrupt segment met later is added to it.</summary>
    public RecoveryReport Report { get; set; } = new();

    public SegmentLog Files { get; set; } = null!;

    /// <summary>Queued segments, oldest first, from <see cref="IndexHead"/> on.</summary>
    public List<SegmentInfo> Index { get; } = [];

    public int IndexHead { get; set; }

    public long Bytes { get; set; }

    public long Points { get; set; }

    public long LastId { get; set; }

    public bool Full { get; private set; }

    public long SnapshotUpTo { get; set; }

    public long LastSnapshotTicks { get; set; }

    public long CommitsSinceSnapshot { get; set; }

    public long LastRecycleTicks { get; set; }

    /// <summary>Queued segments.</summary>
    public int Count => Index.Count - IndexHead;

    private long NowTicks => _time.GetUtcNow().UtcTicks;

    /// <summary>
    /// Commits <paramref name="request"/> in one transaction. The caller has admitted the points into
    /// <see cref="Dedup"/>; on success the admissions are accepted and the shadow updated, on failure they are
    /// rolled back (so a redelivery is not mistaken for a duplicate).
    /// </summary>
    public CommitResult Commit(CommitRequest request)
    {
        var given = request.Points.Count;
        try
        {
            var result = CommitLocked(request);
            Dedup.Accept();
            foreach (var p in request.Points)
            {
                // A mapping's point reaches its series state through the mapping's cache (no lookup by key: at a
                // million series that lookup was a quarter of the commit's time); other points look it up.
                var state = p.Stream is MappingTarget target && target.CachedStateIn(Dedup) is { } cached ? cached
                    : Dedup.TryGet(p.Series, out var found) ? found : null;
                if (state is null) continue;
                state.ApplyToShadow(p);
                Dedup.Committed(state, p);
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
        var id = LastId + 1;
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
            Full = overBudget || diskShort;
            // Without room for the engine's log no transaction can be written: nothing is left to drop (drop-oldest
            // tried above) or the policy is block.
            if (hard)
            {
                RefusedAtFloor(diskWhy);
                throw new QueueFullException(diskWhy);
            }
            if (Full)
            {
                var why = overBudget ? budgetWhy : diskWhy;
                if (_options.FullPolicy == QueueFullPolicy.Block) throw new QueueFullException(why);
                overBudgetAtDrop = overBudget;
                drop = PlanDrop(_blob.WrittenCount, needDisk: diskShort ? _blob.WrittenCount + SegmentLog.FrameHeaderSize : 0, why,
                    overBudget ? BudgetReason : WatermarkReason, now);
            }
            RefusingAtFloor = false;
        }

        var segmentBytes = request.Points.Count > 0 ? _blob.WrittenCount : 0;
        var streamCount = 0;
        SegmentLocation? appended = null;
        long t0 = long.MaxValue, t1 = long.MinValue;
        if (request.Points.Count > 0)
        {
            foreach (var p in request.Points) { t0 = Math.Min(t0, p.TimestampTicks); t1 = Math.Max(t1, p.TimestampTicks); }
            // Durable before the transaction that records it: a recorded segment is always on disk.
            appended = Files.Append(id, _blob.WrittenSpan);
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
            if (!transactionCommitted && appended is { } at) Files.Abandon(at);
            throw;
        }

        // Durable: now update what memory knows.
        if (appended is { } committed) Files.Committed(committed);
        Streams.PendingWritten(streamCount);
        _ledger.Committed();
        if (drop is not null)
        {
            _droppedPastSnapshot |= drop.Any(s => s.Id > SnapshotUpTo);
            foreach (var s in drop) RemoveFromIndex(s);
            DroppedUpTo(drop);
            LogDrop(drop, overBudgetAtDrop ? "byte budget" : "free-disk watermark");
        }
        _quarantine.Apply(quarantined);
        var dropped = new CommitResult(0, drop?.Count ?? 0, drop?.Sum(s => (long)s.Count) ?? 0);
        if (request.Points.Count == 0) return dropped;

        LastId = id;
        CommitsSinceSnapshot++;
        Index.Add(new SegmentInfo(id, request.Points.Count, segmentBytes, t0, appended!.Value, now));
        Bytes += segmentBytes;
        Points += request.Points.Count;
        SignalData();
        return dropped with { SegmentId = id };
    }

    private void Encode(List<TelemetryPoint> points)
    {
        _blob.ResetWrittenCount();
        SegmentCodec.Encode(points, Streams.GetOrAdd, _blob);
    }

    private void Durably(Action write) => _db.Durably(write);

    public void RemoveFromIndex(SegmentInfo s)
    {
        var at = Index.FindIndex(IndexHead, x => x.Id == s.Id);
        if (at < 0) return;
        Files.Release(s.At);
        Bytes -= s.Bytes;
        Points -= s.Count;
        if (at == IndexHead)
        {
            IndexHead++;
            if (IndexHead > 1024 && IndexHead * 2 > Index.Count)
            {
                Index.RemoveRange(0, IndexHead);
                IndexHead = 0;
            }
        }
        else
        {
            Index.RemoveAt(at);
        }
    }

    private void SignalData()
    {
        var waiters = Volatile.Read(ref _waiters);
        if (waiters > 0) _dataSignal.Release(waiters);
    }

    /// <summary>Waits until a segment newer than <paramref name="afterId"/> exists, or the timeout passes. Takes the gate itself.</summary>
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
}

/// <param name="CommittedTicks">When the segment was committed (UTC ticks; 0 for a segment of an older layout).</param>
internal readonly record struct SegmentInfo(long Id, int Count, int Bytes, long MinTicks, SegmentLocation At, long CommittedTicks);
