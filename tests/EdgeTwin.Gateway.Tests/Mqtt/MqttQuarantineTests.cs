using System.Text;
using System.Text.Json;
using EdgeTwin.Gateway.Cli.MqttBench;
using EdgeTwin.Gateway.Tests.Infrastructure;
using static EdgeTwin.Gateway.Tests.Infrastructure.MqttTestBroker;

namespace EdgeTwin.Gateway.Tests.Mqtt;

/// <summary>A corpus of bad MQTT payloads: each one lands in quarantine with its topic and reason, and the daemon goes on ingesting.</summary>
[Collection("daemon")]
public sealed class MqttQuarantineTests
{
    private sealed record Bad(string Topic, byte[] Payload, string Reason, string Says, string Address);

    private static Bad Entry(string topic, string payload, string reason, string says, string? address = null) =>
        new(topic, Encoding.UTF8.GetBytes(payload), reason, says, address ?? "mqtt:" + topic);

    [Fact]
    public async Task MalformedPayloads_AreQuarantinedWithTopicAndReason_AcknowledgedOnce_AndTheDaemonKeepsIngesting()
    {
        using var dir = new TestDirectory("mqtt-quarantine");
        using var broker = MqttTestBroker.Start(dir);
        var config = new TestConfig(dir);
        var source = broker.Source("broker",
            Subscription("json/{asset}/{metric}", "json"),
            Subscription("multi/#", "multi"),
            Subscription("raw/{asset}/{metric}", "raw", s => s["rawType"] = "float32"),
            Subscription("plant/{asset}/{metric}", "value"));
        source["maxPayloadBytes"] = 1024;
        config.MqttSources.Add(source);
        var path = config.Write();
        // An earlier configuration left a subscription in the broker's session that the current one no longer has.
        await MqttBenchCommand.CreateSessionAsync(broker.Port, "edgetwin-gw-test-broker", "5", "stale/#", CancellationToken.None);

        var now = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds();
        var tomorrow = DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds();
        var corpus = new List<Bad>
        {
            Entry("json/pump-1/a", "{oops", "invalid_payload", "payload is not JSON"),
            Entry("json/pump-1/b", """{"value":1}""", "missing_timestamp", "has no timestamp"),
            Entry("json/pump-1/c", $$$"""{"ts":{{{now}}}}""", "missing_value", "has no value"),
            Entry("json/pump-1/d", $$$"""{"ts":{{{now}}},"value":{"a":1}}""", "invalid_payload", "value at 'value' is a JSON object"),
            Entry("json/pump-1/e", """{"ts":"soon","value":1}""", "invalid_payload", "timestamp at 'ts' \"soon\""),
            Entry("json/pump-1/f", $$$"""{"ts":{{{now}}},"value":1,"quality":"great"}""", "invalid_payload", "quality at 'quality'"),
            Entry("json/ghost/g", $$$"""{"ts":{{{now}}},"value":1}""", "unknown_asset", "'ghost'"),
            Entry("json/pump-1/h", $$$"""{"ts":{{{tomorrow}}},"value":1}""", "clock_skew_future", "after the gateway clock"),
            Entry("json/pump-1/i", "{\"value\":\"" + new string('x', 2000) + "\"}", "payload_too_large", "over the 1024-byte limit"),
            Entry("multi/a", $$$"""{"ts":{{{now}}},"metrics":{"m":1}}""", "missing_asset", "names no asset", "mqtt:multi/a#m"),
            Entry("multi/b", """{"asset_id":"pump-1","metrics":{"m":1}}""", "missing_timestamp", "has no timestamp", "mqtt:multi/b#m"),
            Entry("multi/c", $$$"""{"asset_id":"pump-1","ts":{{{now}}}}""", "invalid_payload", "\"metrics\" is missing"),
            Entry("multi/d", $$$"""{"asset_id":"pump-1","ts":{{{now}}},"metrics":{"bad":[1]}}""", "invalid_payload", "metric \"bad\" is a JSON array", "mqtt:multi/d#bad"),
            Entry("multi/e", $$$"""{"asset_id":5,"ts":{{{now}}},"metrics":{"m":1}}""", "invalid_payload", "\"asset_id\" is a JSON number"),
            new("raw/pump-1/level", [1, 2, 3], "invalid_payload", "raw payload of 3 bytes, expected 4 for float32", "mqtt:raw/pump-1/level"),
            new("plant/pump-1/state", [0xff, 0xfe], "invalid_payload", "not UTF-8", "mqtt:plant/pump-1/state"),
            Entry("plant/pump-1/pressure", "NaN", "non_finite_value", "not a finite number"),
            Entry("plant/pump|1/x", "1", "invalid_name", "'|'"),
            Entry("stale/old", "1", "unmapped_source", "matches none of the configured subscriptions"),
        };

        using (var daemon = GatewayProcess.Start("run", "--config", path))
        {
            daemon.WaitConnected("broker");
            await using (var publisher = await broker.PublisherAsync())
            {
                await publisher.PublishAsync(corpus.Select(b => (b.Topic, b.Payload)), window: 10, CancellationToken.None);
                // After the whole corpus, good messages still get through.
                await publisher.PublishAsync("json/pump-1/temp", Encoding.UTF8.GetBytes($$$"""{"ts":{{{now}}},"value":42}"""));
                await publisher.PublishAsync("plant/pump-1/pressure", Encoding.UTF8.GetBytes("3.5"));
            }
            Wait.Until(() => SinkOutput.CountCompleteLines(config.SinkDirectory) >= 2, TimeSpan.FromSeconds(30), "the good messages in the sink:" + Environment.NewLine + daemon.Output);
            Wait.Until(() => daemon.Output.Contains($"{corpus.Count + 2} received, {corpus.Count + 2} acknowledged", StringComparison.Ordinal)
                || (StatusFile.Read(config.StateDirectory)?.GetProperty("sources").GetProperty("broker").GetString() ?? "").Contains($"{corpus.Count + 2} acknowledged", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30), "every message acknowledged");
            Assert.False(daemon.HasExited, "the daemon stopped after bad input:" + Environment.NewLine + daemon.Output);
            daemon.StopGracefully();
        }

        var good = SinkOutput.Read(config.SinkDirectory);
        Assert.Equal([("pump-1", "pressure"), ("pump-1", "temp")], good.Select(l => (l.AssetId, l.Metric)).Order());

        var entries = QuarantineList(path);
        Assert.Equal(corpus.Select(b => b.Reason).Order(), entries.Select(e => e.GetProperty("reason").GetString()).Order());
        foreach (var bad in corpus)
        {
            var match = entries.Where(e => e.GetProperty("reason").GetString() == bad.Reason && e.GetProperty("address").GetString() == bad.Address).ToList();
            var entry = Assert.Single(match);
            var detail = entry.GetProperty("detail").GetString()!;
            Assert.Contains(bad.Says, detail, StringComparison.Ordinal);
            Assert.Contains(bad.Topic, detail, StringComparison.Ordinal);
            Assert.Equal("broker", entry.GetProperty("source").GetString());
        }
        var raws = entries.ToDictionary(e => e.GetProperty("address").GetString()!, e => e.GetProperty("raw").GetString());
        Assert.Equal("hex:fffe", raws["mqtt:plant/pump-1/state"]);
        Assert.Equal("{oops", raws["mqtt:json/pump-1/a"]);
        Assert.EndsWith("…", raws["mqtt:json/pump-1/i"], StringComparison.Ordinal);

        // Every message was acknowledged once its quarantine entry was committed: a restart brings none back.
        using (var again = GatewayProcess.Start("run", "--config", path))
        {
            again.WaitConnected("broker");
            Assert.Contains("session resumed", again.Output, StringComparison.Ordinal);
            Thread.Sleep(1500);
            again.StopGracefully();
            Assert.Contains("stopped after 0 message(s) received", again.Output, StringComparison.Ordinal);
        }
        Assert.Equal(corpus.Count, QuarantineList(path).Count);
    }

    private static List<JsonElement> QuarantineList(string configPath)
    {
        var (code, listing) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "quarantine", "list", "--config", configPath, "--json");
        Assert.True(code == 0, listing);
        return [.. JsonDocument.Parse(listing).RootElement.EnumerateArray().Select(e => e.Clone())];
    }
}
