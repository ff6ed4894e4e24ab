using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Transport;
using EdgeTwin.OpcUa.Types;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.OpcUa.Tests.Session;

[Collection(OpcUaServerFixture.CollectionName)]
public class UaSessionTests(OpcUaServerFixture fixture)
{
    private const string TestNamespace = "urn:edgetwin:test";

    private static NodeId Node(UaSession session, string name) => session.Namespaces.Resolve(ExpandedNodeId.Parse($"nsu={TestNamespace};s={name}"));

    private async Task<(UaSecureChannel Channel, UaSession Session)> ConnectAsync(string? url = null, UaSecureChannelOptions? options = null)
    {
        var channel = await UaSecureChannel.OpenAsync(url ?? fixture.EndpointUrl, options);
        var session = await UaSession.CreateAsync(channel);
        return (channel, session);
    }

    [Fact]
    public async Task GetEndpoints_ListsTheNoneEndpointWithAnonymousLogin()
    {
        var endpoints = await UaDiscovery.GetEndpointsAsync(fixture.EndpointUrl);
        var none = Assert.Single(endpoints, e => e.SecurityMode == MessageSecurityMode.None);
        Assert.Equal(UaSecurityPolicyNone.Uri, none.SecurityPolicyUri);
        Assert.Equal(EndpointDescription.UaTcpTransportProfile, none.TransportProfileUri);
        Assert.Contains(none.UserIdentityTokens, t => t.TokenType == UserTokenType.Anonymous);
        Assert.EndsWith("/UA/EdgeTwinTest", none.EndpointUrl, StringComparison.Ordinal);
        Assert.NotNull(none.Server.ApplicationUri);
    }

    [Fact]
    public async Task CreateSession_Anonymous_ReadsNamespacesAndOperationLimits()
    {
        var (channel, session) = await ConnectAsync();
        await using (channel)
        {
            Assert.False(session.AuthenticationToken.IsNull);
            Assert.NotEqual(session.SessionId, session.AuthenticationToken);
            Assert.Equal(fixture.Server.Namespaces, session.Namespaces.Uris);
            Assert.Equal("http://opcfoundation.org/UA/", session.Namespaces.GetUri(0));
            Assert.True(session.Namespaces.TryGetIndex(TestNamespace, out _));
            Assert.Equal(50u, session.MaxNodesPerRead);
            Assert.Equal(50u, session.MaxNodesPerBrowse);
            Assert.Equal(1000u, session.MaxMonitoredItemsPerCall);
            var state = await session.ReadValuesAsync([WellKnownNodes.ServerStatusState]);
            Assert.Equal(0, state[0].Value.AsInt32()); // Running
            await session.CloseAsync();
            await channel.CloseAsync();
        }
    }

    [Fact]
    public async Task Read_EveryScalarType_WithExtremeValues()
    {
        var (channel, session) = await ConnectAsync();
        await using (channel)
        await using (session)
        {
            string[] names =
            [
                "Scalar.Boolean", "Scalar.SByte", "Scalar.Byte", "Scalar.Int16", "Scalar.UInt16", "Scalar.Int32", "Scalar.UInt32",
                "Scalar.Int64", "Scalar.UInt64", "Scalar.Float", "Scalar.Double", "Scalar.String", "Scalar.DateTime", "Scalar.Guid",
                "Scalar.ByteString", "Scalar.NodeId", "Scalar.StatusCode", "Scalar.QualifiedName", "Scalar.LocalizedText",
                "Scalar.EmptyString", "Scalar.NullString",
            ];
            var values = await session.ReadValuesAsync(names.Select(n => Node(session, n)).ToArray());
            Assert.All(values, v => Assert.True(v.EffectiveStatus.IsGood, v.EffectiveStatus.ToString()));
            Assert.All(values, v => Assert.NotNull(v.ServerTimestamp));
            var v = values.Select(d => d.Value).ToArray();
            Assert.True(v[0].AsBoolean());
            Assert.Equal(sbyte.MinValue, v[1].AsSByte());
            Assert.Equal(byte.MaxValue, v[2].AsByte());
            Assert.Equal(short.MinValue, v[3].AsInt16());
            Assert.Equal(ushort.MaxValue, v[4].AsUInt16());
            Assert.Equal(int.MinValue, v[5].AsInt32());
            Assert.Equal(uint.MaxValue, v[6].AsUInt32());
            Assert.Equal(long.MinValue, v[7].AsInt64());
            Assert.Equal(ulong.MaxValue, v[8].AsUInt64());
            Assert.Equal(3.5f, v[9].AsFloat());
            Assert.Equal(-double.MaxValue, v[10].AsDouble());
            Assert.Equal("Grüße, 世界", v[11].AsString());
            Assert.Equal(new DateTime(2026, 11, 24, 3, 0, 0, 123, DateTimeKind.Utc), v[12].AsDateTime());
            Assert.Equal(Guid.Parse("72962B91-FA75-4AE6-8D28-B404DC7DAF63"), v[13].AsGuid());
            Assert.Equal(new byte[] { 0, 1, 2, 254, 255 }, v[14].AsByteString());
            Assert.Equal(new NodeId("Target", 1), v[15].AsNodeId());
            Assert.Equal(StatusCode.BadNodeIdUnknown, v[16].AsStatusCode());
            Assert.Equal(new QualifiedName(1, "Qn"), v[17].AsQualifiedName());
            Assert.Equal(new LocalizedText("de", "Druck"), v[18].AsLocalizedText());
            Assert.Equal("", v[19].AsString());
            Assert.True(v[20].IsNull || v[20].AsString() is null);
        }
    }

