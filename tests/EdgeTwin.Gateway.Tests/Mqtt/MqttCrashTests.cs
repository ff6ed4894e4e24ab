using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EdgeTwin.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;
using static EdgeTwin.Gateway.Tests.Infrastructure.MqttTestBroker;

namespace EdgeTwin.Gateway.Tests.Mqtt;

/// <summary>
/// QoS 1 with a persistent session and PUBACK only after durability: neither a kill -9 of the gateway nor a
/// restart of the broker in the middle of a run loses a message, and none is forwarded twice (docs/architecture.md §2.3).
/// </summary>
[Collection("daemon")]
public sealed partial class MqttCrashTests(ITestOutputHelper output)
{
    private const int Assets = 10;
    private const int MetricsPerAsset = 10;

    /// <summary>Message i: series i mod 100, a millisecond after that series' previous message; every key distinct.</summary>
    private static (List<(string Topic, byte[] Payload)> Messages, HashSet<string> Keys) Load(int count, int offset, DateTime start)
    {
        start = new DateTime(start.Ticks - (start.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
        var messages = new List<(string, byte[])>(count);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = offset; i < offset + count; i++)
        {
            var series = i % (Assets * MetricsPerAsset);
            var (asset, metric) = ($"m-{series / MetricsPerAsset}", $"v{series % MetricsPerAsset}");
            var ts = start.AddMilliseconds(i / (Assets * MetricsPerAsset));
            var ms = (long)(ts - DateTime.UnixEpoch).TotalMilliseconds;
            messages.Add(($"load/{asset}/{metric}", Encoding.UTF8.GetBytes($$$"""{"ts":{{{ms}}},"value":{{{i}}}}""")));
            keys.Add($"{asset}|{metric}|{ts.Ticks}");
        }
        return (messages, keys);
    }

    private static TestConfig Config(TestDirectory dir, MqttTestBroker broker, Action<JsonObject>? tune = null)
    {
        var config = new TestConfig(dir) { MaxSegmentPoints = 4096, CommitLingerMs = 2 };
        for (var a = 0; a < Assets; a++) config.ExtraAssets.Add(new JsonObject { ["id"] = $"m-{a}" });
        var source = broker.Source("broker", Subscription("load/{asset}/{metric}", "json"));
        tune?.Invoke(source);
        config.MqttSources.Add(source);
        return config;
    }

    private static void AssertExactly(HashSet<string> expected, string sinkDirectory)
    {
        var lines = SinkOutput.Read(sinkDirectory);
        SinkOutput.AssertNoDuplicates(lines);
        var actual = lines.Select(l => l.Key).ToHashSet(StringComparer.Ordinal);
        var missing = expected.Except(actual).Take(5).ToList();
        var extra = actual.Except(expected).Take(5).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"{expected.Count} keys expected, {actual.Count} in the sink; missing e.g. [{string.Join(", ", missing)}], unexpected e.g. [{string.Join(", ", extra)}]");
        Assert.Equal(expected.Count, lines.Count);
    }

