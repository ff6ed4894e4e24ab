using System.Collections.Concurrent;
using System.Threading.Channels;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Subscriptions;
using EdgeTwin.OpcUa.Types;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace EdgeTwin.OpcUa.Client;

/// <summary>
/// A connection to one server that outlives its secure channels and sessions. A dropped channel is reopened with
/// backoff and the same session activated on it (OPC 10000-4 §5.7.3), with Republish for what was missed; a
/// forgotten session is created anew with every subscription, each <c>nsu=</c> node resolved against the new
/// namespace table (a node that is gone is reported, never mapped to another). The consumer reads one ordered
/// stream, <see cref="Events"/>, and acknowledges with <see cref="Acknowledge"/> once it has made a message safe.
/// </summary>
public sealed partial class UaClient : IAsyncDisposable
{
    private readonly UaClientOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _retry;
    private readonly Channel<UaClientEvent> _events;
    private readonly ConcurrentQueue<SubscriptionAcknowledgement> _acks = new();
    private readonly List<UaClientSubscription> _subscriptions = [];
    private readonly ConcurrentDictionary<uint, UaClientSubscription> _byServerId = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private UaSecureChannel? _channel;
    private UaSession? _session;
    private UaPublisher? _publisher;
    private Task _forwarder = Task.CompletedTask;
    private Task? _supervisor;
    private int _generation;
    private int _ackGeneration;
    private volatile bool _renewSession;
    private volatile UaClientState _state = UaClientState.Connecting;
    private volatile string _detail = "not started";
    private int _reconnects;
    private int _sessionsCreated;
    private int _sessionsResumed;
    private bool _hadSession;
    private UaSessionResumption? _resume;

    public UaClient(UaClientOptions options, ILogger? logger = null, TimeProvider? time = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _log = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _resume = options.Resume;
        _events = Channel.CreateBounded<UaClientEvent>(new BoundedChannelOptions(Math.Max(1, options.EventCapacity))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
        _retry = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException || !_stop.IsCancellationRequested),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.ReconnectMinDelay,
                MaxDelay = options.ReconnectMaxDelay,
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    var reason = args.Outcome.Exception?.Message ?? "unknown";
                    _detail = $"reconnecting (attempt {args.AttemptNumber + 1}): {reason}";
                    Log.ConnectFailed(_log, Endpoint, args.AttemptNumber + 1, args.RetryDelay, reason);
                    return default;
                },
            })
            .Build();
    }

    public string Endpoint => _options.EndpointUrl;

    public UaClientState State => _state;

    /// <summary>A line for status pages: the state and, when not connected, why.</summary>
    public string StateDetail => _detail;

    /// <summary>Notifications and connection events, in order; completes when the client is disposed.</summary>
    public ChannelReader<UaClientEvent> Events => _events.Reader;

    /// <summary>The session now in use, or null before the first connection.</summary>
    public UaSession? Session => _session;

    /// <summary>Times the same session was activated on a new channel.</summary>
    public int Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>Sessions created, the first one included.</summary>
    public int SessionsCreated => Volatile.Read(ref _sessionsCreated);

    /// <summary>Sessions of an earlier run taken up again (<see cref="UaClientOptions.Resume"/>).</summary>
    public int SessionsResumed => Volatile.Read(ref _sessionsResumed);

    /// <summary>Starts connecting in the background; <see cref="WaitConnectedAsync"/> waits for the session.</summary>
    public void Start()
    {
        if (_supervisor is not null)
        {
            throw new InvalidOperationException("the client is already started");
        }

        _supervisor = Task.Run(SuperviseAsync);
    }

    /// <summary>Completes when a session is active (at once when it is).</summary>
    public Task WaitConnectedAsync(CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _connected).Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Adds a subscription: created now when connected, otherwise at the next connection, and created again with
    /// every new session. Items that cannot be monitored are reported as <see cref="UaClientEventKind.ItemFailed"/>.
    /// </summary>
    public async Task<UaClientSubscription> SubscribeAsync(UaSubscriptionOptions options, IReadOnlyList<UaMonitoredNode> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(items);
        var subscription = new UaClientSubscription(options, items);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _subscriptions.Add(subscription);
            if (_state == UaClientState.Connected && _session is { } session && _publisher is { } publisher)
            {
                try
                {
                    await CreateOnServerAsync(subscription, session, cancellationToken).ConfigureAwait(false);
                    publisher.Add(subscription.Current!);
                }
                catch (Exception) when (_channel?.IsOpen != true)
                {
                    // The connection went while creating it: the reconnection creates it on the next session.
                }
            }
        }
        catch
        {
            _subscriptions.Remove(subscription);
            throw;
        }
        finally
        {
            _gate.Release();
        }

        return subscription;
    }

    /// <summary>
    /// Tells the server that a notification's data is safe. An acknowledgement for a session that has since been
    /// replaced is dropped (that server no longer holds the message), unless its subscriptions were transferred.
    /// </summary>
    public void Acknowledge(UaClientEvent notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        if (notification is { Kind: UaClientEventKind.Notification, Message: { } message } && notification.Generation >= Volatile.Read(ref _ackGeneration))
        {
            _acks.Enqueue(new SubscriptionAcknowledgement(notification.ServerSubscriptionId, message.SequenceNumber));
        }
    }

    /// <summary>
    /// Reads the Value attribute of each node on the current session, waiting for one when the client is
    /// reconnecting. A node whose namespace URI the server does not serve comes back with BadNodeIdUnknown,
    /// never read under another index.
    /// </summary>
    public async Task<DataValue[]> ReadValuesAsync(IReadOnlyList<ExpandedNodeId> nodes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        await WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
        var session = _session ?? throw new UaServiceException(StatusCode.BadNotConnected, "no session");
        var namespaces = session.Namespaces;
        var results = new DataValue[nodes.Count];
        var wanted = new List<ReadValueId>(nodes.Count);
        var positions = new List<int>(nodes.Count);
        for (var i = 0; i < nodes.Count; i++)
        {
            if (namespaces.TryResolve(nodes[i], out var id))
            {
                wanted.Add(new ReadValueId(id));
                positions.Add(i);
            }
            else
            {
                results[i] = new DataValue(default, StatusCode.BadNodeIdUnknown);
            }
        }

        if (wanted.Count > 0)
        {
            var values = await session.ReadAsync(wanted, TimestampsToReturn.Both, 0, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < values.Length && i < positions.Count; i++)
            {
                results[positions[i]] = values[i];
            }
        }

        return results;
    }

    /// <summary>Whether the node's namespace URI is in the current session's namespace table.</summary>
    public bool IsResolvable(ExpandedNodeId node) => _session?.Namespaces.TryResolve(node, out _) == true;

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_supervisor is not null)
        {
            await _supervisor.ConfigureAwait(false);
        }

        await TearDownAsync(closeSession: true).ConfigureAwait(false);
        _state = UaClientState.Closed;
        _detail = "closed";
        _events.Writer.TryComplete();
    }

    private ValueTask EmitAsync(UaClientEvent e, CancellationToken cancellationToken) => _events.Writer.WriteAsync(e, cancellationToken);

    private static bool IsSessionGone(StatusCode status) =>
        status.Is(StatusCode.BadSessionIdInvalid) || status.Is(StatusCode.BadSessionClosed) || status.Is(StatusCode.BadSessionNotActivated);
}
