using System.Net;
using EdgeTwin.Gateway.Tests.Infrastructure;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.Gateway.Tests.OpcUa;

// The gateway's own certificate renewed beside the running daemon, on a SignAndEncrypt channel.
public sealed partial class OpcUaDaemonTests
{
    [Fact]
    public async Task OwnCertificateRenewedBesideTheDaemon_ItMovesToTheNewOneWithoutRestart_EveryValueInTheSinkOnce()
    {
        using var dir = new TestDirectory("opcua-renewal");
        await using var server = await OpcUaTestServer.StartAsync(Ticks(100, 3));
        // The server's certificate names the host, not 127.0.0.1.
        var url = $"opc.tcp://{Dns.GetHostName()}:{server.Port}/UA/EdgeTwinTest";
        var pki = dir["pki"];
        string[] secured = ["--policy", "Basic256Sha256", "--mode", "SignAndEncrypt", "--pki", pki];

        // Commissioning: one read that trusts the server's certificate and creates the gateway's.
        var (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(60), ["opcua", "read", url, "i=2258", .. secured, "--trust-server"]);
        Assert.True(code == 0, output);
        (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(60), "opcua", "cert", "show", "--pki", pki);
        Assert.True(code == 0, output);
        var first = output.Split('\n')[0].Replace("thumbprint:", "", StringComparison.Ordinal).Trim();

        var source = Source(url, Group("subscription", 200, 3));
        source["securityPolicy"] = "Basic256Sha256";
        source["securityMode"] = "signAndEncrypt";
        source["pkiDirectory"] = pki;
        var config = Config(dir, source);
        using var api = ApiDaemon.Start(config.Write());
        var daemon = api.Process;
        WaitConnected(daemon);
        WaitLines(daemon, dir, config.SinkDirectory, 3 * 10);

        (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(60), "opcua", "cert", "renew", "--pki", pki);
        Assert.True(code == 0, output);
        var renewed = OpcUaCertVerbTests.RenewedThumbprint(output);
        Assert.NotEqual(first, renewed);
        Wait.Until(() => daemon.Output.Contains($"renewed certificate {renewed}; subscriptions transferred to it: 1", StringComparison.Ordinal) || daemon.HasExited,
            TimeSpan.FromSeconds(30), "the daemon moving to the renewed certificate:" + Environment.NewLine + daemon.Output);
        var switched = SinkOutput.CountCompleteLines(config.SinkDirectory);

        // The days left of the certificate in use: the renewed one's two years.
        var expiry = Assert.Single(PrometheusText.Parse(api.GetText("/metrics"))["edgetwin_opcua_certificate_expiry_days"].Samples);
        Assert.Equal("plc", expiry.Label("source"));
        Assert.InRange(expiry.Value, 729.9, 730.01);
        WaitLines(daemon, dir, config.SinkDirectory, switched + (3 * 10));
        daemon.StopGracefully();

        Assert.DoesNotContain("can no longer republish", daemon.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("created anew", daemon.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("SessionRecreated", daemon.Output, StringComparison.Ordinal);
        AssertEveryTickOnce(config.SinkDirectory, Metrics(3), 100);
    }

    [Fact]
    public async Task UntrustedServer_IsListedByTheApi_ApprovedWithTheToken_AndTheRunningDaemonConnects()
    {
        using var dir = new TestDirectory("opcua-api-trust");
        await using var server = await OpcUaTestServer.StartAsync(Ticks(100, 2));
        var url = $"opc.tcp://{Dns.GetHostName()}:{server.Port}/UA/EdgeTwinTest";
        var source = Source(url, Group("subscription", 200, 2));
        source["securityPolicy"] = "Basic256Sha256";
        source["securityMode"] = "signAndEncrypt";
        var config = Config(dir, source);
        using var api = ApiDaemon.Start(config.Write());
        var daemon = api.Process;
        Wait.Until(() => daemon.Output.Contains("BadCertificateUntrusted", StringComparison.Ordinal) || daemon.HasExited, TimeSpan.FromSeconds(30), "the refused server:" + Environment.NewLine + daemon.Output);

        var listed = api.GetJson("/api/opcua/certificates").GetProperty("certificates").EnumerateArray().ToList();
        var rejected = Assert.Single(listed, c => c.GetProperty("store").GetString() == "rejected");
        Assert.Single(listed, c => c.GetProperty("store").GetString() == "own");
        Assert.Equal("plc", rejected.GetProperty("sources")[0].GetString());
        Assert.Equal(Path.Combine(config.StateDirectory, "pki"), rejected.GetProperty("pki").GetString());
        Assert.True(rejected.TryGetProperty("firstSeen", out _), rejected.GetRawText());
        var thumbprint = rejected.GetProperty("thumbprint").GetString()!;

        var (status, body, _) = api.Post($"/api/opcua/certificates/{thumbprint}/trust", bearer: null);
        Assert.True(status == 401, $"{status}: {body}");
        Assert.Equal(0, SinkOutput.CountCompleteLines(config.SinkDirectory));
        var token = File.ReadAllText(Path.Combine(config.StateDirectory, "api-token")).Trim();
        (status, body, _) = api.Post($"/api/opcua/certificates/{thumbprint}/trust", bearer: token);
        Assert.True(status == 200, $"{status}: {body}");
        Assert.Contains("\"store\":\"trusted\"", body, StringComparison.Ordinal);
        (status, body, _) = api.Post("/api/opcua/certificates/0123456789ABCDEF/trust", bearer: token);
        Assert.True(status == 404, $"{status}: {body}");

        // The same process: the next connection attempt finds the certificate trusted.
        WaitConnected(daemon);
        WaitLines(daemon, dir, config.SinkDirectory, 2 * 5);
        Assert.Equal("trusted", Assert.Single(api.GetJson("/api/opcua/certificates").GetProperty("certificates").EnumerateArray(),
            c => c.GetProperty("thumbprint").GetString() == thumbprint).GetProperty("store").GetString());
        daemon.StopGracefully();
    }
}
