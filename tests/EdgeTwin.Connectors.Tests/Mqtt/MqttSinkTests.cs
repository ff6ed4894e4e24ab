using System.Text.Json;
using EdgeTwin.Connectors.Mqtt;
using EdgeTwin.Connectors.Tests.Infrastructure;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.TestSupport.Mqtt;

namespace EdgeTwin.Connectors.Tests.Mqtt;

/// <summary>The MQTT uplink against a private Mosquitto, stopped and restarted in the middle of a run.</summary>
public sealed class MqttSinkTests : IDisposable
{
    private static readonly long BaseTicks = new DateTime(2026, 11, 24, 3, 0, 0, DateTimeKind.Utc).Ticks;

    private static readonly StreamDescriptor[] Streams =
    [
        new("pump-1", "pressure", "sim:pump-1/pressure"),
        new("pump-1", "flow", "sim:pump-1/flow"),
        new("oven-1", "temperature", "sim:oven-1/temperature"),
    ];

    private readonly MosquittoBroker _broker = new();

    public void Dispose() => _broker.Dispose();

    [Fact]
    public async Task Send_BrokerStoppedAndRestartedMidRun_EveryPointArrivesWithItsTopicAndNothingIsLost()
    {
        await using var subscriber = await MqttTestSubscriber.StartAsync(_broker.Port);
        var config = new MqttSinkConfig { Name = "cloud", Host = "127.0.0.1", Port = _broker.Port, TimeoutSeconds = 2 };
        await using var sink = new MqttSink(config, "gw-7");
        Assert.Null(await sink.RecoverAsync(CancellationToken.None));

        var batches = Batches(segments: 10, pointsPerSegment: 300).ToList();
        var failures = 0;
        for (var i = 0; i < batches.Count; i++)
        {
            if (i == 4)
            {
                // Everything acknowledged so far has reached the consumer first: a message the broker held for it
                // when it stopped depends on the consumer's session, not on the uplink under test.
                await subscriber.WaitForAsync(i * 300, TimeSpan.FromSeconds(10));
                _broker.Stop();
                await Assert.ThrowsAnyAsync<Exception>(async () => await sink.SendAsync(batches[i], CancellationToken.None));
                failures++;
                _broker.Start();
                // The cloud consumer is back before the gateway publishes again: what it would miss otherwise is a
                // matter of its own session, not of the uplink under test.
                await subscriber.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            }
            failures += await SendUntilConfirmed(sink, batches[i]);
        }
        Assert.True(failures > 0, "the broker stop never failed a batch: the test did not exercise the retry");

        var expected = batches.SelectMany(b => b.Points).ToList();
        await subscriber.WaitForAsync(expected.Count, TimeSpan.FromSeconds(30));
        var received = subscriber.Messages.ToList();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (topic, payload) in received)
        {
            var json = JsonDocument.Parse(payload).RootElement;
            var asset = json.GetProperty("asset_id").GetString();
            var metric = json.GetProperty("metric").GetString();
            Assert.Equal($"edgetwin/gw-7/{asset}/{metric}", topic);
            var ticks = DateTime.Parse(json.GetProperty("ts").GetString()!, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal).Ticks;
            keys.Add($"{asset}|{metric}|{ticks}");
        }
        Assert.Equal(expected.Select(p => p.IdempotentKey).Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("Error", _broker.Log, StringComparison.Ordinal);
    }

    private static Task<int> SendUntilConfirmed(MqttSink sink, SinkBatch batch) =>
        SinkBatches.SendUntilConfirmedAsync(sink, batch, e => e is IOException or MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or InvalidOperationException);

    private static IEnumerable<SinkBatch> Batches(int segments, int pointsPerSegment) => SinkBatches.Cycling(Streams, BaseTicks, segments, pointsPerSegment);
}
