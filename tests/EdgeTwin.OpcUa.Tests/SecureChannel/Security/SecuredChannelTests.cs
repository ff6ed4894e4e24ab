using EdgeTwin.OpcUa.Client;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.SecureChannel.Security;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Subscriptions;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Tests.SecureChannel.Security;

/// <summary>Signed and encrypted channels against node-opcua: every policy and mode, reading and subscribing 10,000 items.</summary>
[Collection(SecuredServerCollection.Name)]
public sealed class SecuredChannelTests(SecuredServerFixture fixture)
{
    public static TheoryData<string, MessageSecurityMode> PoliciesAndModes => new()
    {
        { "Basic256Sha256", MessageSecurityMode.Sign },
        { "Basic256Sha256", MessageSecurityMode.SignAndEncrypt },
        { "Aes128_Sha256_RsaOaep", MessageSecurityMode.Sign },
        { "Aes128_Sha256_RsaOaep", MessageSecurityMode.SignAndEncrypt },
        { "Aes256_Sha256_RsaPss", MessageSecurityMode.Sign },
        { "Aes256_Sha256_RsaPss", MessageSecurityMode.SignAndEncrypt },
    };

    [Theory]
    [MemberData(nameof(PoliciesAndModes))]
    public async Task Channel_OpensOnThePolicyAndMode_AndASessionReads(string policy, MessageSecurityMode mode)
    {
        await using var channel = await UaSecureChannel.OpenAsync(fixture.EndpointUrl, fixture.Channel(policy, mode));
        var secured = Assert.IsType<UaSecuredPolicy>(channel.SecurityPolicy);
        Assert.Equal(policy, secured.Algorithms.Name);
        Assert.Equal(mode, secured.Mode);
        await using var session = await UaSession.CreateAsync(channel);
        var values = await session.ReadValuesAsync([session.Namespaces.Resolve(ExpandedNodeId.Parse("nsu=urn:edgetwin:test;s=Scalar.Int32")), session.Namespaces.Resolve(ExpandedNodeId.Parse("nsu=urn:edgetwin:test;s=Array.Large"))]);
        Assert.Equal(int.MinValue, values[0].Value.AsInt32());
        // 40 KB: a response over several chunks, each signed (and encrypted) on its own.
        Assert.Equal(5000, values[1].Value.GetArray<double>().Length);
        Assert.Equal(2499.5, values[1].Value.GetArray<double>()[4999]);
    }

    [Theory]
    [MemberData(nameof(PoliciesAndModes))]
    public async Task Client_Reads10000Items_AndSubscribesToThem(string policy, MessageSecurityMode mode)
    {
        await using var client = new UaClient(new UaClientOptions { EndpointUrl = fixture.EndpointUrl, Channel = fixture.Channel(policy, mode) });
        client.Start();
        await client.WaitConnectedAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var nodes = Enumerable.Range(0, SecuredServerFixture.Items).Select(i => ExpandedNodeId.Parse($"nsu=urn:edgetwin:test;s=Item{i:D5}")).ToArray();

        var values = await client.ReadValuesAsync(nodes);
        Assert.Equal(SecuredServerFixture.Items, values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(i, values[i].Value.AsDouble());
        }

        await client.SubscribeAsync(new UaSubscriptionOptions { PublishingInterval = TimeSpan.FromMilliseconds(100) },
            nodes.Select((n, i) => new UaMonitoredNode(n, (uint)i)).ToArray());
        var seen = new HashSet<uint>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await foreach (var e in client.Events.ReadAllAsync(timeout.Token))
        {
            if (e is { Kind: UaClientEventKind.Notification, Message: { } message })
            {
                foreach (var change in message.DataChanges)
                {
                    Assert.Equal(change.ClientHandle, (uint)change.Value.Value.AsDouble());
                    seen.Add(change.ClientHandle);
                }

                client.Acknowledge(e);
                if (seen.Count == SecuredServerFixture.Items)
                {
                    break;
                }
            }
        }

        Assert.Equal(SecuredServerFixture.Items, seen.Count);
        var secured = Assert.IsType<UaSecuredPolicy>(client.Session!.Channel.SecurityPolicy);
        Assert.Equal((policy, mode), (secured.Algorithms.Name, secured.Mode));
    }
}
