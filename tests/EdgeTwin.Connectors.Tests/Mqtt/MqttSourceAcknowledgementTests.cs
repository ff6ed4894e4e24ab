using System.Text;
using EdgeTwin.Connectors.Mqtt;
using EdgeTwin.Connectors.Tests.Infrastructure;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.TestSupport.Mqtt;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeTwin.Connectors.Tests.Mqtt;

/// <summary>
/// The MQTT source against a real Mosquitto, with an ingest writer the test controls: a PUBACK is sent only
/// once the batch is durable, and no more than the receive window is ever unacknowledged.
/// </summary>
public sealed class MqttSourceAcknowledgementTests
{
    /// <summary>Runs the source until disposed, once it has connected to the broker.</summary>
    private static RunningSource<MqttSource> Run(MqttSource source, IIngestWriter writer)
    {
        var running = new RunningSource<MqttSource>(source, writer);
        Wait.Until(() => source.State.StartsWith("connected", StringComparison.Ordinal) || running.Stopped, TimeSpan.FromSeconds(30), "the source to connect");
        Assert.False(running.Stopped, "the source stopped: " + source.State);
        return running;
    }

    private static MqttSource Source(MosquittoBroker broker, int receiveMaximum = 4096)
    {
        var config = new MqttSourceConfig
        {
            Name = "acks",
            Host = "127.0.0.1",
            Port = broker.Port,
            ClientId = "edgetwin-ack-test",
            ReceiveMaximum = receiveMaximum,
            BatchLingerMs = 0,
            Subscriptions = [new MqttSubscriptionConfig { Topic = "acks/{asset}/{metric}", Format = MqttPayloadFormat.Json }],
        };
        return new MqttSource(config, "$.sources.mqtt[0]", "gw-test", TimeProvider.System, NullLogger<MqttSource>.Instance);
    }

    private static IEnumerable<(string, byte[])> Messages(int count, int from = 0) =>
        Enumerable.Range(from, count).Select(i => ("acks/pump-1/n", Encoding.UTF8.GetBytes($$$"""{"ts":{{{1795489200000 + i}}},"value":{{{i}}}}""")));

    private static double[] Values(IEnumerable<Reading> readings) => [.. readings.Select(r => r.Value.Number).Order()];

    [Fact]
    public async Task Messages_AreAcknowledgedOnlyOnceDurable_TheOnesThatNeverWereAreRedelivered()
    {
        using var broker = new MosquittoBroker();

        // Received, never durable, then the gateway stops: nothing may have been acknowledged.
        var held = new HeldWriter();
        await using (var first = Run(Source(broker), held))
        {
            await MqttTestPublisher.PublishAsync(broker.Port, Messages(10));
            Wait.Until(() => held.Count == 10, TimeSpan.FromSeconds(30), "the ten messages in the writer");
            Assert.Equal(0, first.Source.Acknowledged);
            held.FailAll();
        }

        // The same session on the next start: the broker redelivers all ten, and this time they become durable.
        var durable = new HeldWriter(completeAtOnce: true);
        await using (var second = Run(Source(broker), durable))
        {
            Wait.Until(() => durable.Count == 10 && second.Source.Acknowledged == 10, TimeSpan.FromSeconds(30), "the ten messages redelivered and acknowledged");
        }
        Assert.Equal(Values(held.Readings), Values(durable.Readings));

        // Acknowledged: a third start gets nothing back, only what is published now.
        var third = new HeldWriter(completeAtOnce: true);
        await using (var running = Run(Source(broker), third))
        {
            await MqttTestPublisher.PublishAsync(broker.Port, "acks/pump-1/n", """{"ts":1795489300000,"value":99}""");
            Wait.Until(() => third.Count >= 1, TimeSpan.FromSeconds(30), "the new message");
            Thread.Sleep(500);
        }
        Assert.Equal([99.0], Values(third.Readings));
    }

    [Fact]
    public async Task ReceiveWindow_NeverMoreUnacknowledgedThanReceiveMaximum_WhateverTheBrokerSends()
    {
        using var broker = new MosquittoBroker();
        const int window = 50, total = 600;
        var writer = new HeldWriter();
        await using var running = Run(Source(broker, receiveMaximum: window), writer);
        await MqttTestPublisher.PublishAsync(broker.Port, Messages(total));

        var delivered = 0;
        while (delivered < total)
        {
            Wait.Until(() => writer.Held == Math.Min(window, total - delivered), TimeSpan.FromSeconds(30), $"a full window after {delivered} messages");
            // Whatever else the broker has sent sits unread in the socket: the window does not grow.
            Thread.Sleep(200);
            Assert.Equal(Math.Min(window, total - delivered), writer.Held);
            delivered += writer.Held;
            writer.CompleteAll();
        }
        Wait.Until(() => running.Source.Acknowledged == total, TimeSpan.FromSeconds(30), "every message acknowledged");
        Assert.Equal(Enumerable.Range(0, total).Select(i => (double)i), Values(writer.Readings));
    }
}
