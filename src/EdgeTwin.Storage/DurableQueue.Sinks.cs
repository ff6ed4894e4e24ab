using System.Buffers;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using LiteDB;

namespace EdgeTwin.Storage;

public sealed partial class DurableQueue
{
    /// <summary>
    /// Declares the sinks of this run. A segment is deleted only when every one of them has confirmed it.
    /// Cursors of sinks no longer configured are forgotten, so a removed sink cannot pin the queue.
    /// </summary>
    public void SetSinks(IEnumerable<string> names)
    {
        lock (_gate)
        {
            _sinks.Clear();
            _sinks.UnionWith(names);
            foreach (var stale in _cursors.Keys.Where(k => !_sinks.Contains(k)).ToList())
            {
                _cursors.Remove(stale);
                _cursorDocs.Delete(stale);
            }
        }
    }

    /// <summary>
    /// The position a sink resumes from: its stored cursor, moved forward to what the sink itself durably
    /// holds (<paramref name="recovered"/>), if that is within the queue. A sink without a cursor starts at
    /// the oldest queued segment.
    /// </summary>
    public long RegisterSink(string name, long? recovered)
    {
        lock (_gate)
        {
            _sinks.Add(name);
            if (!_cursors.TryGetValue(name, out var cursor))
            {
                cursor = _indexHead < _index.Count ? _index[_indexHead].Id - 1 : _lastId;
            }
            if (recovered is { } r && r > cursor)
            {
                if (r <= _lastId) cursor = r;
                else Log.SinkAhead(_log, name, r, _lastId);
            }
            SetCursor(name, cursor);
            return cursor;
        }
    }

    public long GetCursor(string name)
    {
        lock (_gate) return _cursors.TryGetValue(name, out var c) ? c : 0;
    }

    /// <summary>Records that <paramref name="sink"/> holds every segment up to <paramref name="segmentId"/>.</summary>
    /// <remarks>Points the sink refused for good (<paramref name="rejected"/>) are quarantined in the same transaction.</remarks>
    public void Confirm(string sink, long segmentId, IReadOnlyList<QuarantineRecord>? rejected = null)
    {
        lock (_gate)
        {
            if (rejected is not { Count: > 0 })
            {
                if (_cursors.TryGetValue(sink, out var c) && c >= segmentId) return;
                SetCursor(sink, segmentId);
                return;
            }
            var cursor = Math.Max(segmentId, _cursors.GetValueOrDefault(sink));
            var bytes = _quarantineBytes + rejected.Sum(q => (long)q.ApproximateBytes);
            _db.BeginTrans();
            try
            {
                foreach (var q in rejected) _quarantine.Insert(QuarantineToDoc(q));
                WriteQuarantineBytes(bytes);
                _cursorDocs.Upsert(CursorDoc(sink, cursor));
                _db.Commit();
            }
            catch
            {
                TryRollback();
                throw;
            }
            _cursors[sink] = cursor;
            _quarantineCount += rejected.Count;
            _quarantineBytes = bytes;
        }
    }

    private void SetCursor(string sink, long segmentId)
    {
        _cursorDocs.Upsert(CursorDoc(sink, segmentId));
        _cursors[sink] = segmentId;
    }

    private static BsonDocument CursorDoc(string sink, long segmentId) => new() { ["_id"] = sink, ["seg"] = segmentId };

    /// <summary>
    /// Appends the points of the first segment after <paramref name="afterId"/> to <paramref name="into"/>.
    /// Returns false when there is none yet. A segment found corrupt here is quarantined and skipped.
    /// </summary>
    public bool ReadNext(long afterId, List<TelemetryPoint> into, out long segmentId)
    {
        while (true)
        {
            SegmentInfo info;
            byte[] blob;
            lock (_gate)
            {
                var at = FindFirstAfter(afterId);
                if (at < 0)
                {
                    segmentId = 0;
                    return false;
                }
                info = _index[at];
                segmentId = info.Id;
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

    private long MinCursor()
    {
        if (_sinks.Count == 0) return 0;
        var min = long.MaxValue;
        foreach (var s in _sinks) min = Math.Min(min, _cursors.TryGetValue(s, out var c) ? c : 0);
        return min;
    }

    /// <summary>
    /// Housekeeping on the writer thread, between commits: checkpoints the dedup/shadow state when due (or
    /// when <paramref name="force"/>), deletes segments every sink has confirmed and the snapshot covers, and
    /// keeps the quarantine within its bounds.
    /// </summary>
    public void Maintain(bool force = false)
    {
        lock (_gate)
        {
            if (Dedup.PendingAdmissions != 0) throw new InvalidOperationException("Maintain called with uncommitted dedup admissions");
            var now = NowTicks;
            var minCursor = MinCursor();
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
                    foreach (var s in delete) _segments.Delete(s.Id);
                });
                foreach (var s in delete) RemoveFromIndex(s);
                // Room was made: let the next commit find out whether it fits.
                _full = false;
            }
            while (all);
            SweepQuarantine(now);
            if (now - _lastRecycleTicks >= _options.EngineRecycleInterval.Ticks) RecycleEngine(now);
        }
    }

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
        CloseDatabase();
        OpenDatabase();
    }
}