    [Fact]
    public async Task KillNine_Twice_While100000QoS1MessagesArePublished_EveryMessageIsInTheSinkExactlyOnce()
    {
        using var dir = new TestDirectory("mqtt-kill9");
        using var broker = MqttTestBroker.Start(dir);
        var config = Config(dir, broker);
        var path = config.Write();
        const int total = 100_000;
        var (messages, keys) = Load(total, 0, DateTime.UtcNow.AddHours(-1));

        // The first start creates the persistent session: from then on the broker keeps every message for the gateway.
        var daemon = GatewayProcess.Start("run", "--config", path);
        try
        {
            daemon.WaitConnected("broker");
            await using var publisher = await broker.PublisherAsync();
            var publishing = Task.Run(() => publisher.PublishAsync(messages, window: 500, CancellationToken.None));

            foreach (var threshold in new[] { 20_000L, 55_000L })
            {
                Wait.Until(() => SinkOutput.CountCompleteLines(config.SinkDirectory) >= threshold || daemon.HasExited, TimeSpan.FromSeconds(60), $"{threshold} points in the sink");
                Assert.False(daemon.HasExited, "the daemon exited on its own:" + Environment.NewLine + daemon.Output);
                daemon.Kill();
                var inSink = SinkOutput.CountCompleteLines(config.SinkDirectory);
                output.WriteLine($"kill -9 with {inSink} lines in the sink and {publisher.Acknowledged} of {total} messages published");
                Assert.True(inSink < total, $"the kill came too late to test anything: {inSink} points were already in the sink");
                daemon.Dispose();
                daemon = GatewayProcess.Start("run", "--config", path);
                daemon.WaitConnected("broker");
                Assert.Contains("session resumed", daemon.Output, StringComparison.Ordinal);
            }

            await publishing.WaitAsync(TimeSpan.FromMinutes(3));
            Assert.Equal(total, publisher.Acknowledged);
            Wait.Until(() => SinkOutput.CountCompleteLines(config.SinkDirectory) >= total, TimeSpan.FromMinutes(2), $"all {total} points in the sink:{Environment.NewLine}{daemon.Output}");
            // Give a wrongly repeated delivery the time to show up before counting.
            Thread.Sleep(1000);
            daemon.StopGracefully();
            output.WriteLine(daemon.Output.Split('\n').LastOrDefault(l => l.Contains("Stopped:", StringComparison.Ordinal)) ?? "");
        }
        finally
        {
            daemon.Dispose();
        }

        AssertExactly(keys, config.SinkDirectory);
    }

    /// <summary>
    /// The broker reads the gateway's PUBACKs a second late (a relay holds them), and the gateway is killed: the RST drops
    /// the PUBACKs on their way, so the broker redelivers thousands of messages that were durable and acknowledged, far
    /// more than dedup.historyPerSeries per series (Mosquitto did the same on its own in CI, leaving them unread in its
    /// socket). Evenly spaced timestamps: every one is recognised (the series' run), nothing is forwarded twice.
    /// </summary>
    [Fact]
    public Task KillNine_WithThousandsOfPubacksUnread_EvenlySpacedSeries_NothingIsForwardedTwice() =>
        KillNineWithPubacksInFlight(jitter: false);

    /// <summary>
    /// The same with jittered timestamps (no run): below a series' window of dedup.historyPerSeries, the keys of the last
    /// dedup.recentPoints committed points recognise the redelivery, also across the kill (checkpoint and replay).
    /// </summary>
    [Fact]
    public Task KillNine_WithThousandsOfPubacksUnread_JitteredSeries_TheRecentPointsRecogniseThem() =>
        KillNineWithPubacksInFlight(jitter: true);

    /// <summary>
    /// Jittered, and with dedup.recentPoints 0: what falls below a series' window is forwarded again, and exactly that is
    /// counted as late unverified; nothing is lost and nothing doubles silently.
    /// </summary>
    [Fact]
    public Task KillNine_WithThousandsOfPubacksUnread_JitteredSeries_WithoutRecentPoints_WhatIsForwardedTwiceIsCountedLateUnverified() =>
        KillNineWithPubacksInFlight(jitter: true, recentPoints: 0);

    private async Task KillNineWithPubacksInFlight(bool jitter, int? recentPoints = null)
    {
        const int series = 10, total = 20_000, window = 64;
        using var dir = new TestDirectory("mqtt-puback-loss");
        using var broker = MqttTestBroker.Start(dir);
        using var relay = new LaggingRelay(broker.Port, TimeSpan.FromSeconds(1));
        var source = broker.Source("broker", Subscription("lag/{asset}/{metric}", "json"));
        var config = new TestConfig(dir) { MaxSegmentPoints = 4096, CommitLingerMs = 2, RecentPoints = recentPoints };
        config.ExtraAssets.Add(new JsonObject { ["id"] = "lag-0" });
        config.MqttSources.Add(source);
        source["port"] = relay.Port;
        var path = config.Write();

        // Message i: series i mod 10, 10 ms after that series' previous message (give or take 1–2 ms when jittered).
        var start = DateTime.UtcNow.AddHours(-1);
        var startMs = (long)(start - DateTime.UnixEpoch).TotalMilliseconds;
        var messages = new List<(string, byte[])>(total);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < total; i++)
        {
            var k = i / series;
            var ms = startMs + (k * 10) + (jitter ? k % 3 : 0);
            messages.Add(($"lag/lag-0/v{i % series}", Encoding.UTF8.GetBytes($$$"""{"ts":{{{ms}}},"value":{{{i}}}}""")));
            keys.Add($"lag-0|v{i % series}|{DateTime.UnixEpoch.AddMilliseconds(ms).Ticks}");
        }

