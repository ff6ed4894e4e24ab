namespace EdgeTwin.OpcUa.SecureChannel;

/// <summary>
/// A token the server issued (OPC 10000-4 §5.6.2.2). <c>RenewAfter</c> is measured on our clock from
/// when the request was sent, not from the server's CreatedAt, since the clocks may differ.
/// </summary>
public sealed record ChannelSecurityToken(uint ChannelId, uint TokenId, DateTime CreatedAt, uint RevisedLifetime, long SentTimestamp, TimeSpan RenewAfter);
