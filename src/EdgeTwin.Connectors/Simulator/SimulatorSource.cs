using System.Globalization;
using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeTwin.Connectors.Simulator;

/// <summary>
/// The built-in simulator (pumps, thermal machines) for demos, tests and load runs. Deterministic: reading n is
/// channel n mod C of sample n / C, addressed <c>sim:{asset}/{channel}</c>, due at epoch + n / rate; the source
/// catches up when behind (at most <see cref="SimulatorSourceConfig.MaxCatchUpSeconds"/> after a restart) and
/// commits the checkpoint <c>sim:{Name}</c> = <c>{epoch ticks}:{next n}</c> with each batch.
/// </summary>
public sealed partial class SimulatorSource : ISource
{
    /// <summary>Most a reading waits for its batch to fill at low rates; it bounds latency, not throughput.</summary>
    private static readonly long LingerTicks = TimeSpan.FromMilliseconds(100).Ticks;

    /// <summary>Longest single sleep: Task.Delay rejects delays over ~49 days, and a shorter nap re-reads a clock that may have been stepped.</summary>
    private static readonly long MaxSleepTicks = TimeSpan.FromHours(1).Ticks;

    private const string StoppedState = "stopped";
    private const string RunningState = "running";

    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly double _maxCatchUpSeconds;
    private readonly double _pointsPerSecond;
    private readonly int _batchSize;
    private readonly long _stopAfter;
    private readonly long? _configuredEpochTicks;
    private readonly string _checkpointKey;
    private readonly ulong _noiseKey;
    private readonly SimulatorChannel[] _channels;
    private volatile string _state = StoppedState;
    private long _next;
    private int _running;

    /// <param name="registry">The pipeline's registry, when given: a channel it maps emits readings that carry the
    /// mapping (<see cref="Core.Telemetry.Reading.Target"/>), with no address string of their own and no lookup by address.</param>
    public SimulatorSource(SimulatorSourceConfig config, TimeProvider timeProvider, ILogger? log = null, AssetRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (string.IsNullOrWhiteSpace(config.Name)) throw new ArgumentException("a simulator needs a name", nameof(config));
        if (!double.IsFinite(config.PointsPerSecond) || config.PointsPerSecond <= 0)
        {
            throw new ArgumentException($"simulator '{config.Name}': pointsPerSecond must be a positive number, got {config.PointsPerSecond}", nameof(config));
        }
        if (config.BatchSize < 1) throw new ArgumentException($"simulator '{config.Name}': batchSize must be positive, got {config.BatchSize}", nameof(config));
        if (config.StopAfter < 0) throw new ArgumentException($"simulator '{config.Name}': stopAfter must not be negative", nameof(config));
        if (!double.IsFinite(config.MaxCatchUpSeconds) || config.MaxCatchUpSeconds < 0)
        {
            throw new ArgumentException($"simulator '{config.Name}': maxCatchUpSeconds must be 0 or more, got {config.MaxCatchUpSeconds}", nameof(config));
        }

        Name = config.Name;
        _time = timeProvider;
        _log = log ?? NullLogger.Instance;
        _maxCatchUpSeconds = config.MaxCatchUpSeconds;
        _pointsPerSecond = config.PointsPerSecond;
        _batchSize = config.BatchSize;
        _stopAfter = config.StopAfter;
        _configuredEpochTicks = ParseEpoch(config);
        _checkpointKey = SimulatorCheckpoint.KeyFor(config.Name);
        _noiseKey = SplitMix64.Mix(config.Seed ^ 0x6E6F697365UL);

        var plan = Plan(config);
        // Sized once: at a million channels a list grown by doubling, then copied to an array, left ~50 MB of garbage.
        var count = 0;
        foreach (var planned in plan)
        {
            foreach (var spec in planned.Model == PumpModel.ModelName ? PumpModel.ChannelSpecs : ThermalMachineModel.ChannelSpecs)
            {
                if (Simulates(config, spec.Name)) count++;
            }
        }
        var channels = new SimulatorChannel[count];
        var n = 0;
        foreach (var planned in plan)
        {
            // The registry's id string when it has the asset, not a second copy per asset.
            var id = registry is not null && registry.TryGetAsset(planned.Id, out var known) ? known!.Id : planned.Id;
            SimulatedAsset asset = planned.Model == PumpModel.ModelName
                ? new PumpModel(id, config.Seed)
                : new ThermalMachineModel(id, config.Seed);
            var specs = asset.Channels;
            for (var c = 0; c < specs.Length; c++)
            {
                if (!Simulates(config, specs[c].Name)) continue;
                channels[n++] = registry is not null && registry.TryMap(AddressPrefix, id, specs[c].Name, out var target)
                    ? new SimulatorChannel(target!, asset, c)
                    : new SimulatorChannel(AddressOf(planned.Id, specs[c].Name), asset, c);
            }
        }
        if (count == 0)
        {
            throw new ArgumentException($"simulator '{config.Name}': no channel of its assets is in channels [{string.Join(", ", config.Channels ?? [])}]", nameof(config));
        }
        _channels = channels;
        // Fail at construction, not at the first run, when the rate is too high for unique timestamps.
        _ = new SimulationTimeline(1, _channels.Length, _pointsPerSecond);
    }

