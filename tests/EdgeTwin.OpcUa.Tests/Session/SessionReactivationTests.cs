using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Types;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.OpcUa.Tests.Session;

/// <summary>The building blocks of reconnection: a session moves to a new channel; a restarted server has forgotten it.</summary>
public class SessionReactivationTests
{
    [Fact]
    public async Task LostChannel_TheSameSessionIsActivatedOnANewChannel()
    {
        await using var server = await OpcUaTestServer.StartAsync();
        var first = await UaSecureChannel.OpenAsync(server.EndpointUrl);
        var session = await UaSession.CreateAsync(first);
        var sessionId = session.SessionId;
        // Drop the connection without closing the session, as a network failure would.
        await first.DisposeAsync();

        await using var second = await UaSecureChannel.OpenAsync(server.EndpointUrl);
        Assert.NotEqual(first.Token.ChannelId, second.Token.ChannelId);
        await session.ActivateAsync(second);
        Assert.Same(second, session.Channel);
        Assert.Equal(sessionId, session.SessionId);
        var state = await session.ReadValuesAsync([WellKnownNodes.ServerStatusState]);
        Assert.Equal(0, state[0].Value.AsInt32());
        await session.CloseAsync();
    }

    [Fact]
    public async Task RestartedServer_RejectsTheOldSession_AndANewOneSeesTheNewNamespaceOrder()
    {
        var server = await OpcUaTestServer.StartAsync();
        var port = server.Port;
        var channel = await UaSecureChannel.OpenAsync(server.EndpointUrl);
        var session = await UaSession.CreateAsync(channel);
        Assert.True(session.Namespaces.TryGetIndex("urn:edgetwin:test", out var before));
        server.Kill();
        await Assert.ThrowsAnyAsync<Exception>(() => channel.Completion);
        await channel.DisposeAsync();
        await server.DisposeAsync();

        await using var restarted = await OpcUaTestServer.StartOnPortAsync(port, "--namespaces", "urn:inserted");
        await using var next = await UaSecureChannel.OpenAsync(restarted.EndpointUrl);
        var ex = await Assert.ThrowsAsync<UaServiceException>(() => session.ActivateAsync(next));
        Assert.True(ex.Status.Is(StatusCode.BadSessionIdInvalid) || ex.Status.Is(StatusCode.BadSessionClosed), ex.Message);

        await using var fresh = await UaSession.CreateAsync(next);
        Assert.True(fresh.Namespaces.TryGetIndex("urn:edgetwin:test", out var after));
        Assert.Equal(before + 1, after);
        var value = await fresh.ReadValuesAsync([fresh.Namespaces.Resolve(ExpandedNodeId.Parse("nsu=urn:edgetwin:test;s=Item00003"))]);
        Assert.Equal(3.0, value[0].Value.AsDouble());
    }
}
