using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Dedup;

/// <summary>
/// What the gateway remembers of one series: the highest timestamp seen (the high-water mark), the last
/// timestamps admitted (to recognise out-of-order duplicates), and the latest value for the digital shadow.
/// Owned by the pipeline thread; the shadow fields are read by others under the state's lock.
/// </summary>
public sealed class SeriesState
{
    // The most recent admitted timestamps, sorted ascending, as a circular buffer: logical element i is
    // History[(HistoryHead + i) % History.Length]. In-order arrival appends and evicts the oldest in O(1).
    internal long[]? History;
    internal int HistoryHead;
    internal int HistoryCount;

    internal long HistoryAt(int i) => History![(HistoryHead + i) % History.Length];

    internal void HistorySet(int i, long value) => History![(HistoryHead + i) % History.Length] = value;

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
