using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdgeTwin.Connectors.File;
using EdgeTwin.Connectors.Mqtt;
using EdgeTwin.Core.Config;
using EdgeTwin.Gateway.Config;
using EdgeTwin.Gateway.Hosting;
using EdgeTwin.Storage;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;

namespace EdgeTwin.Gateway.Cli.MqttBench;

/// <summary>
/// <c>edgetwin bench mqtt</c>: a private broker holds N messages for two persistent sessions; the gateway pipeline
/// (MQTT source → dedup → queue, with a file sink) and <c>mosquitto_sub -C N &gt; file</c> then drain it side by
/// side, and each one's rate is N over its own time to the last message.
/// </summary>
public static class MqttBenchCommand
{
    private const int Assets = 10;
    private const int MetricsPerAsset = 10;
    private const string SubscriberId = "edgetwin-bench-sub";

    public static async Task<int> RunAsync(MqttBenchOptions options, string dir, CancellationToken ct)
    {
        var (messages, protocol, receiveMaximum, lingerMs, jitter, recentPoints) = options;
        var root = Path.Combine(dir, "mqtt");
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        Directory.CreateDirectory(root);
        Console.WriteLine($"EdgeTwin {GatewayRuntime.Version} MQTT ingest benchmark on {Environment.ProcessorCount} cores, scratch {root}");
        Console.WriteLine($"  {messages:N0} QoS 1 JSON messages over {Assets * MetricsPerAsset} series; gateway on MQTT {protocol} with a receive window of {receiveMaximum}, mosquitto_sub on MQTT 3.1.1; commit linger {lingerMs} ms");
        Console.WriteLine(jitter
            ? $"  timestamps jittered (each series keeps a ring), dedup.recentPoints {recentPoints:N0}"
            : $"  timestamps evenly spaced (each series keeps a run), dedup.recentPoints {recentPoints:N0}");

        using var broker = PrivateMosquitto.Start(Path.Combine(root, "broker"), persistence: false);
        var config = BenchConfig(broker.Port, protocol, receiveMaximum, lingerMs, recentPoints, root);
        var gatewayClientId = config.Sources.Mqtt[0].ClientId!;

        // 1. Both persistent sessions exist before anything is published, so the broker queues every message for both.
        await CreateSessionAsync(broker.Port, gatewayClientId, protocol, "bench/+/+", ct).ConfigureAwait(false);
        var (primeCode, primeOutput) = await RunToEndAsync("mosquitto_sub", ["-p", Port(broker), "-i", SubscriberId, "-c", "-q", "1", "-t", "bench/+/+", "-W", "1"], ct).ConfigureAwait(false);
        if (primeCode is not (0 or 27))
        {
            await Console.Error.WriteLineAsync($"mosquitto_sub could not create its session (exit {primeCode}): {primeOutput}").ConfigureAwait(false);
            return ExitCodes.Software;
        }

        // 2. Publish: afterwards the broker holds every message for both sessions.
        var publishClock = Stopwatch.StartNew();
        await using (var publisher = await MqttLoadPublisher.ConnectAsync("127.0.0.1", broker.Port, "edgetwin-bench-pub", ct).ConfigureAwait(false))
        {
            await publisher.PublishAsync(Messages(messages, jitter), window: 2000, ct).ConfigureAwait(false);
        }
        var publishSeconds = publishClock.Elapsed.TotalSeconds;
        Console.WriteLine(FormattableString.Invariant($"  published {messages:N0} in {publishSeconds:F2} s ({messages / publishSeconds:N0} messages/s, every one acknowledged by the broker); peak RSS after publishing {BenchCommand.PeakRss() / 1048576.0:F0} MiB"));

        // 3. Both consumers drain the broker at the same time.
        var outFile = Path.Combine(root, "mosquitto_sub.out");
        using var loggers = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var sub = StartSubscriber(broker.Port, messages, outFile);
        using var runtime = GatewayRuntime.Open(config, "bench mqtt", loggers, TimeProvider.System);
        runtime.CreateEndpoints(loggers);
        var services = runtime.HostedServices(loggers).ToList();
        foreach (var s in services) await s.StartAsync(ct).ConfigureAwait(false);

        double? gatewaySeconds = null, subSeconds = null;
        var deadline = TimeSpan.FromSeconds(Math.Max(120, messages / 1000.0));
        while ((gatewaySeconds is null || subSeconds is null) && clock.Elapsed < deadline)
        {
            if (gatewaySeconds is null && runtime.Metrics.Accepted >= messages) gatewaySeconds = clock.Elapsed.TotalSeconds;
            if (subSeconds is null && sub.HasExited) subSeconds = clock.Elapsed.TotalSeconds;
            await Task.Delay(5, ct).ConfigureAwait(false);
        }
        process.Refresh();
        var gatewayCpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        var committed = runtime.Metrics.Accepted;
        var commits = runtime.Metrics.Commits;
        var p99 = runtime.Metrics.CommitLatency.PercentileMicros(0.99);
        for (var i = services.Count - 1; i >= 0; i--) await services[i].StopAsync(CancellationToken.None).ConfigureAwait(false);
        if (!sub.HasExited) sub.Kill();
        var written = File.Exists(outFile) ? CountLines(outFile) : 0;

        Console.WriteLine();
        Console.WriteLine("| consumer | messages | seconds | messages/s | durable |");
        Console.WriteLine("|---|---:|---:|---:|---|");
        Console.WriteLine(Row("EdgeTwin MQTT source → durable queue", committed, gatewaySeconds, "fsync'd group commit"));
        Console.WriteLine(Row("mosquitto_sub → file", written, subSeconds, "no (page cache)"));
        Console.WriteLine();
        if (gatewaySeconds is { } g && subSeconds is { } m)
        {
            Console.WriteLine(FormattableString.Invariant($"Ratio EdgeTwin / mosquitto_sub: {m / g:F2} (messages/s over messages/s)"));
        }
        Console.WriteLine(FormattableString.Invariant($"Gateway: {commits:N0} commits, commit p99 {p99 / 1000.0:F1} ms, {gatewayCpu:F1} CPU s in-process, peak RSS {BenchCommand.PeakRss() / 1048576.0:F0} MiB, GC heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1048576.0:F0} MiB (committed {GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0:F0} MiB)"));
        if (gatewaySeconds is null || subSeconds is null)
        {
            await Console.Error.WriteLineAsync($"incomplete: the gateway committed {committed:N0} and mosquitto_sub wrote {written:N0} of {messages:N0} within {deadline.TotalSeconds:F0} s").ConfigureAwait(false);
            return ExitCodes.Software;
        }
        return ExitCodes.Ok;
    }

