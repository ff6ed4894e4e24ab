using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Storage;

/// <summary>Drop-oldest: choosing what to drop, the free-disk floor, and the loss events that travel north.</summary>
internal sealed partial class SegmentStore
{
    private (bool Over, string Why) OverByteBudget(long adding) =>
        Bytes + adding > _options.MaxBytes
            ? (true, $"queue holds {Bytes} bytes, adding {adding} exceeds $.queue.maxBytes = {_options.MaxBytes}")
            : (false, "");

    /// <summary>
    /// Whether the state directory's file system is short for a segment of <paramref name="adding"/> bytes:
    /// below the configured watermark (soft: dropping old segments deletes their files), or below the floor
    /// (hard: the segment and LiteDB's log need fresh disk before anything can be deleted).
    /// </summary>
    private (bool Short, bool Hard, string Why) DiskShort(long adding)
    {
        var free = FreeDiskBytes();
        // Whatever the configured watermark, never let LiteDB itself meet a full disk: when its background
        // log writer fails with ENOSPC, LiteDB 5.0.20 never completes the commit's checkpoint and the pipeline
        // would hang. A commit goes ahead only with room for the segment plus the engine's headroom.
        var floor = adding + DurableQueue.EngineHeadroomBytes;
        if (free < floor)
        {
            return (true, true, $"{free} bytes free on {_options.Directory}; a commit needs {floor} (the segment plus {DurableQueue.EngineHeadroomBytes} for the database engine)");
        }
        if (free - adding < _options.MinFreeDiskBytes)
        {
            return (true, false, $"{free} bytes free on {_options.Directory}, below $.queue.minFreeDiskBytes = {_options.MinFreeDiskBytes}");
        }
        return (false, false, "");
    }

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

    /// <summary>Commits are being refused at the engine's floor (logged once per episode).</summary>
    public bool RefusingAtFloor { get; private set; }

    /// <summary>Commits refused at the engine's floor since open.</summary>
    public long FloorRefusals { get; private set; }

    private string BudgetReason => $"queue_full_drop_oldest: over $.queue.maxBytes = {_options.MaxBytes}";

    private string WatermarkReason => $"queue_full_drop_oldest: free disk below $.queue.minFreeDiskBytes = {_options.MinFreeDiskBytes}";

    private static string FloorReason => $"queue_full_drop_oldest: free disk at the engine floor (a segment plus {DurableQueue.EngineHeadroomBytes} bytes)";

    /// <summary>Loss events a commit carries at most; more wait for the next commit.</summary>
    private const int MaxLossEventsPerCommit = 64;

    /// <summary>Free disk below which not even the transaction that lets segment files go is attempted.</summary>
    private const long FloorDropMinimumBytes = 1L << 20;

    /// <summary>
    /// Chooses the oldest segments no sink holds (read, not yet confirmed) to drop so that <paramref name="budgetAdding"/> more bytes fit the byte budget (none
    /// checked when negative) and the segment files deleted with them give back <paramref name="needDisk"/> bytes, and
    /// stages their loss in the ledger. With <paramref name="partial"/> it returns what it could (possibly every segment)
    /// instead of throwing when that is not enough.
    /// </summary>
    private List<SegmentInfo> PlanDrop(long budgetAdding, long needDisk, string why, string reason, long now, bool partial = false)
    {
        var perFile = new Dictionary<int, int>();
        bool Enough(long freed) =>
            (budgetAdding < 0 || Bytes + budgetAdding - freed <= _options.MaxBytes) && (needDisk <= 0 || Files.BytesFreedBy(perFile) >= needDisk);
        var drop = new List<SegmentInfo>();
        var freed = 0L;
        var perSeries = new Dictionary<SeriesKey, (long From, long To, long Count)>();
        var decoded = new List<TelemetryPoint>();
        // A segment a sink has read but not confirmed stays: it may be delivered, and must not then be counted lost too.
        var held = _cursors.HeldRanges();
        // A held segment between the last drop and the next is kept: the open ranges close there, so that a range
        // never spans a point that is delivered.
        var lastDropped = _lastDroppedId;
        var keptSince = false;
        var i = IndexHead;
        while (i < Index.Count && !Enough(freed))
        {
            var s = Index[i++];
            if (SinkCursors.IsHeld(held, s.Id))
            {
                keptSince |= s.Id > lastDropped;
                continue;
            }
            if (keptSince)
            {
                StageDrops(perSeries, reason, now);
                perSeries.Clear();
                _ledger.StageCloseOpen();
                keptSince = false;
            }
            lastDropped = s.Id;
            drop.Add(s);
            freed += s.Bytes;
            perFile[s.At.File] = perFile.GetValueOrDefault(s.At.File) + 1;
            decoded.Clear();
            try
            {
                ReadSegmentPoints(s, decoded);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException)
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
        }
        if (!Enough(freed) && !partial)
        {
            _ledger.Discard();
            throw new QueueFullException(held.Count == 0
                ? $"cannot make room even after dropping every queued segment: {why}"
                : $"cannot make room even after dropping every queued segment no sink is delivering: {why}");
        }
        if (drop.Count == 0) return drop;
        // The file being appended to can only be deleted once appends go elsewhere.
        if (needDisk > 0 && Files.IsActive(drop[^1].At.File)) Files.Rotate();
        StageDrops(perSeries, reason, now);
        return drop;
    }

