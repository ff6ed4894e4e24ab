using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeTwin.Gateway.Tests.Infrastructure;
using EdgeTwin.MockKafka;
using EdgeTwin.TestSupport.Kafka;

namespace EdgeTwin.Gateway.Tests.Kafka;

/// <summary>
/// The published native-AOT binary produces to librdkafka's mock cluster (three brokers, owned by this test
/// process), through an outage of every broker; a real consumer checks what arrived.
/// </summary>
[Collection("daemon")]
public sealed class KafkaUplinkTests
{
    private const int Partitions = 4;

    [Fact]
    public void AotBinary_ProducesEveryPointOnceThroughABrokerOutage_QuarantinesAnOversizedPoint_AndPublishesTheRegistry()
    {
        using var cluster = new KafkaMockCluster(3);
        foreach (var topic in new[] { "edge-telemetry", "edge-events", "edge-twin-metadata" }) cluster.CreateTopic(topic, Partitions, 3);
        using var dir = new TestDirectory("kafka-uplink");
        const int Points = 10_000;
        var config = new TestConfig(dir)
        {
            Spool = true,
            // Paced in real time from now: 5 s of readings, so the outage falls in the middle of the run.
            Epoch = DateTime.UtcNow,
            SimulatorRate = 2_000,
            SimulatorStopAfter = Points,
            SimulatorPumps = 3,
            SimulatorThermal = 2,
        };
        config.KafkaSinks.Add(new JsonObject
        {
            ["name"] = "cloud",
            ["bootstrapServers"] = cluster.BootstrapServers,
            // Few, large batches: the mock cluster serves one batch per partition per fetch, so many small ones
            // would take the consumer minutes to read back.
            ["lingerMs"] = 500,
            ["maxMessageBytes"] = 10_000,
            ["properties"] = new JsonObject { ["reconnect.backoff.max.ms"] = "500" },
            // Strictly in queue order, so that order per series holds across partitions' offsets (KafkaOutageTests
            // covers the live lane).
            ["drain"] = new JsonObject { ["liveLane"] = false },
        });
        var path = config.Write();
        Directory.CreateDirectory(config.SpoolDirectory);
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        File.WriteAllText(Path.Combine(config.SpoolDirectory, "big.jsonl"),
            $$"""{"source":"spool:pressure-1","ts":"{{now}}","value":"{{new string('x', 20_000)}}"}""" + "\n");

        using (var daemon = GatewayProcess.Start("run", "--config", path, "--exit-when-drained"))
        {
            using (var progress = new KafkaTopicReader(cluster.BootstrapServers, "edge-telemetry", Partitions))
            {
                progress.ReadUntil(m => m.Count >= 1000, TimeSpan.FromSeconds(60));
            }
            cluster.SetAllBrokers(up: false);
            Thread.Sleep(TimeSpan.FromSeconds(3));
            Assert.False(daemon.HasExited, "the daemon stopped while the uplink was down:" + Environment.NewLine + daemon.Output);
            cluster.SetAllBrokers(up: true);
            Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(120)), "the queue never drained to Kafka:" + Environment.NewLine + daemon.Output);
            Assert.True(daemon.ExitCode == 0, daemon.Output);
            Assert.Contains("uplink down", daemon.Output, StringComparison.Ordinal);
        }

        using var telemetry = new KafkaTopicReader(cluster.BootstrapServers, "edge-telemetry", Partitions);
        // Everything was confirmed by delivery reports before the daemon exited; reading it back is the consumer's
        // pace (one batch per partition per fetch from the mock cluster), which a loaded machine slows.
        try { telemetry.ReadUntil(m => m.Select(x => x.Headers["key"]).Distinct().Count() >= Points, TimeSpan.FromSeconds(90)); }
        catch (TimeoutException)
        {
            var file = SinkOutput.Read(config.SinkDirectory).Telemetry();
            var got = telemetry.Messages.Select(x => x.Headers["key"]).ToHashSet();
            var missing = file.Select((l, i) => (l, i)).Where(x => !got.Contains(x.l.Key)).ToList();
            var parts = telemetry.Messages.GroupBy(m => m.Partition).Select(g => $"p{g.Key}: n={g.Count()} maxoff={g.Max(m => m.Offset)}");
            Assert.Fail($"file {file.Count}, kafka distinct {got.Count}, missing {missing.Count}: first idx {missing.First().i} last idx {missing.Last().i}; by asset {string.Join(",", missing.GroupBy(x => x.l.AssetId).Select(g => g.Key + "=" + g.Count()))}; {string.Join("; ", parts)}");
        }
        telemetry.ReadFor(TimeSpan.FromMilliseconds(500));
        var lines = new List<SinkLine>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in telemetry.Messages.OrderBy(m => m.Partition).ThenBy(m => m.Offset))
        {
            var line = SinkOutput.Parse(m.Value);
            Assert.Equal(line.Key, m.Headers["key"]);
            Assert.Equal(line.AssetId, m.Key);
            Assert.Equal("1.0", m.Headers["schema_version"]);
            Assert.Equal("gw-test", m.Headers["gateway_id"]);
            Assert.Equal("application/json", m.Headers["content-type"]);
            if (seen.Add(line.Key)) lines.Add(line);
        }
        // Exactly the points the file sink, fed from the same queue, holds.
        Assert.Equal(Points, lines.Count);
        Assert.Equal(SinkOutput.Read(config.SinkDirectory).Telemetry().Select(l => l.Key).Where(k => !k.StartsWith("pump-1|", StringComparison.Ordinal)).Order(StringComparer.Ordinal),
            lines.Select(l => l.Key).Order(StringComparer.Ordinal));
        // Per series (and so per asset's partition), timestamps arrive in order.
        foreach (var series in lines.GroupBy(l => (l.AssetId, l.Metric)))
        {
            var ticks = series.Select(l => l.Ticks).ToList();
            Assert.True(ticks.SequenceEqual(ticks.Order()), $"{series.Key} arrived out of order");
        }
        WireSchema.AssertValid(lines.Take(500));

        using var registry = new KafkaTopicReader(cluster.BootstrapServers, "edge-twin-metadata", Partitions);
        var assets = registry.ReadUntil(m => m.Select(x => x.Key).Distinct().Count() >= 8, TimeSpan.FromSeconds(30));
        Assert.Contains(assets, a => a.Key == "pump-1" && a.Json.GetProperty("parent").GetString() == "line-1");

        var (code, listing) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "quarantine", "list", "--config", path, "--json");
        Assert.True(code == 0, listing);
        var entry = Assert.Single(JsonDocument.Parse(listing).RootElement.EnumerateArray());
        Assert.Equal("sink_rejected", entry.GetProperty("reason").GetString());
        Assert.Contains("MsgSizeTooLarge", entry.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
