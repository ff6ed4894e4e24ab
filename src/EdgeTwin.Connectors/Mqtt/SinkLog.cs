using Microsoft.Extensions.Logging;

namespace EdgeTwin.Connectors.Mqtt;

/// <summary>The MQTT uplink's log messages; event ids 3300–3399 belong to it.</summary>
internal static partial class SinkLog
{
    [LoggerMessage(EventId = 3300, Level = LogLevel.Information, Message = "MQTT sink {Sink}: connected to {Host}:{Port} (session present: {SessionPresent})")]
    public static partial void Connected(ILogger logger, string sink, string host, int port, bool sessionPresent);

    [LoggerMessage(EventId = 3301, Level = LogLevel.Warning, Message = "MQTT sink {Sink}: segments {First}..{Last}: {Acknowledged} of {Count} messages acknowledged before a failure ({Reason}); the rest is sent again")]
    public static partial void BatchIncomplete(ILogger logger, string sink, long first, long last, int acknowledged, int count, string reason);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Debug, Message = "MQTT sink {Sink}: disconnect at shutdown failed: {Reason}")]
    public static partial void DisconnectFailed(ILogger logger, string sink, string reason);
}
