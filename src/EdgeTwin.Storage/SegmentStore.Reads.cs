using System.Buffers;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Storage;

/// <summary>Reading queued segments: finding them by id, decoding them for sinks, and quarantining one found corrupt.</summary>
internal sealed partial class SegmentStore
{
    /// <summary>Where a sink without a cursor starts: before the oldest queued segment, or after the last one.</summary>
    public long StartCursor => IndexHead < Index.Count ? Index[IndexHead].Id - 1 : LastId;

    /// <summary>The oldest queued segment (default when none is queued).</summary>
    public SegmentInfo Oldest => IndexHead < Index.Count ? Index[IndexHead] : default;

    /// <summary>Segments sinks hold now (read, not yet confirmed).</summary>
    public long HeldSegments()
    {
        var held = _cursors.HeldRanges();
        long n = 0;
        for (var i = IndexHead; i < Index.Count; i++)
        {
            if (SinkCursors.IsHeld(held, Index[i].Id)) n++;
        }
        return n;
    }

    /// <summary>The first queued segment after <paramref name="afterId"/>: its id and when it was committed (UTC ticks).</summary>
    public bool PeekNext(long afterId, out long segmentId, out long committedTicks)
    {
        var at = FindFirstAfter(afterId);
        segmentId = at < 0 ? 0 : Index[at].Id;
        committedTicks = at < 0 ? 0 : Index[at].CommittedTicks;
        return at >= 0;
    }

    /// <summary>The newest queued segment committed at or before <paramref name="ticks"/> (UTC), or 0.</summary>
    public long NewestCommittedBy(long ticks)
    {
        // Searched from the newest: the segments younger than a few seconds are few.
        for (var i = Index.Count - 1; i >= IndexHead; i--)
        {
            if (Index[i].CommittedTicks <= ticks) return Index[i].Id;
        }
        return 0;
    }

    /// <summary>Queued points after <paramref name="afterId"/> up to <paramref name="upTo"/>.</summary>
    public long PointsBetween(long afterId, long upTo)
    {
        long n = 0;
        for (var i = Index.Count - 1; i >= IndexHead && Index[i].Id > afterId; i--)
        {
            if (Index[i].Id <= upTo) n += Index[i].Count;
        }
        return n;
    }

    /// <summary>Queued points after <paramref name="cursor"/> that <paramref name="lane"/> has not delivered.</summary>
    public long PointsBehind(long cursor, SinkLane lane)
    {
        long behind = 0;
        for (var i = Index.Count - 1; i >= IndexHead && Index[i].Id > cursor; i--)
        {
            if (!lane.Holds(Index[i].Id)) behind += Index[i].Count;
        }
        return behind;
    }

    /// <summary>
    /// Appends the points of the first segment after <paramref name="afterId"/> (up to <paramref name="upTo"/>) to
    /// <paramref name="into"/>, held for <paramref name="sink"/> when given. Takes the gate itself: decoding runs outside it.
    /// </summary>
    public bool ReadNext(string? sink, long afterId, long upTo, List<TelemetryPoint> into, out long segmentId)
    {
        var from = afterId;
        while (true)
        {
            SegmentInfo info;
            byte[] blob;
            lock (_gate)
            {
                var at = FindFirstAfter(afterId);
                if (at < 0 || Index[at].Id > upTo)
                {
                    segmentId = 0;
                    return false;
                }
                info = Index[at];
                segmentId = info.Id;
                if (sink is not null) _cursors.Hold(sink, from, info.Id);
                blob = ArrayPool<byte>.Shared.Rent(info.At.Length);
                try
                {
                    // Under the gate: a drop (drop-oldest) may delete the file this segment is in.
                    Files.Read(info.At, info.Id, blob.AsSpan(0, info.At.Length));
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
        int lo = IndexHead, hi = Index.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Index[mid].Id > afterId) { found = mid; hi = mid - 1; }
            else lo = mid + 1;
        }
        return found;
    }

    private void ReadSegmentPoints(SegmentInfo s, List<TelemetryPoint> into) =>
        SegmentCodec.Decode(Files.Read(s.At, s.Id), Streams.Get, into);

    public void QuarantineCorruptSegment(long id, SegmentLocation? at, string reason)
    {
        // Whatever bytes are there, kept for forensics (base64).
        var raw = at is { } where ? Convert.ToBase64String(Files.ReadRaw(where)) : "";
        var record = new QuarantineRecord(QuarantineReason.CorruptRecord, $"queue segment {id}: {reason}", "queue", NowTicks,
            new Reading($"queue:segment/{id}", 0, PointValue.None, Raw: raw));
        var change = default(QuarantineStore.Change);
        Durably(() =>
        {
            change = _quarantine.Write([record]);
            _db.Segments.Delete(id);
        });
        _quarantine.Apply(change);
        Report.CorruptSegmentsQuarantined++;
        Report.Problems.Add($"segment {id} quarantined: {reason}");
        Log.CorruptSegment(_log, id, reason);
    }
}
