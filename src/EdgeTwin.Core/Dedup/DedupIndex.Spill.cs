using System.Buffers;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Dedup;

/// <summary>Where series that left memory are kept (the queue's database), and brought back from.</summary>
public interface ISeriesSpill
{
    /// <summary>Series records held; while there are none, a new series is not looked up.</summary>
    long Spilled { get; }

    /// <summary>The record <see cref="DedupIndex.PickEvictions"/> made for <paramref name="key"/>, or null.</summary>
    byte[]? Load(SeriesKey key);

    /// <summary>The stream of a catalog id, for a reloaded shadow.</summary>
    StreamDescriptor? Stream(int id);
}

// The memory bound: the coldest series leave memory as records (their history and shadow) and come back on their
// next point, so a returning series is deduplicated exactly as if it had stayed.
public sealed partial class DedupIndex
{
    /// <summary>
    /// What one series in memory is counted as, measured (DedupMemoryTests: the heap before and after a million
    /// series): the state object (104 bytes), its set entry and bucket (~22 bytes with the set sized once by
    /// <see cref="EnsureCapacity"/>) and its clock slot (8 bytes), ~136 bytes in all, ~140 when the set grew by
    /// doubling; a series whose timestamps are not evenly spaced adds its ring (<see cref="RingBytes"/>).
    /// </summary>
    public const int StateBytes = 140;

    private ISeriesSpill? _spill;

    /// <summary>Bytes a ring of <paramref name="history"/> timestamps costs (array header and the timestamps).</summary>
    public static long RingBytesFor(int history) => 24 + (8L * history);

    /// <summary>Bytes a ring costs here (<see cref="RingBytesFor"/> of <see cref="HistoryPerSeries"/>).</summary>
    public long RingBytes => RingBytesFor(HistoryPerSeries);

    /// <summary>Estimated bytes of the series in memory.</summary>
    public long EstimatedBytes => ((long)_series.Count * StateBytes) + (_rings * RingBytes);

    /// <summary>Series that left memory since start-up.</summary>
    public long Evictions { get; private set; }

    /// <summary>
    /// Series in memory whose record the queue's database holds too (they came back after an eviction): the series
    /// held only there are its records less these.
    /// </summary>
    public int StoredInMemory { get; private set; }

    private int _hand;

    private void MarkStored(SeriesState state, bool stored)
    {
        if (state.Stored == stored) return;
        state.Stored = stored;
        StoredInMemory += stored ? 1 : -1;
    }

    public void AttachSpill(ISeriesSpill spill) => _spill = spill;

    private void Reload(SeriesState state, byte[] record)
    {
        var pending = _undo.Count;
        MarkStored(state, true); // the record stays in the database until the series is evicted again
        try
        {
            var r = new SpanReader(record);
            var version = r.U8();
            if (version is not (2 or 3 or SnapshotVersion)) throw new InvalidDataException($"dedup record: unknown version {version}");
            ReadSeries(ref r, version, _spill!.Stream, state);
            if (r.Offset != record.Length) throw new InvalidDataException($"dedup record: {record.Length - r.Offset} bytes after the series");
        }
        catch (InvalidDataException)
        {
            // An unreadable record: the series starts afresh; what it remembered is gone, so a point at or below
            // what it had seen may be forwarded again (the cloud upserts by key).
            if (state.Ring is not null) _rings--;
            state.Ring = null;
            state.Count = 0;
            state.HighWaterMark = long.MinValue;
        }
        // What came back was durable already: a rollback of the batch that brought it must not undo it.
        _undo.RemoveRange(pending, _undo.Count - pending);
    }

    /// <summary>
    /// Cold series to evict until <see cref="EstimatedBytes"/> is at most <paramref name="targetBytes"/>, each with its
    /// record (history and shadow, the snapshot's per-series layout after a version byte), chosen by a clock
    /// (second chance): the hand sweeps the series in memory, passes over one admitted since it last came by (and
    /// clears that mark) and picks one that was not. The cost follows the series picked and the marks cleared, not
    /// the series count; when every series was admitted, one sweep clears them all and the next picks. Call with no
    /// admission pending; nothing leaves memory until <see cref="CompleteEvictions"/>, after the records are durable.
    /// </summary>
    public List<(SeriesKey Key, byte[] Record)> PickEvictions(long targetBytes, Func<StreamDescriptor, int> streamId)
    {
        if (PendingAdmissions != 0) throw new InvalidOperationException("evictions with uncommitted dedup admissions");
        var picked = new List<(SeriesKey, byte[])>();
        var excess = EstimatedBytes - targetBytes;
        if (excess <= 0) return picked;
        var output = new ArrayBufferWriter<byte>(256);
        var ring = _published;
        // Each slot is visited at most twice: a picked series is marked as admitted, so the second pass skips it (and
        // if its record never becomes durable, it stays with a second chance).
        for (var visits = 2 * ring.Count; excess > 0 && visits > 0; visits--)
        {
            if (_hand >= ring.Count) _hand = 0;
            var s = ring[_hand++];
            if (s.Referenced)
            {
                s.Referenced = false;
                continue;
            }
            s.Referenced = true;
            output.ResetWrittenCount();
            var w = new SpanWriter(output);
            w.U8(SnapshotVersion);
            WriteSeries(ref w, s, streamId);
            picked.Add((s.Key, output.WrittenSpan.ToArray()));
            excess -= StateBytes + (s.Ring is null ? 0 : RingBytes);
        }
        return picked;
    }

    /// <summary>The records of <paramref name="evicted"/> are durable: the series leave memory.</summary>
    public void CompleteEvictions(List<(SeriesKey Key, byte[] Record)> evicted)
    {
        foreach (var (key, _) in evicted)
        {
            if (!_byKey.TryGetValue(key, out var s) || !_series.Remove(s)) continue;
            if (s.Ring is not null) _rings--;
            MarkStored(s, false); // its record is the one just written, counted among the database's
            s.Evicted = true;
            Evictions++;
            lock (_publishedGate)
            {
                // The last slot moves into the freed one: O(1) per series.
                var last = _published[^1];
                _published[s.Slot] = last;
                last.Slot = s.Slot;
                _published.RemoveAt(_published.Count - 1);
            }
        }
    }
}
