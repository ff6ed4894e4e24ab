using System.Buffers;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Storage;

public sealed partial class DurableQueue
{
    /// <summary>The narrow view of the queue one sink's worker uses, with the live-first lane <paramref name="policy"/> (none: queue order).</summary>
    public ISinkFeed FeedFor(string sink, SinkLanePolicy? policy, TimeProvider? time = null, ISinkLaneEvents? events = null) =>
        new SinkFeed(this, sink, policy, time ?? _time, events);

    /// <summary>
    /// Declares the sinks of this run. A segment is deleted only when every one of them has confirmed it.
    /// Cursors of sinks no longer configured are forgotten, so a removed sink cannot pin the queue.
    /// </summary>
    public void SetSinks(IEnumerable<string> names) => Guarded("declaring the sinks", () =>
        {
            _cursors.SetSinks(names);
        });

    /// <summary>
    /// The position a sink resumes from: its stored cursor, moved forward to what the sink itself durably
    /// holds (<paramref name="recovered"/>), if that is within the queue. A sink without a cursor starts at
    /// the oldest queued segment.
    /// </summary>
    public long RegisterSink(string name, long? recovered) => Guarded("registering sink " + name, () =>
        {
            var cursor = _cursors.Add(name, _indexHead < _index.Count ? _index[_indexHead].Id - 1 : _lastId);
            if (recovered is { } r && r > cursor)
            {
                if (r <= _lastId) cursor = r;
                else Log.SinkAhead(_log, name, r, _lastId);
            }
            _cursors.Advance(name, cursor, _cursors.Lane(name), null);
            return _cursors.Cursor(name);
        });

    public long GetCursor(string name)
    {
        lock (_gate) return _cursors.Cursor(name);
    }

    /// <summary>The segments <paramref name="name"/>'s live lane delivered ahead of its cursor (<see cref="SinkLane.None"/> when it has none).</summary>
    public SinkLane GetLane(string name)
    {
        lock (_gate) return _cursors.Lane(name);
    }

    /// <summary>
    /// Opens a live lane for <paramref name="sink"/>: the segments after its cursor up to <paramref name="backlogUpTo"/>
    /// are its backlog, and what follows may be delivered ahead of them (<see cref="ConfirmLive"/>). Returns the lane
    /// (the open one if there is one already; <see cref="SinkLane.None"/> when there is no backlog before that segment).
    /// </summary>
    public SinkLane OpenLane(string sink, long backlogUpTo) => Guarded("opening sink " + sink + "'s live lane", () =>
        {
            var cursor = _cursors.Cursor(sink);
            if (_cursors.TryGetLane(sink, out var open)) return open;
            if (backlogUpTo <= cursor) return SinkLane.None;
            var lane = new SinkLane(backlogUpTo, backlogUpTo);
            _cursors.Advance(sink, cursor, lane, null);
            return lane;
        });

    /// <summary>Records that <paramref name="sink"/> holds every segment up to <paramref name="segmentId"/>.</summary>
    /// <remarks>
    /// Points the sink refused for good (<paramref name="rejected"/>) are quarantined in the same transaction. Once the
    /// cursor reaches the start of the sink's live lane, it moves on past what the lane delivered and the lane closes.
    /// </remarks>
    public void Confirm(string sink, long segmentId, IReadOnlyList<QuarantineRecord>? rejected = null) => Guarded("confirming for sink " + sink, () =>
        {
            var cursor = _cursors.Cursor(sink);
            if (segmentId <= cursor && rejected is not { Count: > 0 }) return;
            _cursors.Advance(sink, Math.Max(segmentId, cursor), _cursors.Lane(sink), rejected);
        });

    /// <summary>Records that <paramref name="sink"/>'s live lane holds every segment after its start up to <paramref name="segmentId"/>.</summary>
    public void ConfirmLive(string sink, long segmentId, IReadOnlyList<QuarantineRecord>? rejected = null) => Guarded("confirming for sink " + sink, () =>
        {
            if (!_cursors.TryGetLane(sink, out var lane)) throw new InvalidOperationException($"sink {sink} has no open live lane");
            _cursors.Advance(sink, _cursors.Cursor(sink), lane with { UpTo = Math.Max(lane.UpTo, segmentId) }, rejected);
        });

