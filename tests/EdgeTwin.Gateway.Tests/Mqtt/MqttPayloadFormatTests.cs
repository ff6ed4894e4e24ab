using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeTwin.Gateway.Tests.Infrastructure;
using static EdgeTwin.Gateway.Tests.Infrastructure.MqttTestBroker;

namespace EdgeTwin.Gateway.Tests.Mqtt;

/// <summary>Every payload format, published to a real Mosquitto, reaches the sink of the AOT binary as the right point.</summary>
[Collection("daemon")]
public sealed class MqttPayloadFormatTests
{
    private static string Iso(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    [Fact]
    public async Task EachPayloadFormat_PublishedMessage_ReachesTheSinkWithAssetMetricTimestampValueAndQuality()
    {
        using var dir = new TestDirectory("mqtt-formats");
        using var broker = MqttTestBroker.Start(dir);
        var config = new TestConfig(dir);
        config.MqttSources.Add(broker.Source("broker",
            Subscription("plant/{asset}/{metric}", "value"),
            Subscription("json/{asset}/{metric}", "json"),
            Subscription("multi/#", "multi"),
            Subscription("raw/{asset}/{metric}", "raw", s => s["rawType"] = "float32"),
            Subscription("rawle/{asset}/{metric}", "raw", s => { s["rawType"] = "int16"; s["byteOrder"] = "littleEndian"; }),
            Subscription("legacy/#", "value")));
        config.ExtraMappings.Add(new JsonObject { ["source"] = "mqtt:legacy/p1/press", ["asset"] = "pump-1", ["metric"] = "legacy_pressure", ["unit"] = "bar", ["scale"] = 0.1 });
        var path = config.Write();
        var t0 = DateTime.UtcNow.AddMinutes(-10);
        t0 = new DateTime(t0.Ticks - (t0.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        var epoch = (long)(t0 - DateTime.UnixEpoch).TotalSeconds;

        using var daemon = GatewayProcess.Start("run", "--config", path);
        daemon.WaitConnected("broker");
        var before = DateTime.UtcNow;
        await broker.PublishAsync("plant/pump-1/pressure", "4.25");
        await broker.PublishAsync("plant/pump-1/running", "true");
        await broker.PublishAsync("plant/oven-1/mode", "auto");
        await broker.PublishAsync("json/pump-1/temp", $$$"""{"ts":{{{epoch}}},"value":61.5,"quality":"uncertain"}""");
        await broker.PublishAsync("multi/line1", $$$"""{"asset_id":"pump-1","ts":{{{epoch + 2}}},"metrics":{"flow":12.5,"speed":2900}}""");
        await broker.PublishAsync("multi/line1", $$$"""{"asset_id":"oven-1","ts":{{{(epoch + 3) * 1000}}},"metrics":{"setpoint":180}}""");
        await broker.PublishAsync("multi/line1", $$$"""{"asset_id":"oven-1","ts":"{{{Iso(t0.AddSeconds(4))}}}","quality":"bad","metrics":{"door_open":false}}""");
        var float32 = new byte[4];
        BinaryPrimitives.WriteSingleBigEndian(float32, 2.5f);
        await broker.PublishAsync("raw/pump-1/level", float32);
        var int16 = new byte[2];
        BinaryPrimitives.WriteInt16LittleEndian(int16, -300);
        await broker.PublishAsync("rawle/oven-1/fan", int16);
        await broker.PublishAsync("legacy/p1/press", "42");

        Wait.Until(() => SinkOutput.CountCompleteLines(config.SinkDirectory) >= 11, TimeSpan.FromSeconds(30), "11 points in the sink:" + Environment.NewLine + daemon.Output);
        // The broker acknowledges a publisher before it delivers: arrival lies between the first publish and now.
        var after = DateTime.UtcNow;
        daemon.StopGracefully();

        var lines = SinkOutput.Read(config.SinkDirectory);
        Assert.Equal(11, lines.Count);
        SinkOutput.AssertNoDuplicates(lines);
        WireSchema.AssertValid(lines);
        var points = lines.ToDictionary(l => (l.AssetId, l.Metric), l => JsonDocument.Parse(l.Json).RootElement);

        void Arrived(string asset, string metric)
        {
            var ts = SinkOutput.Read(config.SinkDirectory).Single(l => l.AssetId == asset && l.Metric == metric).Ticks;
            Assert.InRange(ts, before.Ticks, after.Ticks);
        }
        void Point(string asset, string metric, string value, string quality, long? ticks = null)
        {
            Assert.True(points.TryGetValue((asset, metric), out var p), $"no point for {asset}/{metric}");
            Assert.Equal(value, p.GetProperty("value").GetRawText());
            Assert.Equal(quality, p.GetProperty("quality").GetString());
            if (ticks is { } t) Assert.Equal(Iso(new DateTime(t, DateTimeKind.Utc)), p.GetProperty("ts").GetString());
        }

        // value: text payloads, stamped on arrival
        Point("pump-1", "pressure", "4.25", "good");
        Point("pump-1", "running", "true", "good");
        Point("oven-1", "mode", "\"auto\"", "good");
        Arrived("pump-1", "pressure");
        Assert.Equal("mqtt:plant/pump-1/pressure", points[("pump-1", "pressure")].GetProperty("source").GetString());
        // json: default paths, epoch seconds
        Point("pump-1", "temp", "61.5", "uncertain", t0.Ticks);
        // multi: one point per metric; seconds, milliseconds and ISO 8601 timestamps
        Point("pump-1", "flow", "12.5", "good", t0.AddSeconds(2).Ticks);
        Point("pump-1", "speed", "2900", "good", t0.AddSeconds(2).Ticks);
        Point("oven-1", "setpoint", "180", "good", t0.AddSeconds(3).Ticks);
        Point("oven-1", "door_open", "false", "bad", t0.AddSeconds(4).Ticks);
        Assert.Equal("mqtt:multi/line1#flow", points[("pump-1", "flow")].GetProperty("source").GetString());
        // raw: binary numbers, stamped on arrival
        Point("pump-1", "level", "2.5", "good");
        Point("oven-1", "fan", "-300", "good");
        Arrived("oven-1", "fan");
        // a plain topic mapped by $.mappings, with its scaling and unit
        Point("pump-1", "legacy_pressure", "4.2", "good");
        Assert.Equal("bar", points[("pump-1", "legacy_pressure")].GetProperty("tags").GetProperty("unit").GetString());
    }

    [Fact]
    public async Task JsonWithConfiguredPaths_AndFixedAssetAndMetric_ReadsValueTimestampAndStatusCode()
    {
        using var dir = new TestDirectory("mqtt-paths");
        using var broker = MqttTestBroker.Start(dir);
        var config = new TestConfig(dir);
        config.MqttSources.Add(broker.Source("broker",
            Subscription("line1/oven/status", "json", s =>
            {
                s["asset"] = "oven-1";
                s["metric"] = "mode";
                s["valuePath"] = "data.v";
                s["timestampPath"] = "$.meta.time";
                s["qualityPath"] = "meta.q[0]";
            })));
        var path = config.Write();
        var t0 = DateTime.UtcNow.AddMinutes(-5);

        using var daemon = GatewayProcess.Start("run", "--config", path);
        daemon.WaitConnected("broker");
        await broker.PublishAsync("line1/oven/status", $$$"""{"data":{"v":"heating"},"meta":{"time":"{{{Iso(t0)}}}","q":[1083310080]}}""");
        Wait.Until(() => SinkOutput.CountCompleteLines(config.SinkDirectory) >= 1, TimeSpan.FromSeconds(30), "the point in the sink");
        daemon.StopGracefully();

        var line = Assert.Single(SinkOutput.Read(config.SinkDirectory));
        var p = JsonDocument.Parse(line.Json).RootElement;
        Assert.Equal(("oven-1", "mode"), (line.AssetId, line.Metric));
        Assert.Equal("heating", p.GetProperty("value").GetString());
        Assert.Equal(Iso(t0), line.Ts);
        Assert.Equal("uncertain", p.GetProperty("quality").GetString());
        Assert.Equal(0x40920000u, p.GetProperty("status_code").GetUInt32());
        Assert.Equal("mqtt:line1/oven/status", p.GetProperty("source").GetString());
    }
}
