namespace EdgeTwin.OpcUa.Subscriptions;

/// <summary>Settings of the Publish loop.</summary>
public sealed record UaPublisherOptions
{
    /// <summary>Publish requests kept outstanding (OPC 10000-4 §5.14.1.1). Default 3.</summary>
    public int OutstandingRequests { get; init; } = 3;

    /// <summary>
    /// Messages buffered for the consumer before the loop stops asking for more; the server queues meanwhile.
    /// Default 64.
    /// </summary>
    public int QueueCapacity { get; init; } = 64;

    /// <summary>
    /// Hands each message to a consumer already waiting on <see cref="UaPublisher.Messages"/> on the thread that
    /// decoded it (the channel's receive loop) rather than on a pool thread: one thread hand-off less per
    /// message. Only for a consumer that takes the message, does little, and waits again without ever blocking,
    /// because the channel reads nothing else meanwhile. Default false.
    /// </summary>
    public bool DeliverInline { get; init; }
}