    /// <summary>
    /// <paramref name="sink"/> no longer holds what it read and did not confirm (its send failed and the batch was let
    /// go): drop-oldest may drop those segments again.
    /// </summary>
    public void Release(string sink)
    {
        lock (_gate) _cursors.Release(sink);
    }

    /// <summary>Segments sinks hold now (read, not yet confirmed): drop-oldest leaves them queued.</summary>
    public long HeldSegments()
    {
        lock (_gate)
        {
            var held = _cursors.HeldRanges();
            long n = 0;
            for (var i = _indexHead; i < _index.Count; i++)
            {
                if (SinkCursors.IsHeld(held, _index[i].Id)) n++;
            }
            return n;
        }
    }

    /// <summary>
    /// The first queued segment after <paramref name="afterId"/>: its id and when it was committed (UTC ticks).
    /// False when there is none.
    /// </summary>
    public bool PeekNext(long afterId, out long segmentId, out long committedTicks)
    {
        lock (_gate)
        {
            var at = FindFirstAfter(afterId);
            segmentId = at < 0 ? 0 : _index[at].Id;
            committedTicks = at < 0 ? 0 : _index[at].CommittedTicks;
            return at >= 0;
        }
    }

    /// <summary>The newest queued segment committed at or before <paramref name="ticks"/> (UTC), or 0.</summary>
    public long NewestCommittedBy(long ticks)
    {
        lock (_gate)
        {
            // Searched from the newest: the segments younger than a few seconds are few.
            for (var i = _index.Count - 1; i >= _indexHead; i--)
            {
                if (_index[i].CommittedTicks <= ticks) return _index[i].Id;
            }
            return 0;
        }
    }

    /// <summary>Queued points after <paramref name="afterId"/> up to <paramref name="upTo"/>.</summary>
    public long PointsBetween(long afterId, long upTo)
    {
        lock (_gate)
        {
            long n = 0;
            for (var i = _index.Count - 1; i >= _indexHead && _index[i].Id > afterId; i--)
            {
                if (_index[i].Id <= upTo) n += _index[i].Count;
            }
            return n;
        }
    }

    /// <summary>
    /// Appends the points of the first segment after <paramref name="afterId"/> to <paramref name="into"/>.
    /// Returns false when there is none yet. A segment found corrupt here is quarantined and skipped.
    /// </summary>
    public bool ReadNext(long afterId, List<TelemetryPoint> into, out long segmentId) => ReadNext(afterId, long.MaxValue, into, out segmentId);

    /// <summary>As <see cref="ReadNext(long, List{TelemetryPoint}, out long)"/>, but false when that segment comes after <paramref name="upTo"/>.</summary>
    public bool ReadNext(long afterId, long upTo, List<TelemetryPoint> into, out long segmentId) => ReadNext(null, afterId, upTo, into, out segmentId);

    /// <summary>
    /// As <see cref="ReadNext(long, long, List{TelemetryPoint}, out long)"/>, for <paramref name="sink"/>: the segment handed
    /// out is held for it (see <see cref="Hold"/>) until it confirms it, so drop-oldest cannot drop what the sink may deliver.
    /// </summary>
    public bool ReadNext(string? sink, long afterId, long upTo, List<TelemetryPoint> into, out long segmentId)
    {
        try
        {
            return ReadNextCore(sink, afterId, upTo, into, out segmentId);
        }
        catch (Exception ex) when (StorageException.IsStorageFailure(ex))
        {
            throw Failed("reading a segment", ex);
        }
    }

    private bool ReadNextCore(string? sink, long afterId, long upTo, List<TelemetryPoint> into, out long segmentId)
    {
        var from = afterId;
        while (true)
        {
            SegmentInfo info;
            byte[] blob;
            lock (_gate)
            {
                var at = FindFirstAfter(afterId);
                if (at < 0 || _index[at].Id > upTo)
                {
                    segmentId = 0;
                    return false;
                }
                info = _index[at];
                segmentId = info.Id;
                if (sink is not null) _cursors.Hold(sink, from, info.Id);
                blob = ArrayPool<byte>.Shared.Rent(info.At.Length);
                try
                {
                    // Under the gate: a drop (drop-oldest) may delete the file this segment is in.
                    _files.Read(info.At, info.Id, blob.AsSpan(0, info.At.Length));
                }
                catch (InvalidDataException ex)
                {
                    ArrayPool<byte>.Shared.Return(blob);
                    QuarantineCorruptSegment(info.Id, info.At, ex.Message);
                    RemoveFromIndex(info);
                    afterId = info.Id;
                    continue;
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(blob);
                    throw;
                }
            }
            var before = into.Count;
            try
            {
                SegmentCodec.Decode(blob.AsSpan(0, info.At.Length), Streams.Get, into);
                return true;
            }
            catch (InvalidDataException ex)
            {
                into.RemoveRange(before, into.Count - before);
                lock (_gate)
                {
                    QuarantineCorruptSegment(info.Id, info.At, ex.Message);
                    RemoveFromIndex(info);
                }
                afterId = info.Id;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(blob);
            }
        }
    }

