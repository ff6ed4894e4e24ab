using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Transport;
using EdgeTwin.OpcUa.Types;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.OpcUa.Tests.Session;

/// <summary>Messages over the negotiated limits fail that one call; the channel goes on.</summary>
[Collection(OpcUaServerFixture.CollectionName)]
public class MessageLimitTests(OpcUaServerFixture fixture)
{
    [Fact]
    public async Task RequestOverTheServersMaxMessageSize_IsRefusedBeforeSending_AndTheChannelGoesOn()
    {
        // node-opcua mirrors the client's MaxMessageSize and MaxChunkCount into its Acknowledge.
        var options = new UaSecureChannelOptions { TcpLimits = new UaTcpLimits { MaxMessageSize = 256 * 1024, MaxChunkCount = 64 } };
        await using var channel = await UaSecureChannel.OpenAsync(fixture.EndpointUrl, options);
        await using var session = await UaSession.CreateAsync(channel);
        Assert.Equal(256u * 1024, channel.Limits.MaxRequestSize);
        var sent = channel.ChunksSent;
        var huge = Enumerable.Range(0, 50).Select(i => new NodeId(new string('y', 8000) + i, 2)).ToArray();
        var ex = await Assert.ThrowsAsync<UaServiceException>(() => session.ReadValuesAsync(huge));
        Assert.Equal(StatusCode.BadRequestTooLarge, ex.Status);
        Assert.Equal(sent, channel.ChunksSent);
        Assert.True(channel.IsOpen);
        var state = await session.ReadValuesAsync([WellKnownNodes.ServerStatusState]);
        Assert.Equal(0, state[0].Value.AsInt32());
    }

    [Fact]
    public async Task ResponseOverOurMaxMessageSize_FailsThatCall_AndTheChannelGoesOn()
    {
        // node-opcua (2.182) weighs a response as whole chunks, chunk count times the chunk size, against our
        // MaxMessageSize: below one chunk even the OpenSecureChannel response is too large, and it then sends nothing.
        // 8 KiB chunks make 16 KiB two whole chunks, so the channel and the session open and only the large read is refused.
        var limits = new UaTcpLimits { ReceiveBufferSize = 8192, SendBufferSize = 8192, MaxMessageSize = 16 * 1024, MaxChunkCount = 64 };
        var options = new UaSecureChannelOptions { TcpLimits = limits };
        await using var channel = await UaSecureChannel.OpenAsync(fixture.EndpointUrl, options);
        await using var session = await UaSession.CreateAsync(channel);
        Assert.Equal(8192u, channel.Limits.ReceiveChunkSize);
        Assert.Equal(16u * 1024, channel.Limits.MaxResponseSize);
        var large = session.Namespaces.Resolve(ExpandedNodeId.Parse("nsu=urn:edgetwin:test;s=Array.Large"));
        var ex = await Assert.ThrowsAsync<UaServiceException>(() => session.ReadValuesAsync([large]));
        // node-opcua answers a response it may not send with a ServiceFault carrying BadTcpMessageTooLarge.
        Assert.Equal(StatusCode.BadTcpMessageTooLarge, ex.Status);
        Assert.True(channel.IsOpen);
        var state = await session.ReadValuesAsync([WellKnownNodes.ServerStatusState]);
        Assert.Equal(0, state[0].Value.AsInt32());
    }
}
