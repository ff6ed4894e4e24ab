using System.Buffers;
using System.Collections;

namespace EdgeTwin.OpcUa.Subscriptions;

/// <summary>
/// The data changes of one notification message. Decoding rents their array from the shared pool, so a steady
/// stream of notifications allocates nothing per change and leaves the GC nothing to promote. The consumer gives the
/// array back with <see cref="Release"/> once it has taken what it needs; after that the list is empty. A consumer
/// that never releases loses nothing: the array is then collected like any other.
/// </summary>
public sealed class DataChangeList : IReadOnlyList<MonitoredItemNotification>
{
    private MonitoredItemNotification[] _items;
    private int _count;
    private int _pooled;

    private DataChangeList(MonitoredItemNotification[] items, int count, bool pooled)
    {
        _items = items;
        _count = count;
        _pooled = pooled ? 1 : 0;
    }

    /// <summary>A list of no changes (a keep-alive, or a message of status changes only).</summary>
    public static DataChangeList Empty { get; } = new([], 0, pooled: false);

    /// <summary>A list over <paramref name="changes"/> as they are, not pooled.</summary>
    public static DataChangeList Of(params MonitoredItemNotification[] changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return changes.Length == 0 ? Empty : new DataChangeList(changes, changes.Length, pooled: false);
    }

    /// <summary>A pooled list of <paramref name="count"/> changes for the decoder to fill through <see cref="Items"/>.</summary>
    internal static DataChangeList Rent(int count) =>
        count == 0 ? Empty : new DataChangeList(ArrayPool<MonitoredItemNotification>.Shared.Rent(count), count, pooled: true);

    /// <summary>
    /// A pooled list of this list's changes followed by room for <paramref name="more"/>; this list is released.
    /// A message with several DataChangeNotifications (rare) grows this way.
    /// </summary>
    internal DataChangeList Extend(int more)
    {
        if (more == 0) return this;
        var extended = Rent(_count + more);
        AsSpan().CopyTo(extended._items);
        Release();
        return extended;
    }

    /// <summary>The whole array while the decoder fills it.</summary>
    internal Span<MonitoredItemNotification> Items => _items.AsSpan(0, _count);

    public int Count => _count;

    public MonitoredItemNotification this[int index] =>
        (uint)index < (uint)_count ? _items[index] : throw new ArgumentOutOfRangeException(nameof(index), index, $"the list holds {_count} changes");

    /// <summary>The changes, valid until <see cref="Release"/>.</summary>
    public ReadOnlySpan<MonitoredItemNotification> AsSpan() => _items.AsSpan(0, _count);

    /// <summary>
    /// Gives the array back to the pool. Call it once the changes have been taken (a span from <see cref="AsSpan"/>
    /// must not outlive it). A second call, or a call on a list that is not pooled, only empties the list.
    /// </summary>
    public void Release()
    {
        var items = _items;
        var count = _count;
        _count = 0;
        _items = [];
        if (Interlocked.Exchange(ref _pooled, 0) == 1)
        {
            // The values may hold strings and arrays: clear what was used so the pool keeps none of them alive.
            items.AsSpan(0, count).Clear();
            ArrayPool<MonitoredItemNotification>.Shared.Return(items);
        }
    }

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<MonitoredItemNotification> IEnumerable<MonitoredItemNotification>.GetEnumerator()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return _items[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<MonitoredItemNotification>)this).GetEnumerator();

    public override string ToString() => $"{_count} data changes";

    /// <summary>Enumerates without allocating.</summary>
    public struct Enumerator
    {
        private readonly MonitoredItemNotification[] _items;
        private readonly int _count;
        private int _index;

        internal Enumerator(DataChangeList list)
        {
            _items = list._items;
            _count = list._count;
            _index = -1;
        }

        public readonly MonitoredItemNotification Current => _items[_index];

        public bool MoveNext() => ++_index < _count;
    }
}
