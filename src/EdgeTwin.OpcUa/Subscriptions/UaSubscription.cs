using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Session;

namespace EdgeTwin.OpcUa.Subscriptions;

/// <summary>
/// A subscription on the server (OPC 10000-4 §5.13) and its monitored items (§5.12). Notifications arrive
/// through a <see cref="UaPublisher"/>.
/// </summary>
public sealed class UaSubscription
{
    private readonly UaSession _session;

    private UaSubscription(UaSession session, CreateSubscriptionResponse created)
    {
        _session = session;
        SubscriptionId = created.SubscriptionId;
        RevisedPublishingInterval = TimeSpan.FromMilliseconds(created.RevisedPublishingInterval);
        RevisedLifetimeCount = created.RevisedLifetimeCount;
        RevisedMaxKeepAliveCount = created.RevisedMaxKeepAliveCount;
    }

    public uint SubscriptionId { get; }

    /// <summary>The session the subscription belongs to.</summary>
    public UaSession Session => _session;

    public TimeSpan RevisedPublishingInterval { get; }

    public uint RevisedLifetimeCount { get; }

    public uint RevisedMaxKeepAliveCount { get; }

    /// <summary>How long the server may stay silent before a keep-alive is due.</summary>
    public TimeSpan KeepAlivePeriod => RevisedPublishingInterval * Math.Max(1, RevisedMaxKeepAliveCount);

    public static async Task<UaSubscription> CreateAsync(UaSession session, UaSubscriptionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        options ??= new UaSubscriptionOptions();
        var lifetime = Math.Max(options.LifetimeCount, options.MaxKeepAliveCount * 3);
        var request = new CreateSubscriptionRequest(options.PublishingInterval.TotalMilliseconds, lifetime, options.MaxKeepAliveCount,
            options.MaxNotificationsPerPublish, PublishingEnabled: true, options.Priority);
        var created = await session.CallAsync<CreateSubscriptionResponse>(request, cancellationToken).ConfigureAwait(false);
        return new UaSubscription(session, created);
    }

    /// <summary>
    /// A subscription this client created before (in an earlier run, on a session it resumes), known by its id. Its
    /// revised settings are taken as they were asked; <see cref="ExistsAsync"/> says whether the server still has it.
    /// </summary>
    public static UaSubscription Existing(UaSession session, uint subscriptionId, UaSubscriptionOptions options)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(options);
        return new UaSubscription(session, new CreateSubscriptionResponse(null!, subscriptionId, options.PublishingInterval.TotalMilliseconds, options.LifetimeCount, options.MaxKeepAliveCount));
    }

    /// <summary>
    /// Moves subscriptions to <paramref name="session"/> (TransferSubscriptions, OPC 10000-4 §5.13.7) without
    /// initial values: what the server had not yet sent follows on the new session, and what it sent but holds for
    /// retransmission can be asked for with Republish there. One result per subscription, in order; for each that
    /// moved, the subscription as it now is on <paramref name="session"/>.
    /// </summary>
    public static async Task<(StatusCode Status, UaSubscription? Moved)[]> TransferAsync(UaSession session, IReadOnlyList<UaSubscription> subscriptions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(subscriptions);
        var request = new TransferSubscriptionsRequest([.. subscriptions.Select(s => s.SubscriptionId)], SendInitialValues: false);
        var response = await session.CallAsync<TransferSubscriptionsResponse>(request, cancellationToken).ConfigureAwait(false);
        var results = new (StatusCode, UaSubscription?)[subscriptions.Count];
        for (var i = 0; i < results.Length; i++)
        {
            var status = i < response.Results.Length ? response.Results[i].StatusCode : StatusCode.BadUnexpectedError;
            var old = subscriptions[i];
            results[i] = (status, status.IsGood
                ? new UaSubscription(session, new CreateSubscriptionResponse(null!, old.SubscriptionId, old.RevisedPublishingInterval.TotalMilliseconds, old.RevisedLifetimeCount, old.RevisedMaxKeepAliveCount))
                : null);
        }

        return results;
    }

    /// <summary>Whether the server still has the subscription (SetPublishingMode with publishing on, OPC 10000-4 §5.13.4).</summary>
    public async Task<bool> ExistsAsync(CancellationToken cancellationToken = default)
    {
        var response = await _session.CallAsync<SetPublishingModeResponse>(new SetPublishingModeRequest(true, [SubscriptionId]), cancellationToken).ConfigureAwait(false);
        return response.Body.Results is [{ IsGood: true }];
    }

    /// <summary>
    /// Creates monitored items, split into calls of at most MaxMonitoredItemsPerCall. Results come back in the
    /// order asked; a bad per-item StatusCode means that item is not monitored.
    /// </summary>
    public async Task<MonitoredItemCreateResult[]> CreateMonitoredItemsAsync(IReadOnlyList<MonitoredItemRequest> items, TimestampsToReturn timestamps = TimestampsToReturn.Both, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        return await UaBatches.CallAsync(items, _session.MaxMonitoredItemsPerCall, _session.DefaultMaxNodesPerCall, "monitored items", async (slice, token) =>
            (await _session.CallAsync<CreateMonitoredItemsResponse>(new CreateMonitoredItemsRequest(SubscriptionId, timestamps, slice), token).ConfigureAwait(false)).Results,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes monitored items by their server ids, split like creation.</summary>
    public async Task<StatusCode[]> DeleteMonitoredItemsAsync(IReadOnlyList<uint> monitoredItemIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(monitoredItemIds);
        return await UaBatches.CallAsync(monitoredItemIds, _session.MaxMonitoredItemsPerCall, _session.DefaultMaxNodesPerCall, "monitored items to delete", async (slice, token) =>
            (await _session.CallAsync<DeleteMonitoredItemsResponse>(new UInt32ArrayRequest(SubscriptionEncodingIds.DeleteMonitoredItemsRequest, SubscriptionId, slice.ToArray()), token).ConfigureAwait(false)).Body.Results,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Asks the server to send a message again (OPC 10000-4 §5.14.6). Null when it is no longer available
    /// (BadMessageNotAvailable): that data is lost and must be re-read.
    /// </summary>
    public async Task<NotificationMessage?> RepublishAsync(uint sequenceNumber, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await _session.CallAsync<RepublishResponse>(new RepublishRequest(SubscriptionId, sequenceNumber), cancellationToken).ConfigureAwait(false);
            return response.Message;
        }
        catch (UaServiceException ex) when (ex.Status.Is(new StatusCode(0x807B0000)))
        {
            return null;
        }
    }

    public async Task DeleteAsync(CancellationToken cancellationToken = default)
    {
        var response = await _session.CallAsync<DeleteSubscriptionsResponse>(new UInt32ArrayRequest(SubscriptionEncodingIds.DeleteSubscriptionsRequest, null, [SubscriptionId]), cancellationToken).ConfigureAwait(false);
        if (response.Body.Results is [{ IsBad: true } status])
        {
            throw new UaServiceException(status, $"deleting subscription {SubscriptionId} failed");
        }
    }
}