        string stopped;
        var daemon = GatewayProcess.Start("run", "--config", path);
        try
        {
            daemon.WaitConnected("broker");
            await using var publisher = await broker.PublisherAsync();
            // The first points of a series are committed while its timestamps may still look evenly spaced (two always
            // do), and such points do not enter the recent points (README, "Recent points"). They go first, and their
            // PUBACKs reach the broker before the rest is published, so what the kill makes it redeliver is later.
            const int first = series * 5;
            await publisher.PublishAsync(messages.Take(first).ToList(), window: 500, CancellationToken.None);
            Wait.Until(() => SinkOutput.CountCompleteLines(config.SinkDirectory) >= first, TimeSpan.FromSeconds(30), "the first points in the sink");
            Thread.Sleep(relay.Lag * 2);
            var publishing = Task.Run(() => publisher.PublishAsync(messages.Skip(first).ToList(), window: 500, CancellationToken.None));
            Wait.Until(() => SinkOutput.CountCompleteLines(config.SinkDirectory) >= total / 3 || daemon.HasExited, TimeSpan.FromSeconds(60), "a third of the points in the sink");
            Assert.False(daemon.HasExited, "the daemon exited on its own:" + Environment.NewLine + daemon.Output);
            relay.Crash();
            daemon.Kill();
            output.WriteLine($"kill -9 with {SinkOutput.CountCompleteLines(config.SinkDirectory)} lines in the sink, {relay.DroppedBytes} bytes of PUBACKs dropped");
            Assert.True(relay.DroppedBytes > 0, "no PUBACK was on its way at the kill: the test tests nothing");
            daemon.Dispose();

            source["port"] = broker.Port;
            config.Write();
            daemon = GatewayProcess.Start("run", "--config", path);
            daemon.WaitConnected("broker");
            Assert.Contains("session resumed", daemon.Output, StringComparison.Ordinal);
            await publishing.WaitAsync(TimeSpan.FromMinutes(2));
            Wait.Until(() => SinkOutput.CountCompleteLines(config.SinkDirectory) >= total, TimeSpan.FromMinutes(2), $"all {total} points in the sink:{Environment.NewLine}{daemon.Output}");
            Thread.Sleep(1000);
            daemon.StopGracefully();
            stopped = daemon.Output.Split('\n').LastOrDefault(l => l.Contains("Stopped:", StringComparison.Ordinal)) ?? "";
            output.WriteLine(stopped);
        }
        finally
        {
            daemon.Dispose();
        }

