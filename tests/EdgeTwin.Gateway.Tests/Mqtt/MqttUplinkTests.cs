using System.Text.Json.Nodes;
using EdgeTwin.TestSupport.Mqtt;
using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests.Mqtt;

/// <summary>The published native-AOT binary publishes to a private Mosquitto that is stopped and restarted during the run.</summary>
[Collection("daemon")]
public sealed class MqttUplinkTests
{
    [Fact]
    public async Task AotBinary_BrokerStoppedAndRestartedMidRun_EveryPointArrivesOnce()
    {
        using var broker = new MosquittoBroker();
        await using var subscriber = await MqttTestSubscriber.StartAsync(broker.Port);
        using var dir = new TestDirectory("mqtt-uplink");
        const int Points = 8_000;
        var config = new TestConfig(dir)
        {
            // Paced in real time from now: 4 s of readings, so the broker's absence falls in the middle of the run.
            Epoch = DateTime.UtcNow,
            SimulatorRate = 2_000,
            SimulatorStopAfter = Points,
        };
        config.MqttSinks.Add(new JsonObject { ["name"] = "cloud", ["host"] = "127.0.0.1", ["port"] = broker.Port, ["timeoutSeconds"] = 2 });
        var path = config.Write();

        using (var daemon = GatewayProcess.Start("run", "--config", path, "--exit-when-drained"))
        {
            Wait.Until(() => subscriber.Messages.Count >= 1000, TimeSpan.FromSeconds(30), "the first points at the subscriber");
            broker.Stop();
            Thread.Sleep(TimeSpan.FromSeconds(3));
            Assert.False(daemon.HasExited, "the daemon stopped while the broker was down:" + Environment.NewLine + daemon.Output);
            broker.Start();
            Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(90)), "the queue never drained to the broker:" + Environment.NewLine + daemon.Output);
            Assert.True(daemon.ExitCode == 0, daemon.Output);
            // Down longer than the backlog threshold (2 s): the uplink came back through the live lane.
            Assert.Contains("backlog drained", daemon.Output, StringComparison.Ordinal);
        }

        await subscriber.WaitForAsync(Points, TimeSpan.FromSeconds(30));
        var expected = SinkOutput.Read(config.SinkDirectory).Telemetry().Select(l => l.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Points, expected.Count);
        var received = subscriber.Messages.Select(m => SinkOutput.Parse(m.Payload)).ToList();
        WireSchema.AssertValid(received.Take(200));
        Assert.Equal(expected, received.Select(l => l.Key).Distinct().Order(StringComparer.Ordinal));
        Assert.Contains(subscriber.Messages, m => m.Payload.Contains("\"replayed\":true", StringComparison.Ordinal));
    }
}
