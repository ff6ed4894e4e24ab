using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.Tests.Simulator;

/// <summary>A month of simulated plant, checked the way a process engineer would eyeball a trend.</summary>
public sealed class SimulatorSourcePlausibilityTests
{
    private static readonly Lazy<Task<Reading[]>> Month = new(RunMonthAsync);

    [Fact]
    public async Task EveryValue_IsFiniteAndInAPlausibleRange_OverAMonth()
    {
        var readings = await Month.Value;
        (string Suffix, double Min, double Max)[] ranges =
        [
            ("/speed", 0, 2960 * 1.01),
            ("/flow", 0, 160 * 1.04),
            ("/pressure", 0, 8 * 1.03),
            ("/power", 0, 60),
            ("/vibration", 0, 3.5 * 1.3),
            ("/temperature", 17, 75),
            ("/heater_power", 0, 16.1),
            ("/core_temp", 8, 235),
            ("/ambient_temp", 9, 31),
        ];
        foreach (var r in readings)
        {
            var value = r.Value.Number;
            Assert.True(double.IsFinite(value), $"{r.Address} = {value}");
            var range = ranges.Single(x => r.Address.EndsWith(x.Suffix, StringComparison.Ordinal));
            Assert.True(value >= range.Min && value <= range.Max, $"{r.Address} = {value} outside [{range.Min}, {range.Max}]");
        }
    }

    [Fact]
    public async Task PumpPressure_RisesWithSpeed_AsItsSquare()
    {
        var readings = await Month.Value;
        foreach (var pump in new[] { "pump-1", "sim-pump-00001", "sim-pump-00002" })
        {
            var speed = Series(readings, $"sim:{pump}/speed");
            var pressure = Series(readings, $"sim:{pump}/pressure");
            var flow = Series(readings, $"sim:{pump}/flow");
            var top = speed.Max();
            var ratios = new List<double>();
            for (var i = 0; i < speed.Length; i++)
            {
                if (speed[i] == 0)
                {
                    Assert.Equal(0, pressure[i]);
                    Assert.Equal(0, flow[i]);
                }
                else if (speed[i] > 0.3 * top)
                {
                    ratios.Add(pressure[i] / (speed[i] * speed[i]));
                }
            }
            ratios.Sort();
            var median = ratios[ratios.Count / 2];
            // Noise allows a few per cent; a pressure that did not scale as n² would spread far wider.
            Assert.All(ratios, r => Assert.InRange(r / median, 0.95, 1.05));

            // And coarsely: the fastest third runs at higher pressure than the slowest running third.
            var running = Enumerable.Range(0, speed.Length).Where(i => speed[i] > 0).OrderBy(i => speed[i]).ToArray();
            var third = running.Length / 3;
            Assert.True(running[^third..].Average(i => pressure[i]) > 1.5 * running[..third].Average(i => pressure[i]));
        }
    }

    [Fact]
    public async Task Pumps_StartStopAndChangeSpeed_OverAMonth()
    {
        var readings = await Month.Value;
        var speed = Series(readings, "sim:pump-1/speed");
        Assert.Contains(0.0, speed);
        var distinctSetpoints = speed.Where(s => s > 0).Select(s => Math.Round(s / 50)).Distinct().Count();
        Assert.True(distinctSetpoints > 10, $"only {distinctSetpoints} speed levels");
    }

    [Fact]
    public async Task CoreTemperature_SwingsWithTheHeater_AndAmbientWithTheDay()
    {
        var readings = await Month.Value;
        var core = Series(readings, "sim:oven-1/core_temp");
        var ambient = Series(readings, "sim:oven-1/ambient_temp");
        Assert.True(core.Max() - core.Min() > 30, $"core only spans {core.Min()}..{core.Max()}");
        Assert.InRange(ambient.Max() - ambient.Min(), 5, 13);
        Assert.True(core.Min() > ambient.Min() - 1, "an unheated core cannot fall below the coldest ambient");
    }

    private static double[] Series(Reading[] readings, string address) =>
        readings.Where(r => r.Address == address).Select(r => r.Value.Number).ToArray();

    private static async Task<Reading[]> RunMonthAsync()
    {
        // Nine listed plus 2×6 + 2×3 generated channels, one sample per minute, 30 days.
        var config = SimulatorScenario.PumpAndOven(pointsPerSecond: 27 / 60.0);
        config.GeneratedPumps = 2;
        config.GeneratedThermalMachines = 2;
        config.BatchSize = 4096;
        config.StopAfter = 27L * 60 * 24 * 30;
        var writer = await SimulatorScenario.RunToEndAsync(config);
        return writer.Readings;
    }
}
