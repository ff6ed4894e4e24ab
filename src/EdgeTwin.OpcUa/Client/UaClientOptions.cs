using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Subscriptions;

namespace EdgeTwin.OpcUa.Client;

/// <summary>Settings of a <see cref="UaClient"/>. Every default is stated on its property.</summary>
public sealed record UaClientOptions
{
    /// <summary>The server's endpoint, <c>opc.tcp://host:port/path</c>.</summary>
    public required string EndpointUrl { get; init; }

    public UaSecureChannelOptions Channel { get; init; } = new();

    public UaSessionOptions Session { get; init; } = new();

    public UaPublisherOptions Publisher { get; init; } = new();

    /// <summary>First delay before reconnecting; it doubles, with jitter, up to <see cref="ReconnectMaxDelay"/>. Default 0.5 s.</summary>
    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest delay between reconnection attempts. Default 30 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When neither a Publish response nor any other response arrived for this long, the client reads
    /// Server_ServerStatus_CurrentTime; a server that does not answer is treated as gone. Default 5 s.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A session this client had before the process restarted, to take up again with its subscriptions (in the order
    /// they are added) and the last sequence number of each that the consumer had made safe: what the server still
    /// holds after that is republished. Null (the default) starts with a new session.
    /// </summary>
    public UaSessionResumption? Resume { get; init; }

    /// <summary>Events buffered for the consumer before the Publish loop stops asking the server for more. Default 256.</summary>
    public int EventCapacity { get; init; } = 256;
}