    private int FindFirstAfter(long afterId)
    {
        int lo = _indexHead, hi = _index.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_index[mid].Id > afterId) { found = mid; hi = mid - 1; }
            else lo = mid + 1;
        }
        return found;
    }

    /// <summary>
    /// Housekeeping on the writer thread, between commits: checkpoints the dedup/shadow state when due (or
    /// when <paramref name="force"/>), deletes segments every sink has confirmed and the snapshot covers, and
    /// keeps the quarantine within its bounds.
    /// </summary>
    public void Maintain(bool force = false) => Guarded("maintenance", () =>
        {
            if (Dedup.PendingAdmissions != 0) throw new InvalidOperationException("Maintain called with uncommitted dedup admissions");
            var now = NowTicks;
            var minCursor = _cursors.MinCursor();
            var due = _commitsSinceSnapshot > 0
                && (force || now - _lastSnapshotTicks >= _options.CheckpointInterval.Ticks || minCursor > _snapshotUpTo && _full);
            var deletable = Math.Min(minCursor, due ? _lastId : _snapshotUpTo);
            // The snapshot first: a segment leaves the queue only once a snapshot holds its dedup history.
            if (due) WriteSnapshot(now);
            // A full queue (or a forced call) deletes all that is due now; otherwise one transaction per call.
            var all = force || _full;
            var delete = new List<SegmentInfo>(MaxDeletesPerTransaction);
            do
            {
                delete.Clear();
                for (var i = _indexHead; i < _index.Count && _index[i].Id <= deletable && delete.Count < MaxDeletesPerTransaction; i++) delete.Add(_index[i]);
                if (delete.Count == 0) break;
                // On disk before the files go: a document must never name a deleted file.
                Durably(() =>
                {
                    foreach (var s in delete) _db.Segments.Delete(s.Id);
                });
                foreach (var s in delete) RemoveFromIndex(s);
                // Delivered points: a series dropped before starts a new loss range at its next drop.
                _ledger.KeptAgain();
                // Room was made: let the next commit find out whether it fits.
                _full = false;
            }
            while (all);
            _quarantine.Sweep(now);
            // Every sink holds everything queued: whatever is dropped next is not contiguous with the open ranges.
            if (_cursors.Sinks.Count > 0 && minCursor >= _lastId) _ledger.KeptAgain();
            MaintainLedger(now);
            if (now - _lastRecycleTicks >= _options.EngineRecycleInterval.Ticks) RecycleEngine(now);
        });

    private long _lastRecycleTicks;

    /// <summary>
    /// Segment documents deleted per transaction. A checkpoint makes ten seconds of segments (over a thousand at
    /// 300,000 points/s) deletable at once; deleting them in one transaction made LiteDB's page cache grow by a
    /// further extent (about 18 MB of RSS). Between commits, one such transaction runs per call, so the deletions
    /// spread over the following commits; a forced call (shutdown, tests) or a full queue deletes everything due.
    /// </summary>
    internal const int MaxDeletesPerTransaction = 16;

    /// <summary>
    /// LiteDB's page cache grows in extents of up to 1,000 pages that it never gives back (under our
    /// write-read-delete pattern it reached ~50 MB within half a minute). Closing and reopening the engine
    /// between commits drops it. Closing checkpoints the log into the data file, so the reopen is quick, and
    /// nothing on disk changes meaning: our in-memory state (index, cursors, dedup) stays valid without a
    /// recovery scan.
    /// </summary>
    private void RecycleEngine(long now)
    {
        _lastRecycleTicks = now;
        _db.Close();
        _db.Open();
    }
}
