using EdgeTwin.Connectors.Kafka;
using EdgeTwin.Connectors.Tests.Infrastructure;
using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.MockKafka;
using EdgeTwin.TestSupport.Kafka;

namespace EdgeTwin.Connectors.Tests.Kafka;

/// <summary>The Kafka sink against librdkafka's mock cluster of three brokers, checked by a real consumer.</summary>
public sealed class KafkaSinkTests : IDisposable
{
    private const string GatewayId = "gw-7";
    private const int Partitions = 4;
    private static readonly long BaseTicks = new DateTime(2026, 11, 24, 3, 0, 0, DateTimeKind.Utc).Ticks;

    private static readonly StreamDescriptor[] Streams =
    [
        new("pump-1", "pressure", "sim:pump-1/pressure", [new("unit", "bar")]),
        new("pump-1", "flow", "sim:pump-1/flow"),
        new("pump-2", "pressure", "sim:pump-2/pressure"),
        new("oven-1", "temperature", "sim:oven-1/temperature"),
    ];

    private readonly KafkaMockCluster _cluster = new(3);
    private readonly KafkaSinkConfig _config;

    public KafkaSinkTests()
    {
        _config = new KafkaSinkConfig { Name = "kafka-test", BootstrapServers = _cluster.BootstrapServers, LingerMs = 5 };
        foreach (var topic in new[] { _config.Topics.Telemetry, _config.Topics.Events, _config.Topics.TwinMetadata }) _cluster.CreateTopic(topic, Partitions, 3);
    }

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task Send_SegmentsOfFourSeries_EveryPointOnceInOrderPerAssetWithHeadersEventsAndRegistry()
    {
        await using var sink = Sink();
        Assert.Null(await sink.RecoverAsync(CancellationToken.None));
        var batches = Batches(segments: 20, pointsPerSegment: 500).ToList();
        var loss = new StreamDescriptor("pump-2", "pressure", "gateway:queue", [new("lost_metric", "pressure")], eventKind: EventKind.Loss);
        batches.Add(new SinkBatch(21, 21, [new TelemetryPoint(loss, BaseTicks, PointValue.FromNumber(42), Quality.Good, 0, endTicks: BaseTicks + 1000)]));
        foreach (var b in batches) Assert.Empty((await sink.SendAsync(b, CancellationToken.None)).Rejected);

        var expected = batches.SkipLast(1).SelectMany(b => b.Points).ToList();
        using var telemetry = new KafkaTopicReader(_cluster.BootstrapServers, _config.Topics.Telemetry, Partitions);
        var messages = telemetry.ReadUntil(m => m.Count >= expected.Count, TimeSpan.FromSeconds(60));
        telemetry.ReadFor(TimeSpan.FromMilliseconds(500));
        AssertExactlyOnceInOrder(expected, telemetry.Messages);

        var first = messages[0];
        Assert.Equal("1.0", first.Headers["schema_version"]);
        Assert.Equal(GatewayId, first.Headers["gateway_id"]);
        Assert.Equal("application/json", first.Headers["content-type"]);
        Assert.Equal(first.Json.GetProperty("asset_id").GetString(), first.Key);
        Assert.Equal($"{first.Key}|{first.Json.GetProperty("metric").GetString()}|", first.Headers["key"][..(first.Headers["key"].LastIndexOf('|') + 1)]);

        using var events = new KafkaTopicReader(_cluster.BootstrapServers, _config.Topics.Events, Partitions);
        var ev = Assert.Single(events.ReadUntil(m => m.Count >= 1, TimeSpan.FromSeconds(30)));
        Assert.Equal("pump-2", ev.Key);
        Assert.Equal("loss", ev.Json.GetProperty("event").GetString());

        using var registry = new KafkaTopicReader(_cluster.BootstrapServers, _config.Topics.TwinMetadata, Partitions);
        var assets = registry.ReadUntil(m => m.Count >= 3, TimeSpan.FromSeconds(30));
        Assert.Equal(["oven-1", "pump-1", "pump-2"], assets.Select(a => a.Key).Order(StringComparer.Ordinal));
        var pump = assets.Single(a => a.Key == "pump-1").Json;
        Assert.Equal("Pump 1", pump.GetProperty("name").GetString());
        Assert.Equal("line-1", pump.GetProperty("parent").GetString());
        Assert.Equal(GatewayId, pump.GetProperty("gateway_id").GetString());
    }

