using EdgeTwin.Connectors.Simulator;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.Tests.Simulator;

/// <summary>Configurations and runs shared by the simulator tests.</summary>
internal static class SimulatorScenario
{
    public static readonly DateTimeOffset Epoch = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    /// <summary>One pump and one thermal machine: nine channels.</summary>
    public static SimulatorSourceConfig PumpAndOven(double pointsPerSecond = 1000, long stopAfter = 0, int batchSize = 256, ulong seed = 42) => new()
    {
        Name = "sim",
        Seed = seed,
        PointsPerSecond = pointsPerSecond,
        BatchSize = batchSize,
        StopAfter = stopAfter,
        Epoch = "2026-01-05T00:00:00Z",
        // The runs put the clock years past the epoch; resumed runs must catch all of it up to compare readings.
        MaxCatchUpSeconds = 1e10,
        Assets =
        [
            new SimulatedAssetConfig { Asset = "pump-1", Model = SimulatedModel.Pump },
            new SimulatedAssetConfig { Asset = "oven-1", Model = SimulatedModel.Thermal },
        ],
    };

    /// <summary>
    /// Runs a source to its StopAfter with the clock far past every due time, so it never sleeps, and
    /// returns what it wrote.
    /// </summary>
    public static async Task<CollectingIngestWriter> RunToEndAsync(SimulatorSourceConfig config, IReadOnlyDictionary<string, string>? checkpoints = null, DateTimeOffset? now = null)
    {
        var time = new ManualTimeProvider(now ?? Epoch.AddYears(5));
        var source = new SimulatorSource(config, time);
        var writer = new CollectingIngestWriter(time, checkpoints);
        await source.RunAsync(writer, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(0, time.TimersCreated);
        return writer;
    }

    /// <summary>Runs a source to its StopAfter on <paramref name="time"/>, moving the clock a step whenever the source sleeps.</summary>
    public static async Task<CollectingIngestWriter> RunPacedAsync(SimulatorSourceConfig config, ManualTimeProvider time, TimeSpan step)
    {
        var source = new SimulatorSource(config, time);
        var writer = new CollectingIngestWriter(time);
        var run = source.RunAsync(writer, CancellationToken.None);
        while (!run.IsCompleted)
        {
            await Task.WhenAny(run, time.WaitForScheduledTimerAsync()).WaitAsync(TimeSpan.FromMinutes(1));
            if (!run.IsCompleted) time.Advance(step);
        }
        await run;
        return writer;
    }

    /// <summary>Readings compared bit for bit: doubles by their bits, so -0.0 ≠ 0.0 and NaN = NaN.</summary>
    public static void AssertIdentical(ReadOnlySpan<Reading> expected, ReadOnlySpan<Reading> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var e = expected[i];
            var a = actual[i];
            if (e.Address != a.Address || e.TimestampTicks != a.TimestampTicks || e.Value.Kind != a.Value.Kind
                || BitConverter.DoubleToInt64Bits(e.Value.Number) != BitConverter.DoubleToInt64Bits(a.Value.Number)
                || e.StatusCode != a.StatusCode)
            {
                Assert.Fail($"reading {i} differs: expected {e}, got {a}");
            }
        }
    }
}
