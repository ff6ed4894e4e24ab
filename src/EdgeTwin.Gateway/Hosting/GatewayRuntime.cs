using EdgeTwin.Connectors.File;
using EdgeTwin.Connectors.Kafka;
using EdgeTwin.Connectors.Mqtt;
using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.Connectors.Simulator;
using EdgeTwin.Connectors.Spool;
using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Gateway.Config;
using EdgeTwin.Gateway.Metrics;
using EdgeTwin.Gateway.Pipeline;
using EdgeTwin.Gateway.Status;
using EdgeTwin.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Gateway.Hosting;

/// <summary>
/// The composition root: registry, normalizer, queue, sources, sinks and the workers that connect them,
/// built from one validated configuration. Used by <c>run</c>, <c>bench</c> and the offline CLI verbs.
/// </summary>
public sealed class GatewayRuntime : IDisposable
{
    private GatewayRuntime(EdgeTwinConfig config, string configSource, DurableQueue queue, AssetRegistry registry, TimeProvider time)
    {
        Config = config;
        ConfigSource = configSource;
        ConfigHash = ConfigLoader.Hash(config);
        Queue = queue;
        Registry = registry;
        Time = time;
        Normalizer = new Normalizer(registry, config.Validation);
        Metrics = new PipelineMetrics();
        Channel = new IngestChannel(config.Queue.IngestCapacityBatches, queue);
        Processor = new IngestProcessor(() => queue.Dedup, Normalizer, time);
        StartedUtc = time.GetUtcNow().UtcDateTime;
    }

    public EdgeTwinConfig Config { get; }

    public string ConfigSource { get; }

    public string ConfigHash { get; }

    public DurableQueue Queue { get; }

    public AssetRegistry Registry { get; }

    public Normalizer Normalizer { get; }

    public PipelineMetrics Metrics { get; }

    public IngestChannel Channel { get; }

    public IngestProcessor Processor { get; }

    public TimeProvider Time { get; }

    public DateTime StartedUtc { get; }

    public List<ISource> Sources { get; } = [];

    public List<ISink> Sinks { get; } = [];

    public PipelineWorker? Pipeline { get; private set; }

    /// <summary>The local API's address once it listens (status.json carries it for the CLI verbs).</summary>
    public string? ApiUrl { get; set; }

    /// <summary>The status writer's last snapshot (systemd STATUS= lines read it instead of the queue).</summary>
    public GatewayStatus? LastStatus { get; set; }

    public static string Version => typeof(GatewayRuntime).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>Builds the registry and opens the queue (running its integrity check). Sources and sinks are created by <see cref="CreateEndpoints"/>.</summary>
    public static GatewayRuntime Open(EdgeTwinConfig config, string configSource, ILoggerFactory loggers, TimeProvider time)
    {
        var registry = new AssetRegistry(config.Assets, config.Mappings);
        foreach (var sim in config.Sources.Simulator) SimulatorSource.Register(sim, registry);
        var options = config.ToQueueOptions();
        options.KnownStream = registry.Known;
        options.ExpectedSeries = registry.MappingCount;
        options.ExpectedStreams = registry.MappingCount;
        var queue = DurableQueue.Open(options, loggers.CreateLogger<DurableQueue>(), time);
        return new GatewayRuntime(config, configSource, queue, registry, time);
    }

    public void CreateEndpoints(ILoggerFactory loggers)
    {
        foreach (var sim in Config.Sources.Simulator) Sources.Add(new SimulatorSource(sim, Time, loggers.CreateLogger<SimulatorSource>(), Registry));
        foreach (var spool in Config.Sources.Spool) Sources.Add(new SpoolSource(spool, Time, loggers.CreateLogger<SpoolSource>()));
        for (var i = 0; i < Config.Sources.Mqtt.Count; i++)
        {
            Sources.Add(new MqttSource(Config.Sources.Mqtt[i], $"$.sources.mqtt[{i}]", Config.Gateway.Id, Time, loggers.CreateLogger<MqttSource>()));
        }
        for (var i = 0; i < Config.Sources.OpcUa.Count; i++)
        {
            Sources.Add(new OpcUaSource(Config.Sources.OpcUa[i], $"$.sources.opcua[{i}]", Time, loggers.CreateLogger<OpcUaSource>(), loggers.CreateLogger<EdgeTwin.OpcUa.Client.UaClient>())
            {
                StateDirectory = Config.Gateway.StateDirectory,
            });
        }
        foreach (var file in Config.Sinks.File) Sinks.Add(new JsonlFileSink(file, Config.Gateway.Id, Time, loggers.CreateLogger<JsonlFileSink>()));
        foreach (var kafka in Config.Sinks.Kafka) Sinks.Add(new KafkaSink(kafka, Config.Gateway.Id, Registry.Assets, loggers.CreateLogger<KafkaSink>()));
        foreach (var mqtt in Config.Sinks.Mqtt) Sinks.Add(new MqttSink(mqtt, Config.Gateway.Id, loggers.CreateLogger<MqttSink>()));
        Queue.SetSinks(Sinks.Select(s => s.Name));
    }

