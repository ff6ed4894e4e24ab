using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Client;

/// <summary>
/// What it takes to resume a session after a restart of the process (<see cref="UaClientOptions.Resume"/>): the
/// session's id and authentication token, and per subscription its server id and the last sequence number the
/// consumer has made safe (0 for a subscription to create anew).
/// </summary>
public sealed record UaSessionResumption(NodeId SessionId, NodeId AuthenticationToken, IReadOnlyList<UaSubscriptionResumption> Subscriptions);

/// <summary>One subscription of a <see cref="UaSessionResumption"/>.</summary>
public readonly record struct UaSubscriptionResumption(uint SubscriptionId, uint LastSequenceNumber);
