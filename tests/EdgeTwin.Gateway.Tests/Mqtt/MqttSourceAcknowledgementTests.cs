using System.Text;
using EdgeTwin.Connectors.Mqtt;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeTwin.Gateway.Tests.Mqtt;

/// <summary>
/// The MQTT source against a real Mosquitto, with an ingest writer the test controls: a PUBACK is sent only
/// once the batch is durable, and no more than the receive window is ever unacknowledged.
/// </summary>
[Collection("daemon")]
public sealed class MqttSourceAcknowledgementTests
{
    /// <summary>Holds every batch until the test makes it durable (or fails it, as a stopping pipeline does).</summary>
    private sealed class HeldWriter(bool completeAtOnce = false) : IIngestWriter
    {
        private readonly Lock _gate = new();
        private readonly List<IngestBatch> _held = [];
        private readonly List<Reading> _readings = [];

        public int Count
        {
            get { lock (_gate) return _readings.Count; }
        }

        public int Held
        {
            get { lock (_gate) return _held.Sum(b => b.Count); }
        }

        public List<Reading> Readings
        {
            get { lock (_gate) return [.. _readings]; }
        }

        public ValueTask WriteAsync(IngestBatch batch, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                foreach (var r in batch.Readings) _readings.Add(r);
                if (!completeAtOnce)
                {
                    _held.Add(batch);
                    return ValueTask.CompletedTask;
                }
            }
            batch.Complete(new IngestResult(batch.Count, 0, 0, 0));
            return ValueTask.CompletedTask;
        }

        public void CompleteAll() => Release(b => b.Complete(new IngestResult(b.Count, 0, 0, 0)));

        public void FailAll() => Release(b => b.Fail(new OperationCanceledException("gateway stopping")));

        private void Release(Action<IngestBatch> action)
        {
            List<IngestBatch> batches;
            lock (_gate)
            {
                batches = [.. _held];
                _held.Clear();
            }
            foreach (var b in batches) action(b);
        }

        public string? GetCheckpoint(string key) => null;
    }

    private sealed class Running : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;

        public Running(MqttSource source, IIngestWriter writer)
        {
            Source = source;
            _run = Task.Run(() => source.RunAsync(writer, _stop.Token));
            Wait.Until(() => source.State.StartsWith("connected", StringComparison.Ordinal) || _run.IsCompleted, TimeSpan.FromSeconds(30), "the source to connect");
            Assert.False(_run.IsCompleted, "the source stopped: " + source.State);
        }

        public MqttSource Source { get; }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _run.WaitAsync(TimeSpan.FromSeconds(30)));
            _stop.Dispose();
        }
    }

    private static MqttSource Source(MqttTestBroker broker, int receiveMaximum = 4096)
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
        using var dir = new TestDirectory("mqtt-acks");
        using var broker = MqttTestBroker.Start(dir);

        // Received, never durable, then the gateway stops: nothing may have been acknowledged.
        var held = new HeldWriter();
        await using (var first = new Running(Source(broker), held))
        {
            await using var publisher = await broker.PublisherAsync();
            await publisher.PublishAsync(Messages(10), window: 10, CancellationToken.None);
            Wait.Until(() => held.Count == 10, TimeSpan.FromSeconds(30), "the ten messages in the writer");
            Assert.Equal(0, first.Source.Acknowledged);
            held.FailAll();
        }

        // The same session on the next start: the broker redelivers all ten, and this time they become durable.
        var durable = new HeldWriter(completeAtOnce: true);
        await using (var second = new Running(Source(broker), durable))
        {
            Wait.Until(() => durable.Count == 10 && second.Source.Acknowledged == 10, TimeSpan.FromSeconds(30), "the ten messages redelivered and acknowledged");
        }
        Assert.Equal(Values(held.Readings), Values(durable.Readings));

        // Acknowledged: a third start gets nothing back, only what is published now.
        var third = new HeldWriter(completeAtOnce: true);
        await using (var running = new Running(Source(broker), third))
        {
            await broker.PublishAsync("acks/pump-1/n", """{"ts":1795489300000,"value":99}""");
            Wait.Until(() => third.Count >= 1, TimeSpan.FromSeconds(30), "the new message");
            Thread.Sleep(500);
        }
        Assert.Equal([99.0], Values(third.Readings));
    }

    [Fact]
    public async Task ReceiveWindow_NeverMoreUnacknowledgedThanReceiveMaximum_WhateverTheBrokerSends()
    {
        using var dir = new TestDirectory("mqtt-window");
        using var broker = MqttTestBroker.Start(dir);
        const int window = 50, total = 600;
        var writer = new HeldWriter();
        await using var running = new Running(Source(broker, receiveMaximum: window), writer);
        await using (var publisher = await broker.PublisherAsync())
        {
            await publisher.PublishAsync(Messages(total), window: 100, CancellationToken.None);
        }

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
