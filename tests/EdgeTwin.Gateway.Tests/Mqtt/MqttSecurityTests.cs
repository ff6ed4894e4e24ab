using System.Text.Json.Nodes;
using EdgeTwin.TestSupport.Mqtt;
using EdgeTwin.Gateway.Tests.Infrastructure;
using static EdgeTwin.Gateway.Tests.Infrastructure.MqttTestBroker;

namespace EdgeTwin.Gateway.Tests.Mqtt;

/// <summary>
/// TLS with a private CA and a client certificate, username and password, over MQTT 5 and 3.1.1, against a
/// Mosquitto listener that requires all of them; and what the gateway says when one of them is wrong.
/// </summary>
[Collection("daemon")]
public sealed class MqttSecurityTests
{
    private static JsonObject TlsSource(MqttTestBroker broker, string protocol, Action<JsonObject>? change = null)
    {
        var source = broker.Source("secure", Subscription("secure/{asset}/{metric}", "value"));
        source["port"] = broker.TlsPort;
        source["protocolVersion"] = protocol;
        source["username"] = User;
        source["password"] = Password;
        source["tls"] = new JsonObject
        {
            ["enabled"] = true,
            ["caFile"] = broker.CaFile,
            ["clientCertFile"] = broker.ClientCertFile,
            ["clientKeyFile"] = broker.ClientKeyFile,
        };
        change?.Invoke(source);
        return source;
    }

