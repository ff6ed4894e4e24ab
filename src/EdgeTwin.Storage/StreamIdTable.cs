using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Storage;

/// <summary>
/// The stream catalog's index from a stream to its id, by equality: an open-addressing table of ids (linear
/// probing, at most half full) whose streams are the catalog's own list. It costs 4 to 8 bytes per stream, where a
/// dictionary keyed by the stream cost about 36 (an entry and a bucket, grown by doubling). Ids are never removed
/// one by one, so no slot is ever a tombstone. Not thread-safe: the catalog's lock guards it.
/// </summary>
internal sealed class StreamIdTable(Func<int, StreamDescriptor?> streams, int expected = 0)
{
    private int[] _slots = new int[Math.Max(16, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, expected) * 2))];

    public int Count { get; private set; }

    /// <summary>The id of a stream equal to <paramref name="stream"/>, or 0.</summary>
    public int Find(StreamDescriptor stream)
    {
        var mask = _slots.Length - 1;
        for (var i = Start(stream.GetHashCode(), mask); ; i = (i + 1) & mask)
        {
            var id = _slots[i];
            if (id == 0) return 0;
            if (stream.Equals(streams(id))) return id;
        }
    }

    /// <summary>Indexes id <paramref name="id"/> (its stream is in the list); an equal stream's id already there is replaced.</summary>
    public void Add(int id)
    {
        if ((Count + 1) * 2 > _slots.Length) Grow();
        if (Place(_slots, id)) Count++;
    }

    public void Clear()
    {
        _slots = new int[16];
        Count = 0;
    }

    private bool Place(int[] slots, int id)
    {
        var stream = streams(id)!;
        var mask = slots.Length - 1;
        for (var i = Start(stream.GetHashCode(), mask); ; i = (i + 1) & mask)
        {
            var there = slots[i];
            if (there == 0)
            {
                slots[i] = id;
                return true;
            }
            if (stream.Equals(streams(there)))
            {
                slots[i] = id;
                return false;
            }
        }
    }

    private void Grow()
    {
        var slots = new int[_slots.Length * 2];
        foreach (var id in _slots)
        {
            if (id != 0) Place(slots, id);
        }
        _slots = slots;
    }

    // Fibonacci hashing spreads hashes that differ only in high bits over the low ones the mask keeps.
    private static int Start(int hash, int mask) => (int)(((uint)hash * 2654435769u) >> 7) & mask;
}
