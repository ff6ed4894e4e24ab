using System.Buffers;
using System.Text;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Dedup;

/// <summary>
/// Drops exact duplicates by asset + metric + timestamp (docs/architecture.md §2.2) and keeps new out-of-order
/// points: per series a high-water mark and the last <see cref="HistoryPerSeries"/> timestamps, or while they are
/// evenly spaced their whole unbroken run kept as a progression (first, step, count: no array), so memory follows the
/// series count. <see cref="Admit"/> is tentative until <see cref="Accept"/>; <see cref="Rollback"/> undoes it
/// when a commit fails, so a point never made durable is never remembered as seen.
/// </summary>
public sealed partial class DedupIndex
{
    // The series in memory, found by their key: a set of the states themselves (each knows its key), so an entry is
    // the state's reference with its hash and chain (16 bytes and a 4-byte bucket) rather than a copy of the key.
    private readonly HashSet<SeriesState> _series = new(KeyComparer.Instance);
    private readonly HashSet<SeriesState>.AlternateLookup<SeriesKey> _byKey;

    // Readers on other threads (the local API's shadow) list the series from here: the set above belongs
    // to the pipeline thread and may be growing while they read. It is also the eviction clock's ring (SeriesState.Slot).
    private readonly List<SeriesState> _published = [];
    private readonly Lock _publishedGate = new();

    /// <param name="recentPoints">Keys of recently committed points of irregular series kept besides the windows (<see cref="RecentPoints"/>); 0 for none.</param>
    public DedupIndex(int historyPerSeries, int recentPoints = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(historyPerSeries, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(recentPoints);
        HistoryPerSeries = historyPerSeries;
        Recent = recentPoints > 0 ? new RecentPoints(recentPoints) : null;
        _byKey = _series.GetAlternateLookup<SeriesKey>();
    }

    /// <summary>The last committed points of irregular series, recognised below their window; null when not kept.</summary>
    public RecentPoints? Recent { get; }

    public int HistoryPerSeries { get; }

    public int SeriesCount => _series.Count;

    public IEnumerable<SeriesState> Series => _series;

    /// <summary>
    /// Sizes the index for <paramref name="series"/> series at once (the mapped series, or a snapshot's count), so it
    /// does not grow by doubling on the way there, which leaves up to twice the entries needed. Never shrinks it.
    /// </summary>
    public void EnsureCapacity(int series)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(series);
        if (series <= _series.Count) return;
        _series.EnsureCapacity(series);
        lock (_publishedGate)
        {
            if (_published.Capacity < series) _published.Capacity = series;
        }
    }

    public SeriesState GetOrAdd(SeriesKey key) =>
        _byKey.TryGetValue(key, out var state) ? state : Add(new SeriesState(key));

    /// <summary>
    /// The state of <paramref name="stream"/>'s series; a new one holds the descriptor for its key (no copy of it).
    /// The pipeline's way in: its points carry their descriptor.
    /// </summary>
    public SeriesState GetOrAdd(StreamDescriptor stream) =>
        _byKey.TryGetValue(stream.Series, out var state) ? state : Add(new SeriesState(stream));

    private SeriesState Add(SeriesState state)
    {
        _series.Add(state);
        lock (_publishedGate)
        {
            state.Slot = _published.Count;
            _published.Add(state);
        }
        // A series evicted before comes back with its history and shadow.
        if (_spill is not null && _spill.Spilled > 0 && _spill.Load(state.Key) is { } record) Reload(state, record);
        return state;
    }

    /// <summary>The series known so far, safe to call from any thread (the shadow's readers).</summary>
    public SeriesState[] SnapshotSeries()
    {
        lock (_publishedGate) return [.. _published];
    }

    public bool TryGet(SeriesKey key, out SeriesState? state)
    {
        var found = _byKey.TryGetValue(key, out var s);
        state = s;
        return found;
    }

    /// <summary>Equality of states by their series' key, and the lookup of a state by a bare key.</summary>
    private sealed class KeyComparer : IEqualityComparer<SeriesState>, IAlternateEqualityComparer<SeriesKey, SeriesState>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(SeriesState? x, SeriesState? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.Key == y.Key);

        public int GetHashCode(SeriesState obj) => obj.Key.GetHashCode();

        public bool Equals(SeriesKey alternate, SeriesState other) => alternate == other.Key;

        public int GetHashCode(SeriesKey alternate) => alternate.GetHashCode();

