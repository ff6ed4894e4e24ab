using System.Diagnostics.Metrics;
using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Gateway.Hosting;
using EdgeTwin.Storage;

namespace EdgeTwin.Gateway.Metrics;

/// <summary>
/// The gateway's observable instruments, read when /metrics is scraped: the pipeline's counters per source and
/// per sink, the queue's depth and age, the loss ledger, the state of every source and sink, and the process's
/// memory and CPU. Instrument names follow the OpenTelemetry conventions; the Prometheus exporter turns
/// <c>edgetwin.queue.size</c> (By) into <c>edgetwin_queue_size_bytes</c> and counters into <c>…_total</c>.
/// </summary>
public sealed class GatewayInstruments : IDisposable
{
    public const string MeterName = "EdgeTwin.Gateway";
    public const string ProcessMeterName = "EdgeTwin.Process";

    private readonly Meter _meter = new(MeterName);
    private readonly Meter _process = new(ProcessMeterName);
    private readonly GatewayRuntime _runtime;
    private readonly Lock _statsGate = new();
    private QueueStats? _stats;
    private long _statsAt;

    public GatewayInstruments(GatewayRuntime runtime)
    {
        _runtime = runtime;
        var m = runtime.Metrics;

        _meter.CreateObservableGauge("edgetwin.build.info", () => new Measurement<int>(1,
            new("version", GatewayRuntime.Version), new("gateway_id", runtime.Config.Gateway.Id), new("config_hash", runtime.ConfigHash)),
            description: "Always 1; the labels name the gateway, its version and its configuration hash");

        _meter.CreateObservableCounter("edgetwin.points.in", () => PerSource(c => c.ReadingsIn), "{point}", "Readings received from each source");
        _meter.CreateObservableCounter("edgetwin.points.committed", () => PerSource(c => c.Accepted), "{point}", "Points committed to the durable queue, per source");
        _meter.CreateObservableCounter("edgetwin.points.deduplicated", () => PerSource(c => c.Duplicates), "{point}", "Readings dropped as duplicates of a committed point (asset + metric + timestamp), per source");
        _meter.CreateObservableCounter("edgetwin.points.late_unverified", () => PerSource(c => c.LateUnverified), "{point}", "Points older than the dedup window, kept without a duplicate check, per source");
        _meter.CreateObservableCounter("edgetwin.points.quarantined", () => m.QuarantinedPerSourceAndReason.Select(kv =>
            new Measurement<long>(kv.Value, new("source", kv.Key.Source), new("reason", QuarantineReasons.ToText(kv.Key.Reason)))),
            "{point}", "Readings quarantined, per source (sink:NAME for points a sink refused) and reason");
        _meter.CreateObservableCounter("edgetwin.points.forwarded", () => runtime.Sinks.Select(s =>
            new Measurement<long>(m.ForwardedPerSink.GetValueOrDefault(s.Name), new KeyValuePair<string, object?>("sink", s.Name))),
            "{point}", "Points a sink confirmed as delivered");
        _meter.CreateObservableCounter("edgetwin.quarantine.replayed", () => m.ReplayedCured, "{point}", "Quarantined readings cured by a replay");

        _meter.CreateObservableGauge("edgetwin.queue.points", () => Stats().Points, "{point}", "Points in the durable queue");
        _meter.CreateObservableGauge("edgetwin.queue.size", () => Stats().Bytes, "By", "Encoded size of the queued points");
        _meter.CreateObservableGauge("edgetwin.queue.limit", () => Stats().MaxBytes, "By", "The queue's byte budget ($.queue.maxBytes)");
        _meter.CreateObservableGauge("edgetwin.queue.oldest_point.age", () => OldestAgeSeconds(Stats()), "s", "Age of the oldest queued point's timestamp (0 when the queue is empty)");
        _meter.CreateObservableGauge("edgetwin.queue.full", () => Stats().Full ? 1 : 0, description: "1 while the queue refuses or drops points (byte budget or free-disk watermark reached)");
        _meter.CreateObservableCounter("edgetwin.queue.floor_refusals", () => Stats().FloorRefusals, "{commit}", "Commits refused at the free-disk floor (nothing left to drop, or the policy is block)");
        _meter.CreateObservableGauge("edgetwin.queue.sink_lag", () => Stats().SinkLagPoints.Select(kv =>
            new Measurement<long>(kv.Value, new KeyValuePair<string, object?>("sink", kv.Key))), "{point}", "Queued points a sink has not confirmed yet");
        _meter.CreateObservableGauge("edgetwin.disk.free", () => Stats().FreeDiskBytes, "By", "Free space on the state directory's file system");
        _meter.CreateObservableGauge("edgetwin.quarantine.entries", () => Stats().QuarantineEntries, "{entry}", "Entries in the quarantine store");
        _meter.CreateObservableCounter("edgetwin.loss.records", () => Stats().LossRecords, "{record}", "Loss-ledger records (series and time range dropped or evicted)");
        _meter.CreateObservableGauge("edgetwin.series.in_memory", () => (long)Stats().Series, "{series}", "Series whose dedup state and shadow are in memory");
        _meter.CreateObservableGauge("edgetwin.series.stored", () => Stats().SeriesStored, "{series}", "Series held only in the queue's database (evicted and not back; one that came back counts in memory)");
        _meter.CreateObservableGauge("edgetwin.series.memory", () => Stats().SeriesMemoryBytes, "By", "Estimated memory of the series state in memory");
        _meter.CreateObservableGauge("edgetwin.series.memory_limit", () => Stats().SeriesMemoryLimit, "By", "The series state's budget ($.dedup.memoryBytes)");
        _meter.CreateObservableCounter("edgetwin.series.evictions", () => Stats().SeriesEvictions, "{series}", "Series that left memory for the queue's database");
        _meter.CreateObservableCounter("edgetwin.loss.points", () => Stats().LostPoints, "{point}", "Points recorded as lost in the loss ledger");

        _meter.CreateObservableGauge("edgetwin.sink.up", () => runtime.Sinks.Select(s =>
            new Measurement<int>(SinkKind(s.Name) is SinkState.Up or SinkState.Draining ? 1 : 0, new KeyValuePair<string, object?>("sink", s.Name))),
            description: "1 while a sink (uplink) delivers, 0 while it starts, retries or waits");
        _meter.CreateObservableGauge("edgetwin.sink.state", SinkStates, description: "1 for the state each sink is in, 0 for the others");
        _meter.CreateObservableGauge("edgetwin.source.connected", () => runtime.Sources.Select(s =>
            new Measurement<int>(runtime.ConnectionOf(s) == SourceConnectionState.Connected ? 1 : 0, new KeyValuePair<string, object?>("source", s.Name))),
            description: "1 while a source is connected to its equipment (an OPC UA session, a subscription)");
        _meter.CreateObservableGauge("edgetwin.source.connection_state", SourceStates, description: "1 for the connection state each source is in, 0 for the others");

        _meter.CreateObservableGauge("edgetwin.opcua.certificate.expiry", () => runtime.Sources.OfType<OpcUaSource>()
            .Select(s => (s.Name, Expiry: s.OwnCertificateExpiry)).Where(s => s.Expiry is not null)
            .Select(s => new Measurement<double>((s.Expiry!.Value - runtime.Time.GetUtcNow().UtcDateTime).TotalDays, new KeyValuePair<string, object?>("source", s.Name))),
            "d", "Days until the gateway's own OPC UA certificate expires, per secured source (renewed at 80 % of its life)");

        _process.CreateObservableGauge("process.resident_memory", () => Environment.WorkingSet, "By", "Resident set size of the gateway process");
        _process.CreateObservableCounter("process.cpu", () => Environment.CpuUsage.TotalTime.TotalSeconds, "s", "CPU time (user + system) used by the gateway process");
    }

