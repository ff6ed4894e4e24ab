using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Subscriptions;
using EdgeTwin.OpcUa.Types;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.OpcUa.Tests.Subscriptions;

[Collection(OpcUaServerFixture.CollectionName)]
public class UaSubscriptionTests(OpcUaServerFixture fixture)
{
    private static readonly UaSubscriptionOptions Fast = new() { PublishingInterval = TimeSpan.FromMilliseconds(100), MaxKeepAliveCount = 10 };

    private static NodeId Node(UaSession session, string name) => session.Namespaces.Resolve(ExpandedNodeId.Parse($"nsu=urn:edgetwin:test;s={name}"));

    private static async Task<UaPublishedMessage> NextAsync(UaPublisher publisher, CancellationToken token)
    {
        var message = await publisher.Messages.ReadAsync(token);
        Assert.NotNull(message.Message);
        return message;
    }

    [Fact]
    public async Task Subscription_DeliversInitialValuesThenChanges_InSequence_AndAcknowledgementsReleaseThem()
    {
        await using var channel = await UaSecureChannel.OpenAsync(fixture.EndpointUrl);
        await using var session = await UaSession.CreateAsync(channel);
        var subscription = await UaSubscription.CreateAsync(session, Fast);
        Assert.Equal(TimeSpan.FromMilliseconds(100), subscription.RevisedPublishingInterval);
        var results = await subscription.CreateMonitoredItemsAsync(
        [
            new MonitoredItemRequest(Node(session, "Counter"), ClientHandle: 1, SamplingInterval: 100),
            new MonitoredItemRequest(Node(session, "Item00007"), ClientHandle: 2),
            new MonitoredItemRequest(new NodeId("NoSuchNode", 2), ClientHandle: 3),
        ]);
        Assert.True(results[0].StatusCode.IsGood);
        Assert.True(results[1].StatusCode.IsGood);
        Assert.True(results[2].StatusCode.Is(StatusCode.BadNodeIdUnknown));

        await using var publisher = new UaPublisher(session);
        publisher.Add(subscription);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var counters = new List<int>();
        var statics = new List<double>();
        var sequence = new List<uint>();
        while (counters.Count < 10)
        {
            var published = await NextAsync(publisher, timeout.Token);
            sequence.Add(published.Message!.SequenceNumber);
            foreach (var change in published.Message.DataChanges)
            {
                Assert.NotNull(change.Value.SourceTimestamp);
                if (change.ClientHandle == 1)
                {
                    counters.Add(change.Value.Value.AsInt32());
                }
                else
                {
                    Assert.Equal(2u, change.ClientHandle);
                    statics.Add(change.Value.Value.AsDouble());
                }
            }

            publisher.Acknowledge(published.SubscriptionId, published.Message.SequenceNumber);
        }

        Assert.Equal([7.0], statics);
        Assert.Equal(counters.Order(), counters);
        Assert.Equal(counters.Count, counters.Distinct().Count());
        Assert.Equal(Enumerable.Range((int)sequence[0], sequence.Count).Select(n => (uint)n), sequence);
        Assert.Equal(1u, sequence[0]);

        // Acknowledged messages leave the server's retransmission queue.
        while (publisher.AvailableSequenceNumbers(subscription.SubscriptionId).Any(n => n <= sequence[^1]))
        {
            await Task.Delay(50, timeout.Token);
        }

        await subscription.DeleteAsync();
    }

    [Fact]
    public async Task UnacknowledgedMessages_StayAvailable_AndRepublishReturnsThemAgain()
    {
        await using var channel = await UaSecureChannel.OpenAsync(fixture.EndpointUrl);
        await using var session = await UaSession.CreateAsync(channel);
        var subscription = await UaSubscription.CreateAsync(session, Fast);
        await subscription.CreateMonitoredItemsAsync([new MonitoredItemRequest(Node(session, "Counter"), 1, SamplingInterval: 100)]);
        await using var publisher = new UaPublisher(session);
        publisher.Add(subscription);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var first = await NextAsync(publisher, timeout.Token);
        var second = await NextAsync(publisher, timeout.Token);
        while (!publisher.AvailableSequenceNumbers(subscription.SubscriptionId).Contains(second.Message!.SequenceNumber))
        {
            await NextAsync(publisher, timeout.Token);
        }

        Assert.Contains(first.Message!.SequenceNumber, publisher.AvailableSequenceNumbers(subscription.SubscriptionId));
        var again = await subscription.RepublishAsync(first.Message.SequenceNumber, timeout.Token);
        Assert.NotNull(again);
        Assert.Equal(first.Message.SequenceNumber, again.SequenceNumber);
        Assert.Equal(first.Message.DataChanges, again.DataChanges);
        Assert.Null(await subscription.RepublishAsync(first.Message.SequenceNumber + 100_000, timeout.Token));
    }

    [Fact]
    public async Task AbsoluteDeadband_SuppressesSmallChanges()
    {
        await using var channel = await UaSecureChannel.OpenAsync(fixture.EndpointUrl);
        await using var session = await UaSession.CreateAsync(channel);
        var subscription = await UaSubscription.CreateAsync(session, Fast);
        // The counter rises by 1 every 100 ms: a deadband of 5 lets through about every sixth value.
        var results = await subscription.CreateMonitoredItemsAsync(
        [
            new MonitoredItemRequest(Node(session, "Counter"), 1, SamplingInterval: 100),
            new MonitoredItemRequest(Node(session, "Counter"), 2, SamplingInterval: 100, Deadband: DeadbandType.Absolute, DeadbandValue: 5),
        ]);
        Assert.All(results, r => Assert.True(r.StatusCode.IsGood, r.StatusCode.ToString()));
        await AssertDeadbandAsync(session, subscription, change => change.AsInt32(), 5);
    }

