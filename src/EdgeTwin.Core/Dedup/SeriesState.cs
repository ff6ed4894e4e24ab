using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Dedup;

/// <summary>
/// What the gateway remembers of one series: the highest timestamp seen (the high-water mark), the last
/// timestamps admitted (to recognise out-of-order duplicates), and the latest value for the digital shadow.
/// Owned by the pipeline thread; the shadow fields are read by others under the state's lock.
/// </summary>
public sealed class SeriesState
{
    // The most recent admitted timestamps, sorted ascending, in one of two forms:
    // - a progression (Ring is null): Count timestamps First, First + Step, First + 2 × Step, …. A series whose
    //   timestamps are evenly spaced (a sampling interval, the simulator) keeps its whole window in three fields.
    // - a ring (Ring is set): logical element i is Ring[(Head + i) % Ring.Length]; in-order arrival appends and
    //   evicts the oldest in O(1). Regular counts the trailing elements evenly spaced by the last step (a lower
    //   bound): once it covers the whole window the ring folds back into a progression.
    internal long[]? Ring;
    internal long First;
    internal long Step;
    internal int Head;
    internal int Count;
    internal int Regular;

    // The eviction clock: this state's slot in the index's ring, and whether it was admitted since the clock's hand
    // last passed (a second chance). Stored: the queue's database holds a record of it too (it was evicted and came
    // back, or its record could not be read). Evicted: it left memory, so a cache holding this object (a mapping's)
    // must look it up again.
    internal int Slot;
    internal bool Referenced;
    internal bool Stored;
    public bool Evicted { get; internal set; }

    internal long HistoryAt(int i) => Ring is { } ring ? ring[(Head + i) % ring.Length] : First + (i * Step);

    internal void HistorySet(int i, long value) => Ring![(Head + i) % Ring.Length] = value;

    /// <summary>Timestamps remembered (at most the index's history length).</summary>
    public int HistoryCount => Count;

    /// <summary>True while the history is a progression kept without an array (evenly spaced timestamps).</summary>
    public bool HistoryIsCompact => Ring is null;

    public SeriesState(SeriesKey key) => Key = key;

    public SeriesKey Key { get; }

    /// <summary>Highest timestamp admitted, or <see cref="long.MinValue"/> before the first point.</summary>
    public long HighWaterMark { get; internal set; } = long.MinValue;

    // Digital shadow: the point at the high-water mark.
    internal StreamDescriptor? LatestStream;
    internal PointValue LatestValue;
    internal Quality LatestQuality;
    internal uint LatestStatusCode;
    internal long LatestTicks = long.MinValue;
    internal long UpdateCount;

    /// <summary>The shadow entry, or null when the series has no point yet.</summary>
    public TelemetryPoint? Latest
    {
        get
        {
            lock (this)
            {
                return LatestStream is null ? null : new TelemetryPoint(LatestStream, LatestTicks, LatestValue, LatestQuality, LatestStatusCode);
            }
        }
    }

    /// <summary>Points committed for this series since start-up (including restored state).</summary>
    public long Updates { get { lock (this) return UpdateCount; } }

    /// <summary>Updates the shadow if <paramref name="point"/> is at least as new as the latest value; called after commit.</summary>
    public void ApplyToShadow(in TelemetryPoint point)
    {
        if (point.TimestampTicks < LatestTicks) return;
        lock (this)
        {
            LatestStream = point.Stream;
            LatestValue = point.Value;
            LatestQuality = point.Quality;
            LatestStatusCode = point.StatusCode;
            LatestTicks = point.TimestampTicks;
            UpdateCount++;
        }
    }
}