    private IEnumerable<Measurement<long>> PerSource(Func<SourceCounters, long> value)
    {
        foreach (var kv in _runtime.Metrics.PerSource) yield return new Measurement<long>(value(kv.Value), new KeyValuePair<string, object?>("source", kv.Key));
    }

    private SinkState SinkKind(string sink) => _runtime.Metrics.SinkKinds.GetValueOrDefault(sink, SinkState.Starting);

    private static readonly (SinkState State, string Text)[] SinkStateNames =
        [(SinkState.Starting, "starting"), (SinkState.Up, "up"), (SinkState.Retrying, "retrying"), (SinkState.WaitingForQueue, "waiting_for_queue"), (SinkState.CircuitOpen, "circuit_open"), (SinkState.Draining, "draining"), (SinkState.Down, "down")];

    public static string ToText(SinkState state) => SinkStateNames.First(s => s.State == state).Text;

    // Every state is reported, 0 or 1, so a state left behind never lingers at 1 (the Prometheus "stateset" pattern).
    private IEnumerable<Measurement<int>> SinkStates()
    {
        foreach (var sink in _runtime.Sinks)
        {
            var current = SinkKind(sink.Name);
            foreach (var (state, text) in SinkStateNames)
            {
                yield return new Measurement<int>(state == current ? 1 : 0, new("sink", sink.Name), new("state", text));
            }
        }
    }

    private IEnumerable<Measurement<int>> SourceStates()
    {
        foreach (var source in _runtime.Sources)
        {
            var current = _runtime.ConnectionOf(source);
            foreach (var state in SourceConnectionStates.All)
            {
                yield return new Measurement<int>(state == current ? 1 : 0, new("source", source.Name), new("state", SourceConnectionStates.ToText(state)));
            }
        }
    }

    public double OldestAgeSeconds(QueueStats stats) =>
        stats.OldestPointTicks > 0 ? Math.Max(0, (_runtime.Time.GetUtcNow().UtcTicks - stats.OldestPointTicks) / (double)TimeSpan.TicksPerSecond) : 0;

    /// <summary>One queue snapshot serves every instrument of a scrape (the queue's lock is shared with its commits).</summary>
    private QueueStats Stats()
    {
        lock (_statsGate)
        {
            var now = Environment.TickCount64;
            if (_stats is null || now - _statsAt > 250)
            {
                _stats = _runtime.Queue.GetStats();
                _statsAt = now;
            }
            return _stats;
        }
    }

    public void Dispose()
    {
        _meter.Dispose();
        _process.Dispose();
    }
}
