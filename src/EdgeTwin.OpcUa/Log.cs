using Microsoft.Extensions.Logging;

namespace EdgeTwin.OpcUa;

/// <summary>The library's log messages; event ids 4000–4199.</summary>
internal static partial class Log
{
    [LoggerMessage(4000, LogLevel.Information, "OPC UA {Endpoint}: connected, session {SessionId} ({How})")]
    public static partial void Connected(ILogger logger, string endpoint, string sessionId, string how);

    [LoggerMessage(4001, LogLevel.Warning, "OPC UA {Endpoint}: connection lost: {Reason}")]
    public static partial void ConnectionLost(ILogger logger, string endpoint, string reason);

    [LoggerMessage(4002, LogLevel.Warning, "OPC UA {Endpoint}: connecting failed (attempt {Attempt}), next try in {Delay}: {Reason}")]
    public static partial void ConnectFailed(ILogger logger, string endpoint, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(4003, LogLevel.Warning, "OPC UA {Endpoint}: the server no longer knows session {SessionId} ({Status}); creating a new one")]
    public static partial void SessionGone(ILogger logger, string endpoint, string sessionId, string status);

    [LoggerMessage(4004, LogLevel.Information, "OPC UA {Endpoint}: subscription {SubscriptionId} created with {Items} monitored items ({Failed} failed), publishing every {Interval}")]
    public static partial void SubscriptionCreated(ILogger logger, string endpoint, uint subscriptionId, int items, int failed, TimeSpan interval);

    [LoggerMessage(4005, LogLevel.Warning, "OPC UA {Endpoint}: monitored item {Node} failed: {Detail}")]
    public static partial void ItemFailed(ILogger logger, string endpoint, string node, string detail);

    [LoggerMessage(4006, LogLevel.Warning, "OPC UA {Endpoint}: subscription {SubscriptionId} lost message {SequenceNumber}: the server can no longer republish it")]
    public static partial void DataLost(ILogger logger, string endpoint, uint subscriptionId, uint sequenceNumber);

    [LoggerMessage(4007, LogLevel.Warning, "OPC UA {Endpoint}: subscription {SubscriptionId} reported status {Status}; the session is created again")]
    public static partial void SubscriptionStatus(ILogger logger, string endpoint, uint subscriptionId, string status);

    [LoggerMessage(4008, LogLevel.Warning, "OPC UA {Endpoint}: keep-alive read of the server's current time failed: {Reason}")]
    public static partial void KeepAliveFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(4010, LogLevel.Warning, "OPC UA {Endpoint}: subscription {SubscriptionId} of the resumed session is gone; it is created anew")]
    public static partial void SubscriptionGone(ILogger logger, string endpoint, uint subscriptionId);

    [LoggerMessage(4009, LogLevel.Debug, "OPC UA {Endpoint}: closing the session failed: {Reason}")]
    public static partial void CloseFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(4011, LogLevel.Warning, "OPC UA: the server certificate {Subject} ({Thumbprint}) was trusted on first use (--trust-server) and written to {File}")]
    public static partial void TrustedOnFirstUse(ILogger logger, string subject, string thumbprint, string file);

    [LoggerMessage(4012, LogLevel.Warning, "OPC UA: refused the server certificate {Subject} ({Thumbprint}): {Reason}")]
    public static partial void CertificateRefused(ILogger logger, string subject, string thumbprint, string reason);

    [LoggerMessage(4013, LogLevel.Warning, "OPC UA {Endpoint}: the gateway's renewed certificate {Thumbprint} is not in use yet, the channel on the old one goes on: {Reason}")]
    public static partial void CertificateSwitchFailed(ILogger logger, string endpoint, string thumbprint, string reason);

    [LoggerMessage(4014, LogLevel.Warning, "OPC UA {Endpoint}: subscription {SubscriptionId} could not be transferred to the new session ({Status}); it is created anew")]
    public static partial void TransferRefused(ILogger logger, string endpoint, uint subscriptionId, string status);
}
