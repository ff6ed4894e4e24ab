namespace EdgeTwin.OpcUa.Subscriptions;

/// <summary>Requested subscription parameters (OPC 10000-4 §5.13.2); the server revises them.</summary>
public sealed record UaSubscriptionOptions
{
    /// <summary>Default 1 s.</summary>
    public TimeSpan PublishingInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Publishing intervals without data before a keep-alive. Default 10.</summary>
    public uint MaxKeepAliveCount { get; init; } = 10;

    /// <summary>Publishing intervals without a Publish request before the server drops the subscription; at least 3 × MaxKeepAliveCount. Default 60.</summary>
    public uint LifetimeCount { get; init; } = 60;

    /// <summary>0 = no limit (the default).</summary>
    public uint MaxNotificationsPerPublish { get; init; }

    public byte Priority { get; init; }
}
