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
}
