using Microsoft.Extensions.Logging;

namespace EdgeTwin.Connectors.OpcUa;

/// <summary>The OPC UA source's log messages; event ids 4200–4299.</summary>
internal static partial class Log
{
    [LoggerMessage(4200, LogLevel.Warning, "OPC UA source {Source}: {Endpoint} node {Node} is bad or unavailable ({Status}): {Detail}; its readings are quarantined")]
    public static partial void NodeUnavailable(ILogger logger, string source, string endpoint, string node, string status, string detail);

    [LoggerMessage(4201, LogLevel.Information, "OPC UA source {Source}: {Endpoint}: {Kind}: {Detail}")]
    public static partial void ConnectionEvent(ILogger logger, string source, string endpoint, string kind, string detail);

    [LoggerMessage(4202, LogLevel.Warning, "OPC UA source {Source}: {Endpoint} lost notification message {SequenceNumber}: the server could not republish it")]
    public static partial void DataLost(ILogger logger, string source, string endpoint, uint sequenceNumber);

    [LoggerMessage(4203, LogLevel.Debug, "OPC UA source {Source}: polling {Endpoint} failed: {Reason}")]
    public static partial void PollFailed(ILogger logger, string source, string endpoint, string reason);

    [LoggerMessage(4204, LogLevel.Warning, "OPC UA source {Source}: a batch was not made durable ({Reason}); its notification stays unacknowledged at the server")]
    public static partial void NotDurable(ILogger logger, string source, string reason);

    [LoggerMessage(4206, LogLevel.Information, "OPC UA source {Source}: the session of the previous run is not resumed: {Reason}")]
    public static partial void NotResumed(ILogger logger, string source, string reason);

    [LoggerMessage(4205, LogLevel.Information, "OPC UA source {Source} stopped: {Values} values, {Acknowledged} messages acknowledged")]
    public static partial void Stopped(ILogger logger, string source, long values, long acknowledged);

    [LoggerMessage(4250, LogLevel.Information, "OPC UA source {Source}: {Endpoint}: read {Count} data type definition(s) of the nodes' structures and enumerations for this session")]
    public static partial void TypesLoaded(ILogger logger, string source, string endpoint, int count);

    [LoggerMessage(4251, LogLevel.Warning, "OPC UA source {Source}: {Endpoint}: reading the nodes' data type definitions failed ({Reason}); structures are forwarded as type id and body, enumerations without names")]
    public static partial void TypesFailed(ILogger logger, string source, string endpoint, string reason);
}
