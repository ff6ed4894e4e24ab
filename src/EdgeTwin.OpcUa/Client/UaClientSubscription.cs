using EdgeTwin.OpcUa.Subscriptions;

namespace EdgeTwin.OpcUa.Client;

/// <summary>
/// A subscription as the consumer sees it: stable across reconnects, while the server-side subscription behind it
/// (<see cref="Current"/>) is replaced whenever the client has to create it again.
/// </summary>
public sealed class UaClientSubscription
{
    private readonly Dictionary<uint, UaMonitoredNode> _byHandle;
    private uint _lastSequenceNumber;

    internal UaClientSubscription(UaSubscriptionOptions options, IReadOnlyList<UaMonitoredNode> items)
    {
        Options = options;
        Items = items;
        _byHandle = new Dictionary<uint, UaMonitoredNode>(items.Count);
        foreach (var item in items)
        {
            if (!_byHandle.TryAdd(item.ClientHandle, item))
            {
                throw new ArgumentException($"client handle {item.ClientHandle} is used twice ({_byHandle[item.ClientHandle].Node} and {item.Node})", nameof(items));
            }
        }
    }

    public UaSubscriptionOptions Options { get; }

    public IReadOnlyList<UaMonitoredNode> Items { get; }

    /// <summary>The subscription on the server now; null before the first connection.</summary>
    public UaSubscription? Current { get; private set; }

    /// <summary>How many times the subscription was created on the server (1 after the first connection).</summary>
    public int Creations { get; private set; }

    /// <summary>The item with this client handle, or null.</summary>
    public UaMonitoredNode? Find(uint clientHandle) => _byHandle.GetValueOrDefault(clientHandle);

    internal int Generation { get; private set; }

    internal uint LastSequenceNumber
    {
        get => Volatile.Read(ref _lastSequenceNumber);
        set => Volatile.Write(ref _lastSequenceNumber, value);
    }

    /// <summary>The same subscription on the server, moved to a new session: what was delivered so far stays as it is.</summary>
    internal void Move(UaSubscription moved, int generation)
    {
        Current = moved;
        Generation = generation;
    }

    /// <summary>Forgets the subscription on the server (it could not be moved): the next connection creates it again.</summary>
    internal void Detach() => Current = null;

    internal void Attach(UaSubscription subscription, int generation)
    {
        Current = subscription;
        Generation = generation;
        LastSequenceNumber = 0;
        Creations++;
    }
}
