namespace EdgeTwin.Core.Config;

/// <summary>
/// An OPC UA server the gateway reads (<c>$.sources.opcua[]</c>): one session, kept across reconnects, with its
/// node groups read by subscription or by polling. Nodes are named by namespace URI (<c>nsu=URI;s=…</c>), never by
/// namespace index, and resolved again at every session start (docs/architecture.md §2.5). config/edgetwin.json documents
/// each key for technicians.
/// </summary>
public sealed class OpcUaSourceConfig
{
    public string Name { get; set; } = "opcua";

    /// <summary>The server's endpoint, <c>opc.tcp://host:port/path</c>.</summary>
    public string Url { get; set; } = "";

    /// <summary>Message security: <c>none</c> is the only mode for now.</summary>
    public string SecurityMode { get; set; } = "none";

    public OpcUaIdentityConfig Identity { get; set; } = new();

    /// <summary>Session timeout asked of the server: how long it keeps the session (and its queued notifications) while the gateway is away.</summary>
    public double SessionTimeoutSeconds { get; set; } = 120;

    /// <summary>How long one request may take before the connection is considered lost.</summary>
    public double RequestTimeoutSeconds { get; set; } = 10;

    /// <summary>A silent connection is checked (a read of the server's clock) after this long.</summary>
    public double KeepAliveSeconds { get; set; } = 5;

    /// <summary>First delay before reconnecting; it doubles, with jitter, up to <see cref="ReconnectMaxSeconds"/>.</summary>
    public double ReconnectMinSeconds { get; set; } = 0.5;

    public double ReconnectMaxSeconds { get; set; } = 30;

    public List<OpcUaNodeGroupConfig> Groups { get; set; } = [];
}

public sealed class OpcUaIdentityConfig
{
    /// <summary><c>anonymous</c> or <c>username</c>.</summary>
    public string Type { get; set; } = "anonymous";

    public string? Username { get; set; }

    /// <summary>A secret: redacted by /api/config.</summary>
    public string? Password { get; set; }
}

public sealed class OpcUaNodeGroupConfig
{
    /// <summary>Names the group in logs and status; default <c>group{index}</c>.</summary>
    public string? Name { get; set; }

    /// <summary><c>subscription</c> (the server reports changes) or <c>polling</c> (the gateway reads every interval).</summary>
    public string Mode { get; set; } = "subscription";

    /// <summary>Subscription: how often the server sends what changed. Polling: how often the nodes are read.</summary>
    public double PublishingIntervalMs { get; set; } = 1000;

    /// <summary>Subscription: how often the server samples each node (0 = every change; -1 = the publishing interval).</summary>
    public double SamplingIntervalMs { get; set; } = 250;

    /// <summary>Subscription: values the server queues per node between publishes (and while the gateway is away).</summary>
    public uint QueueSize { get; set; } = 100;

    /// <summary>Subscription: <c>none</c>, <c>absolute</c> or <c>percent</c> (of the node's EURange).</summary>
    public string DeadbandType { get; set; } = "none";

    public double DeadbandValue { get; set; }

    public List<OpcUaNodeConfig> Nodes { get; set; } = [];
}

public sealed class OpcUaNodeConfig
{
    /// <summary>The node, <c>nsu=URI;s=…</c> (or i=, g=, b=). The reading's source address is <c>opcua:</c> + this.</summary>
    public string Node { get; set; } = "";

    /// <summary>The asset; leave asset and metric out when <c>$.mappings</c> maps <c>opcua:</c> + node.</summary>
    public string? Asset { get; set; }

    public string? Metric { get; set; }
}
