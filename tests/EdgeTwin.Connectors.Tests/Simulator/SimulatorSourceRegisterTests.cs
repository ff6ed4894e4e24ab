using EdgeTwin.Connectors.Simulator;
using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Tests.Simulator;

public sealed class SimulatorSourceRegisterTests
{
    [Fact]
    public void Register_MapsEveryChannelOfListedAssets_WithMetricAndUnit()
    {
        var registry = RegistryWith("pump-1", "oven-1");

        var added = SimulatorSource.Register(SimulatorScenario.PumpAndOven(), registry);

        Assert.Equal(9, added);
        AssertMapped(registry, "sim:pump-1/speed", "pump-1", "speed", "rpm");
        AssertMapped(registry, "sim:pump-1/flow", "pump-1", "flow", "m3/h");
        AssertMapped(registry, "sim:pump-1/pressure", "pump-1", "pressure", "bar");
        AssertMapped(registry, "sim:pump-1/power", "pump-1", "power", "kW");
        AssertMapped(registry, "sim:pump-1/vibration", "pump-1", "vibration", "mm/s");
        AssertMapped(registry, "sim:pump-1/temperature", "pump-1", "temperature", "°C");
        AssertMapped(registry, "sim:oven-1/heater_power", "oven-1", "heater_power", "kW");
        AssertMapped(registry, "sim:oven-1/core_temp", "oven-1", "core_temp", "°C");
        AssertMapped(registry, "sim:oven-1/ambient_temp", "oven-1", "ambient_temp", "°C");
        Assert.Equal(2, registry.Assets.Count);
    }

    [Fact]
    public void Register_AddsGeneratedAssets_WithTheirMappings()
    {
        var registry = RegistryWith("pump-1", "oven-1");
        var config = SimulatorScenario.PumpAndOven();
        config.Name = "load";
        config.GeneratedPumps = 3;
        config.GeneratedThermalMachines = 2;

        var added = SimulatorSource.Register(config, registry);

        Assert.Equal(9 + (3 * 6) + (2 * 3), added);
        Assert.True(registry.TryGetAsset("load-pump-00003", out var pump));
        Assert.Equal("sim-pump-v1", pump!.ModelVersion);
        Assert.Equal("Simulated pump 00003 (load)", pump.Name);
        Assert.True(registry.TryGetAsset("load-thermal-00002", out var oven));
        Assert.Equal("sim-thermal-v1", oven!.ModelVersion);
        Assert.Equal("Simulated thermal machine 00002 (load)", oven.Name);
        Assert.False(registry.TryGetAsset("load-pump-00004", out _));
        AssertMapped(registry, "sim:load-pump-00001/pressure", "load-pump-00001", "pressure", "bar");
        AssertMapped(registry, "sim:load-thermal-00002/core_temp", "load-thermal-00002", "core_temp", "°C");
    }

    [Fact]
    public void Register_KeepsAnExplicitMapping_OfAnAlreadyMappedAddress()
    {
        var registry = new AssetRegistry(
            [new AssetConfig { Id = "pump-1" }, new AssetConfig { Id = "oven-1" }],
            [new MappingConfig { Source = "sim:pump-1/pressure", Asset = "pump-1", Metric = "discharge_pressure", Unit = "kPa", Scale = 100 }]);

        var added = SimulatorSource.Register(SimulatorScenario.PumpAndOven(), registry);

        Assert.Equal(8, added);
        AssertMapped(registry, "sim:pump-1/pressure", "pump-1", "discharge_pressure", "kPa");
        // The simulator's readings of that address land on the explicit mapping, scaled by it.
        var sim = new SimulatorSource(SimulatorScenario.PumpAndOven(), TimeProvider.System, registry: registry);
        var normalizer = new EdgeTwin.Core.Pipeline.Normalizer(registry, new ValidationConfig { MaxPastSkewSeconds = 1e12, MaxFutureSkewSeconds = 1e12 });
        var generator = sim.CreateGenerator(new DateTime(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc).Ticks, 0);
        var landed = Enumerable.Range(0, sim.ChannelCount).Select(_ => generator.Read()).Select(r =>
        {
            Assert.True(normalizer.TryNormalize(r, r.TimestampTicks, out var point, out var target, out _, out _));
            return (r.Address, target!.Stream.Metric, target.Scale);
        }).ToList();
        Assert.Contains(("sim:pump-1/pressure", "discharge_pressure", 100.0), landed);
        Assert.Contains(("sim:pump-1/flow", "flow", 1.0), landed);
    }

    [Fact]
    public void Register_Twice_AddsNothingTheSecondTime()
    {
        var registry = RegistryWith("pump-1", "oven-1");
        var config = SimulatorScenario.PumpAndOven();
        config.GeneratedPumps = 2;

        SimulatorSource.Register(config, registry);
        var count = registry.MappingCount;

        Assert.Equal(0, SimulatorSource.Register(config, registry));
        Assert.Equal(count, registry.MappingCount);
    }

    [Fact]
    public void Register_AListedAssetMissingFromTheRegistry_Throws()
    {
        var registry = RegistryWith("pump-1");

        var error = Assert.Throws<ArgumentException>(() => SimulatorSource.Register(SimulatorScenario.PumpAndOven(), registry));
        Assert.Contains("'oven-1'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_CoversEveryAddressTheSourceEmits()
    {
        var registry = RegistryWith("pump-1", "oven-1");
        var config = SimulatorScenario.PumpAndOven(stopAfter: 9 + (4 * 6) + (4 * 3));
        config.GeneratedPumps = 4;
        config.GeneratedThermalMachines = 4;
        SimulatorSource.Register(config, registry);

        var writer = await SimulatorScenario.RunToEndAsync(config);

        Assert.All(writer.Readings, r => Assert.True(registry.TryMap(r.Address, out _), $"{r.Address} is not mapped"));
    }

    private static AssetRegistry RegistryWith(params string[] assets)
    {
        return new AssetRegistry(assets.Select(id => new AssetConfig { Id = id }), []);
    }

    private static void AssertMapped(AssetRegistry registry, string address, string asset, string metric, string unit)
    {
        Assert.True(registry.TryMap(address, out var target), $"{address} is not mapped");
        Assert.Equal(asset, target!.Stream.Series.AssetId);
        Assert.Equal(metric, target.Stream.Series.Metric);
        Assert.Equal(unit, target.Unit);
    }
}
