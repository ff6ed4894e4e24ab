using System.Buffers;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Subscriptions;
using EdgeTwin.OpcUa.Tests.Infrastructure;
using EdgeTwin.OpcUa.Transport;
using EdgeTwin.OpcUa.Types;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.OpcUa.Tests.Transport;

/// <summary>
/// Golden captures from the wire: HEL/ACK/OPN/MSG/CLO exchanges between our client and the node-opcua server,
/// recorded through a relay. Every run records the traffic afresh and checks it; the stored capture in TestData
/// is checked the same way, and every chunk in it is fed through the framing split at every byte.
/// </summary>
[Collection(OpcUaServerFixture.CollectionName)]
public sealed class LiveCaptureTests(OpcUaServerFixture fixture)
{
    private static readonly NodeId[] TypeIdsExpected =
    [
        new(UaEncodingIds.GetEndpointsResponse), new(UaEncodingIds.CreateSessionResponse), new(UaEncodingIds.ActivateSessionResponse),
        new(UaEncodingIds.ReadResponse), new(UaEncodingIds.BrowseResponse), new(UaEncodingIds.BrowseNextResponse),
        new(SubscriptionEncodingIds.CreateSubscriptionResponse), new(SubscriptionEncodingIds.CreateMonitoredItemsResponse),
        new(SubscriptionEncodingIds.PublishResponse), new(SubscriptionEncodingIds.DeleteSubscriptionsResponse), new(UaEncodingIds.CloseSessionResponse),
    ];

    private static string StoredPath => Path.Combine(AppContext.BaseDirectory, "TestData", LiveCapture.FileName);

    [Fact]
    public async Task LiveTraffic_DecodesWithOurDecoders_AndOurRequestsReencodeByteForByte()
    {
        var capture = await RecordAsync(fixture.Server.Port);
        CheckCoverage(capture);
        if (Environment.GetEnvironmentVariable("EDGETWIN_RECORD_OPCUA_CAPTURE") == "1")
        {
            var source = Path.Combine(OpcUaTestServer.PeerDirectory, "..", "..", "EdgeTwin.OpcUa.Tests", "TestData", LiveCapture.FileName);
            capture.Save(Path.GetFullPath(source));
        }
    }

    [Fact]
    public void StoredCapture_DecodesWithOurDecoders_AndOurRequestsReencodeByteForByte()
    {
        var capture = LiveCapture.Load(StoredPath);
        Assert.StartsWith("node-opcua 2.186.4", capture.Server, StringComparison.Ordinal);
        CheckCoverage(capture);
    }

    [Fact]
    public void StoredCapture_EveryChunkSplitAtEveryByte_IsNeverConsumedIncomplete_AndReadWholeOnceComplete()
    {
        var capture = LiveCapture.Load(StoredPath);
        var chunks = capture.AllChunks.ToList();
        Assert.Contains(chunks, c => c.Length > 8192);
        foreach (var chunk in chunks)
        {
            for (var cut = 0; cut <= chunk.Length; cut++)
            {
                // The first `cut` bytes alone (in two segments): never a chunk unless all of it is there.
                var partial = Segments.Split(chunk[..cut], cut / 2);
                var before = partial;
                var found = UaTcpChunkScanner.TryRead(ref partial, 1 << 24, out var header, out var read);
                if (cut < chunk.Length)
                {
                    Assert.False(found, $"{CapturedMessages.Kind(chunk)} chunk of {chunk.Length} bytes read from its first {cut}");
                    Assert.Equal(before.Length, partial.Length);
                    Assert.True(before.Start.Equals(partial.Start));
                }
                else
                {
                    Assert.True(found);
                }

                // The whole chunk with a segment boundary at `cut`, followed by the first bytes of a next one.
                var whole = Segments.Split([.. chunk, .. chunk.AsSpan(0, Math.Min(5, chunk.Length))], cut);
                Assert.True(UaTcpChunkScanner.TryRead(ref whole, 1 << 24, out header, out read));
                Assert.Equal((uint)chunk.Length, header.MessageSize);
                Assert.Equal(chunk, read.ToArray());
                Assert.Equal(Math.Min(5, chunk.Length), whole.Length);
            }
        }
    }

    [Fact]
    public void StoredCapture_EachDirection_DeliveredOneBytePerSegment_YieldsTheSameChunks()
    {
        foreach (var connection in LiveCapture.Load(StoredPath).Connections)
        {
            foreach (var direction in new[] { connection.FromClient, connection.FromServer })
            {
                var stream = direction.SelectMany(c => c).ToArray();
                var buffer = Segments.OneBytePerSegment(stream);
                var chunks = new List<byte[]>();
                while (UaTcpChunkScanner.TryRead(ref buffer, 1 << 24, out _, out var chunk))
                {
                    chunks.Add(chunk.ToArray());
                }

                Assert.True(buffer.IsEmpty);
                Assert.Equal(direction.Count, chunks.Count);
                for (var i = 0; i < chunks.Count; i++)
                {
                    Assert.Equal(direction[i], chunks[i]);
                }
            }
        }
    }

