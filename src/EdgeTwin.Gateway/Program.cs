using System.CommandLine;
using EdgeTwin.Gateway.Cli;
using EdgeTwin.Gateway.Cli.MqttBench;
using EdgeTwin.Gateway.Cli.OpcUa;

namespace EdgeTwin.Gateway;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        // First, on the main thread: every thread started later inherits the mask (see DaemonSignals).
        Systemd.DaemonSignals.UnblockHandled();
        var config = new Option<string?>("--config", "-c") { Description = "Configuration file (default: $EDGETWIN_CONFIG, /etc/edgetwin/edgetwin.json, else the embedded demo)" };
        var json = new Option<bool>("--json") { Description = "Machine-readable output" };

        var run = new Command("run", "Run the gateway daemon (Ctrl-C or SIGTERM stops it gracefully)");
        var exitWhenDrained = new Option<bool>("--exit-when-drained") { Description = "Stop once every source has finished and every sink has confirmed the queue (tests, benchmarks)" };
        run.Options.Add(config);
        run.Options.Add(exitWhenDrained);
        run.SetAction((r, ct) => RunCommand.RunAsync(r.GetValue(config), r.GetValue(exitWhenDrained), ct));

        var checkFile = new Argument<string>("file") { Description = "The configuration file to check" };
        var check = new Command("check-config", "Validate a configuration file; every error is reported with its JSON path (exit 78 when invalid)");
        check.Arguments.Add(checkFile);
        check.SetAction(r => OfflineCommands.CheckConfig(r.GetValue(checkFile)!));

        var stats = new Command("stats", "Queue depth, sink cursors, quarantine and loss-ledger totals");
        stats.Options.Add(config);
        stats.Options.Add(json);
        stats.SetAction(r => OfflineCommands.QueueStats(r.GetValue(config), r.GetValue(json)));
        var lossLimit = new Option<int>("--limit") { Description = "At most this many records", DefaultValueFactory = _ => 1000 };
        var loss = new Command("loss", "The loss ledger: points the queue dropped (drop-oldest), evicted quarantine entries, unreadable files");
        loss.Options.Add(config);
        loss.Options.Add(lossLimit);
        loss.Options.Add(json);
        loss.SetAction(r => OfflineCommands.QueueLoss(r.GetValue(config), r.GetValue(lossLimit), r.GetValue(json)));
        var queue = new Command("queue", "Inspect the durable queue") { stats, loss };

        var reason = new Option<string?>("--reason") { Description = "Only entries with this reason (e.g. unmapped_source)" };
        var limit = new Option<int>("--limit") { Description = "At most this many entries", DefaultValueFactory = _ => 1000 };
        var list = new Command("list", "List quarantined readings with their reasons");
        list.Options.Add(config);
        list.Options.Add(reason);
        list.Options.Add(limit);
        list.Options.Add(json);
        list.SetAction(r => OfflineCommands.QuarantineList(r.GetValue(config), r.GetValue(reason), r.GetValue(limit), r.GetValue(json)));
        var replay = new Command("replay", "Re-run quarantined readings through the current mappings; cured ones are queued (stop the daemon first)");
        replay.Options.Add(config);
        replay.Options.Add(reason);
        replay.Options.Add(limit);
        replay.SetAction(r => OfflineCommands.QuarantineReplay(r.GetValue(config), r.GetValue(reason), r.GetValue(limit)));
        var quarantine = new Command("quarantine", "Readings that could not be forwarded, and why") { list, replay };

        var series = new Option<int[]>("--series") { Description = "Series counts to measure", DefaultValueFactory = _ => [1, 10000], AllowMultipleArgumentsPerToken = true };
        var seconds = new Option<double>("--seconds") { Description = "Measured seconds per run (after warm-up)", DefaultValueFactory = _ => 20 };
        var rate = new Option<double>("--rate") { Description = "Offered points/s (0 = as fast as the pipeline takes them)", DefaultValueFactory = _ => 0 };
        var linger = new Option<double>("--linger-ms") { Description = "$.queue.commitLingerMs for the runs (0 = commit as soon as the sources pause)", DefaultValueFactory = _ => 0 };
        var dir = new Option<string>("--dir") { Description = "Scratch directory on the disk to measure", DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "edgetwin-bench") };
        var seriesMemory = new Option<long>("--series-memory") { Description = "$.dedup.memoryBytes for the runs (0 = its default)", DefaultValueFactory = _ => 0 };
        var memoryMax = new Option<long>("--memory-max") { Description = "Run each measurement in a memory cgroup of this many bytes, as edgetwin.service's MemoryMax= runs the daemon (needs root and a writable cgroup file system; 0 = none)", DefaultValueFactory = _ => 0 };
        var child = new Option<bool>("--child") { Hidden = true };
        var bench = new Command("bench", "Measure the real pipeline (simulator → validate → dedup → durable queue → file sink) and the disk's fsync'd write limit");
        bench.Options.Add(series);
        bench.Options.Add(seconds);
        bench.Options.Add(rate);
        bench.Options.Add(linger);
        bench.Options.Add(dir);
        bench.Options.Add(seriesMemory);
        bench.Options.Add(memoryMax);
        bench.Options.Add(child);
        bench.SetAction((r, ct) => BenchCommand.RunAsync(r.GetValue(series)!, r.GetValue(seconds), r.GetValue(rate), r.GetValue(linger), r.GetValue(seriesMemory), r.GetValue(memoryMax), r.GetValue(dir)!, r.GetValue(child), ct));
        var mqttMessages = new Option<int>("--messages") { Description = "QoS 1 messages published, then drained by both consumers", DefaultValueFactory = _ => 300_000 };
        var mqttProtocol = new Option<string>("--protocol") { Description = "MQTT version of the gateway's connection: 5 or 3.1.1", DefaultValueFactory = _ => "5" };
        mqttProtocol.AcceptOnlyFromAmong("5", "3.1.1");
        var mqttWindow = new Option<int>("--receive-maximum") { Description = "$.sources.mqtt[].receiveMaximum: unacknowledged messages allowed in flight", DefaultValueFactory = _ => new Connectors.Mqtt.MqttSourceConfig().ReceiveMaximum };
        var mqttLinger = new Option<double>("--linger-ms") { Description = "$.queue.commitLingerMs for the run", DefaultValueFactory = _ => 5 };
        var mqttJitter = new Option<bool>("--jitter") { Description = "Timestamps 10 ms apart per series, give or take 1-2 ms (as device clocks stamp), so each series keeps a ring, not an evenly spaced run" };
        var mqttRecent = new Option<int>("--recent-points") { Description = "$.dedup.recentPoints for the run", DefaultValueFactory = _ => Core.Config.DedupConfig.DefaultRecentPoints };
        var mqttBench = new Command("mqtt", "Sustained ingest from a private Mosquitto into the durable queue, next to mosquitto_sub writing the same messages to a file (needs mosquitto and mosquitto-clients)");
        mqttBench.Options.Add(mqttMessages);
        mqttBench.Options.Add(mqttProtocol);
        mqttBench.Options.Add(mqttWindow);
        mqttBench.Options.Add(mqttLinger);
        mqttBench.Options.Add(mqttJitter);
        mqttBench.Options.Add(mqttRecent);
        mqttBench.Options.Add(dir);
        mqttBench.SetAction((r, ct) => MqttBenchCommand.RunAsync(
            new MqttBenchOptions(r.GetValue(mqttMessages), r.GetValue(mqttProtocol)!, r.GetValue(mqttWindow), r.GetValue(mqttLinger), r.GetValue(mqttJitter), r.GetValue(mqttRecent)),
            r.GetValue(dir)!, ct));
        bench.Subcommands.Add(mqttBench);
        var kafkaInput = new Option<string>("--input") { Description = "\"key TAB value\" lines, the file kcat -K TAB reads", Required = true };
        var kafkaBootstrap = new Option<string>("--bootstrap") { Description = "bootstrap.servers", DefaultValueFactory = _ => "127.0.0.1:9" };
        var kafkaTopic = new Option<string>("--topic") { Description = "Topic the messages go to", DefaultValueFactory = _ => new Connectors.Kafka.KafkaTopicsConfig().Telemetry };
        var kafkaProperty = new Option<string[]>("--property") { Description = "Any librdkafka property, NAME=VALUE (repeatable), e.g. test.mock.num.brokers=3", AllowMultipleArgumentsPerToken = false };
        var kafkaBench = new Command("kafka", "Confluent.Kafka's own producer on pre-encoded lines, with the Kafka sink's settings and headers and a delivery report per message: the package's limit, for tests/bench/kafka-drain.sh");
        kafkaBench.Options.Add(kafkaInput);
        kafkaBench.Options.Add(kafkaBootstrap);
        kafkaBench.Options.Add(kafkaTopic);
        kafkaBench.Options.Add(kafkaProperty);
        var kafkaNoReports = new Option<bool>("--without-reports") { Description = "Produce with no delivery handler (nothing is confirmed: for comparison only)" };
        var kafkaNoHeaders = new Option<bool>("--without-headers") { Description = "Produce without the sink's four headers (for comparison only)" };
        kafkaBench.Options.Add(kafkaNoReports);
        kafkaBench.Options.Add(kafkaNoHeaders);
        kafkaBench.SetAction((r, ct) => Cli.KafkaBench.KafkaProduceBenchCommand.RunAsync(r.GetValue(kafkaInput)!, r.GetValue(kafkaBootstrap)!, r.GetValue(kafkaTopic)!,
            r.GetValue(kafkaProperty) ?? [], !r.GetValue(kafkaNoReports), !r.GetValue(kafkaNoHeaders), ct));
        bench.Subcommands.Add(kafkaBench);
        var (opcua, opcuaBench) = OpcUaCommands.Create();
        bench.Subcommands.Add(opcuaBench);

        var shadowAsset = new Option<string?>("--asset") { Description = "Only this asset" };
        var shadow = new Command("shadow", "The digital shadow: the latest value per asset and metric, as restored from the queue (stop the daemon first)");
        shadow.Options.Add(config);
        shadow.Options.Add(shadowAsset);
        shadow.Options.Add(json);
        shadow.SetAction(r => OfflineCommands.Shadow(r.GetValue(config), r.GetValue(shadowAsset), r.GetValue(json)));

        var doctor = new Command("doctor", "Check an installation: config, state directory and free disk, clock/NTP, folders, reachability of every configured endpoint. " +
            "Exit 0 all ok, 1 warnings, 2 a check failed, 78 invalid configuration");
        doctor.Options.Add(config);
        doctor.SetAction((r, ct) => Doctor.DoctorCommand.RunAsync(r.GetValue(config), ct));

        var root = new RootCommand("EdgeTwin: edge digital-twin gateway") { run, check, queue, quarantine, shadow, bench, doctor, opcua };
        var parsed = root.Parse(args);
        if (parsed.CommandResult.Command != run) return await parsed.InvokeAsync().ConfigureAwait(false);
        // Before anything initialises the runtime's signal handling (see DaemonSignals).
        Systemd.DaemonSignals.HandleInterrupt();
        // run handles SIGINT and SIGTERM itself (RunCommand): the invocation's own handling would end the process 2 s
        // after the signal, in the middle of a graceful stop that may take up to $.gateway.shutdownTimeoutSeconds.
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
    }
}
