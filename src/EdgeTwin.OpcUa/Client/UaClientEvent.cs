using EdgeTwin.OpcUa.Subscriptions;

namespace EdgeTwin.OpcUa.Client;

/// <summary>What a <see cref="UaClientEvent"/> reports.</summary>
public enum UaClientEventKind
{
    /// <summary>A notification message of a subscription; acknowledge it with <see cref="UaClient.Acknowledge"/> once its data is safe.</summary>
    Notification,

    /// <summary>The connection to the server was lost; the client is reconnecting.</summary>
    ConnectionLost,

    /// <summary>The same session was activated again on a new secure channel: its subscriptions go on.</summary>
    ConnectionRestored,

    /// <summary>The server had forgotten the session: a new one was created and the namespace table read again.</summary>
    SessionRecreated,

    /// <summary>A subscription was created again (new session, or the server dropped it); its items report their current values.</summary>
    SubscriptionRecreated,

    /// <summary>A notification message the server could no longer send again: its data is lost.</summary>
    DataLost,

    /// <summary>A monitored node could not be (re)created: unknown node, vanished namespace, or refused by the server.</summary>
    ItemFailed,
}

/// <summary>
/// One entry of the client's single event stream: notifications of every subscription, in order per subscription,
/// interleaved with the connection's state changes.
/// </summary>
public sealed record UaClientEvent(UaClientEventKind Kind, string Detail)
{
    /// <summary>The subscription the event concerns, if any.</summary>
    public UaClientSubscription? Subscription { get; init; }

    /// <summary>For <see cref="UaClientEventKind.Notification"/>: the message; null otherwise.</summary>
    public NotificationMessage? Message { get; init; }

    /// <summary>For <see cref="UaClientEventKind.ItemFailed"/>: the item.</summary>
    public UaMonitoredNode? Item { get; init; }

    /// <summary>For <see cref="UaClientEventKind.ItemFailed"/>: why.</summary>
    public StatusCode Status { get; init; }

    /// <summary>For <see cref="UaClientEventKind.DataLost"/>: the sequence number that is gone.</summary>
    public uint LostSequenceNumber { get; init; }

    /// <summary>For <see cref="UaClientEventKind.Notification"/>: the session that delivered it.</summary>
    public Session.UaSession? Session { get; init; }

    /// <summary>Whether the message came through Republish.</summary>
    public bool Republished { get; init; }

    // The session generation and server-side subscription id the message belongs to: an acknowledgement is sent
    // only to the session and subscription that sent the message.
    internal int Generation { get; init; }

    internal uint ServerSubscriptionId { get; init; }
}
