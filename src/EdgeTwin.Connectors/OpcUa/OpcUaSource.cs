using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.OpcUa;
using EdgeTwin.OpcUa.Client;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Subscriptions;
using EdgeTwin.OpcUa.Types;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Connectors.OpcUa;

/// <summary>
/// Reads one OPC UA server (<c>$.sources.opcua[]</c>) through a <see cref="UaClient"/>, which keeps the session across
/// lost connections and server restarts.
/// <para>
/// Subscription groups: every notification message becomes one batch, and the message is acknowledged to the server
/// only once <see cref="IngestBatch.Durable"/> completed, so the server keeps (and after a lost connection
/// republishes) what is not yet safe. Polling groups read their nodes every interval; an unchanged value keeps its
/// source timestamp, and the pipeline drops it as a duplicate of its key.
/// </para>
/// <para>
/// A reading keeps the server's source timestamp (the server timestamp stands in when there is none) and its raw
/// status code; the quality follows the status severity. A Bad value, and a node that is deleted or whose namespace
/// URI is gone after a restart, are logged, counted and quarantined with the endpoint and node id: a node id is
/// always resolved by URI, never mapped to what another namespace holds at the old index.
/// </para>
/// </summary>
public sealed partial class OpcUaSource : ISource
{
    /// <summary>How long a stop waits for the last batches to become durable, so they are acknowledged.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly OpcUaSourceConfig _config;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ILogger _clientLog;
    private readonly OpcUaNode[] _nodes;
    private readonly Dictionary<uint, OpcUaNode> _byHandle;
    private readonly string _fingerprint;
    private readonly List<UaClientSubscription> _subscriptions = [];
    private readonly Dictionary<UaSubscription, uint> _safe = [];
    private UaClient? _client;
    private long _values;
    private long _acknowledged;
    private long _awaiting;
    private long _unavailable;

    /// <summary>
    /// Builds the source from a validated configuration; <paramref name="configPath"/> (<c>$.sources.opcua[i]</c>)
    /// names a node in errors (<see cref="ArgumentException"/>).
    /// </summary>
    public OpcUaSource(OpcUaSourceConfig config, string configPath, TimeProvider time, ILogger<OpcUaSource> log, ILogger<UaClient> clientLog)
    {
        _config = config;
        _time = time;
        _log = log;
        _clientLog = clientLog;
        var nodes = new List<OpcUaNode>();
        for (var g = 0; g < config.Groups.Count; g++)
        {
            var group = config.Groups[g];
            for (var n = 0; n < group.Nodes.Count; n++)
            {
                var node = group.Nodes[n];
                ExpandedNodeId id;
                try
                {
                    id = ExpandedNodeId.Parse(node.Node);
                }
                catch (FormatException ex)
                {
                    throw new ArgumentException($"{configPath}.groups[{g}].nodes[{n}].node: {ex.Message}", ex);
                }

                nodes.Add(new OpcUaNode(g, id, node.Node, "opcua:" + node.Node, node.Asset, node.Metric, (uint)nodes.Count + 1));
            }
        }

        _nodes = [.. nodes];
        _byHandle = _nodes.ToDictionary(n => n.Handle);
        _fingerprint = Fingerprint(config, _nodes);
    }

    private string CheckpointKey => "opcua:" + _config.Name;

    public string Name => _config.Name;

    public string State
    {
        get
        {
            var client = _client;
            var state = client is null ? "starting" : $"{_config.Url}: {client.StateDetail}";
            return $"{state}; {Interlocked.Read(ref _values)} values, {Interlocked.Read(ref _acknowledged)} messages acknowledged, "
                + $"{Interlocked.Read(ref _awaiting)} awaiting durability, {Interlocked.Read(ref _unavailable)} bad or unavailable node reports";
        }
    }

    public bool IsIdle => _client?.State == UaClientState.Connected && Interlocked.Read(ref _awaiting) == 0;