    private static string Row(string name, long count, double? seconds, string durable) =>
        seconds is { } s
            ? FormattableString.Invariant($"| {name} | {count:N0} | {s:F2} | {count / s:N0} | {durable} |")
            : FormattableString.Invariant($"| {name} | {count:N0} | (unfinished) | - | {durable} |");

    private static string Port(PrivateMosquitto broker) => broker.Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Message i goes to series i mod 100, one millisecond after that series' previous one; jittered, ten milliseconds
    /// after it give or take one or two. Every key is distinct.
    /// </summary>
    private static IEnumerable<(string, byte[])> Messages(int count, bool jitter)
    {
        var topics = new string[Assets * MetricsPerAsset];
        for (var i = 0; i < topics.Length; i++) topics[i] = $"bench/bench-{i / MetricsPerAsset}/m{i % MetricsPerAsset}";
        var baseMs = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds();
        for (var i = 0; i < count; i++)
        {
            var k = i / topics.Length;
            var ms = jitter ? baseMs + (k * 10) + (k % 3) : baseMs + k;
            yield return (topics[i % topics.Length], Encoding.UTF8.GetBytes(FormattableString.Invariant($"{{\"ts\":{ms},\"value\":{i}}}")));
        }
    }

    private static EdgeTwinConfig BenchConfig(int port, string protocol, int receiveMaximum, double lingerMs, int recentPoints, string root)
    {
        var config = new EdgeTwinConfig
        {
            Dedup = new DedupConfig { RecentPoints = recentPoints },
            Gateway = new GatewayConfig { Id = "bench", StateDirectory = Path.Combine(root, "state"), LogLevel = "Warning" },
            Queue = new QueueConfig { CommitLingerMs = lingerMs, MaxCommitDelayMs = Math.Max(20, lingerMs) },
            Validation = new ValidationConfig { MaxPastSkewSeconds = 86400 },
            Sinks = new SinksConfig { File = [new FileSinkConfig { Name = "out", Directory = Path.Combine(root, "out"), MaxFiles = 0 }] },
        };
        for (var a = 0; a < Assets; a++) config.Assets.Add(new AssetConfig { Id = $"bench-{a}" });
        config.Sources.Mqtt.Add(new MqttSourceConfig
        {
            Name = "bench",
            Host = "127.0.0.1",
            Port = port,
            ProtocolVersion = MqttVersionJson.Names.TryParse(protocol, out var version) ? version : ConfigEnumNames<MqttVersion>.Undefined,
            ClientId = "edgetwin-bench",
            ReceiveMaximum = receiveMaximum,
            Subscriptions = [new MqttSubscriptionConfig { Topic = "bench/{asset}/{metric}", Format = MqttPayloadFormat.Json }],
        });
        var errors = ConfigValidator.Validate(config);
        if (errors.Count > 0) throw new ConfigException("bench mqtt", errors);
        return config;
    }

    /// <summary>Creates a persistent session subscribed to <paramref name="filter"/>, then leaves: the broker now queues for it.</summary>
    internal static async Task CreateSessionAsync(int port, string clientId, string protocol, string filter, CancellationToken ct)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var v5 = protocol == "5";
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(clientId)
            .WithProtocolVersion(v5 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311)
            .WithCleanStart(false);
        if (v5) options.WithSessionExpiryInterval(3600);
        await client.ConnectAsync(options.Build(), ct).ConfigureAwait(false);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(f => f.WithTopic(filter).WithAtLeastOnceQoS()).Build(), ct).ConfigureAwait(false);
        await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), ct).ConfigureAwait(false);
    }

    private static Process StartSubscriber(int port, int count, string outFile)
    {
        // The shell only redirects: mosquitto_sub replaces it (exec), so its exit is the last message written.
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(FormattableString.Invariant($"exec mosquitto_sub -p {port} -i {SubscriberId} -c -q 1 -t 'bench/+/+' -C {count} > '{outFile}'"));
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start mosquitto_sub");
    }

    private static async Task<(int Code, string Output)> RunToEndAsync(string file, string[] args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct).ConfigureAwait(false);
        return (p.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    private static long CountLines(string path)
    {
        long n = 0;
        using var stream = File.OpenRead(path);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer)) > 0) n += buffer.AsSpan(0, read).Count((byte)'\n');
        return n;
    }
}

/// <summary>What <c>edgetwin bench mqtt</c> runs: the messages, the gateway's connection and commit linger, and the timestamps' shape.</summary>
public sealed record MqttBenchOptions(int Messages, string Protocol, int ReceiveMaximum, double LingerMs, bool Jitter, int RecentPoints);