    /// <summary>The hosted services in start order; the host stops them in reverse (sources, sinks, pipeline).</summary>
    public IEnumerable<IHostedService> HostedServices(ILoggerFactory loggers)
    {
        Pipeline = new PipelineWorker(Processor, Channel, Queue, Metrics, loggers.CreateLogger<PipelineWorker>(), Time,
            Config.Queue.MaxSegmentPoints, TimeSpan.FromMilliseconds(Config.Queue.MaxCommitDelayMs), TimeSpan.FromMilliseconds(Config.Queue.CommitLingerMs));
        yield return Pipeline;
        yield return new StatusWriter(this, loggers.CreateLogger<StatusWriter>());
        for (var i = 0; i < Sinks.Count; i++)
        {
            var max = Config.Sinks.File.FirstOrDefault(f => f.Name == Sinks[i].Name)?.MaxBatchPoints
                ?? Config.Sinks.Kafka.FirstOrDefault(k => k.Name == Sinks[i].Name)?.MaxBatchPoints
                ?? Config.Sinks.Mqtt.FirstOrDefault(m => m.Name == Sinks[i].Name)?.MaxBatchPoints ?? 65536;
            // The file sink keeps its own position (a segment at or below it counts as written), so it takes no lane.
            var drain = Config.Sinks.Kafka.FirstOrDefault(k => k.Name == Sinks[i].Name)?.Drain
                ?? Config.Sinks.Mqtt.FirstOrDefault(m => m.Name == Sinks[i].Name)?.Drain;
            yield return SinkWorker.Create(Sinks[i], Queue, Metrics, loggers.CreateLogger<SinkWorker>(), Time, max, drain);
        }
        yield return new SourceWorker(Sources, Channel, Metrics, loggers.CreateLogger<SourceWorker>(), Time);
    }

    /// <summary>
    /// A source's connection as monitoring sees it: what the source reports while it runs, disconnected while the
    /// source worker restarts it after a failure, finished once it has returned.
    /// </summary>
    public SourceConnectionState ConnectionOf(ISource source) => Metrics.SourceRuns.GetValueOrDefault(source.Name) switch
    {
        SourceRun.Restarting => SourceConnectionState.Disconnected,
        SourceRun.Returned => SourceConnectionState.Finished,
        _ => source.Connection,
    };

    /// <summary>Why the gateway is not ready (sources not connected, queue not writable); empty when it is.</summary>
    public List<string> ReadinessProblems()
    {
        var problems = new List<string>();
        foreach (var s in Sources)
        {
            var c = ConnectionOf(s);
            if (c is not (SourceConnectionState.Connected or SourceConnectionState.Finished)) problems.Add($"source {s.Name} is {SourceConnectionStates.ToText(c)}: {s.State}");
        }
        if (Pipeline is null || Pipeline.Completion.IsCompleted) problems.Add("the pipeline is not running");
        if (Metrics.StorageError is { } error) problems.Add("the queue cannot be written: " + error);
        // Under dropOldest a full queue still takes every new point (and records what it drops in the loss ledger).
        if (Queue.IsFull && Config.Queue.FullPolicy == QueueFullPolicy.Block) problems.Add("the queue is full: sources are being slowed until a sink catches up");
        else if (Queue.GetStats() is { RefusingAtFloor: true } q) problems.Add($"the queue refuses new points at the free-disk floor ({q.FreeDiskBytes} bytes free) and has nothing left to drop: sources are being slowed until disk comes back");
        return problems;
    }

    /// <summary>True when every source has finished (or is idle, waiting for input) and every sink has confirmed the whole queue.</summary>
    public bool IsDrained()
    {
        if (Sources.Any(s => !s.IsIdle)) return false;
        if (Channel.Backlog > 0) return false;
        var stats = Queue.GetStats();
        // Closed loss ranges go north as events: drained means they have been sent too.
        return stats.SinkLagPoints.Values.All(v => v == 0) && !Queue.LossEventsPending;
    }

    public GatewayStatus Snapshot()
    {
        var q = Queue.GetStats();
        var m = Metrics;
        var status = new GatewayStatus
        {
            Version = Version,
            GatewayId = Config.Gateway.Id,
            ConfigHash = ConfigHash,
            Pid = Environment.ProcessId,
            UpdatedUtc = Time.GetUtcNow().UtcDateTime,
            StartedUtc = StartedUtc,
            Queue = QueueStatus.From(q),
            Pipeline = new PipelineStatus
            {
                ReadingsIn = m.ReadingsIn, Accepted = m.Accepted, Duplicates = m.Duplicates, LateUnverified = m.LateUnverified,
                Quarantined = m.Quarantined,
                QuarantinedByReason = m.QuarantinedPerReason.ToDictionary(kv => QuarantineReasons.ToText(kv.Key), kv => kv.Value),
                Commits = m.Commits, CommitP50Micros = m.CommitLatency.PercentileMicros(0.5), CommitP99Micros = m.CommitLatency.PercentileMicros(0.99),
                CommitMaxMicros = m.CommitLatency.MaxMicros, DroppedPoints = m.DroppedPoints, BlockedMillis = m.BlockedMillis,
                StorageError = m.StorageError,
            },
            RecoveryProblems = [.. Queue.Recovery.Problems],
            ApiUrl = ApiUrl,
        };
        foreach (var s in Sources) status.Sources[s.Name] = s.State;
        foreach (var s in Sinks)
        {
            status.Sinks[s.Name] = new SinkStatus
            {
                State = m.SinkStates.GetValueOrDefault(s.Name, "starting"),
                Forwarded = m.ForwardedPerSink.GetValueOrDefault(s.Name),
                Cursor = q.SinkCursors.GetValueOrDefault(s.Name),
                LagPoints = q.SinkLagPoints.GetValueOrDefault(s.Name),
            };
        }
        return status;
    }

    public void Dispose()
    {
        Metrics.Dispose();
        foreach (var sink in Sinks)
        {
            if (sink is IAsyncDisposable d) d.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        Queue.Dispose();
    }
}