    private void StageDrops(Dictionary<SeriesKey, (long From, long To, long Count)> perSeries, string reason, long now)
    {
        foreach (var (key, l) in perSeries) _ledger.StageDrop(key.AssetId, key.Metric, l.From, l.To, l.Count, reason, now);
    }

    /// <summary>The newest segment drop-oldest dropped (in memory: after a restart no sink holds anything).</summary>
    private long _lastDroppedId;

    private void DroppedUpTo(List<SegmentInfo> drop)
    {
        if (drop.Count > 0) _lastDroppedId = Math.Max(_lastDroppedId, drop[^1].Id);
    }

    /// <summary>
    /// Below the engine's floor the commit's own transaction could not be written, so drop-oldest first deletes the
    /// oldest segments, and their files, in a transaction of their own. Does nothing when nothing is queued (then the
    /// commit is refused, as under block).
    /// </summary>
    private void DropAtFloor(long adding, long now)
    {
        if (IndexHead >= Index.Count) return;
        var free = FreeDiskBytes();
        if (free < FloorDropMinimumBytes) return;
        var deficit = adding + DurableQueue.EngineHeadroomBytes - free;
        var drop = PlanDrop(-1, Math.Max(1, deficit), "", FloorReason, now, partial: true);
        if (drop.Count == 0) return;
        try
        {
            Durably(() =>
            {
                foreach (var s in drop) _db.Segments.Delete(s.Id);
                _ledger.Write(_db.Loss);
            });
        }
        catch
        {
            _ledger.Discard();
            throw;
        }
        _ledger.Committed();
        _droppedPastSnapshot |= drop.Any(s => s.Id > SnapshotUpTo);
        foreach (var s in drop) RemoveFromIndex(s);
        DroppedUpTo(drop);
        LogDrop(drop, "free disk at the engine floor");
    }

    /// <summary>Logs a drop that opened loss ranges; drops that only extend open ranges are counted, not logged (one line per range, not per segment).</summary>
    private void LogDrop(List<SegmentInfo> drop, string reason)
    {
        if (_ledger.OpenedByLastCommit > 0) Log.DroppedOldest(_log, reason, drop.Count, drop.Sum(s => (long)s.Count), _ledger.OpenedByLastCommit);
    }

    /// <summary>A commit refused at the engine's floor: counted, and logged once per episode.</summary>
    private void RefusedAtFloor(string why)
    {
        FloorRefusals++;
        if (RefusingAtFloor) return;
        RefusingAtFloor = true;
        Log.RefusedAtFloor(_log, _options.FullPolicy == QueueFullPolicy.DropOldest ? "nothing is left to drop" : "the policy is block", why);
    }

    /// <summary>Loss ranges travel north as data: one event point per closed range (docs/architecture.md §2.4).</summary>
    private void AppendLossPoints(CommitRequest request, List<LossLedger.Range> closed)
    {
        foreach (var l in closed)
        {
            var stream = LossStream(l.AssetId, l.Metric);
            var state = Dedup.GetOrAdd(stream);
            // The event is stamped with the start of the lost range. A dropped loss event is accounted under its own
            // series, so a later event there may start at the same tick: the next free tick keeps its key unique.
            for (var ts = l.FromTicks; ts < l.FromTicks + LossEventTickSpread; ts++)
            {
                if (Dedup.Admit(state, ts) == DedupOutcome.Duplicate) continue;
                request.Points.Add(new TelemetryPoint(stream, ts, PointValue.FromNumber(l.Count), Quality.Good, 0, replayed: false, endTicks: Math.Max(ts, l.ToTicks)));
                break;
            }
        }
    }

    private readonly Dictionary<SeriesKey, StreamDescriptor> _lossStreams = [];

    private StreamDescriptor LossStream(string asset, string metric)
    {
        var key = new SeriesKey(asset, metric);
        if (!_lossStreams.TryGetValue(key, out var s))
        {
            // A dropped loss event is accounted under its own series, not a deeper one: "_loss/m" stays "_loss/m".
            var lossMetric = metric.StartsWith(DurableQueue.LossMetricPrefix, StringComparison.Ordinal) ? metric : DurableQueue.LossMetricPrefix + metric;
            s = new StreamDescriptor(asset, lossMetric, "edgetwin:queue",
                [new("lost_metric", metric), new("reason", "queue_full_drop_oldest")], eventKind: EventKind.Loss);
            _lossStreams[key] = s;
        }
        return s;
    }

    /// <summary>How many ticks after the start of its range a loss event may be stamped to find a free key.</summary>
    private const int LossEventTickSpread = 1000;

    /// <summary>
    /// Between commits: closes the loss ranges that are due (their series was kept again, or their span passed) and
    /// commits the events of closed ranges not yet sent, when no commit of points did; then keeps the ledger within its
    /// allowance. A full queue under block leaves the events for later.
    /// </summary>
    private void MaintainLedger(long now)
    {
        if (_ledger.CloseDue(now) || _ledger.HasEventsToSend)
        {
            var request = new CommitRequest();
            try
            {
                Commit(request);
            }
            catch (QueueFullException)
            {
                // Sent with a later commit.
            }
        }
        if (_ledger.OverAllowance)
        {
            _ledger.Coalesce(_db.Loss, Durably, now);
            Log.LedgerCoalesced(_log, _ledger.Records, _options.LossLedgerMaxRecords);
        }
    }
}