    public SourceConnectionState Connection => _client?.State switch
    {
        UaClientState.Connected => SourceConnectionState.Connected,
        null or UaClientState.Connecting => SourceConnectionState.Connecting,
        _ => SourceConnectionState.Disconnected,
    };

    /// <summary>Values handed to the pipeline (subscriptions and polls).</summary>
    public long Values => Interlocked.Read(ref _values);

    /// <summary>Notification messages acknowledged to the server (each after its batch was durable).</summary>
    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    /// <summary>Bad values, and nodes reported deleted or unresolvable.</summary>
    public long Unavailable => Interlocked.Read(ref _unavailable);

    public async Task RunAsync(IIngestWriter writer, CancellationToken cancellationToken)
    {
        var resume = ParseCheckpoint(writer.GetCheckpoint(CheckpointKey));
        var client = new UaClient(ClientOptions() with { Resume = resume }, _clientLog, _time);
        _client = client;
        await using (client.ConfigureAwait(false))
        {
            var pollers = new List<Task>();
            for (var g = 0; g < _config.Groups.Count; g++)
            {
                var group = _config.Groups[g];
                var nodes = _nodes.Where(n => n.Group == g).ToArray();
                if (group.Mode == OpcUaGroupMode.Polling)
                {
                    pollers.Add(PollAsync(client, group, nodes, writer, cancellationToken));
                }
                else
                {
                    _subscriptions.Add(await client.SubscribeAsync(SubscriptionOptions(group), [.. nodes.Select(n => MonitoredNode(group, n))], cancellationToken).ConfigureAwait(false));
                }
            }

            // Subscriptions are known before the first connection, which creates them.
            client.Start();
            var acks = Channel.CreateUnbounded<(Task<IngestResult> Durable, UaClientEvent Notification)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            using var drain = new CancellationTokenSource();
            var acker = AcknowledgeAsync(client, acks.Reader, drain.Token);
            try
            {
                await Task.WhenAll([ReceiveAsync(client, writer, acks.Writer, cancellationToken), .. pollers]).ConfigureAwait(false);
            }
            finally
            {
                // Batches still on their way to the queue are acknowledged if they become durable in time; the
                // others stay unacknowledged at the server.
                acks.Writer.TryComplete();
                drain.CancelAfter(DrainTimeout);
                await acker.ConfigureAwait(false);
                Log.Stopped(_log, Name, Values, Interlocked.Read(ref _acknowledged));
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task ReceiveAsync(UaClient client, IIngestWriter writer, ChannelWriter<(Task<IngestResult>, UaClientEvent)> acks, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var e in client.Events.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                switch (e.Kind)
                {
                    case UaClientEventKind.Notification:
                        var changes = e.Message!.DataChanges;
                        var batch = IngestBatch.Rent(Name, Math.Max(1, changes.Count));
                        var now = _time.GetUtcNow().UtcTicks;
                        foreach (var change in changes)
                        {
                            if (_byHandle.TryGetValue(change.ClientHandle, out var node))
                            {
                                batch.Add(ToReading(node, change.Value, now));
                            }
                        }

                        // The readings hold what they need; the changes' array goes back to the client's pool.
                        changes.Release();

                        Interlocked.Add(ref _values, batch.Count);
                        Interlocked.Increment(ref _awaiting);
                        batch.Checkpoint = Checkpoint(e);
                        var durable = batch.Durable;
                        await writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                        await acks.WriteAsync((durable, e), cancellationToken).ConfigureAwait(false);
                        break;
                    case UaClientEventKind.ItemFailed:
                        var failed = _byHandle[e.Item!.ClientHandle];
                        await WriteAsync(writer, Report(failed, e.Status, e.Detail, _time.GetUtcNow().UtcTicks), cancellationToken).ConfigureAwait(false);
                        break;
                    case UaClientEventKind.DataLost:
                        Log.DataLost(_log, Name, _config.Url, e.LostSequenceNumber);
                        break;
                    default:
                        Log.ConnectionEvent(_log, Name, _config.Url, e.Kind.ToString(), e.Detail);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    // Acknowledges each message once its batch is durable; a batch that could not be made durable (the gateway is
    // stopping) is not acknowledged, and the server keeps the message.
    private async Task AcknowledgeAsync(UaClient client, ChannelReader<(Task<IngestResult> Durable, UaClientEvent Notification)> acks, CancellationToken drain)
    {
        await foreach (var (durable, notification) in acks.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            try
            {
                await durable.WaitAsync(drain).ConfigureAwait(false);
                client.Acknowledge(notification);
                Interlocked.Increment(ref _acknowledged);
            }
            catch (OperationCanceledException) when (drain.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.NotDurable(_log, Name, ex.Message);
            }
            finally
            {
                Interlocked.Decrement(ref _awaiting);
            }
        }
    }

    // The session and, per subscription, the last sequence number whose batch is durable: committed with the batch
    // itself, so after a crash the next run resumes the session and has the server republish exactly what follows.
    // The authentication token is kept with the queue, in the state directory.
    private KeyValuePair<string, string>? Checkpoint(UaClientEvent notification)
    {
        if (notification is not { Session: { } session, Message: { } message, Subscription.Current: { } current } || current.Session != session)
        {
            return null;
        }

        _safe[current] = Math.Max(_safe.GetValueOrDefault(current), message.SequenceNumber);
        var text = new StringBuilder(CheckpointHeader).Append('\n').Append(_fingerprint).Append('\n')
            .Append(session.SessionId.ToString()).Append('\n').Append(session.AuthenticationToken.ToString());
        foreach (var subscription in _subscriptions)
        {
            var on = subscription.Current is { } s && s.Session == session ? s : null;
            text.Append('\n').Append(CultureInfo.InvariantCulture, $"{on?.SubscriptionId ?? 0}:{(on is null ? 0 : _safe.GetValueOrDefault(on))}");
        }

        return new(CheckpointKey, text.ToString());
    }

    private const string CheckpointHeader = "opcua-session 1";

    private UaSessionResumption? ParseCheckpoint(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var lines = text.Split('\n');
        if (lines.Length < 4 || lines[0] != CheckpointHeader || lines[1] != _fingerprint)
        {
            Log.NotResumed(_log, Name, "the node groups changed since the session was created");
            return null;
        }

        try
        {
            var subscriptions = new List<UaSubscriptionResumption>();
            foreach (var line in lines.AsSpan(4))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                subscriptions.Add(new UaSubscriptionResumption(
                    uint.Parse(line.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture),
                    uint.Parse(line.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture)));
            }

            return new UaSessionResumption(NodeId.Parse(lines[2]), NodeId.Parse(lines[3]), subscriptions);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentOutOfRangeException)
        {
            Log.NotResumed(_log, Name, "its checkpoint is unreadable: " + ex.Message);
            return null;
        }
    }

    // What the server-side subscriptions were made of: a session is resumed only when the same monitored items, with
    // the same client handles, would be created again; otherwise a handle could name another node.
    private static string Fingerprint(OpcUaSourceConfig config, OpcUaNode[] nodes)
    {
        var text = new StringBuilder(config.Url).Append('\n');
        for (var g = 0; g < config.Groups.Count; g++)
        {
            var group = config.Groups[g];
            if (group.Mode == OpcUaGroupMode.Polling)
            {
                continue;
            }

            text.Append(CultureInfo.InvariantCulture, $"group {g} {group.PublishingIntervalMs} {group.SamplingIntervalMs} {group.QueueSize} {OpcUaDeadbandTypeJson.Names.NameOf(group.DeadbandType)} {group.DeadbandValue}\n");
            foreach (var node in nodes.Where(n => n.Group == g))
            {
                text.Append(CultureInfo.InvariantCulture, $"{node.Handle} {node.Text}\n");
            }
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 0, 16);
    }

    private async Task PollAsync(UaClient client, OpcUaNodeGroupConfig group, OpcUaNode[] nodes, IIngestWriter writer, CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromMilliseconds(group.PublishingIntervalMs);
        var ids = nodes.Select(n => n.Id).ToArray();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                DataValue[] values;
                try
                {
                    values = await client.ReadValuesAsync(ids, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // The client reconnects on its own; the next poll waits for it.
                    Log.PollFailed(_log, Name, _config.Url, ex.Message);
                    await Task.Delay(period, _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var batch = IngestBatch.Rent(Name, nodes.Length);
                var now = _time.GetUtcNow().UtcTicks;
                for (var i = 0; i < nodes.Length; i++)
                {
                    var status = values[i].EffectiveStatus;
                    // A node that stays bad is reported when it turns bad, not at every poll.
                    if (status.IsBad && nodes[i].LastStatus == status.Code)
                    {
                        continue;
                    }

                    // A server that sends no source timestamp gives every read a new server timestamp, so dedup
                    // cannot tell a repeated value: it is forwarded when its value or status changes, stamped with
                    // the server timestamp of the read that saw the change.
                    if (!status.IsBad && values[i].SourceTimestamp is null && !nodes[i].UnstampedChanged(ToPointValue(values[i].Value, out _), status.Code))
                    {
                        continue;
                    }

                    nodes[i].LastStatus = status.Code;
                    batch.Add(ToReading(nodes[i], values[i], now));
                }

                Interlocked.Add(ref _values, batch.Count);
                await writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                await Task.Delay(period, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task WriteAsync(IIngestWriter writer, Reading reading, CancellationToken cancellationToken)
    {
        var batch = IngestBatch.Rent(Name, 1);
        batch.Add(reading);
        await writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    private Reading ToReading(OpcUaNode node, DataValue value, long nowTicks)
    {
        var status = value.EffectiveStatus;
        var ticks = (value.SourceTimestamp ?? value.ServerTimestamp)?.Ticks ?? 0;
        if (status.IsBad)
        {
            var gone = status.Is(StatusCode.BadNodeIdUnknown) || status.Is(StatusCode.BadNodeIdInvalid);
            return Report(node, status, gone ? "the server does not know the node" : "the server reports a Bad value", ticks > 0 ? ticks : nowTicks);
        }

        node.LastStatus = status.Code;
        var point = ToPointValue(value.Value, out var error);
        return error is null
            ? new Reading(node.Address, ticks, point, status.Code, null, node.Asset, node.Metric)
            : new Reading(node.Address, ticks, PointValue.None, status.Code, null, node.Asset, node.Metric,
                Error: $"OPC UA {_config.Url} node {node.Text}: {error}", ErrorReason: QuarantineReason.InvalidPayload);
    }

    private Reading Report(OpcUaNode node, StatusCode status, string detail, long ticks)
    {
        Interlocked.Increment(ref _unavailable);
        var gone = status.Is(StatusCode.BadNodeIdUnknown) || status.Is(StatusCode.BadNodeIdInvalid);
        Log.NodeUnavailable(_log, Name, _config.Url, node.Text, status.ToString(), detail);
        return new Reading(node.Address, ticks, PointValue.None, status.Code, Quality.Bad, node.Asset, node.Metric,
            Error: $"OPC UA {_config.Url} node {node.Text}: {detail} (status {status})",
            ErrorReason: gone ? QuarantineReason.NodeUnavailable : QuarantineReason.BadStatus);
    }

    /// <summary>Numbers, booleans and strings travel north; anything else is quarantined with its type.</summary>
    internal static PointValue ToPointValue(Variant value, out string? error)
    {
        error = null;
        if (value.IsArray)
        {
            error = $"an array of {value.Type} cannot be forwarded as one point";
            return PointValue.None;
        }

        switch (value.Type)
        {
            case BuiltInType.Null: return PointValue.None;
            case BuiltInType.Boolean: return PointValue.FromBoolean(value.AsBoolean());
            case BuiltInType.SByte: return PointValue.FromNumber(value.AsSByte());
            case BuiltInType.Byte: return PointValue.FromNumber(value.AsByte());
            case BuiltInType.Int16: return PointValue.FromNumber(value.AsInt16());
            case BuiltInType.UInt16: return PointValue.FromNumber(value.AsUInt16());
            case BuiltInType.Int32: return PointValue.FromNumber(value.AsInt32());
            case BuiltInType.UInt32: return PointValue.FromNumber(value.AsUInt32());
            case BuiltInType.Int64: return PointValue.FromNumber(value.AsInt64());
            case BuiltInType.UInt64: return PointValue.FromNumber(value.AsUInt64());
            case BuiltInType.Float: return PointValue.FromNumber(value.AsFloat());
            case BuiltInType.Double: return PointValue.FromNumber(value.AsDouble());
            case BuiltInType.String: return value.AsString() is { } text ? PointValue.FromString(text) : PointValue.None;
            default:
                error = $"a {value.Type} value is not a number, boolean or string";
                return PointValue.None;
        }
    }

    private UaClientOptions ClientOptions() => new()
    {
        EndpointUrl = _config.Url,
        Channel = new UaSecureChannelOptions { RequestTimeout = TimeSpan.FromSeconds(_config.RequestTimeoutSeconds), TimeProvider = _time },
        Session = new UaSessionOptions
        {
            SessionName = "EdgeTwin " + _config.Name,
            SessionTimeout = TimeSpan.FromSeconds(_config.SessionTimeoutSeconds),
            Identity = _config.Identity.Type == OpcUaIdentityType.Username ? new UaUserIdentity(_config.Identity.Username, _config.Identity.Password) : UaUserIdentity.Anonymous,
        },
        ReconnectMinDelay = TimeSpan.FromSeconds(_config.ReconnectMinSeconds),
        ReconnectMaxDelay = TimeSpan.FromSeconds(_config.ReconnectMaxSeconds),
        KeepAliveInterval = TimeSpan.FromSeconds(_config.KeepAliveSeconds),
    };

    private static UaSubscriptionOptions SubscriptionOptions(OpcUaNodeGroupConfig group) => new()
    {
        PublishingInterval = TimeSpan.FromMilliseconds(group.PublishingIntervalMs),
        MaxKeepAliveCount = 10,
    };

    private static UaMonitoredNode MonitoredNode(OpcUaNodeGroupConfig group, OpcUaNode node) => new(
        node.Id,
        node.Handle,
        group.SamplingIntervalMs,
        group.QueueSize,
        group.DeadbandType switch
        {
            OpcUaDeadbandType.Absolute => DeadbandType.Absolute,
            OpcUaDeadbandType.Percent => DeadbandType.Percent,
            _ => DeadbandType.None,
        },
        group.DeadbandValue);

    /// <summary>A configured node: where it is, what it maps to, and its client handle.</summary>
    private sealed class OpcUaNode(int group, ExpandedNodeId id, string text, string address, string? asset, string? metric, uint handle)
    {
        public int Group { get; } = group;

        public ExpandedNodeId Id { get; } = id;

        public string Text { get; } = text;

        public string Address { get; } = address;

        public string? Asset { get; } = asset;

        public string? Metric { get; } = metric;

        public uint Handle { get; } = handle;

        public uint LastStatus { get; set; } = uint.MaxValue;

        private PointValue _unstampedValue;

        /// <summary>
        /// Whether a polled value without a source timestamp differs from the last one seen, or comes with another
        /// status than <see cref="LastStatus"/> (the status of the last reading forwarded); remembers the value.
        /// </summary>
        public bool UnstampedChanged(PointValue value, uint status)
        {
            if (status == LastStatus && value.Equals(_unstampedValue)) return false;
            _unstampedValue = value;
            return true;
        }
    }
}