    [Fact]
    public async Task Read_ArraysAndAMatrix()
    {
        var (channel, session) = await ConnectAsync();
        await using (channel)
        await using (session)
        {
            string[] names = ["Array.Boolean", "Array.Int32", "Array.Double", "Array.String", "Array.Byte", "Array.Empty", "Matrix.Double"];
            var values = (await session.ReadValuesAsync(names.Select(n => Node(session, n)).ToArray())).Select(d => d.Value).ToArray();
            Assert.Equal(new[] { true, false, true }, values[0].GetArray<bool>());
            Assert.Equal(new[] { 1, -2, int.MaxValue }, values[1].GetArray<int>());
            Assert.Equal(new[] { 0.5, -0.25, 1e300 }, values[2].GetArray<double>());
            Assert.Equal(new string?[] { "a", "", "ü" }, values[3].GetArray<string?>());
            Assert.Equal(new byte[] { 1, 2, 3 }, values[4].GetArray<byte>());
            Assert.Empty(values[5].GetArray<int>());
            Assert.Equal(new[] { 1.0, 2, 3, 4, 5, 6 }, values[6].GetArray<double>());
            Assert.Equal(new[] { 2, 3 }, values[6].ArrayDimensions);
        }
    }

    [Fact]
    public async Task Read_MoreNodesThanMaxNodesPerRead_IsSplitAndKeepsTheOrder()
    {
        var (channel, session) = await ConnectAsync();
        await using (channel)
        await using (session)
        {
            Assert.Equal(50u, session.MaxNodesPerRead);
            var nodes = Enumerable.Range(0, 100).Select(i => Node(session, $"Item{i:D5}")).Append(new NodeId("Missing", 2)).ToArray();
            var values = await session.ReadValuesAsync(nodes);
            Assert.Equal(101, values.Length);
            for (var i = 0; i < 100; i++)
            {
                Assert.Equal(i, values[i].Value.AsDouble());
            }

            Assert.True(values[100].EffectiveStatus.Is(StatusCode.BadNodeIdUnknown));
        }
    }

    [Fact]
    public async Task SmallChunks_RequestsAndResponsesSpanSeveralChunks()
    {
        // 8 KiB chunks both ways: a browse of 100 children comes back in several chunks, and a read of 50
        // long node ids goes out in several.
        var options = new UaSecureChannelOptions { TcpLimits = new UaTcpLimits { ReceiveBufferSize = 8192, SendBufferSize = 8192 } };
        var (channel, session) = await ConnectAsync(options: options);
        await using (channel)
        await using (session)
        {
            Assert.Equal(8192u, channel.Limits.ReceiveChunkSize);
            Assert.Equal(8192u, channel.Limits.SendChunkSize);
            var received = channel.ChunksReceived;
            var large = (await session.ReadValuesAsync([Node(session, "Array.Large")]))[0].Value.GetArray<double>();
            Assert.Equal(Enumerable.Range(0, 5000).Select(i => i * 0.5), large);
            Assert.True(channel.ChunksReceived - received >= 5, $"{channel.ChunksReceived - received} chunks for a 40 KB response");
            var children = await session.BrowseChildrenAsync(Node(session, "Many"));
            Assert.Equal(100, children.Count);

            var sent = channel.ChunksSent;
            var longIds = Enumerable.Range(0, 50).Select(i => new NodeId(new string('x', 400) + i, 2)).ToArray();
            var values = await session.ReadValuesAsync(longIds);
            Assert.All(values, v => Assert.True(v.EffectiveStatus.Is(StatusCode.BadNodeIdUnknown)));
            Assert.True(channel.ChunksSent - sent >= 3, $"{channel.ChunksSent - sent} chunks for one 20 KB request");
        }
    }

    [Fact]
    public async Task Browse_FollowsAMultiLevelTree()
    {
        var (channel, session) = await ConnectAsync();
        await using (channel)
        await using (session)
        {
            var top = await session.BrowseChildrenAsync(Node(session, "EdgeTwin"));
            Assert.Equal(new[] { "Arrays", "Dynamic", "Level1", "Many", "Scalars" }, top.Select(r => r.BrowseName.Name ?? "").Order().ToArray());
            Assert.All(top, r => Assert.Equal(NodeClass.Object, r.NodeClass));
            var node = Node(session, "EdgeTwin");
            var path = new List<string>();
            for (var level = 1; level <= 4; level++)
            {
                var children = await session.BrowseChildrenAsync(node);
                var next = Assert.Single(children, r => r.BrowseName.Name == "Level" + level);
                Assert.True(session.Namespaces.TryToNodeId(next.NodeId, out node));
                path.Add(next.BrowseName.Name!);
            }

            var leaf = Assert.Single(await session.BrowseChildrenAsync(node), r => r.NodeClass == NodeClass.Variable);
            Assert.Equal("Leaf", leaf.BrowseName.Name);
            Assert.True(session.Namespaces.TryToNodeId(leaf.NodeId, out var leafId));
            Assert.Equal(42.5, (await session.ReadValuesAsync([leafId]))[0].Value.AsDouble());
            Assert.Equal("nsu=urn:edgetwin:test;s=Leaf", session.Namespaces.ToExpanded(leafId).ToString());
        }
    }

