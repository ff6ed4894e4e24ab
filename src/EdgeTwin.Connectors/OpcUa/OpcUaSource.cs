using System.Threading.Channels;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.OpcUa.Client;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Subscriptions;
using EdgeTwin.OpcUa.Types;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Connectors.OpcUa;

/// <summary>
/// Reads one OPC UA server (<c>$.sources.opcua[]</c>) through a <see cref="UaClient"/>. A subscription's
/// notification message becomes one batch and is acknowledged to the server only once the batch is durable;
/// polling groups read their nodes every interval. Readings keep the source timestamp and raw status; Bad values
/// and deleted or unresolvable nodes are quarantined with the endpoint and node id, never mapped by index.
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

                var selector = OpcUaValueSelector.Parse(node.Element, node.Field, out var key, out var selectorError);
                if (selectorError is not null) throw new ArgumentException($"{configPath}.groups[{g}].nodes[{n}].{key}: {selectorError}");
                nodes.Add(new OpcUaNode(g, id, node.Node, OpcUaValueSelector.AddressOf(node), node.Asset, node.Metric, (uint)nodes.Count + 1) { Selector = selector });
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
                        await EnsureTypesAsync(client, cancellationToken).ConfigureAwait(false);
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
    private UaClientOptions ClientOptions() => new()
    {
        EndpointUrl = _config.Url,
        Channel = new UaSecureChannelOptions { RequestTimeout = TimeSpan.FromSeconds(_config.RequestTimeoutSeconds), TimeProvider = _time, Security = ChannelSecurity() },
        Session = new UaSessionOptions
        {
            SessionName = "EdgeTwin " + _config.Name,
            SessionTimeout = TimeSpan.FromSeconds(_config.SessionTimeoutSeconds),
            ApplicationUri = ApplicationUri,
            Identity = Identity(),
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

        /// <summary>The array element or structure field this entry takes out of the node's value; null for the whole value.</summary>
        public OpcUaValueSelector? Selector { get; init; }

        /// <summary>The names of the values of the node's enumeration data type, for this session; null when it is none.</summary>
        public IReadOnlyDictionary<long, string>? EnumNames { get; set; }

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
