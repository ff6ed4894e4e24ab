using System.Text.Json;
using EdgeTwin.Connectors.File;
using EdgeTwin.Connectors.Kafka;
using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.Connectors.Tests.Infrastructure;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.OpcUa.Client;
using EdgeTwin.MockKafka;
using EdgeTwin.TestSupport.Kafka;
using EdgeTwin.TestSupport.OpcUa;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeTwin.Connectors.Tests.OpcUa;

/// <summary>
/// Every value type the node-opcua server holds (server.js --values: every built-in type, arrays, a matrix, two
/// kinds of enumeration, built-in and custom nested structures) read by subscription, written by the file sink and
/// by the Kafka sink (librdkafka's mock cluster): each arrives as the server holds it (the server prints what that
/// is) and validates, by Python's jsonschema, against the schema its schema_version names.
/// </summary>
public sealed class OpcUaValuesEndToEndTests : IDisposable
{
    private const string Namespace = "urn:edgetwin:test:values";
    private readonly KafkaMockCluster _cluster = new(1);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "edgetwin-values-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        _cluster.Dispose();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task EveryValueType_ArrivesInTheFileSinkAndOnKafka_AsTheServerHoldsIt()
    {
        await using var server = await OpcUaTestServer.StartAsync("--values");
        var expected = Expected(server.Output);
        var nodes = expected.Keys.Select(name => new OpcUaNodeConfig { Node = $"nsu={Namespace};s=V.{name}", Asset = "drive-1", Metric = name }).ToList();
        // Elements and fields as series of their own, beside the whole values they come from.
        foreach (var (node, element, field, metric, value) in new (string, string?, string?, string, string)[]
        {
            ("Array.Double", "[1]", null, "second_sample", "-0.25"),
            ("Matrix.Int32", "[1][2][1]", null, "matrix_1_2_1", "12"),
            ("Structure", null, "Status.Speed", "speed", "1480.5"),
            ("Structure", null, "Temperatures[2]", "temperature_3", "43.25"),
            ("Array.Structure", "[1]", null, "second_range", "{\"Low\":-10,\"High\":90.5}"),
        })
        {
            nodes.Add(new OpcUaNodeConfig { Node = $"nsu={Namespace};s=V.{node}", Element = element, Field = field, Asset = "drive-1", Metric = metric });
            using var doc = JsonDocument.Parse("{\"value\":" + value + "}");
            expected[metric] = doc.RootElement.Clone();
        }
        var writer = new HeldWriter(completeAtOnce: true);
        var source = new OpcUaSourceConfig
        {
            Name = "plc", Url = server.EndpointUrl, ReconnectMinSeconds = 0.2, ReconnectMaxSeconds = 1,
            Groups = [new OpcUaNodeGroupConfig { Mode = OpcUaGroupMode.Subscription, PublishingIntervalMs = 100, SamplingIntervalMs = 0, Nodes = [.. nodes] }],
        };
        await using (new RunningSource<OpcUaSource>(new OpcUaSource(source, "$.sources.opcua[0]", TimeProvider.System, NullLogger<OpcUaSource>.Instance, NullLogger<UaClient>.Instance), writer))
        {
            await Until(() => expected.Keys.All(name => writer.Readings.Any(r => r.Metric == name)), "a reading of every node");
        }

        var readings = expected.Keys.Select(name => writer.Readings.First(r => r.Metric == name)).ToList();
        Assert.All(readings, r => Assert.True(r.Error is null, $"{r.Metric}: {r.Error}"));
        var points = readings.Select(r => new TelemetryPoint(new StreamDescriptor(r.AssetId!, r.Metric!, r.Address), r.TimestampTicks, r.Value, Quality.Good, r.StatusCode)).ToList();
        var batch = new SinkBatch(1, 1, points);

        await using (var file = new JsonlFileSink(new FileSinkConfig { Name = "file", Directory = _directory }, "gw-values", TimeProvider.System))
        {
            await file.RecoverAsync(CancellationToken.None);
            Assert.Empty((await file.SendAsync(batch, CancellationToken.None)).Rejected);
        }
        var lines = Directory.GetFiles(_directory, "*.jsonl").Order(StringComparer.Ordinal).SelectMany(System.IO.File.ReadAllLines).ToList();

        var kafkaConfig = new KafkaSinkConfig { Name = "kafka", BootstrapServers = _cluster.BootstrapServers, LingerMs = 5 };
        foreach (var topic in new[] { kafkaConfig.Topics.Telemetry, kafkaConfig.Topics.Events, kafkaConfig.Topics.TwinMetadata }) _cluster.CreateTopic(topic, 1, 1);
        await using (var kafka = new KafkaSink(kafkaConfig, "gw-values", []))
        {
            await kafka.RecoverAsync(CancellationToken.None);
            Assert.Empty((await kafka.SendAsync(batch, CancellationToken.None)).Rejected);
        }
        using var reader = new KafkaTopicReader(_cluster.BootstrapServers, kafkaConfig.Topics.Telemetry, 1);
        var messages = reader.ReadUntil(m => m.Count >= points.Count, TimeSpan.FromSeconds(60));

        Assert.Equal(points.Count, lines.Count);
        Assert.Equal(points.Count, messages.Count);
        foreach (var (json, where) in lines.Select(l => (l, "file")).Concat(messages.Select(m => (m.Value, "kafka"))))
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var name = root.GetProperty("metric").GetString()!;
            var want = expected[name];
            var because = $"{where} {name}: {json}";
            Assert.True(JsonEquals(want.GetProperty("value"), root.GetProperty("value")), because);
            Assert.Equal(want.TryGetProperty("dimensions", out var dims), root.TryGetProperty("dimensions", out var got));
            if (got.ValueKind != JsonValueKind.Undefined) Assert.True(JsonEquals(dims, got), because);
            if (want.TryGetProperty("tags", out var tags)) Assert.True(JsonEquals(tags, root.GetProperty("tags")), because);
            else Assert.False(root.TryGetProperty("tags", out _), because);
            var scalar = root.GetProperty("value").ValueKind is not (JsonValueKind.Array or JsonValueKind.Object) && !want.TryGetProperty("tags", out _);
            Assert.Equal(scalar ? "1.0" : "1.1", root.GetProperty("schema_version").GetString());
        }
        Assert.All(messages, m => Assert.Equal(m.Json.GetProperty("schema_version").GetString(), m.Headers["schema_version"]));
        var errors = PythonJsonSchema.Validate(lines.Concat(messages.Select(m => m.Value)));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    /// <summary>The server's "VALUES {json}" line: per node, its value (and dimensions, tags) as the wire should carry it.</summary>
    private static Dictionary<string, JsonElement> Expected(string output)
    {
        var line = output.Split('\n').Single(l => l.StartsWith("VALUES ", StringComparison.Ordinal));
        using var doc = JsonDocument.Parse(line["VALUES ".Length..]);
        return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
    }

    /// <summary>Deep equality; numbers compared as doubles (1e300 and 1E+300 are the same number).</summary>
    private static bool JsonEquals(JsonElement a, JsonElement b) => a.ValueKind == b.ValueKind && a.ValueKind switch
    {
        JsonValueKind.Number => a.GetDouble().Equals(b.GetDouble()),
        JsonValueKind.String => a.GetString() == b.GetString(),
        JsonValueKind.Array => a.GetArrayLength() == b.GetArrayLength() && a.EnumerateArray().Zip(b.EnumerateArray()).All(p => JsonEquals(p.First, p.Second)),
        JsonValueKind.Object => a.EnumerateObject().Count() == b.EnumerateObject().Count()
            && a.EnumerateObject().All(p => b.TryGetProperty(p.Name, out var other) && JsonEquals(p.Value, other)),
        _ => true,
    };

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(20);
        }
    }
}