    public string Name { get; }

    /// <summary>"stopped", "running", "completed (N readings)" or "failed: …".</summary>
    public string State => _state;

    /// <summary>True once StopAfter is reached: the simulator has nothing more to send.</summary>
    public bool IsIdle => Volatile.Read(ref _completed);

    private bool _completed;

    /// <summary>The key of this source's checkpoint: <c>sim:{Name}</c>.</summary>
    public string CheckpointKey => _checkpointKey;

    /// <summary>Channels emitted round-robin (assets × channels per asset).</summary>
    public int ChannelCount => _channels.Length;

    /// <summary>The sequence number of the next reading (counting from 0 across restarts).</summary>
    public long NextSequence => Volatile.Read(ref _next);

    /// <summary>True when <paramref name="channel"/> is simulated: <see cref="SimulatorSourceConfig.Channels"/> is empty or names it.</summary>
    private static bool Simulates(SimulatorSourceConfig config, string channel) =>
        config.Channels is not { Count: > 0 } only || only.Contains(channel, StringComparer.Ordinal);

    /// <summary>The address of one simulated channel: <c>sim:{assetId}/{channel}</c>.</summary>
    public static string AddressOf(string assetId, string channel) => string.Concat(AddressPrefix, assetId, "/", channel);

    /// <summary>What every simulator address starts with.</summary>
    public const string AddressPrefix = "sim:";

    /// <summary>
    /// Registers what <paramref name="config"/> simulates: generated assets are added to the registry, and every
    /// channel of a listed or generated asset gets a mapping (metric = channel name, with its unit) unless its
    /// address is mapped already, so an explicit mapping in the config wins. Listed assets must be in the
    /// registry. Returns the number of mappings added.
    /// </summary>
    public static int Register(SimulatorSourceConfig config, AssetRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(registry);
        var added = 0;
        // A generated asset's name follows from its id: "Simulated pump 00001 (plant)" is not held per asset.
        var pumpName = GeneratedNames("Simulated pump", config.Name);
        var thermalName = GeneratedNames("Simulated thermal machine", config.Name);
        var plan = Plan(config);
        registry.EnsureAssetCapacity(plan.Count);
        foreach (var planned in plan)
        {
            if (planned.Generated)
            {
                var pump = planned.Model == PumpModel.ModelName;
                registry.AddGeneratedAsset(planned.Id, pump ? pumpName : thermalName, parent: null, pump ? PumpModel.ModelVersion : ThermalMachineModel.ModelVersion);
            }
            else if (!registry.TryGetAsset(planned.Id, out _))
            {
                throw new ArgumentException($"simulator '{config.Name}' simulates '{planned.Id}', which is not an asset in the registry", nameof(config));
            }
            var specs = planned.Model == PumpModel.ModelName ? PumpModel.ChannelSpecs : ThermalMachineModel.ChannelSpecs;
            foreach (var spec in specs)
            {
                if (!Simulates(config, spec.Name)) continue;
                if (registry.AddDerivedMapping(AddressPrefix, planned.Id, spec.Name, spec.Unit).Added) added++;
            }
        }
        return added;
    }

