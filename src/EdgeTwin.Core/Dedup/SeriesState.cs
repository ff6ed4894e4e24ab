using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Dedup;

/// <summary>
/// What the gateway remembers of one series: the highest timestamp seen (the high-water mark), the last
/// timestamps admitted (to recognise out-of-order duplicates), and the latest value for the digital shadow.
/// Owned by the pipeline thread; the shadow fields are read by others under the state's lock.
/// </summary>
/// <remarks>
/// Packed for a million series: 88 bytes of fields (104 with the object header). The series' key is not a field of
/// its own: it is the shadow's stream (whose <see cref="StreamDescriptor.Series"/> it is), or before the first point
/// the descriptor the state was made for, or a small box when it was made from a bare key. The shadow's value is
/// kept as its parts, its kind beside the flags. While the history is a ring, the progression's two fields hold the
/// ring's head and regular run instead (<see cref="Head"/>, <see cref="Regular"/>).
/// </remarks>
public sealed class SeriesState
{
    // The most recent admitted timestamps, sorted ascending, in one of two forms:
    // - a progression (Ring is null): Count timestamps First, First + Step, First + 2 × Step, …. A series whose
    //   timestamps are evenly spaced (a sampling interval, the simulator) keeps its whole window in three fields.
    // - a ring (Ring is set): logical element i is Ring[(Head + i) % Ring.Length]; in-order arrival appends and
    //   evicts the oldest in O(1). Regular counts the trailing elements evenly spaced by the last step (a lower
    //   bound): once it covers the whole window the ring folds back into a progression.
    internal long[]? Ring;
    private long _first;  // First (a progression) or Head (a ring)
    private long _step;   // Step (a progression) or Regular (a ring)
    internal int Count;

    /// <summary>The progression's first timestamp; meaningless while <see cref="Ring"/> is set (it holds <see cref="Head"/>).</summary>
    internal long First { get => _first; set => _first = value; }

    /// <summary>The progression's step; meaningless while <see cref="Ring"/> is set (it holds <see cref="Regular"/>).</summary>
    internal long Step { get => _step; set => _step = value; }

    /// <summary>The ring's oldest element; only while <see cref="Ring"/> is set (it shares <see cref="First"/>'s field).</summary>
    internal int Head { get => (int)_first; set => _first = value; }

    /// <summary>The trailing evenly spaced elements of the ring; only while <see cref="Ring"/> is set (it shares <see cref="Step"/>'s field).</summary>
    internal int Regular { get => (int)_step; set => _step = value; }

    // The eviction clock: this state's slot in the index's ring, and whether it was admitted since the clock's hand
    // last passed (a second chance). Stored: the queue's database holds a record of it too (it was evicted and came
    // back, or its record could not be read). Evicted: it left memory, so a cache holding this object (a mapping's)
    // must look it up again. All flags change on the pipeline thread only.
    internal int Slot;
    private byte _flags;

    private const byte ReferencedFlag = 1;
    private const byte StoredFlag = 2;
    private const byte EvictedFlag = 4;
    private const byte HasLatestFlag = 8;

    internal bool Referenced { get => (_flags & ReferencedFlag) != 0; set => SetFlag(ReferencedFlag, value); }

    internal bool Stored { get => (_flags & StoredFlag) != 0; set => SetFlag(StoredFlag, value); }

    public bool Evicted { get => (_flags & EvictedFlag) != 0; internal set => SetFlag(EvictedFlag, value); }

    private void SetFlag(byte flag, bool on) => _flags = on ? (byte)(_flags | flag) : (byte)(_flags & ~flag);

    internal long HistoryAt(int i) => Ring is { } ring ? ring[(Head + i) % ring.Length] : First + (i * Step);

    internal void HistorySet(int i, long value) => Ring![(Head + i) % Ring.Length] = value;

    /// <summary>Timestamps remembered: at most the index's history length in a ring, a whole unbroken run in a progression.</summary>
    public int HistoryCount => Count;

    /// <summary>True while the history is a progression kept without an array (evenly spaced timestamps).</summary>
    public bool HistoryIsCompact => Ring is null;

    // The key: a StreamDescriptor of the series (the shadow's once it has one) or a KeyBox.
    private object _keySource;

    public SeriesState(SeriesKey key) => _keySource = new KeyBox(key);

    /// <summary>A state for <paramref name="stream"/>'s series, which holds no key of its own (the descriptor has it).</summary>
    public SeriesState(StreamDescriptor stream) => _keySource = stream ?? throw new ArgumentNullException(nameof(stream));

    public SeriesKey Key => _keySource is StreamDescriptor stream ? stream.Series : ((KeyBox)_keySource).Key;

    /// <summary>Highest timestamp admitted, or <see cref="long.MinValue"/> before the first point.</summary>
    public long HighWaterMark { get; internal set; } = long.MinValue;

    // Digital shadow: the point at the high-water mark, its stream being _keySource (set when HasLatestFlag is).
    private double _latestNumber;
    private object? _latestReference;
    private PointValueKind _latestKind;
    private Quality _latestQuality;
    private uint _latestStatusCode;
    internal long LatestTicks = long.MinValue;
    private long _updateCount;

    /// <summary>The shadow entry, or null when the series has no point yet.</summary>
    public TelemetryPoint? Latest
    {
        get
        {
            lock (this)
            {
                if ((_flags & HasLatestFlag) == 0) return null;
                var value = PointValue.FromParts(_latestKind, _latestNumber, _latestReference);
                return new TelemetryPoint((StreamDescriptor)_keySource, LatestTicks, value, _latestQuality, _latestStatusCode);
            }
        }
    }

    /// <summary>Points committed for this series since start-up (including restored state).</summary>
    public long Updates { get { lock (this) return _updateCount; } }

    /// <summary>Updates the shadow if <paramref name="point"/> is at least as new as the latest value; called after commit.</summary>
    public void ApplyToShadow(in TelemetryPoint point)
    {
        if (point.TimestampTicks < LatestTicks) return;
        var stream = point.Stream;
        if (!ReferenceEquals(stream, _keySource))
        {
            // The stream becomes the key's holder too, so it must be this series'.
            var key = Key;
            var series = stream.Series;
            if (!string.Equals(series.AssetId, key.AssetId, StringComparison.Ordinal) || !string.Equals(series.Metric, key.Metric, StringComparison.Ordinal))
            {
                throw new ArgumentException($"a point of {series} applied to the shadow of {key}", nameof(point));
            }
        }
        lock (this)
        {
            _keySource = stream;
            _latestNumber = point.Value.RawNumber;
            _latestReference = point.Value.RawReference;
            _latestKind = point.Value.Kind;
            _latestQuality = point.Quality;
            _latestStatusCode = point.StatusCode;
            LatestTicks = point.TimestampTicks;
            _updateCount++;
            _flags |= HasLatestFlag;
        }
    }

    /// <summary>A series' key where no descriptor holds it (a state made from a bare key, until its first point).</summary>
    private sealed class KeyBox(SeriesKey key)
    {
        public SeriesKey Key { get; } = key;
    }
}
