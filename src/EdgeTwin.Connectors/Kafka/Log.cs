using Microsoft.Extensions.Logging;

namespace EdgeTwin.Connectors.Kafka;

/// <summary>The Kafka sink's log messages; event ids 3200–3299 belong to it.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "Kafka sink {Sink}: producer created for {Bootstrap} (compression {Compression}, acks=all, idempotent)")]
    public static partial void ProducerCreated(ILogger logger, string sink, string bootstrap, string compression);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Kafka sink {Sink}: uplink down: {Reason}")]
    public static partial void UplinkDown(ILogger logger, string sink, string reason);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Kafka sink {Sink}: uplink up")]
    public static partial void UplinkUp(ILogger logger, string sink);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "Kafka sink {Sink}: client error {Code}: {Reason}")]
    public static partial void ClientError(ILogger logger, string sink, string code, string reason);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Error, Message = "Kafka sink {Sink}: fatal producer error {Code}: {Reason}; the producer is recreated and unconfirmed points are sent again")]
    public static partial void FatalError(ILogger logger, string sink, string code, string reason);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Information, Message = "Kafka sink {Sink}: published {Count} assets to {Topic}")]
    public static partial void RegistryPublished(ILogger logger, string sink, int count, string topic);

    [LoggerMessage(EventId = 3206, Level = LogLevel.Error, Message = "Kafka sink {Sink}: asset {Asset} refused by {Topic} for good: {Reason}")]
    public static partial void RegistryRejected(ILogger logger, string sink, string asset, string topic, string reason);

    [LoggerMessage(EventId = 3207, Level = LogLevel.Warning, Message = "Kafka sink {Sink}: {Failed} of {Count} messages of segments {First}..{Last} not delivered ({Reason}); {Delivered} delivered are kept, the rest is sent again")]
    public static partial void BatchIncomplete(ILogger logger, string sink, int failed, int count, long first, long last, string reason, int delivered);

    [LoggerMessage(EventId = 3208, Level = LogLevel.Debug, Message = "Kafka sink {Sink} librdkafka {Facility}: {Message}")]
    public static partial void Client(ILogger logger, string sink, string facility, string message);
}
