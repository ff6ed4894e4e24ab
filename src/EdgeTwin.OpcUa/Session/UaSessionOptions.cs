namespace EdgeTwin.OpcUa.Session;

/// <summary>Settings of one session. Every default is stated on its property.</summary>
public sealed record UaSessionOptions
{
    /// <summary>Shown in the server's diagnostics. Default "EdgeTwin".</summary>
    public string SessionName { get; init; } = "EdgeTwin";

    /// <summary>Our ApplicationUri in CreateSession. Default "urn:edgetwin:gateway".</summary>
    public string ApplicationUri { get; init; } = "urn:edgetwin:gateway";

    /// <summary>Requested session timeout. Default 60 s; the server may revise it.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public UaUserIdentity Identity { get; init; } = UaUserIdentity.Anonymous;

    /// <summary>Our cap on nodes per Read or Browse call when the server states none. Default 1000.</summary>
    public int DefaultMaxNodesPerCall { get; init; } = 1000;
}
