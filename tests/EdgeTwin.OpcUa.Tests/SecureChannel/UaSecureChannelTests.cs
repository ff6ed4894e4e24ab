using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Transport;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.OpcUa.Tests.SecureChannel;

[Collection(OpcUaServerFixture.CollectionName)]
public class UaSecureChannelTests(OpcUaServerFixture fixture)
{
    [Fact]
    public async Task Open_NegotiatesLimits_AndGetsAToken()
    {
        await using var channel = await UaSecureChannel.OpenAsync(fixture.EndpointUrl);
        Assert.True(channel.IsOpen);
        Assert.NotEqual(0u, channel.Token.ChannelId);
        Assert.NotEqual(0u, channel.Token.TokenId);
        Assert.InRange(channel.Limits.SendChunkSize, UaTcpLimits.MinBufferSize, 65536u);
        Assert.InRange(channel.Limits.ReceiveChunkSize, UaTcpLimits.MinBufferSize, 65536u);
        // node-opcua revises our 1 h request down to its default token lifetime.
        Assert.InRange(channel.Token.RevisedLifetime, 2500u, 3_600_000u);
        await channel.CloseAsync();
        Assert.False(channel.IsOpen);
        await channel.Completion;
    }

    [Fact]
    public async Task Token_IsRenewedAt75PercentOfItsLifetime_AndTheChannelKeepsWorking()
    {
        // node-opcua's minimum lifetime is 2.5 s, so renewals come about every 1.9 s.
        var opening = System.Diagnostics.Stopwatch.StartNew();
        await using var channel = await UaSecureChannel.OpenAsync(fixture.EndpointUrl, new UaSecureChannelOptions { RequestedLifetime = 2500 });
        var openedWithin = opening.Elapsed.TotalMilliseconds;
        var first = channel.Token;
        Assert.Equal(2500u, first.RevisedLifetime);
        // 75 % of the lifetime, timed from when the request went out: less the round trip, which a loaded machine stretches.
        Assert.InRange(first.RenewAfter.TotalMilliseconds, Math.Max(0, 1875 - openedWithin), 1875);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (channel.Renewals < 2)
        {
            await Task.Delay(50, timeout.Token);
        }

        Assert.Equal(first.ChannelId, channel.Token.ChannelId);
        Assert.NotEqual(first.TokenId, channel.Token.TokenId);
        var endpoints = await UaDiscovery.GetEndpointsAsync(channel, timeout.Token);
        Assert.NotEmpty(endpoints);
        Assert.True(channel.IsOpen);
    }

    [Fact]
    public async Task ExplicitRenew_KeepsTheChannelId()
    {
        await using var channel = await UaSecureChannel.OpenAsync(fixture.EndpointUrl);
        var first = channel.Token;
        await channel.RenewAsync();
        Assert.Equal(first.ChannelId, channel.Token.ChannelId);
        Assert.Equal(first.TokenId + 1, channel.Token.TokenId);
        Assert.Equal(1, channel.Renewals);
    }

    [Fact]
    public async Task ServerKilled_FailsPendingAndFutureRequests_AndCompletesFaulted()
    {
        await using var server = await OpcUaTestServer.StartAsync();
        await using var channel = await UaSecureChannel.OpenAsync(server.EndpointUrl);
        server.Kill();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => channel.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.IsType<UaTcpProtocolException>(ex, exactMatch: false);
        Assert.False(channel.IsOpen);
        var call = await Assert.ThrowsAsync<UaServiceException>(() => UaDiscovery.GetEndpointsAsync(channel));
        Assert.Equal(StatusCode.BadSecureChannelClosed, call.Status);
    }

    [Fact]
    public async Task WrongEndpointPath_IsStillAcknowledged_AndUnreachablePortFailsToConnect()
    {
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => UaSecureChannel.OpenAsync("opc.tcp://127.0.0.1:1/x"));
    }
}
