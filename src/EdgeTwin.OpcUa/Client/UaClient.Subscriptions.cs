using System.Globalization;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Subscriptions;

namespace EdgeTwin.OpcUa.Client;

// Subscriptions on the server: taken up again for a resumed session, created anew for a new one, refused items
// reported, and the Publish loop's messages forwarded to the consumer.
public sealed partial class UaClient
{
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

    // Adds every subscription to a new Publish loop on the session (creating those the server does not have there),
    // then starts handing its messages on.
    private async Task StartPublishingAsync(UaSecureChannel channel, UaSession session, CancellationToken cancellationToken)
    {
        // The loop's only consumer is ForwardAsync, which maps each message to an event and waits again.
        var publisher = new UaPublisher(session, _options.Publisher with { DeliverInline = true }, _acks);
        try
        {
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
        }
        catch
        {
            await publisher.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _channel = channel;
        _publisher = publisher;
        // Before the gate opens: a subscription added from now on is created on this session at once.
        _state = UaClientState.Connected;
        _forwarder = Task.Run(() => ForwardAsync(publisher, session, Volatile.Read(ref _generation)), CancellationToken.None);
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
}