    [Fact]
    public async Task PercentDeadband_OnAnAnalogItem_SuppressesChangesWithinThatShareOfItsEURange_AndNodesItCannotApplyToRefuseIt()
    {
        await using var channel = await UaSecureChannel.OpenAsync(fixture.EndpointUrl);
        await using var session = await UaSession.CreateAsync(channel);
        var subscription = await UaSubscription.CreateAsync(session, Fast);
        // TankLevel rises by 1 every 100 ms within an EURange of 0..200: 2.5 % of that range is 5, so about every
        // sixth value passes. The counter has no EURange, a string has no magnitude, and 150 % is out of range; each of
        // those items is refused on its own (OPC 10000-4 §7.22.2) while the others are created.
        var results = await subscription.CreateMonitoredItemsAsync(
        [
            new MonitoredItemRequest(Node(session, "TankLevel"), 1, SamplingInterval: 100),
            new MonitoredItemRequest(Node(session, "TankLevel"), 2, SamplingInterval: 100, Deadband: DeadbandType.Percent, DeadbandValue: 2.5),
            new MonitoredItemRequest(Node(session, "Counter"), 3, SamplingInterval: 100, Deadband: DeadbandType.Percent, DeadbandValue: 2.5),
            new MonitoredItemRequest(Node(session, "Scalar.String"), 4, Deadband: DeadbandType.Absolute, DeadbandValue: 1),
            new MonitoredItemRequest(Node(session, "TankLevel"), 5, Deadband: DeadbandType.Percent, DeadbandValue: 150),
        ]);
        Assert.True(results[0].StatusCode.IsGood, results[0].StatusCode.ToString());
        Assert.True(results[1].StatusCode.IsGood, results[1].StatusCode.ToString());
        Assert.Equal(StatusCode.BadMonitoredItemFilterUnsupported, results[2].StatusCode);
        Assert.Equal(StatusCode.BadFilterNotAllowed, results[3].StatusCode);
        Assert.Equal(StatusCode.BadDeadbandFilterInvalid, results[4].StatusCode);
        await AssertDeadbandAsync(session, subscription, change => change.AsDouble(), 5);
    }

    // Item 1 reports every value, item 2 the same node through a deadband of `band` units (no other item reports):
    // item 2 gets at most a third of the values, each more than `band` from the one before (the level's wrap at 200
    // is a change of far more than that too).
    private static async Task AssertDeadbandAsync(UaSession session, UaSubscription subscription, Func<Variant, double> value, double band)
    {
        await using var publisher = new UaPublisher(session);
        publisher.Add(subscription);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var all = new List<double>();
        var filtered = new List<double>();
        while (all.Count < 25)
        {
            var published = await NextAsync(publisher, timeout.Token);
            foreach (var change in published.Message!.DataChanges)
            {
                Assert.InRange(change.ClientHandle, 1u, 2u);
                (change.ClientHandle == 1 ? all : filtered).Add(value(change.Value.Value));
            }

            publisher.Acknowledge(published.SubscriptionId, published.Message.SequenceNumber);
        }

        Assert.InRange(filtered.Count, 2, all.Count / 3);
        Assert.All(filtered.Zip(filtered.Skip(1)), pair => Assert.True(Math.Abs(pair.Second - pair.First) > band, $"{pair.First} -> {pair.Second}"));
    }

    [Fact]
    public async Task TenThousandMonitoredItems_AreCreatedInCallsOfMaxMonitoredItemsPerCall_AndAllReportTheirValues()
    {
        await using var server = await OpcUaTestServer.StartAsync("--items", "10000");
        await using var channel = await UaSecureChannel.OpenAsync(server.EndpointUrl);
        await using var session = await UaSession.CreateAsync(channel);
        Assert.Equal(1000u, session.MaxMonitoredItemsPerCall);
        var subscription = await UaSubscription.CreateAsync(session, Fast);
        var items = Enumerable.Range(0, 10_000).Select(i => new MonitoredItemRequest(Node(session, $"Item{i:D5}"), (uint)i)).ToArray();
        var results = await subscription.CreateMonitoredItemsAsync(items);
        Assert.All(results, r => Assert.True(r.StatusCode.IsGood, r.StatusCode.ToString()));
        Assert.Equal(10_000, results.Select(r => r.MonitoredItemId).Distinct().Count());

        await using var publisher = new UaPublisher(session);
        publisher.Add(subscription);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = new Dictionary<uint, double>();
        while (seen.Count < 10_000)
        {
            var published = await NextAsync(publisher, timeout.Token);
            foreach (var change in published.Message!.DataChanges)
            {
                seen[change.ClientHandle] = change.Value.Value.AsDouble();
            }

            publisher.Acknowledge(published.SubscriptionId, published.Message.SequenceNumber);
        }

        Assert.All(seen, pair => Assert.Equal(pair.Key, pair.Value));
        var deleted = await subscription.DeleteMonitoredItemsAsync(results.Select(r => r.MonitoredItemId).ToArray());
        Assert.Equal(10_000, deleted.Length);
        Assert.All(deleted, s => Assert.True(s.IsGood));
    }
}