    [Fact]
    public async Task Browse_WithFewReferencesPerCall_FollowsContinuationPointsWithBrowseNext()
    {
        var (channel, session) = await ConnectAsync();
        await using (channel)
        await using (session)
        {
            var children = await session.BrowseChildrenAsync(Node(session, "Many"), maxReferencesPerNode: 7);
            var names = children.Select(r => r.BrowseName.Name).ToArray();
            Assert.Equal(Enumerable.Range(0, 100).Select(i => $"Item{i:D5}"), names.Order());
            Assert.Equal(100, names.Distinct().Count());
        }
    }

    [Fact]
    public async Task UnknownNamespaceUri_IsReportedNotGuessed()
    {
        var (channel, session) = await ConnectAsync();
        await using (channel)
        await using (session)
        {
            var ex = Assert.Throws<UaServiceException>(() => session.Namespaces.Resolve(ExpandedNodeId.Parse("nsu=urn:not-there;s=X")));
            Assert.Equal(StatusCode.BadNodeIdUnknown, ex.Status);
            Assert.Contains("urn:not-there", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task NamespacesInAnotherOrder_TheNsuFormStillReadsTheSameNodes()
    {
        await using var shifted = await OpcUaTestServer.StartAsync("--namespaces", "urn:first,urn:second");
        var (channel, session) = await ConnectAsync(shifted.EndpointUrl);
        await using (channel)
        await using (session)
        {
            Assert.True(session.Namespaces.TryGetIndex(TestNamespace, out var index));
            Assert.Equal(4, index);
            var values = await session.ReadValuesAsync([Node(session, "Scalar.String"), Node(session, "Item00042")]);
            Assert.Equal("Grüße, 世界", values[0].Value.AsString());
            Assert.Equal(42.0, values[1].Value.AsDouble());
            // The index the default server used now names another namespace: reading it there is not our node.
            var stale = await session.ReadValuesAsync([new NodeId("Scalar.String", 2)]);
            Assert.True(stale[0].EffectiveStatus.IsBad);
        }
    }

    [Fact]
    public async Task ChangingValues_AreReadWithNewSourceTimestamps()
    {
        var (channel, session) = await ConnectAsync();
        await using (channel)
        await using (session)
        {
            var counter = Node(session, "Counter");
            var first = (await session.ReadValuesAsync([counter]))[0];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            DataValue next;
            do
            {
                await Task.Delay(50, timeout.Token);
                next = (await session.ReadValuesAsync([counter], timeout.Token))[0];
            }
            while (next.Value.AsInt32() == first.Value.AsInt32());

            Assert.True(next.Value.AsInt32() > first.Value.AsInt32());
        }
    }

    [Fact]
    public async Task TranslateBrowsePaths_FindsNodesByBrowseName_AndReportsMissingOnes()
    {
        var (channel, session) = await ConnectAsync();
        await using (channel)
        await using (session)
        {
            Assert.True(session.Namespaces.TryGetIndex(TestNamespace, out var ns));
            Assert.Equal(50u, session.MaxNodesPerTranslate);
            var leafPath = new[] { "EdgeTwin", "Level1", "Level2", "Level3", "Level4", "Leaf" }.Select(n => new RelativePathElement(new QualifiedName(ns, n))).ToArray();
            var paths = Enumerable.Range(0, 60).Select(i => new BrowsePath(WellKnownNodes.ObjectsFolder, [new(new QualifiedName(ns, "EdgeTwin")), new(new QualifiedName(ns, "Many")), new(new QualifiedName(ns, $"Item{i:D5}"))]))
                .Append(new BrowsePath(WellKnownNodes.ObjectsFolder, leafPath))
                .Append(new BrowsePath(WellKnownNodes.ObjectsFolder, [new(new QualifiedName(ns, "Nowhere"))]))
                .ToArray();
            var results = await session.TranslateBrowsePathsAsync(paths);
            Assert.Equal(62, results.Length);
            for (var i = 0; i < 60; i++)
            {
                var target = Assert.Single(results[i].Targets);
                Assert.Equal(uint.MaxValue, target.RemainingPathIndex);
                Assert.Equal(new NodeId($"Item{i:D5}", ns), target.TargetId.NodeId);
            }

            Assert.Equal(new NodeId("Leaf", ns), Assert.Single(results[60].Targets).TargetId.NodeId);
            Assert.True(results[61].StatusCode.IsBad);
            Assert.Empty(results[61].Targets);
        }
    }
}
