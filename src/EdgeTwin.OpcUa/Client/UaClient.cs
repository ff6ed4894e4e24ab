using System.Collections.Concurrent;
using System.Globalization;
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
/// A connection to one server that outlives its secure channels and sessions. It owns the channel, the session,
/// the Publish loop and the subscriptions. When the channel drops it opens a new one with backoff and activates the
/// same session on it (OPC 10000-4 §5.7.3), so the subscriptions go on and what the server sent meanwhile is asked
/// for with Republish. When the server has forgotten the session (restarted, or the session timed out) it creates a
/// new one, reads the namespace table again and creates every subscription and monitored item again, resolving
/// each <c>nsu=</c> node against the new table. A node whose namespace or id is gone is reported, never mapped to
/// another node.
/// <para>
/// The consumer reads one stream, <see cref="Events"/>: notifications in order per subscription, and between them
/// what happened to the connection. A notification is acknowledged to the server only when the consumer calls
/// <see cref="Acknowledge"/>, so the server keeps what the consumer has not yet made safe.
/// </para>
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
    /// replaced is dropped: that server no longer holds the message.
    /// </summary>
    public void Acknowledge(UaClientEvent notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        if (notification is { Kind: UaClientEventKind.Notification, Message: { } message } && notification.Generation == Volatile.Read(ref _generation))
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

    private async Task SuperviseAsync()
    {
        try
        {
            await SuperviseLoopAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task SuperviseLoopAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            await _retry.ExecuteAsync(static (client, ct) => new ValueTask(client.ConnectOnceAsync(ct)), this, token).ConfigureAwait(false);

            _state = UaClientState.Connected;
            _detail = "connected";
            Volatile.Read(ref _connected).TrySetResult();
            var reason = await WatchAsync(token).ConfigureAwait(false);
            if (token.IsCancellationRequested)
            {
                return;
            }

            _state = UaClientState.Reconnecting;
            _detail = "reconnecting: " + reason;
            Volatile.Write(ref _connected, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            Log.ConnectionLost(_log, Endpoint, reason);
            await TearDownAsync(closeSession: _renewSession).ConfigureAwait(false);
            await EmitAsync(new UaClientEvent(UaClientEventKind.ConnectionLost, reason), token).ConfigureAwait(false);
        }
    }

    // One attempt: a new channel; the same session on it, or a new session with its subscriptions created again.
    private async Task ConnectOnceAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        UaSecureChannel? channel = null;
        UaPublisher? publisher = null;
        try
        {
            channel = await UaSecureChannel.OpenAsync(Endpoint, _options.Channel, cancellationToken).ConfigureAwait(false);
            var hadSession = _hadSession;
            var reactivated = false;
            var resumed = false;
            if (_resume is { } resume && _session is null)
            {
                try
                {
                    _session = await UaSession.ResumeAsync(channel, resume.SessionId, resume.AuthenticationToken, _options.Session, cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref _generation);
                    _acks.Clear();
                    _byServerId.Clear();
                    await ResumeSubscriptionsAsync(resume, _session, cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref _sessionsResumed);
                    reactivated = resumed = true;
                }
                catch (UaServiceException ex) when (IsSessionGone(ex.Status))
                {
                    Log.SessionGone(_log, Endpoint, resume.SessionId.ToString(), ex.Status.ToString());
                    _session = null;
                }

                _resume = null;
            }
            else if (_session is { } previous && !_renewSession)
            {
                try
                {
                    await previous.ActivateAsync(channel, cancellationToken).ConfigureAwait(false);
                    reactivated = true;
                }
                catch (UaServiceException ex) when (IsSessionGone(ex.Status))
                {
                    Log.SessionGone(_log, Endpoint, previous.SessionId.ToString(), ex.Status.ToString());
                }
            }

            if (!reactivated)
            {
                _session = await UaSession.CreateAsync(channel, _options.Session, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _generation);
                Interlocked.Increment(ref _sessionsCreated);
                _acks.Clear();
                _byServerId.Clear();
                _renewSession = false;
            }

            var session = _session!;
            _hadSession = true;
            // The loop's only consumer is ForwardAsync, which maps each message to an event and waits again.
            publisher = new UaPublisher(session, _options.Publisher with { DeliverInline = true }, _acks);
            if (resumed)
            {
                Log.Connected(_log, Endpoint, session.SessionId.ToString(), "session of the previous run resumed");
            }
            else if (reactivated)
            {
                Interlocked.Increment(ref _reconnects);
                Log.Connected(_log, Endpoint, session.SessionId.ToString(), "session activated on a new channel");
            }
            else
            {
                Log.Connected(_log, Endpoint, session.SessionId.ToString(), hadSession ? "new session" : "first session");
                if (hadSession)
                {
                    await EmitAsync(new UaClientEvent(UaClientEventKind.SessionRecreated, $"new session {session.SessionId}; namespaces [{string.Join(", ", session.Namespaces.Uris)}]"), cancellationToken).ConfigureAwait(false);
                }
            }

            foreach (var subscription in _subscriptions)
            {
                if (subscription.Current is { } current && subscription.Generation == Volatile.Read(ref _generation))
                {
                    publisher.Add(current, subscription.LastSequenceNumber);
                    continue;
                }

                var again = subscription.Creations > 0;
                await CreateOnServerAsync(subscription, session, cancellationToken).ConfigureAwait(false);
                publisher.Add(subscription.Current!);
                if (again)
                {
                    await EmitAsync(new UaClientEvent(UaClientEventKind.SubscriptionRecreated, $"subscription created again as {subscription.Current!.SubscriptionId}") { Subscription = subscription }, cancellationToken).ConfigureAwait(false);
                }
            }

            _channel = channel;
            _publisher = publisher;
            // Before the gate opens: a subscription added from now on is created on this session at once.
            _state = UaClientState.Connected;
            _forwarder = Task.Run(() => ForwardAsync(publisher, session, Volatile.Read(ref _generation)), CancellationToken.None);
            if (reactivated && !resumed)
            {
                await EmitAsync(new UaClientEvent(UaClientEventKind.ConnectionRestored, $"session {session.SessionId} activated on a new channel"), cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            if (publisher is not null)
            {
                await publisher.DisposeAsync().ConfigureAwait(false);
            }

            if (channel is not null)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    // Takes up the subscriptions the server still has for a resumed session; the others are created anew by the caller.
    private async Task ResumeSubscriptionsAsync(UaSessionResumption resume, UaSession session, CancellationToken cancellationToken)
    {
        for (var i = 0; i < _subscriptions.Count && i < resume.Subscriptions.Count; i++)
        {
            var (id, last) = resume.Subscriptions[i];
            if (id == 0)
            {
                continue;
            }

            var existing = UaSubscription.Existing(session, id, _subscriptions[i].Options);
            if (!await existing.ExistsAsync(cancellationToken).ConfigureAwait(false))
            {
                Log.SubscriptionGone(_log, Endpoint, id);
                continue;
            }

            _subscriptions[i].Attach(existing, Volatile.Read(ref _generation));
            _subscriptions[i].LastSequenceNumber = last;
            _byServerId[id] = _subscriptions[i];
        }
    }

    private async Task CreateOnServerAsync(UaClientSubscription subscription, UaSession session, CancellationToken cancellationToken)
    {
        // The server must not drop the subscription before the session: a channel outage the session survives
        // must leave the subscription, and its unsent notifications, in place (OPC 10000-4 §5.13.1.1).
        var options = subscription.Options;
        var interval = options.PublishingInterval <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(100) : options.PublishingInterval;
        var lifetime = (uint)Math.Min(uint.MaxValue / 2, Math.Ceiling(session.RevisedSessionTimeout / interval) + 1);
        var created = await UaSubscription.CreateAsync(session, options with { LifetimeCount = Math.Max(options.LifetimeCount, lifetime) }, cancellationToken).ConfigureAwait(false);

        var requests = new List<MonitoredItemRequest>(subscription.Items.Count);
        var asked = new List<UaMonitoredNode>(subscription.Items.Count);
        var failed = 0;
        foreach (var item in subscription.Items)
        {
            if (!session.Namespaces.TryResolve(item.Node, out var nodeId))
            {
                failed++;
                await ItemFailedAsync(subscription, item, StatusCode.BadNodeIdUnknown,
                    $"namespace '{item.Node.NamespaceUri}' is not in the server's namespace array", cancellationToken).ConfigureAwait(false);
                continue;
            }

            requests.Add(new MonitoredItemRequest(nodeId, item.ClientHandle, item.SamplingInterval, item.QueueSize, DiscardOldest: true, item.Deadband, item.DeadbandValue));
            asked.Add(item);
        }

        var results = requests.Count == 0 ? [] : await created.CreateMonitoredItemsAsync(requests, TimestampsToReturn.Both, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i].StatusCode.IsBad)
            {
                failed++;
                await ItemFailedAsync(subscription, asked[i], results[i].StatusCode, RefusalDetail(asked[i], results[i].StatusCode), cancellationToken).ConfigureAwait(false);
            }
        }

        // Attached only once its items exist: a failed attempt leaves nothing that a retry would take as complete.
        subscription.Attach(created, Volatile.Read(ref _generation));
        _byServerId[created.SubscriptionId] = subscription;
        Log.SubscriptionCreated(_log, Endpoint, created.SubscriptionId, subscription.Items.Count, failed, created.RevisedPublishingInterval);
    }

    // What a technician needs to fix a refused item: the status by name, and for a refused deadband what it needs.
    internal static string RefusalDetail(UaMonitoredNode item, StatusCode status)
    {
        var text = $"the server refused to monitor it: {StatusCodeNames.Describe(status)}";
        var deadband = item.Deadband switch
        {
            DeadbandType.Absolute => $"an absolute deadband of {item.DeadbandValue.ToString(CultureInfo.InvariantCulture)}",
            DeadbandType.Percent => $"a percent deadband of {item.DeadbandValue.ToString(CultureInfo.InvariantCulture)} %",
            _ => null,
        };
        var hint = deadband is null ? null
            : status.Is(StatusCode.BadMonitoredItemFilterUnsupported) ? item.Deadband == DeadbandType.Percent
                ? $"{deadband} needs a node with an EURange (an AnalogItem): use an absolute deadband or none"
                : $"the server does not support {deadband} on this node: use none"
            : status.Is(StatusCode.BadFilterNotAllowed) ? $"{deadband} applies only to numeric values: use none for this node"
            : status.Is(StatusCode.BadDeadbandFilterInvalid) || status.Is(StatusCode.BadMonitoredItemFilterInvalid) ? $"{deadband} is not valid for this node"
            : null;
        return hint is null ? text : $"{text}; {hint}";
    }

    private async Task ItemFailedAsync(UaClientSubscription subscription, UaMonitoredNode item, StatusCode status, string detail, CancellationToken cancellationToken)
    {
        Log.ItemFailed(_log, Endpoint, item.Node.ToString(), detail);
        await EmitAsync(new UaClientEvent(UaClientEventKind.ItemFailed, detail) { Subscription = subscription, Item = item, Status = status }, cancellationToken).ConfigureAwait(false);
    }

    // Hands the Publish loop's messages on until the loop ends (its channel failed) or a subscription reports that
    // the server dropped it.
    private async Task ForwardAsync(UaPublisher publisher, UaSession session, int generation)
    {
        var token = _stop.Token;
        try
        {
            await foreach (var published in publisher.Messages.ReadAllAsync(token).ConfigureAwait(false))
            {
                if (!_byServerId.TryGetValue(published.SubscriptionId, out var subscription))
                {
                    published.Message?.Release();
                    continue;
                }

                if (published.Message is not { } message)
                {
                    var lost = published.LostSequenceNumber ?? 0;
                    Log.DataLost(_log, Endpoint, published.SubscriptionId, lost);
                    await EmitAsync(new UaClientEvent(UaClientEventKind.DataLost, $"message {lost} of subscription {published.SubscriptionId} can no longer be republished")
                    {
                        Subscription = subscription, LostSequenceNumber = lost, Generation = generation, ServerSubscriptionId = published.SubscriptionId,
                    }, token).ConfigureAwait(false);
                    subscription.LastSequenceNumber = Math.Max(subscription.LastSequenceNumber, lost);
                    continue;
                }

                if (message.DataChanges.Count > 0)
                {
                    await EmitAsync(new UaClientEvent(UaClientEventKind.Notification, "")
                    {
                        Subscription = subscription, Message = message, Republished = published.Republished, Generation = generation, ServerSubscriptionId = published.SubscriptionId,
                        Session = session,
                    }, token).ConfigureAwait(false);
                }
                else
                {
                    // Nothing for the consumer to keep: acknowledge at once so the server can forget it.
                    _acks.Enqueue(new SubscriptionAcknowledgement(published.SubscriptionId, message.SequenceNumber));
                }

                subscription.LastSequenceNumber = Math.Max(subscription.LastSequenceNumber, message.SequenceNumber);
                if (message.StatusChange is { IsBad: true } status)
                {
                    // The server ended the subscription (BadTimeout: its lifetime ran out). The simplest complete
                    // recovery is a new session with every subscription created again.
                    Log.SubscriptionStatus(_log, Endpoint, published.SubscriptionId, status.ToString());
                    _renewSession = true;
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception)
        {
            // The loop failed with its channel: the supervisor sees the channel end and reconnects.
        }
    }

    // Waits until the connection is lost, and says why.
    private async Task<string> WatchAsync(CancellationToken token)
    {
        var channel = _channel!;
        using var watch = CancellationTokenSource.CreateLinkedTokenSource(token);
        var keepAlive = KeepAliveAsync(watch.Token);
        var stopped = Task.Delay(Timeout.Infinite, watch.Token);
        var ended = await Task.WhenAny(channel.Completion, _forwarder, keepAlive, stopped).ConfigureAwait(false);
        await watch.CancelAsync().ConfigureAwait(false);
        try
        {
            await keepAlive.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        if (ended == channel.Completion)
        {
            return channel.Completion.Exception?.InnerException?.Message ?? "the secure channel closed";
        }

        if (ended == keepAlive)
        {
            return "the server did not answer the keep-alive read";
        }

        return _renewSession ? "the server dropped a subscription" : "the Publish loop ended";
    }

    // Reads the server's clock whenever nothing else has been heard for a keep-alive interval: a server that is gone
    // without closing the connection (a cable pulled) is noticed within about two intervals.
    private async Task KeepAliveAsync(CancellationToken token)
    {
        var interval = _options.KeepAliveInterval;
        var session = _session!;
        var publisher = _publisher;
        while (!token.IsCancellationRequested)
        {
            await Task.Delay(interval, _time, token).ConfigureAwait(false);
            if (publisher is not null && DateTime.UtcNow - publisher.LastResponse < interval)
            {
                continue;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(interval);
            try
            {
                await session.ReadAsync([new ReadValueId(WellKnownNodes.ServerStatusCurrentTime)], TimestampsToReturn.Neither, 0, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                Log.KeepAliveFailed(_log, Endpoint, ex.Message);
                return;
            }
        }
    }

    private async Task TearDownAsync(bool closeSession)
    {
        var publisher = Interlocked.Exchange(ref _publisher, null);
        if (publisher is not null)
        {
            await publisher.DisposeAsync().ConfigureAwait(false);
        }

        // Every message the loop delivered is handed on before the connection events that follow it.
        await _forwarder.ConfigureAwait(false);
        var channel = Interlocked.Exchange(ref _channel, null);
        if (channel is null)
        {
            return;
        }

        if (closeSession && channel.IsOpen && _session is { } session)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await session.CloseAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.CloseFailed(_log, Endpoint, ex.Message);
            }

            _session = null;
            _renewSession = true;
        }

        try
        {
            await channel.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.CloseFailed(_log, Endpoint, ex.Message);
        }

        await channel.DisposeAsync().ConfigureAwait(false);
    }

    private ValueTask EmitAsync(UaClientEvent e, CancellationToken cancellationToken) => _events.Writer.WriteAsync(e, cancellationToken);

    private static bool IsSessionGone(StatusCode status) =>
        status.Is(StatusCode.BadSessionIdInvalid) || status.Is(StatusCode.BadSessionClosed) || status.Is(StatusCode.BadSessionNotActivated);
}
