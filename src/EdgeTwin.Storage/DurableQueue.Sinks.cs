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
            var cursor = _cursors.Add(name, _store.StartCursor);
            if (recovered is { } r && r > cursor)
            {
                if (r <= _store.LastId) cursor = r;
                else Log.SinkAhead(_log, name, r, _store.LastId);
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
        lock (_gate) return _store.HeldSegments();
    }

    /// <summary>
    /// The first queued segment after <paramref name="afterId"/>: its id and when it was committed (UTC ticks).
    /// False when there is none.
    /// </summary>
    public bool PeekNext(long afterId, out long segmentId, out long committedTicks)
    {
        lock (_gate) return _store.PeekNext(afterId, out segmentId, out committedTicks);
    }

    /// <summary>The newest queued segment committed at or before <paramref name="ticks"/> (UTC), or 0.</summary>
    public long NewestCommittedBy(long ticks)
    {
        lock (_gate) return _store.NewestCommittedBy(ticks);
    }

    /// <summary>Queued points after <paramref name="afterId"/> up to <paramref name="upTo"/>.</summary>
    public long PointsBetween(long afterId, long upTo)
    {
        lock (_gate) return _store.PointsBetween(afterId, upTo);
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
    /// out is held for it (see <see cref="SinkCursors.Hold"/>) until it confirms it, so drop-oldest cannot drop what the sink may deliver.
    /// </summary>
    public bool ReadNext(string? sink, long afterId, long upTo, List<TelemetryPoint> into, out long segmentId)
    {
        try
        {
            return _store.ReadNext(sink, afterId, upTo, into, out segmentId);
        }
        catch (Exception ex) when (StorageException.IsStorageFailure(ex))
        {
            throw Failed("reading a segment", ex);
        }
    }
}