    [Fact]
    public async Task Send_AllBrokersDownThenUpMidRun_BatchWaitsAndEveryPointArrivesOnce()
    {
        // A short delivery timeout makes librdkafka give messages up during the outage, so the sink's own retry
        // (the batch sent again, delivered messages skipped) is exercised, not only librdkafka's.
        _config.DeliveryTimeoutMs = 2000;
        await using var sink = Sink();
        await sink.RecoverAsync(CancellationToken.None);
        var batches = Batches(segments: 12, pointsPerSegment: 400).ToList();
        var failures = 0;
        var outage = Task.CompletedTask;
        for (var i = 0; i < batches.Count; i++)
        {
            if (i == 4)
            {
                _cluster.SetAllBrokers(up: false);
                outage = Task.Delay(TimeSpan.FromSeconds(5)).ContinueWith(_ => _cluster.SetAllBrokers(up: true), TaskScheduler.Default);
            }
            if (i == 8)
            {
                // The mock cluster does not move leadership: the partitions broker 2 leads wait for it to return.
                await outage;
                _cluster.SetBrokerDown(2);
                outage = Task.Delay(TimeSpan.FromSeconds(3)).ContinueWith(_ => _cluster.SetBrokerUp(2), TaskScheduler.Default);
            }
            failures += await SendUntilConfirmed(sink, batches[i]);
        }
        await outage;
        Assert.True(failures > 0, "the outage never failed a batch: the test did not exercise the retry");

        var expected = batches.SelectMany(b => b.Points).ToList();
        using var reader = new KafkaTopicReader(_cluster.BootstrapServers, _config.Topics.Telemetry, Partitions);
        reader.ReadUntil(m => DistinctKeys(m) >= expected.Count, TimeSpan.FromSeconds(60));
        reader.ReadFor(TimeSpan.FromMilliseconds(500));
        AssertExactlyOnceInOrder(expected, reader.Messages);
    }

    [Fact]
    public async Task Send_InjectedProduceErrors_RetriedUntilEveryPointArrivesOnce()
    {
        await using var sink = Sink();
        await sink.RecoverAsync(CancellationToken.None);
        // NOT_ENOUGH_REPLICAS (19), REQUEST_TIMED_OUT (7), NOT_LEADER_OR_FOLLOWER (6): retriable broker errors.
        _cluster.PushProduceErrors(19, 19, 7, 6, 19, 7, 6, 19);
        var batches = Batches(segments: 6, pointsPerSegment: 300).ToList();
        foreach (var b in batches) await SendUntilConfirmed(sink, b);

        var expected = batches.SelectMany(b => b.Points).ToList();
        using var reader = new KafkaTopicReader(_cluster.BootstrapServers, _config.Topics.Telemetry, Partitions);
        reader.ReadUntil(m => DistinctKeys(m) >= expected.Count, TimeSpan.FromSeconds(60));
        reader.ReadFor(TimeSpan.FromMilliseconds(500));
        AssertExactlyOnceInOrder(expected, reader.Messages);
    }

    [Fact]
    public async Task Send_PointOverMaxMessageSize_RejectedWithKafkaErrorAndTheRestDelivered()
    {
        _config.MaxMessageBytes = 10_000;
        await using var sink = Sink();
        await sink.RecoverAsync(CancellationToken.None);
        var stream = Streams[0];
        var points = new List<TelemetryPoint>();
        for (var i = 0; i < 10; i++)
        {
            var value = i == 4 ? PointValue.FromString(new string('x', 20_000)) : PointValue.FromNumber(i);
            points.Add(new TelemetryPoint(stream, BaseTicks + i, value, Quality.Good, 0));
        }

        var result = await sink.SendAsync(new SinkBatch(1, 1, points), CancellationToken.None);

        var rejected = Assert.Single(result.Rejected);
        Assert.Equal(4, rejected.Index);
        Assert.Contains("MsgSizeTooLarge", rejected.Reason, StringComparison.Ordinal);
        using var reader = new KafkaTopicReader(_cluster.BootstrapServers, _config.Topics.Telemetry, Partitions);
        reader.ReadUntil(m => m.Count >= 9, TimeSpan.FromSeconds(30));
        reader.ReadFor(TimeSpan.FromMilliseconds(500));
        Assert.Equal([0, 1, 2, 3, 5, 6, 7, 8, 9], reader.Messages.Select(m => (int)m.Json.GetProperty("value").GetDouble()));
    }