    [Theory]
    [InlineData("5")]
    [InlineData("3.1.1")]
    public async Task TlsWithClientCertificateAndPassword_BothProtocolVersions_MessagesArrive(string protocol)
    {
        using var dir = new TestDirectory("mqtt-tls");
        using var broker = MqttTestBroker.Start(dir, tls: true);
        var config = new TestConfig(dir);
        config.MqttSources.Add(TlsSource(broker, protocol));
        var path = config.Write();

        using var daemon = GatewayProcess.Start("run", "--config", path);
        daemon.WaitConnected("secure");
        Assert.Contains($"(MQTT {protocol}, TLS)", daemon.Output, StringComparison.Ordinal);
        Assert.Contains("mqtts://127.0.0.1:" + broker.TlsPort, daemon.Output, StringComparison.Ordinal);
        // Published on the plain listener, delivered over the authenticated TLS one.
        await broker.PublishAsync("secure/pump-1/pressure", "7.5");
        Wait.Until(() => SinkOutput.CountCompleteLines(config.SinkDirectory) >= 1, TimeSpan.FromSeconds(30), "the point in the sink:" + Environment.NewLine + daemon.Output);
        daemon.StopGracefully();

        var line = Assert.Single(SinkOutput.Read(config.SinkDirectory));
        Assert.Equal(("pump-1", "pressure", 7.5), (line.AssetId, line.Metric, line.Value.GetDouble()));
        Assert.Contains($"u'{User}'", broker.Log, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "wrong password", "the broker refused the connection: NotAuthorized" },
        { "untrusted broker", "does not chain to the CA in" },
        { "no client certificate", "if it requires a client certificate, set tls.clientCertFile" },
        { "no CA file: the system's trust store", "is not trusted by the system's CAs" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void WrongCredentialsOrCertificates_AreRefused_TheSourceSaysWhyAndKeepsRetrying(string mistake, string says)
    {
        using var dir = new TestDirectory("mqtt-refused");
        using var broker = MqttTestBroker.Start(dir, tls: true);
        var config = new TestConfig(dir);
        config.MqttSources.Add(TlsSource(broker, "5", s =>
        {
            var tls = (JsonObject)s["tls"]!;
            switch (mistake)
            {
                case "wrong password": s["password"] = "not-the-password"; break;
                case "untrusted broker": tls["caFile"] = broker.OtherCaFile; break;
                case "no client certificate": tls.Remove("clientCertFile"); tls.Remove("clientKeyFile"); break;
                case "no CA file: the system's trust store": tls.Remove("caFile"); break;
            }
        }));
        var path = config.Write();

        using var daemon = GatewayProcess.Start("run", "--config", path);
        Wait.Until(() => daemon.Output.Contains("attempt 2,", StringComparison.Ordinal) || daemon.HasExited, TimeSpan.FromSeconds(30), "two refused attempts:" + Environment.NewLine + daemon.Output);
        Assert.False(daemon.HasExited, "a refused connection must not stop the daemon:" + Environment.NewLine + daemon.Output);
        Assert.DoesNotContain("MQTT source secure: connected", daemon.Output, StringComparison.Ordinal);
        var refusal = daemon.Output.Split('\n').First(l => l.Contains("cannot connect", StringComparison.Ordinal));
        Assert.True(refusal.Contains(says, StringComparison.Ordinal), refusal);
        Wait.Until(() => StatusFile.Read(config.StateDirectory)?.GetProperty("sources").GetProperty("secure").GetString()?.StartsWith("reconnecting", StringComparison.Ordinal) == true,
            TimeSpan.FromSeconds(30), "status.json to show the source reconnecting");
        daemon.StopGracefully();
    }

    [Fact]
    public void InsecureSkipVerify_AcceptsABrokerNoConfiguredCaVouchesFor()
    {
        using var dir = new TestDirectory("mqtt-insecure");
        using var broker = MqttTestBroker.Start(dir, tls: true);
        var config = new TestConfig(dir);
        config.MqttSources.Add(TlsSource(broker, "5", s =>
        {
            var tls = (JsonObject)s["tls"]!;
            tls.Remove("caFile");
            tls["insecureSkipVerify"] = true;
        }));
        var path = config.Write();

        using var daemon = GatewayProcess.Start("run", "--config", path);
        daemon.WaitConnected("secure");
        Assert.Contains("(MQTT 5, TLS)", daemon.Output, StringComparison.Ordinal);
        daemon.StopGracefully();
    }

    [Fact]
    public void UnreadableCertificateFile_IsAConfigurationError_NamingItsPath()
    {
        using var dir = new TestDirectory("mqtt-badcert");
        using var broker = MqttTestBroker.Start(dir, tls: true);
        var config = new TestConfig(dir);
        config.MqttSources.Add(TlsSource(broker, "5", s => ((JsonObject)s["tls"]!)["caFile"] = dir["missing-ca.pem"]));
        var path = config.Write();

        var (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "run", "--config", path);

        Assert.Equal(78, code);
        Assert.Contains("$.sources.mqtt[0].tls.caFile", output, StringComparison.Ordinal);
        Assert.Contains("missing-ca.pem", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uplink_TlsWithClientCertificateAndPassword_EveryPointArrives_AWrongPasswordIsRefusedAndTheQueueKeepsThem()
    {
        using var dir = new TestDirectory("mqtt-uplink-tls");
        using var broker = MqttTestBroker.Start(dir, tls: true);
        // The cloud side reads on the plain listener; the gateway may only publish over the authenticated TLS one.
        await using var subscriber = await MqttTestSubscriber.StartAsync(broker.Port);
        const int Points = 600;
        var config = new TestConfig(dir) { SimulatorRate = 2_000, SimulatorStopAfter = Points };
        JsonObject Uplink(string password) => new()
        {
            ["name"] = "cloud",
            ["host"] = "127.0.0.1",
            ["port"] = broker.TlsPort,
            ["timeoutSeconds"] = 2,
            ["username"] = User,
            ["password"] = password,
            ["tls"] = true,
            ["caFile"] = broker.CaFile,
            ["certFile"] = broker.ClientCertFile,
            ["keyFile"] = broker.ClientKeyFile,
        };

        config.MqttSinks.Add(Uplink("not-the-password"));
        using (var refused = GatewayProcess.Start("run", "--config", config.Write("refused.json")))
        {
            Wait.Until(() => SinkOutput.CountCompleteLines(config.SinkDirectory) >= Points || refused.HasExited, TimeSpan.FromSeconds(30), "every point in the local sink");
            Wait.Until(() => refused.Output.Contains("NotAuthorized", StringComparison.Ordinal) || refused.HasExited, TimeSpan.FromSeconds(30),
                "the refused uplink in the log:" + Environment.NewLine + refused.Output);
            Assert.False(refused.HasExited, refused.Output);
            Assert.Contains($"127.0.0.1:{broker.TlsPort}", refused.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("not-the-password", refused.Output, StringComparison.Ordinal);
            Assert.Empty(subscriber.Messages);
            refused.StopGracefully();
        }

        // The right password, the same queue, no new points: what the refused run kept goes out over TLS.
        config.MqttSinks.Clear();
        config.MqttSinks.Add(Uplink(Password));
        config.SimulatorRate = 0;
        using (var daemon = GatewayProcess.Start("run", "--config", config.Write("uplink.json"), "--exit-when-drained"))
        {
            Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(60)), "the queue never drained to the broker:" + Environment.NewLine + daemon.Output);
            Assert.True(daemon.ExitCode == 0, daemon.Output);
        }

        await subscriber.WaitForAsync(Points, TimeSpan.FromSeconds(30));
        var expected = SinkOutput.Read(config.SinkDirectory).Telemetry().Select(l => l.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Points, expected.Count);
        Assert.Equal(expected, subscriber.Messages.Select(m => SinkOutput.Parse(m.Payload).Key).Distinct().Order(StringComparer.Ordinal));
        Assert.Contains($"u'{User}'", broker.Log, StringComparison.Ordinal);
    }
}
