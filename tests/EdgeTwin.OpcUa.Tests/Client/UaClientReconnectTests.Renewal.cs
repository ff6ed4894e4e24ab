using System.Net;
using EdgeTwin.OpcUa.Client;
using EdgeTwin.OpcUa.Pki;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.SecureChannel.Security;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.OpcUa.Tests.Client;

// Our certificate renewed while subscribed on SignAndEncrypt: the client moves to a channel and session on the new one
// and takes its subscription along (TransferSubscriptions), with no value lost or repeated.
public partial class UaClientReconnectTests
{
    [Fact]
    public async Task OwnCertificateRenewed_TheClientMovesItsSubscriptionToANewSession_EveryValueArrivesOnce()
    {
        await using var server = await OpcUaTestServer.StartAsync("--tick-ms", TickMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var directory = new TestDirectory("renewal-pki");
        var host = Dns.GetHostName();
        var url = $"opc.tcp://{host}:{server.Port}/UA/EdgeTwinTest";
        var pki = new UaPki(directory.Path).EnsureLayout();
        var endpoints = await UaDiscovery.GetEndpointsAsync(url);
        pki.Trust(UaCertificateChain.Split(endpoints.First(e => e.ServerCertificate is { Length: > 0 }).ServerCertificate)[0]);
        var current = pki.LoadOrCreateOwn("urn:edgetwin:gateway", host, DateTimeOffset.UtcNow);
        await using var client = new UaClient(new UaClientOptions
        {
            EndpointUrl = url,
            ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
            ReconnectMaxDelay = TimeSpan.FromSeconds(1),
            KeepAliveInterval = TimeSpan.FromSeconds(1),
            Channel = new UaSecureChannelOptions
            {
                RequestTimeout = TimeSpan.FromSeconds(5),
                Security = new UaChannelSecurity
                {
                    Policy = "Basic256Sha256",
                    Mode = MessageSecurityMode.SignAndEncrypt,
                    ClientCertificate = () => Volatile.Read(ref current),
                    Validator = new UaPkiValidator(pki),
                },
            },
        });
        client.Start();
        await client.SubscribeAsync(FastSubscription, [new UaMonitoredNode(Tick, 1, SamplingInterval: 0, QueueSize: 200)]);
        var log = new EventLog(client);
        await log.WaitForValuesAsync(10);
        var first = client.Session!.SessionId;

        var renewed = pki.CreateOwn("urn:edgetwin:gateway", host, DateTimeOffset.UtcNow, UaPki.DefaultLifetime);
        Volatile.Write(ref current, renewed);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (client.SessionsCreated < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var switchedAt = log.Ticks.Count;
        await log.WaitForValuesAsync(switchedAt + 10);
        await log.StopAsync();

        var trace = string.Join(" ", log.Trace) + " | " + string.Join(",", log.Kinds);
        Assert.Equal(2, client.SessionsCreated);
        Assert.NotEqual(first, client.Session!.SessionId);
        Assert.Equal(renewed.Thumbprint, Assert.IsType<UaSecuredPolicy>(client.Session.Channel.SecurityPolicy).ClientCertificate.Thumbprint);
        Assert.Equal(0, client.Reconnects);
        Assert.DoesNotContain(log.Kinds, k => k is UaClientEventKind.ConnectionLost or UaClientEventKind.SessionRecreated or UaClientEventKind.SubscriptionRecreated or UaClientEventKind.DataLost);
        Assert.True(log.Ticks.Count == log.Ticks.Distinct().Count(), "a value arrived twice: " + trace);
        AssertContiguous(log.Ticks, trace);
    }
}