        var counts = StoppedCounts().Match(stopped);
        Assert.True(counts.Success, "no stop line with the counts: " + stopped);
        var duplicates = long.Parse(counts.Groups["duplicates"].Value, CultureInfo.InvariantCulture);
        var late = long.Parse(counts.Groups["late"].Value, CultureInfo.InvariantCulture);
        // The redelivery went beyond the window a jittered series remembers, else this tests nothing.
        Assert.True(duplicates + late > series * window, $"only {duplicates + late} durable messages came back; the window holds {series * window}");
        if (recentPoints == 0)
        {
            var lines = SinkOutput.Read(config.SinkDirectory);
            var distinct = lines.Select(l => l.Key).ToHashSet(StringComparer.Ordinal);
            Assert.True(distinct.SetEquals(keys), $"{keys.Count} keys expected, {distinct.Count} distinct in the sink");
            Assert.True(late > 0, "no point fell below its window: " + stopped);
            Assert.Equal(total + late, lines.Count);
        }
        else
        {
            Assert.Equal(0, late);
            AssertExactly(keys, config.SinkDirectory);
        }
    }

    [GeneratedRegex(@"(?<duplicates>\d+) duplicates dropped, (?<late>\d+) late unverified")]
    private static partial Regex StoppedCounts();

    [Fact]
    public async Task BrokerRestart_MidRun_NothingIsLost_AndTheSourceReconnectsToItsSession()
    {
        using var dir = new TestDirectory("mqtt-broker-restart");
        using var broker = MqttTestBroker.Start(dir);
        // A small Receive Maximum keeps many messages in the broker, and some unacknowledged, when it goes down.
        var config = Config(dir, broker, s => s["receiveMaximum"] = 32);
        var path = config.Write();
        var start = DateTime.UtcNow.AddHours(-1);
        var (before, keysBefore) = Load(40_000, 0, start);
        var (after, keysAfter) = Load(10_000, 40_000, start);

        // The session exists first; the messages then wait in the broker, so the gateway is mid-run when the broker stops.
        using (var first = GatewayProcess.Start("run", "--config", path))
        {
            first.WaitConnected("broker");
            first.StopGracefully();
        }
        await using (var publisher = await broker.PublisherAsync())
        {
            await publisher.PublishAsync(before, window: 500, CancellationToken.None);
        }
        using var daemon = GatewayProcess.Start("run", "--config", path);
        Wait.Until(() => SinkOutput.CountCompleteLines(config.SinkDirectory) >= 2_000, TimeSpan.FromSeconds(60), "the first points in the sink");

        // SIGTERM: Mosquitto saves the session and what it still holds for it. The gateway must notice and retry.
        var watch = Stopwatch.StartNew();
        broker.Stop();
        var atStop = SinkOutput.CountCompleteLines(config.SinkDirectory);
        output.WriteLine($"broker stopped with {atStop} of {before.Count} points in the sink");
        Assert.True(atStop < before.Count, $"the broker stopped too late to test anything: {atStop} points were already in the sink");
        Wait.Until(() => StatusFile.Read(config.StateDirectory) is { } s && s.GetProperty("sources").GetProperty("broker").GetString()!.StartsWith("reconnecting", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "status.json to show the source reconnecting");
        Assert.Contains("MQTT source broker: connection to", daemon.Output, StringComparison.Ordinal);
        broker.Start();
        daemon.WaitConnected("broker", times: 2);
        output.WriteLine($"reconnected {watch.Elapsed.TotalSeconds:F1} s after the broker went down");
        Assert.Contains("session resumed", daemon.Output.Split("connection to")[^1], StringComparison.Ordinal);

        await using (var publisher = await broker.PublisherAsync("test-publisher-2"))
        {
            await publisher.PublishAsync(after, window: 500, CancellationToken.None);
        }
        var all = keysBefore.Union(keysAfter).ToHashSet(StringComparer.Ordinal);
        Wait.Until(() => SinkOutput.CountCompleteLines(config.SinkDirectory) >= all.Count, TimeSpan.FromMinutes(2), $"all {all.Count} points in the sink:{Environment.NewLine}{daemon.Output}");
        Thread.Sleep(1000);
        daemon.StopGracefully();
        var pipeline = StatusFile.Read(config.StateDirectory)!.Value.GetProperty("pipeline");
        output.WriteLine(pipeline.ToString());

        // Nothing lost. A broker that restarts while it streams to the gateway may not have registered the latest
        // PUBACKs (Mosquitto saves its state without reading what waits in its sockets), so it redelivers
        // messages that were durable already: dedup drops them while their series has had fewer than
        // dedup.historyPerSeries newer points; older ones are forwarded again, counted as late and unverified
        // (the cloud upserts by key). Every repeat must be one of those: none may pass unnoticed.
        var lines = SinkOutput.Read(config.SinkDirectory);
        var keys = lines.Select(l => l.Key).ToHashSet(StringComparer.Ordinal);
        Assert.True(all.SetEquals(keys), $"{all.Count} keys expected, {keys.Count} distinct keys in the sink; missing e.g. [{string.Join(", ", all.Except(keys).Take(5))}]");
        var repeats = lines.Count - keys.Count;
        output.WriteLine($"{repeats} points forwarded twice, {pipeline.GetProperty("lateUnverified").GetInt64()} counted as late and unverified");
        Assert.True(repeats <= pipeline.GetProperty("lateUnverified").GetInt64(), $"{repeats} repeated points, only {pipeline.GetProperty("lateUnverified")} counted as lateUnverified");
    }
}