    /// <summary>
    /// Emits readings until cancelled, or until sequence <see cref="SimulatorSourceConfig.StopAfter"/> is reached.
    /// Cancellation ends the returned task as cancelled.
    /// </summary>
    public async Task RunAsync(IIngestWriter writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (Interlocked.Exchange(ref _running, 1) != 0) throw new InvalidOperationException($"simulator '{Name}' is already running");
        try
        {
            var (epoch, start, resumed) = ResolveStart(writer.GetCheckpoint(_checkpointKey));
            var timeline = new SimulationTimeline(epoch, _channels.Length, _pointsPerSecond);
            // A run with stopAfter (tests, benchmarks) is a fixed set of readings: it generates all of them.
            if (resumed && _stopAfter == 0) start = BoundCatchUp(timeline, start);
            var generator = new ReadingGenerator(_channels, timeline, _noiseKey, start);
            var stopAt = _stopAfter > 0 ? _stopAfter : long.MaxValue;
            Volatile.Write(ref _next, start);
            _state = RunningState;

            while (generator.Next < stopAt)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var n = generator.Next;
                var wanted = (int)Math.Min(_batchSize, stopAt - n);
                var now = _time.GetUtcNow().UtcTicks;
                var available = timeline.DueCount(now) - n;
                var oldestDue = timeline.DueTicks(n);
                // Ahead of schedule: wait for a full batch, or until the oldest due reading has lingered long
                // enough. Behind schedule, `available` covers whole batches and the loop never sleeps.
                if (available < wanted && (available <= 0 || now < oldestDue + LingerTicks))
                {
                    var wake = Math.Min(timeline.DueTicks(n + wanted - 1), oldestDue + LingerTicks);
                    await Task.Delay(SleepFor(wake - now), _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var count = (int)Math.Min(available, wanted);
                // Sized to what is emitted: at low rates a batch holds a few readings, and renting BatchSize
                // (up to 65 536 readings, ~5 MB) would have the pool clear that much on every return.
                var batch = IngestBatch.Rent(Name, count);
                generator.Fill(batch, count);
                batch.Checkpoint = new(_checkpointKey, SimulatorCheckpoint.Format(epoch, generator.Next));
                // Not awaiting batch.Durable: it would serialise the source on every commit's fsync; the
                // checkpoint committed with the batch already makes a restart resume exactly.
                await writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _next, generator.Next);
            }
            _state = $"completed ({generator.Next} readings)";
            Volatile.Write(ref _completed, true);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _state = StoppedState;
            throw;
        }
        catch (Exception e)
        {
            _state = "failed: " + e.Message;
            throw;
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>A generator positioned at <paramref name="start"/>, for tests and benchmarks that bypass pacing.</summary>
    internal ReadingGenerator CreateGenerator(long epochTicks, long start) =>
        new(_channels, new SimulationTimeline(epochTicks, _channels.Length, _pointsPerSecond), _noiseKey, start);

    /// <summary>
    /// Task.Delay truncates to whole milliseconds and completes at once below one, which would spin the loop
    /// at high rates; so sleeps round up to the next millisecond (the schedule, not the sleep, sets the rate).
    /// </summary>
    private static TimeSpan SleepFor(long ticks)
    {
        var milliseconds = (Math.Min(ticks, MaxSleepTicks) + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
        return TimeSpan.FromMilliseconds(Math.Max(1, milliseconds));
    }

    /// <summary>The epoch and first sequence number; Resumed when they come from this simulation's checkpoint.</summary>
    private (long Epoch, long Start, bool Resumed) ResolveStart(string? checkpoint)
    {
        var resumable = SimulatorCheckpoint.TryParse(checkpoint, out var checkpointEpoch, out var next);
        if (checkpoint is not null && !resumable)
        {
            throw new InvalidOperationException($"simulator '{Name}': checkpoint '{_checkpointKey}' is '{checkpoint}', not '<epoch ticks>:<next sequence>'");
        }
        if (_configuredEpochTicks is { } configured)
        {
            var same = resumable && checkpointEpoch == configured;
            return (configured, same ? next : 0, same);
        }
        if (resumable) return (checkpointEpoch, next, true);
        // First ever start without a configured epoch: the clock, truncated to the second for readable timestamps.
        var now = _time.GetUtcNow().UtcTicks;
        return (now - (now % TimeSpan.TicksPerSecond), 0, false);
    }

    /// <summary>
    /// A resumed simulation that is behind the clock (the gateway was down) generates the missed readings back-dated,
    /// but at most the last <see cref="SimulatorSourceConfig.MaxCatchUpSeconds"/> of them: the start moves to the first
    /// whole sample due within that window. Logs how far behind it was, what it catches up and what it skips.
    /// </summary>
    private long BoundCatchUp(SimulationTimeline timeline, long start)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var due = timeline.DueCount(now);
        if (due <= start) return start;
        var behind = TimeSpan.FromTicks(now - timeline.DueTicks(start));
        var windowTicks = _maxCatchUpSeconds * TimeSpan.TicksPerSecond;
        if (behind.Ticks <= windowTicks)
        {
            if (behind >= TimeSpan.FromSeconds(1)) LogCatchingUpAll(_log, Name, Describe(behind), due - start);
            return start;
        }
        var channels = timeline.ChannelCount;
        // The first reading due at or after the window's start, moved up to a whole sample.
        var from = timeline.DueCount(now - (long)windowTicks - 1);
        from = Math.Max(start, (from + channels - 1) / channels * channels);
        LogCatchingUpWindow(_log, Name, Describe(behind), Describe(TimeSpan.FromTicks((long)windowTicks)), Math.Max(0, due - from), from - start, _maxCatchUpSeconds);
        return from;
    }

    /// <summary>"45 s", "17 min", "2.5 h", "3.2 d".</summary>
    internal static string Describe(TimeSpan span) => span.TotalSeconds switch
    {
        < 120 => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.#} s"),
        < 7200 => string.Create(CultureInfo.InvariantCulture, $"{span.TotalMinutes:0.#} min"),
        < 172800 => string.Create(CultureInfo.InvariantCulture, $"{span.TotalHours:0.#} h"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{span.TotalDays:0.#} d"),
    };

    [LoggerMessage(1310, LogLevel.Information, "Simulator {Name} resumes {Behind} behind: catching up all of it ({Readings} back-dated readings)")]
    private static partial void LogCatchingUpAll(ILogger logger, string name, string behind, long readings);

    [LoggerMessage(1311, LogLevel.Warning, "Simulator {Name} resumes {Behind} behind: catching up the last {Window} ({Readings} back-dated readings), skipping {Skipped} older ones (maxCatchUpSeconds {MaxCatchUpSeconds})")]
    private static partial void LogCatchingUpWindow(ILogger logger, string name, string behind, string window, long readings, long skipped, double maxCatchUpSeconds);

    private static long? ParseEpoch(SimulatorSourceConfig config)
    {
        if (string.IsNullOrEmpty(config.Epoch)) return null;
        if (!DateTime.TryParse(config.Epoch, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var epoch) || epoch.Ticks == 0)
        {
            throw new ArgumentException($"simulator '{config.Name}': epoch '{config.Epoch}' is not an ISO 8601 time", nameof(config));
        }
        return epoch.Ticks;
    }

    /// <summary>Listed assets in config order, then generated pumps, then generated thermal machines; ids must be unique.</summary>
    private static List<PlannedAsset> Plan(SimulatorSourceConfig config)
    {
        if (config.GeneratedPumps < 0 || config.GeneratedThermalMachines < 0)
        {
            throw new ArgumentException($"simulator '{config.Name}': generated asset counts must not be negative", nameof(config));
        }
        var planned = new List<PlannedAsset>(config.Assets.Count + config.GeneratedPumps + config.GeneratedThermalMachines);
        foreach (var a in config.Assets)
        {
            if (a.Model is not (SimulatedModel.Pump or SimulatedModel.Thermal))
            {
                throw new ArgumentException($"simulator '{config.Name}': asset '{a.Asset}' has model {a.Model}, not '{PumpModel.ModelName}' or '{ThermalMachineModel.ModelName}'", nameof(config));
            }
            planned.Add(new PlannedAsset(a.Asset, SimulatedModelJson.Names.NameOf(a.Model), Generated: false));
        }
        for (var i = 1; i <= config.GeneratedPumps; i++)
        {
            var number = i.ToString("D5", CultureInfo.InvariantCulture);
            planned.Add(new PlannedAsset($"{config.Name}-pump-{number}", PumpModel.ModelName, Generated: true));
        }
        for (var i = 1; i <= config.GeneratedThermalMachines; i++)
        {
            var number = i.ToString("D5", CultureInfo.InvariantCulture);
            planned.Add(new PlannedAsset($"{config.Name}-thermal-{number}", ThermalMachineModel.ModelName, Generated: true));
        }
        if (planned.Count == 0) throw new ArgumentException($"simulator '{config.Name}' simulates nothing: list assets or generate some", nameof(config));

        // Two channels with one address would emit the same series twice per sample, with different values. Generated
        // ids differ among themselves by construction, so only the listed ones are kept to check against (a
        // set of the generated ones, 200,000 at a million series, cost ~10 MB at start-up).
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in planned)
        {
            if (string.IsNullOrEmpty(p.Id)) throw new ArgumentException($"simulator '{config.Name}': a simulated asset has no id", nameof(config));
            if (p.Generated ? listed.Contains(p.Id) : !listed.Add(p.Id)) throw new ArgumentException($"simulator '{config.Name}' simulates '{p.Id}' twice", nameof(config));
        }
        return planned;
    }

    /// <summary>Names generated assets "{kind} {number} ({source})", the number being what follows the id's last '-'.</summary>
    private static Func<string, string> GeneratedNames(string kind, string source) =>
        id => $"{kind} {id.AsSpan(id.LastIndexOf('-') + 1)} ({source})";

    private readonly record struct PlannedAsset(string Id, string Model, bool Generated);
}
