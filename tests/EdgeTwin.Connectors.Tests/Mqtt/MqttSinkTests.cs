using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using EdgeTwin.Connectors.Mqtt;
using EdgeTwin.Core.Config;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using MQTTnet;
using MQTTnet.Protocol;

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
        await using var subscriber = await Subscriber.StartAsync(_broker.Port);
        var config = new MqttSinkConfig { Name = "cloud", Host = "127.0.0.1", Port = _broker.Port, TimeoutSeconds = 2 };
        await using var sink = new MqttSink(config, "gw-7");
        Assert.Null(await sink.RecoverAsync(CancellationToken.None));

        var batches = Batches(segments: 10, pointsPerSegment: 300).ToList();
        var failures = 0;
        for (var i = 0; i < batches.Count; i++)
        {
            if (i == 4)
            {
                _broker.Stop();
                _ = Task.Delay(TimeSpan.FromSeconds(3)).ContinueWith(_ => _broker.Start(), TaskScheduler.Default);
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

    private static async Task<int> SendUntilConfirmed(MqttSink sink, SinkBatch batch)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        for (var failures = 0; ; failures++)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"batch {batch.FirstSegmentId} not confirmed within 60 s");
            try
            {
                Assert.Empty((await sink.SendAsync(batch, CancellationToken.None)).Rejected);
                return failures;
            }
            catch (Exception e) when (e is IOException or MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or InvalidOperationException)
            {
                await Task.Delay(200);
            }
        }
    }

    private static IEnumerable<SinkBatch> Batches(int segments, int pointsPerSegment)
    {
        var n = 0;
        for (var s = 1; s <= segments; s++)
        {
            var points = new List<TelemetryPoint>(pointsPerSegment);
            for (var i = 0; i < pointsPerSegment; i++, n++)
            {
                points.Add(new TelemetryPoint(Streams[n % Streams.Length], BaseTicks + n * 10_000L, PointValue.FromNumber(n), Quality.Good, 0));
            }
            yield return new SinkBatch(s, s, points);
        }
    }

    /// <summary>A cloud-side consumer: persistent session, QoS 1, reconnecting on its own while the broker is away.</summary>
    private sealed class Subscriber : IAsyncDisposable
    {
        private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
        private readonly CancellationTokenSource _stop = new();
        private MqttClientOptions _options = null!;
        private Task _reconnect = Task.CompletedTask;

        public ConcurrentQueue<(string Topic, string Payload)> Messages { get; } = new();

        public static async Task<Subscriber> StartAsync(int port)
        {
            var s = new Subscriber();
            s._options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("cloud-consumer")
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithCleanStart(false).WithSessionExpiryInterval(3600).Build();
            s._client.ApplicationMessageReceivedAsync += e =>
            {
                s.Messages.Enqueue((e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload)));
                return Task.CompletedTask;
            };
            await s.ConnectAsync(CancellationToken.None);
            s._reconnect = Task.Run(s.ReconnectLoop);
            return s;
        }

        public async Task WaitForAsync(int distinctAtLeast, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (Messages.Select(m => m.Payload).Distinct().Count() < distinctAtLeast)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"subscriber has {Messages.Count} messages, expected {distinctAtLeast} distinct (connected: {_client.IsConnected})");
                await Task.Delay(100);
            }
        }

        private async Task ConnectAsync(CancellationToken cancellationToken)
        {
            var result = await _client.ConnectAsync(_options, cancellationToken);
            // A session the broker kept has the subscription already; subscribing again is harmless either way.
            if (!result.IsSessionPresent)
            {
                await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("edgetwin/#", MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
            }
        }

        private async Task ReconnectLoop()
        {
            while (!_stop.IsCancellationRequested)
            {
                if (!_client.IsConnected)
                {
                    try
                    {
                        await ConnectAsync(_stop.Token);
                    }
                    catch (Exception) when (!_stop.IsCancellationRequested)
                    {
                    }
                }
                try
                {
                    await Task.Delay(100, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _reconnect;
            _client.Dispose();
            _stop.Dispose();
        }
    }
}
