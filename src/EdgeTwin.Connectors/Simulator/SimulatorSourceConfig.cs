using System.Globalization;
using System.Text.Json.Serialization;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Simulator;

// $.sources.simulator[]: simulated pumps and thermal machines. config/edgetwin.json documents each key.

public sealed class SimulatorSourceConfig
{
    public string Name { get; set; } = "sim";

    /// <summary>Same seed, same readings.</summary>
    public ulong Seed { get; set; } = 1;

    /// <summary>Total points per second over all simulated channels.</summary>
    public double PointsPerSecond { get; set; } = 50;

    /// <summary>Simulated assets, each already in the registry: <c>{"asset":"pump-1","model":"pump"}</c>.</summary>
    public List<SimulatedAssetConfig> Assets { get; set; } = [];

    /// <summary>Extra assets generated for load tests; they are added to the registry with mappings.</summary>
    public int GeneratedPumps { get; set; }

    public int GeneratedThermalMachines { get; set; }

    /// <summary>Only these channels are simulated (e.g. ["pressure"]); null or empty means every channel of each model.</summary>
    public List<string>? Channels { get; set; }

    /// <summary>Readings per batch handed to the pipeline.</summary>
    public int BatchSize { get; set; } = 1024;

    /// <summary>Stop after this many readings (0 = run forever). Used by tests and benchmarks.</summary>
    public long StopAfter { get; set; }

    /// <summary>First simulated timestamp (ISO 8601); empty means the first start's wall clock.</summary>
    public string? Epoch { get; set; }

    /// <summary>
    /// On a start that resumes from the checkpoint (a restart after downtime), at most this many seconds of missed
    /// readings are generated, back-dated, at full speed; older ones are skipped. 0 resumes at the present. A run
    /// with <see cref="StopAfter"/> generates all of its readings.
    /// </summary>
    public double MaxCatchUpSeconds { get; set; } = 300;
}

public sealed class SimulatedAssetConfig
{
    public string Asset { get; set; } = "";

    [JsonIgnore]
    public SimulatedModel Model { get; set; } = SimulatedModel.Pump;

    /// <summary>The JSON text of <see cref="Model"/> (see <see cref="ConfigEnumConverter"/>).</summary>
    [JsonPropertyName("model"), JsonConverter(typeof(SimulatedModelJson))]
    public string ModelText { get => SimulatedModelJson.Names.Text(Model); set => Model = SimulatedModelJson.Names.Parse(value); }
}

/// <summary>$.sources.simulator[].assets[].model: the physical model a simulated asset runs.</summary>
public enum SimulatedModel
{
    Pump,
    Thermal,
}

public sealed class SimulatedModelJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<SimulatedModel> Names = new((SimulatedModel.Pump, PumpModel.ModelName), (SimulatedModel.Thermal, ThermalMachineModel.ModelName));
}

/// <summary>Validates $.sources.simulator[].</summary>
public static class SimulatorSourceConfigValidator
{
    public static void Validate(IReadOnlyList<SimulatorSourceConfig?> sources, string path, ConfigCheck check) =>
        check.Each(sources, path, (s, at) => Source(s, at, check));

    private static void Source(SimulatorSourceConfig s, string path, ConfigCheck check)
    {
        check.SourceName(path + ".name", s.Name);
        check.Positive(path + ".pointsPerSecond", s.PointsPerSecond);
        if (s.BatchSize is < 1 or > 65536) check.Error(path + ".batchSize", $"must be between 1 and 65536, got {s.BatchSize}");
        if (s.StopAfter < 0) check.Error(path + ".stopAfter", "must not be negative");
        if (!double.IsFinite(s.MaxCatchUpSeconds) || s.MaxCatchUpSeconds < 0) check.Error(path + ".maxCatchUpSeconds", $"must be a number of seconds, 0 or more, got {s.MaxCatchUpSeconds}");
        if (s.GeneratedPumps < 0) check.Error(path + ".generatedPumps", "must not be negative");
        if (s.GeneratedThermalMachines < 0) check.Error(path + ".generatedThermalMachines", "must not be negative");
        if (s.Epoch is { Length: > 0 } epoch && !DateTime.TryParse(epoch, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out _))
        {
            check.Error(path + ".epoch", $"'{epoch}' is not an ISO 8601 time");
        }
        if (s.Assets.Count == 0 && s.GeneratedPumps == 0 && s.GeneratedThermalMachines == 0) check.Error(path + ".assets", "simulates nothing: list assets or generate some");
        check.Each(s.Assets, path + ".assets", (a, at) =>
        {
            check.KnownAsset(at + ".asset", a.Asset);
            check.Known(at + ".model", a.Model, SimulatedModelJson.Names);
        });
    }
}
