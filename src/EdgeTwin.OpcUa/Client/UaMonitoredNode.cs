using EdgeTwin.OpcUa.Subscriptions;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Client;

/// <summary>
/// A node to monitor, named by namespace URI (<c>nsu=…</c>) so that it is resolved again against every new
/// session's namespace table; <see cref="ClientHandle"/> identifies its notifications and stays the same across
/// reconnects.
/// </summary>
public sealed record UaMonitoredNode(
    ExpandedNodeId Node,
    uint ClientHandle,
    double SamplingInterval = -1,
    uint QueueSize = 10,
    DeadbandType Deadband = DeadbandType.None,
    double DeadbandValue = 0);