    [Fact]
    public async Task DownReason_ABrokerAddressThatRefusesConnections_NamesTheAddressAndTheError_BeforeAnyBatch()
    {
        int port;
        using (var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
        var config = new KafkaSinkConfig { Name = "typo", BootstrapServers = $"127.0.0.1:{port}" };
        await using var sink = new KafkaSink(config, GatewayId, [new AssetDefinition("pump-1", "Pump 1", null, null, null)]);
        Assert.Null(sink.DownReason);
        using var stop = new CancellationTokenSource();
        // The registry's publication waits for brokers that never answer; the reason is known long before it gives up.
        var recovering = sink.RecoverAsync(stop.Token).AsTask();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (sink.DownReason is null && waited.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(50);
        var reason = sink.DownReason;
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => recovering);

        Assert.NotNull(reason);
        Assert.Contains($"bootstrap 127.0.0.1:{port}", reason, StringComparison.Ordinal);
        Assert.Contains("Connection refused", reason, StringComparison.Ordinal);
        Assert.False(sink.UplinkUp);
    }

    [Fact]
    public async Task DownReason_IsNull_WhileTheBrokersAnswer()
    {
        await using var sink = Sink();
        await sink.RecoverAsync(CancellationToken.None);
        Assert.Null(sink.DownReason);
        Assert.True(sink.UplinkUp);
    }

    private KafkaSink Sink() => new(_config, GatewayId,
    [
        new AssetDefinition("pump-1", "Pump 1", "line-1", "v1", null),
        new AssetDefinition("pump-2", "Pump 2", "line-1", null, null),
        new AssetDefinition("oven-1", "Oven 1", null, null, null),
    ]);

    /// <summary>What the sink worker does: the same batch again after a failure, until it is confirmed.</summary>
    private static Task<int> SendUntilConfirmed(KafkaSink sink, SinkBatch batch) =>
        SinkBatches.SendUntilConfirmedAsync(sink, batch, e => e is Confluent.Kafka.KafkaException);

    /// <summary>Segments of points cycling over the streams, each series' timestamps strictly increasing.</summary>
    private static IEnumerable<SinkBatch> Batches(int segments, int pointsPerSegment) => SinkBatches.Cycling(Streams, BaseTicks, segments, pointsPerSegment);

    private static int DistinctKeys(IReadOnlyList<ConsumedMessage> messages) => messages.Select(m => m.Headers["key"]).Distinct().Count();

    /// <summary>After dropping repeats of a key, exactly the expected points, each asset's in the order sent.</summary>
    private static void AssertExactlyOnceInOrder(IReadOnlyList<TelemetryPoint> expected, IReadOnlyList<ConsumedMessage> messages)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var perAsset = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var m in messages.OrderBy(m => m.Partition).ThenBy(m => m.Offset))
        {
            if (!seen.Add(m.Headers["key"])) continue;
            (perAsset.TryGetValue(m.Key!, out var list) ? list : perAsset[m.Key!] = []).Add(m.Headers["key"]);
        }
        Assert.Equal(expected.Count, seen.Count);
        Assert.True(expected.All(p => seen.Contains(p.IdempotentKey)), "a point is missing");
        foreach (var (asset, keys) in perAsset)
        {
            var sent = expected.Where(p => p.Stream.AssetId == asset).Select(p => p.IdempotentKey).ToList();
            Assert.Equal(sent, keys);
        }
    }
}
