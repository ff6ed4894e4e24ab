namespace EdgeTwin.Storage;

/// <summary>
/// What sinks hold: segments a sink has read but not yet confirmed. Drop-oldest never drops them, so a point is never
/// both delivered and counted lost. Kept in memory only: after a restart nothing is in flight.
/// </summary>
public sealed partial class DurableQueue
{
    /// <summary>
    /// Per sink, the newest segment handed out by reads not yet confirmed: from its cursor (<c>Backlog</c>), and after its
    /// live lane (<c>Live</c>). The sink holds the segments after its cursor up to <c>Backlog</c>, and, while its lane is
    /// open, those after the lane up to <c>Live</c>; confirming moves the cursor or the lane past them, which ends the hold.
    /// </summary>
    private readonly Dictionary<string, (long Backlog, long Live)> _holds = new(StringComparer.Ordinal);

    /// <summary>
    /// Records that <paramref name="sink"/> was handed segment <paramref name="segmentId"/> by a read after
    /// <paramref name="afterId"/>. A read starting at the cursor (or at the end of the live lane) begins a new batch: it
    /// replaces what the sink held there before (a batch whose send failed is read again from the same place).
    /// Called under the gate.
    /// </summary>
    private void Hold(string sink, long afterId, long segmentId)
    {
        var cursor = _cursors.GetValueOrDefault(sink);
        var lane = _lanes.GetValueOrDefault(sink);
        var h = _holds.GetValueOrDefault(sink);
        // Backlog reads stop at the lane's start, live reads begin at or after its end.
        if (lane.IsOpen && afterId >= lane.UpTo) h.Live = afterId <= lane.UpTo ? segmentId : Math.Max(h.Live, segmentId);
        else h.Backlog = afterId <= cursor ? segmentId : Math.Max(h.Backlog, segmentId);
        _holds[sink] = h;
    }

    /// <summary>
    /// <paramref name="sink"/> no longer holds what it read and did not confirm (its send failed and the batch was let
    /// go): drop-oldest may drop those segments again.
    /// </summary>
    public void Release(string sink)
    {
        lock (_gate) _holds.Remove(sink);
    }

    /// <summary>The ranges of segment ids sinks hold now, as (after, upTo]. Called under the gate.</summary>
    private List<(long After, long UpTo)> HeldRanges()
    {
        var held = new List<(long, long)>();
        foreach (var (sink, h) in _holds)
        {
            var cursor = _cursors.GetValueOrDefault(sink);
            if (h.Backlog > cursor) held.Add((cursor, h.Backlog));
            var lane = _lanes.GetValueOrDefault(sink);
            if (lane.IsOpen && h.Live > lane.UpTo) held.Add((lane.UpTo, h.Live));
        }
        return held;
    }

    private static bool IsHeld(List<(long After, long UpTo)> held, long segmentId)
    {
        foreach (var (after, upTo) in held)
        {
            if (segmentId > after && segmentId <= upTo) return true;
        }
        return false;
    }

    /// <summary>Segments sinks hold now (read, not yet confirmed): drop-oldest leaves them queued.</summary>
    public long HeldSegments()
    {
        lock (_gate)
        {
            var held = HeldRanges();
            long n = 0;
            for (var i = _indexHead; i < _index.Count; i++)
            {
                if (IsHeld(held, _index[i].Id)) n++;
            }
            return n;
        }
    }
}
