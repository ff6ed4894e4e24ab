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
    // Allocated with the first key: a site whose series are all evenly spaced never needs them. The ring keeps each
    // point's stream, which the checkpoint writes as its catalog id; the set finds a key by series and timestamp.
    private StreamDescriptor[] _streams = [];
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
    public void Add(StreamDescriptor stream, long ticks)
    {
        if (!_keys.Add((stream.Series, ticks))) return;
        if (_streams.Length == 0)
        {
            _streams = new StreamDescriptor[Capacity];
            _ticks = new long[Capacity];
            _keys.EnsureCapacity(Capacity); // once, rather than doubling past it
        }
        var slot = (_head + Count) % Capacity;
        if (Count == Capacity)
        {
            _keys.Remove((_streams[_head].Series, _ticks[_head]));
            slot = _head;
            _head = (_head + 1) % Capacity;
        }
        else
        {
            Count++;
        }
        _streams[slot] = stream;
        _ticks[slot] = ticks;
    }

    public bool Contains(SeriesKey series, long ticks) => Count > 0 && _keys.Contains((series, ticks));

    /// <summary>The points held, oldest first: each one's stream and timestamp.</summary>
    public IEnumerable<(StreamDescriptor Stream, long Ticks)> Oldest()
    {
        for (var i = 0; i < Count; i++)
        {
            var slot = (_head + i) % Capacity;
            yield return (_streams[slot], _ticks[slot]);
        }
    }
}
