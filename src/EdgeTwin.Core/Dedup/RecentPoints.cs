using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Dedup;

/// <summary>
/// The keys of the last <see cref="Capacity"/> committed points of series whose history is a ring (timestamps not
/// evenly spaced), first in first out. A series' window recognises a redelivery only while the series has had fewer
/// than <see cref="DedupIndex.HistoryPerSeries"/> newer points; a broker that lost thousands of acknowledgements in a
/// crash (Mosquitto leaves PUBACKs unread in its socket, and a RST drops them) redelivers far below that. Such a point
/// is looked up here before it is called late-unverified. Checkpointed with the index and rebuilt by the replay, so it
/// holds the same keys after a kill -9 as before it. Pipeline thread only.
/// </summary>
public sealed class RecentPoints
{
    // Allocated with the first key: a site whose series are all evenly spaced never needs them.
    private SeriesKey[] _series = [];
    private long[] _ticks = [];
    private readonly HashSet<(SeriesKey Series, long Ticks)> _keys = [];
    private int _head;

    public RecentPoints(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Keys held (at most <see cref="Capacity"/>).</summary>
    public int Count { get; private set; }

    /// <summary>Remembers a committed point's key, forgetting the oldest when full. A key held already is not added twice.</summary>
    public void Add(SeriesKey series, long ticks)
    {
        if (!_keys.Add((series, ticks))) return;
        if (_series.Length == 0)
        {
            _series = new SeriesKey[Capacity];
            _ticks = new long[Capacity];
        }
        var slot = (_head + Count) % Capacity;
        if (Count == Capacity)
        {
            _keys.Remove((_series[_head], _ticks[_head]));
            slot = _head;
            _head = (_head + 1) % Capacity;
        }
        else
        {
            Count++;
        }
        _series[slot] = series;
        _ticks[slot] = ticks;
    }

    public bool Contains(SeriesKey series, long ticks) => Count > 0 && _keys.Contains((series, ticks));

    /// <summary>The keys held, oldest first.</summary>
    public IEnumerable<(SeriesKey Series, long Ticks)> Oldest()
    {
        for (var i = 0; i < Count; i++)
        {
            var slot = (_head + i) % Capacity;
            yield return (_series[slot], _ticks[slot]);
        }
    }
}