        public SeriesState Create(SeriesKey alternate) => new(alternate);
    }

    private const uint SnapshotMagic = 0x50534445; // "EDSP" little-endian
    private const byte SnapshotVersion = 4;
    private const byte HistoryList = 0;
    private const byte HistoryProgression = 1;

    /// <summary>Set on a value's kind byte when the value is written as its <see cref="PointValueCodec"/> payload (an extended value).</summary>
    private const byte ExtendedValue = 0x80;

    /// <summary>
    /// Writes the whole state (history and shadow) for the queue's checkpoint. Layout, little-endian:
    /// magic u32, version u8, history-per-series i32, series count i32; per series: asset and metric as
    /// length-prefixed UTF-8, high-water mark i64, history count i32, and unless it is 0 the history's form u8:
    /// 0 a list (i64[] oldest first), 1 a progression (first i64, step i64); then the shadow (has-value u8, and if set: ticks i64, quality u8, status u32, value: kind u8 and
    /// f64 | u8 | length-prefixed UTF-8, or for an extended value (<see cref="PointValue.IsExtended"/>) kind | 0x80,
    /// payload length i32 and the <see cref="PointValueCodec"/> payload, tag included);
    /// then (from version 3) flags u8: bit 0 set when the queue's database holds a record of the series too.
    /// After the series (from version 4): the recent points (<see cref="Recent"/>), count i32 and per point its stream's
    /// catalog id i32 and ticks i64, oldest first.
    /// The shadow's stream is written as its catalog id by <paramref name="streamId"/>.
    /// </summary>
    public void WriteSnapshot(IBufferWriter<byte> output, Func<StreamDescriptor, int> streamId)
    {
        var w = new SpanWriter(output);
        w.U32(SnapshotMagic);
        w.U8(SnapshotVersion);
        w.I32(HistoryPerSeries);
        w.I32(_series.Count);
        foreach (var s in _series) WriteSeries(ref w, s, streamId);
        // Version 4: the recent points, oldest first.
        w.I32(Recent?.Count ?? 0);
        if (Recent is { } recent)
        {
            foreach (var (point, ticks) in recent.Oldest())
            {
                w.I32(streamId(point));
                w.I64(ticks);
            }
        }
    }

    private static void WriteSeries(ref SpanWriter w, SeriesState s, Func<StreamDescriptor, int> streamId)
    {
        w.Str(s.Key.AssetId);
        w.Str(s.Key.Metric);
        w.I64(s.HighWaterMark);
        w.I32(s.Count);
        if (s.Count >= 2 && EvenlySpaced(s))
        {
            // Also a ring that holds a progression (it folds only on an append): one form per window.
            w.U8(HistoryProgression);
            w.I64(s.HistoryAt(0));
            w.I64(s.HistoryAt(1) - s.HistoryAt(0));
        }
        else if (s.Count > 0)
        {
            w.U8(HistoryList);
            for (var i = 0; i < s.Count; i++) w.I64(s.HistoryAt(i));
        }
        var latest = s.Latest;
        if (latest is { } p)
        {
            w.U8(1);
            w.I32(streamId(p.Stream));
            w.I64(p.TimestampTicks);
            w.U8((byte)p.Quality);
            w.U32(p.StatusCode);
            w.Value(p.Value);
        }
        else
        {
            w.U8(0);
        }
        w.U8(s.Stored ? (byte)1 : (byte)0);
    }

    /// <summary>
    /// Restores a state written by <see cref="WriteSnapshot"/>; throws <see cref="InvalidDataException"/> (and nothing
    /// else: the queue's recovery relies on it) on a malformed snapshot.
    /// </summary>
    public static DedupIndex ReadSnapshot(ReadOnlySpan<byte> data, int historyPerSeries, Func<int, StreamDescriptor?> stream, int recentPoints = 0)
    {
        var r = new SpanReader(data);
        return ReadSnapshot(ref r, data.Length, historyPerSeries, stream, 0, recentPoints);
    }

    /// <summary>
    /// Restores a state written by <see cref="WriteSnapshot"/> from the next <paramref name="length"/> bytes of
    /// <paramref name="payload"/>, read through a small buffer: at a million series a snapshot is tens of MB, which the
    /// heap need not hold while the index is built. Throws <see cref="InvalidDataException"/> on a malformed snapshot
    /// (also when the stream ends early); an I/O error propagates.
    /// </summary>
    /// <param name="capacity">Series to size the index for at least (<see cref="EnsureCapacity"/>), beside the snapshot's.</param>
    /// <param name="recentPoints">The index's <see cref="RecentPoints"/> capacity (0: none; the snapshot's are then skipped).</param>
    public static DedupIndex ReadSnapshot(Stream payload, long length, int historyPerSeries, Func<int, StreamDescriptor?> stream, int capacity = 0, int recentPoints = 0)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        using var source = new ChunkSource(payload, length);
        var r = new SpanReader(source);
        return ReadSnapshot(ref r, length, historyPerSeries, stream, capacity, recentPoints);
    }

    private static DedupIndex ReadSnapshot(ref SpanReader r, long length, int historyPerSeries, Func<int, StreamDescriptor?> stream, int capacity, int recentPoints)
    {
        if (r.U32() != SnapshotMagic) throw new InvalidDataException("dedup snapshot: bad magic");
        var version = r.U8();
        if (version is not (1 or 2 or 3 or SnapshotVersion)) throw new InvalidDataException($"dedup snapshot: unknown version {version}");
        var writtenHistory = r.I32(); // the history length it was written with; we re-fit to the configured one
        if (writtenHistory < 1) throw new InvalidDataException($"dedup snapshot: history length {writtenHistory}");
        var count = r.I32();
        if (count < 0) throw new InvalidDataException("dedup snapshot: negative series count");
        var index = new DedupIndex(historyPerSeries, recentPoints);
        // Sized once from the count (bounded by what the data can hold: a series takes at least 15 bytes).
        index.EnsureCapacity(Math.Max(capacity, (int)Math.Min(count, length / 15)));
        for (var n = 0; n < count; n++) index.ReadSeries(ref r, version, stream, null);
        if (version >= 4) index.ReadRecent(ref r, stream);
        if (r.Offset != length) throw new InvalidDataException($"dedup snapshot: {length - r.Offset} bytes after the last series");
        index.Accept();
        return index;
    }

    /// <summary>
    /// One series as <see cref="WriteSeries"/> wrote it, into this index (or into <paramref name="into"/>). Nothing
    /// is allocated but what the state keeps: the key is read as UTF-8 into a pooled buffer and the state is made
    /// for its shadow's stream (which holds the key), so a million series read back leave no garbage between the
    /// states (at that count, the strings and boxes once dropped between them left ~90 MB more heap committed).
    /// </summary>
    private SeriesState ReadSeries(ref SpanReader r, byte version, Func<int, StreamDescriptor?> stream, SeriesState? into)
    {
        var key = ArrayPool<byte>.Shared.Rent(512);
        long[]? list = null;
        var pending = _undo.Count;
        try
        {
            var asset = r.Utf8();
            var assetLength = asset.Length;
            if (assetLength > key.Length) Grow(ref key, assetLength, 0);
            asset.CopyTo(key);
            var metric = r.Utf8();
            if (assetLength + metric.Length > key.Length) Grow(ref key, assetLength + metric.Length, assetLength);
            metric.CopyTo(key.AsSpan(assetLength));
            var assetBytes = key.AsSpan(0, assetLength);
            var metricBytes = key.AsSpan(assetLength, metric.Length);

            var hwm = r.I64();
            var histCount = r.I32();
            if (histCount < 0) throw new InvalidDataException($"dedup snapshot: history count {histCount} at offset {r.Offset}");
            var form = version == 1 || histCount == 0 ? HistoryList : r.U8();
            // A progression's run has any length; a list is at most a ring.
            if (form != HistoryProgression && histCount > 65536) throw new InvalidDataException($"dedup snapshot: history count {histCount} at offset {r.Offset}");
            long first = 0, step = 0, progressionEnd = 0;
            if (form == HistoryProgression)
            {
                first = r.I64();
                step = r.I64();
                progressionEnd = r.Offset;
            }
            else if (form == HistoryList)
            {
                list = ArrayPool<long>.Shared.Rent(Math.Max(histCount, 1));
                for (var i = 0; i < histCount; i++) list[i] = r.I64();
            }
            else
            {
                throw new InvalidDataException($"dedup snapshot: unknown history form {form} at offset {r.Offset - 1}");
            }

            StreamDescriptor? shadow = null;
            var shadowId = 0;
            long ticks = 0;
            var quality = Quality.Good;
            uint status = 0;
            var value = PointValue.None;
            if (r.U8() == 1)
            {
                shadowId = r.I32();
                ticks = r.I64();
                var qualityByte = r.U8();
                if (qualityByte > (byte)Quality.Bad) throw new InvalidDataException($"dedup snapshot: unknown quality {qualityByte} at offset {r.Offset - 1}");
                quality = (Quality)qualityByte;
                status = r.U32();
                value = r.Value();
                shadow = stream(shadowId);
            }
            var flags = 0;
            if (version >= 3)
            {
                flags = r.U8();
                if (flags > 1) throw new InvalidDataException($"dedup snapshot: unknown series flags {flags} at offset {r.Offset - 1}");
            }

            SeriesState state;
            if (into is not null)
            {
                if (!Is(into.Key, assetBytes, metricBytes)) throw new InvalidDataException($"dedup record: series {KeyOf(assetBytes, metricBytes)} where {into.Key} was expected");
                state = into;
            }
            else if (shadow is not null)
            {
                // The shadow's stream holds the series' key too: a stream of another series is a corrupt id.
                if (!Is(shadow.Series, assetBytes, metricBytes)) throw new InvalidDataException($"dedup snapshot: series {KeyOf(assetBytes, metricBytes)} has a shadow of stream {shadowId}, which is {shadow.Series}, before offset {r.Offset}");
                state = GetOrAdd(shadow);
            }
            else
            {
                state = GetOrAdd(KeyOf(assetBytes, metricBytes));
            }

            if (form == HistoryProgression) RestoreProgression(state, histCount, first, step, progressionEnd);
            else for (var i = 0; i < histCount; i++) Admit(state, list![i]);
            state.HighWaterMark = Math.Max(state.HighWaterMark, hwm);
            if (state.Count == 0)
            {
                // Every admission enters the history, so a mark without one is corrupt; kept, it would break Admit.
                if (state.HighWaterMark != long.MinValue) throw new InvalidDataException($"dedup snapshot: series {state.Key} has a high-water mark but no history");
            }
            if (shadow is not null) state.ApplyToShadow(new TelemetryPoint(shadow, ticks, value, quality, status));
            if (version >= 3 && into is null) MarkStored(state, (flags & 1) != 0);
            // What was read is durable: nothing of it is for a rollback (a snapshot of a million one-point series kept a
            // million undo records, ~56 MB, until its end, and the list's capacity after it).
            _undo.RemoveRange(pending, _undo.Count - pending);
            return state;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(key);
            if (list is not null) ArrayPool<long>.Shared.Return(list);
        }
    }

    /// <summary>The recent points section (version 4): each point's stream by its catalog id, and its timestamp.</summary>
    private void ReadRecent(ref SpanReader r, Func<int, StreamDescriptor?> stream)
    {
        var count = r.I32();
        if (count < 0) throw new InvalidDataException($"dedup snapshot: recent point count {count} at offset {r.Offset - 4}");
        for (var i = 0; i < count; i++)
        {
            var id = r.I32();
            var ticks = r.I64();
            // A stream the catalog does not hold (it never should) only costs that key: its redelivery would be late.
            if (Recent is not null && stream(id) is { } point) Recent.Add(point, ticks);
        }
    }

    private static void Grow(ref byte[] buffer, int size, int keep)
    {
        var larger = ArrayPool<byte>.Shared.Rent(size);
        buffer.AsSpan(0, keep).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = larger;
    }

    private static SeriesKey KeyOf(ReadOnlySpan<byte> asset, ReadOnlySpan<byte> metric) => new(Encoding.UTF8.GetString(asset), Encoding.UTF8.GetString(metric));

    /// <summary>Whether <paramref name="key"/> is the UTF-8 <paramref name="asset"/> and <paramref name="metric"/>, without allocating.</summary>
    private static bool Is(SeriesKey key, ReadOnlySpan<byte> asset, ReadOnlySpan<byte> metric) => Is(key.AssetId, asset) && Is(key.Metric, metric);

    private static bool Is(string text, ReadOnlySpan<byte> utf8)
    {
        // Every char is at least one UTF-8 byte and at most three; beyond that the lengths alone tell.
        if (text.Length > utf8.Length || utf8.Length > 3 * text.Length) return false;
        Span<byte> small = stackalloc byte[256];
        var encoded = utf8.Length <= small.Length ? small : new byte[utf8.Length];
        return Encoding.UTF8.TryGetBytes(text, encoded, out var written) && encoded[..written].SequenceEqual(utf8);
    }

    private static bool EvenlySpaced(SeriesState s)
    {
        if (s.Ring is null) return true;
        var step = s.HistoryAt(1) - s.HistoryAt(0);
        for (var i = 2; i < s.Count; i++)
        {
            if (s.HistoryAt(i) - s.HistoryAt(i - 1) != step) return false;
        }
        return true;
    }

    /// <summary>A progression read back whole (a run is kept at any length).</summary>
    private void RestoreProgression(SeriesState state, int count, long first, long step, long offset)
    {
        if (count < 2 || step <= 0) throw new InvalidDataException($"dedup snapshot: progression of {count} with step {step} before offset {offset}");
        long last;
        try
        {
            last = checked(first + ((count - 1) * step));
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"dedup snapshot: progression from {first} by {step} overflows before offset {offset}");
        }
        if (state.Count > 0)
        {
            // The series was listed before (a corrupt file): merge the window's worth, as a list would be.
            for (var i = count - Math.Min(count, HistoryPerSeries); i < count; i++) Admit(state, first + (i * step));
            return;
        }
        state.Ring = null; // First and Step are the progression's from here (a ring's Head and Regular share them)
        state.First = first;
        state.Step = step;
        state.Count = count;
        state.HighWaterMark = Math.Max(state.HighWaterMark, last);
    }
}