    private static void CheckCoverage(LiveCapture capture)
    {
        var summary = new CapturedMessages.Summary();
        foreach (var connection in capture.Connections)
        {
            CapturedMessages.Verify(connection, summary);
        }

        foreach (var kind in new[] { "client HELF", "server ACKF", "client OPNF", "server OPNF", "client MSGF", "server MSGF", "server MSGC", "client CLOF" })
        {
            Assert.Contains(kind, summary.ChunkKinds);
        }

        foreach (var type in TypeIdsExpected)
        {
            Assert.Contains(type.NumericIdentifier, summary.ResponseTypes);
        }

        Assert.True(summary.MultiChunkResponses >= 1, "no response spanned several chunks");

        // What the scenario read and browsed, decoded from the wire.
        Assert.Contains(summary.Values, v => v.Value is { Type: BuiltInType.String, IsArray: true } && v.Value.GetArray<string?>().Contains("urn:edgetwin:test"));
        Assert.Contains(summary.Values, v => v.Value is { Type: BuiltInType.String, IsArray: false } && v.Value.AsString() == "Grüße, 世界");
        Assert.Contains(summary.Values, v => v.Value is { Type: BuiltInType.Int64, IsArray: false } && v.Value.AsInt64() == long.MinValue);
        Assert.Contains(summary.Values, v => v.Value is { Type: BuiltInType.Double, IsArray: true } && v.Value.ArrayDimensions is [2, 3]);
        Assert.Contains(summary.Values, v => v.Value is { Type: BuiltInType.Double, IsArray: true } && v.Value.GetArray<double>() is { Length: 5000 } large && large[4999] == 2499.5);
        Assert.Contains(summary.Values, v => v.EffectiveStatus.Is(StatusCode.BadNodeIdUnknown));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"Item{i:D5}"), summary.References.Select(r => r.BrowseName.Name).Where(n => n!.StartsWith("Item", StringComparison.Ordinal)));
        Assert.True(summary.DataChanges >= 3, $"{summary.DataChanges} data changes published");
    }

    /// <summary>
    /// Runs the client through a relay: endpoints on a channel of their own, then a session that reads every kind of
    /// value (a 40 KB array in 8 KB chunks), browses with continuation points, subscribes and receives changes, and closes.
    /// </summary>
    private static async Task<LiveCapture> RecordAsync(int serverPort)
    {
        var proxy = new RecordingProxy(serverPort);
        await using (proxy)
        {
            var url = proxy.EndpointUrl;
            await UaDiscovery.GetEndpointsAsync(url);

            var options = new UaSecureChannelOptions { TcpLimits = UaTcpLimits.Default with { ReceiveBufferSize = 8192, SendBufferSize = 8192 } };
            var channel = await UaSecureChannel.OpenAsync(url, options);
            await using (channel)
            {
                var session = await UaSession.CreateAsync(channel);
                NodeId Node(string name) => session.Namespaces.Resolve(ExpandedNodeId.Parse("nsu=urn:edgetwin:test;s=" + name));
                var read = await session.ReadValuesAsync(
                    new[] { "Scalar.Boolean", "Scalar.Int64", "Scalar.String", "Scalar.Guid", "Scalar.LocalizedText", "Scalar.NullString", "Matrix.Double", "Array.Large", "NoSuchNode" }
                        .Select(Node).ToArray());
                Assert.Equal(5000, read[7].Value.GetArray<double>().Length);
                var many = await session.BrowseAsync([BrowseDescription.Children(Node("Many"))], maxReferencesPerNode: 40);
                Assert.Equal(100, many[0].References.Count);

                var subscription = await UaSubscription.CreateAsync(session, new UaSubscriptionOptions { PublishingInterval = TimeSpan.FromMilliseconds(100) });
                await subscription.CreateMonitoredItemsAsync([new MonitoredItemRequest(Node("Counter"), 1, 100), new MonitoredItemRequest(Node("Sine"), 2, 100, Deadband: DeadbandType.Absolute, DeadbandValue: 0.01)]);
                var publisher = new UaPublisher(session, new UaPublisherOptions { OutstandingRequests = 1 });
                await using (publisher)
                {
                    publisher.Add(subscription);
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    for (var messages = 0; messages < 3;)
                    {
                        var published = await publisher.Messages.ReadAsync(timeout.Token);
                        if (published.Message is { DataChanges.Count: > 0 } message)
                        {
                            messages++;
                            publisher.Acknowledge(published.SubscriptionId, message.SequenceNumber);
                        }
                    }
                }

                await subscription.DeleteAsync();
                await session.CloseAsync();
                await channel.CloseAsync();
            }

            var recordings = await proxy.StopAsync();
            Assert.Equal(2, recordings.Count);
            var scenarios = new[] { "GetEndpoints on a channel of its own", "session: read, browse with continuation points, subscription with publish, close" };
            return new LiveCapture("node-opcua 2.186.4 (tests/peers/opcua-server)", recordings.Select((r, i) =>
                new LiveCapture.Connection(scenarios[i], LiveCapture.Chunks(r.FromClient.ToArray()), LiveCapture.Chunks(r.FromServer.ToArray()))).ToList());
        }
    }
}
