using Microsoft.Extensions.Logging;

namespace EdgeTwin.Connectors.Mqtt;

/// <summary>The MQTT source's log messages; event ids 1400–1499 belong to it.</summary>
internal static partial class Log
{
    [LoggerMessage(1400, LogLevel.Information, "MQTT source {Source}: connected to {Broker} as {ClientId} (MQTT {Version}{Tls}), session {Session}; subscribed to {Filters}")]
    public static partial void Connected(ILogger logger, string source, string broker, string clientId, string version, string tls, string session, string filters);

    [LoggerMessage(1401, LogLevel.Warning, "MQTT source {Source}: cannot connect to {Broker} ({Error}); attempt {Attempt}, retrying in {DelayMs} ms")]
    public static partial void ConnectFailed(ILogger logger, string source, string broker, string error, int attempt, long delayMs);

    [LoggerMessage(1402, LogLevel.Warning, "MQTT source {Source}: connection to {Broker} lost ({Reason}); reconnecting")]
    public static partial void ConnectionLost(ILogger logger, string source, string broker, string reason);

    [LoggerMessage(1403, LogLevel.Warning, "MQTT source {Source}: {Broker} holds no session for {ClientId}: whatever was published while the gateway was away was not kept for it")]
    public static partial void SessionLost(ILogger logger, string source, string broker, string clientId);

    [LoggerMessage(1404, LogLevel.Error, "MQTT source {Source}: {Broker} refused the subscription to {Filter}: {Code}")]
    public static partial void SubscriptionRefused(ILogger logger, string source, string broker, string filter, string code);

    [LoggerMessage(1405, LogLevel.Warning, "MQTT source {Source}: {Broker} granted only QoS 0 for {Filter}: its messages cannot be acknowledged after they are durable")]
    public static partial void SubscriptionDowngraded(ILogger logger, string source, string broker, string filter);

    [LoggerMessage(1406, LogLevel.Information, "MQTT source {Source}: stopped after {Received} message(s) received, {Acknowledged} acknowledged")]
    public static partial void Stopped(ILogger logger, string source, long received, long acknowledged);

    [LoggerMessage(1407, LogLevel.Debug, "MQTT source {Source}: acknowledgement not sent ({Error}); the broker redelivers the message")]
    public static partial void AcknowledgeFailed(ILogger logger, string source, string error);

    [LoggerMessage(1408, LogLevel.Warning, "MQTT source {Source}: stopping with {Count} message(s) not acknowledged; the broker redelivers them at the next start")]
    public static partial void StoppedWithUnacknowledged(ILogger logger, string source, long count);
}
