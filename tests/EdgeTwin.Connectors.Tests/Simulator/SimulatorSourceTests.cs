using System.Globalization;
using EdgeTwin.Connectors.Simulator;
using EdgeTwin.Core.Config;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.Tests.Simulator;

public sealed class SimulatorSourceTests
{
    [Fact]
    public async Task SameSeed_SameSequence_ProducesIdenticalReadings()
    {
        var first = await SimulatorScenario.RunToEndAsync(SimulatorScenario.PumpAndOven(stopAfter: 20_000));
        var second = await SimulatorScenario.RunToEndAsync(SimulatorScenario.PumpAndOven(stopAfter: 20_000));

        Assert.Equal(20_000, first.Count);
        SimulatorScenario.AssertIdentical(first.Readings, second.Readings);
    }

    [Fact]
    public async Task DifferentSeed_ProducesDifferentValues_AtTheSameTimestamps()
    {
        var a = (await SimulatorScenario.RunToEndAsync(SimulatorScenario.PumpAndOven(stopAfter: 900, seed: 1))).Readings;
        var b = (await SimulatorScenario.RunToEndAsync(SimulatorScenario.PumpAndOven(stopAfter: 900, seed: 2))).Readings;

        var differing = 0;
        for (var i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].Address, b[i].Address);
            Assert.Equal(a[i].TimestampTicks, b[i].TimestampTicks);
            if (a[i].Value != b[i].Value) differing++;
        }
        Assert.True(differing > a.Length * 9 / 10, $"only {differing} of {a.Length} values differ");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3_337)]
    [InlineData(9_000)]
    [InlineData(19_999)]
    public async Task Restart_ResumedFromCheckpoint_ContinuesExactlyLikeAnUninterruptedRun(long stopFirstRunAt)
    {
        var uninterrupted = await SimulatorScenario.RunToEndAsync(SimulatorScenario.PumpAndOven(stopAfter: 20_000));

        var beforeCrash = await SimulatorScenario.RunToEndAsync(SimulatorScenario.PumpAndOven(stopAfter: stopFirstRunAt));
        var afterRestart = await SimulatorScenario.RunToEndAsync(SimulatorScenario.PumpAndOven(stopAfter: 20_000), beforeCrash.Checkpoints);

        Assert.Equal(stopFirstRunAt, beforeCrash.Count);
        SimulatorScenario.AssertIdentical(uninterrupted.Readings, [.. beforeCrash.Readings, .. afterRestart.Readings]);
    }

    [Fact]
    public async Task Restart_WithoutConfiguredEpoch_KeepsTheFirstStartsEpoch()
    {
        var firstStart = new DateTimeOffset(2026, 3, 1, 8, 30, 15, 123, TimeSpan.Zero);
        var config = SimulatorScenario.PumpAndOven(pointsPerSecond: 90, stopAfter: 900);
        config.Epoch = null;

        var first = await SimulatorScenario.RunPacedAsync(config, new ManualTimeProvider(firstStart), TimeSpan.FromSeconds(1));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 8, 30, 15, TimeSpan.Zero).UtcTicks, first.Readings[0].TimestampTicks);

        config.StopAfter = 1_800;
        var resumed = await SimulatorScenario.RunToEndAsync(config, first.Checkpoints, now: firstStart.AddDays(2));

        config.Epoch = "2026-03-01T08:30:15Z";
        var reference = await SimulatorScenario.RunToEndAsync(config, now: firstStart.AddDays(2));
        SimulatorScenario.AssertIdentical(reference.Readings, [.. first.Readings, .. resumed.Readings]);
    }

    [Fact]
    public async Task ChangedEpoch_StartsOverAtSequenceZero()
    {
        var first = await SimulatorScenario.RunToEndAsync(SimulatorScenario.PumpAndOven(stopAfter: 500));
        var redefined = SimulatorScenario.PumpAndOven(stopAfter: 500);
        redefined.Epoch = "2026-02-01T00:00:00Z";

        var second = await SimulatorScenario.RunToEndAsync(redefined, first.Checkpoints);

        Assert.Equal(500, second.Count);
        Assert.Equal(new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc).Ticks, second.Readings[0].TimestampTicks);
    }

    [Fact]
    public async Task EveryBatch_CarriesTheCheckpointOfItsLastReading()
    {
        var writer = await SimulatorScenario.RunToEndAsync(SimulatorScenario.PumpAndOven(stopAfter: 2_000, batchSize: 300));
        var epoch = SimulatorScenario.Epoch.UtcTicks;

        foreach (var batch in writer.Batches)
        {
            var checkpoint = Assert.NotNull(batch.Checkpoint);
            Assert.Equal("sim:sim", checkpoint.Key);
            Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{epoch}:{batch.FirstIndex + batch.Count}"), checkpoint.Value);
        }
        Assert.Equal($"{epoch}:2000", writer.GetCheckpoint("sim:sim"));
    }

    [Fact]
    public async Task StopAfter_EmitsExactlyThatManyReadings_AndCompletes()
    {
        var time = new ManualTimeProvider(SimulatorScenario.Epoch.AddDays(1));
        var source = new SimulatorSource(SimulatorScenario.PumpAndOven(stopAfter: 2_500, batchSize: 1_000), time);
        var writer = new CollectingIngestWriter(time);

        await source.RunAsync(writer, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal([1_000, 1_000, 500], writer.Batches.Select(b => b.Count));
        Assert.Equal("completed (2500 readings)", source.State);
        Assert.Equal(2_500, source.NextSequence);
    }

    [Fact]
    public async Task StopAfter_AlreadyReachedByTheCheckpoint_CompletesWithoutWriting()
    {
        var earlier = await SimulatorScenario.RunToEndAsync(SimulatorScenario.PumpAndOven(stopAfter: 3_000));
        var time = new ManualTimeProvider(SimulatorScenario.Epoch.AddDays(1));
        var source = new SimulatorSource(SimulatorScenario.PumpAndOven(stopAfter: 2_500), time);
        var writer = new CollectingIngestWriter(time, earlier.Checkpoints);

        await source.RunAsync(writer, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Empty(writer.Batches);
        Assert.Equal("completed (3000 readings)", source.State);
    }

    [Fact]
    public async Task Readings_CarryOnlyAddressTimestampValueAndGoodStatus()
    {
        var writer = await SimulatorScenario.RunToEndAsync(SimulatorScenario.PumpAndOven(stopAfter: 900));

        foreach (var r in writer.Readings)
        {
            Assert.StartsWith("sim:", r.Address, StringComparison.Ordinal);
            Assert.Equal(PointValueKind.Number, r.Value.Kind);
            Assert.Equal(0u, r.StatusCode);
            Assert.Null(r.Quality);
            Assert.Null(r.AssetId);
            Assert.Null(r.Metric);
            Assert.Null(r.Raw);
        }
    }

    [Fact]
    public async Task Readings_AreRoundRobinOverAssetsThenChannels()
    {
        var config = SimulatorScenario.PumpAndOven(stopAfter: 0);
        config.GeneratedPumps = 2;
        config.GeneratedThermalMachines = 1;
        config.StopAfter = 2 * ((6 * 3) + (3 * 2));
        var writer = await SimulatorScenario.RunToEndAsync(config);

        string[] order =
        [
            "sim:pump-1/speed", "sim:pump-1/flow", "sim:pump-1/pressure", "sim:pump-1/power", "sim:pump-1/vibration", "sim:pump-1/temperature",
            "sim:oven-1/heater_power", "sim:oven-1/core_temp", "sim:oven-1/ambient_temp",
            "sim:sim-pump-00001/speed", "sim:sim-pump-00001/flow", "sim:sim-pump-00001/pressure", "sim:sim-pump-00001/power", "sim:sim-pump-00001/vibration", "sim:sim-pump-00001/temperature",
            "sim:sim-pump-00002/speed", "sim:sim-pump-00002/flow", "sim:sim-pump-00002/pressure", "sim:sim-pump-00002/power", "sim:sim-pump-00002/vibration", "sim:sim-pump-00002/temperature",
            "sim:sim-thermal-00001/heater_power", "sim:sim-thermal-00001/core_temp", "sim:sim-thermal-00001/ambient_temp",
        ];
        Assert.Equal([.. order, .. order], writer.Readings.Select(r => r.Address));
        // Readings of one sample share its timestamp; the next sample is one channel period later.
        var readings = writer.Readings;
        Assert.All(readings.AsSpan(0, order.Length).ToArray(), r => Assert.Equal(SimulatorScenario.Epoch.UtcTicks, r.TimestampTicks));
        Assert.All(readings.AsSpan(order.Length).ToArray(), r => Assert.Equal(SimulatorScenario.Epoch.UtcTicks + (order.Length * TimeSpan.TicksPerSecond / 1000), r.TimestampTicks));
    }

    [Theory]
    [InlineData(1000.0)]
    [InlineData(7.0)]
    [InlineData(0.3)]
    [InlineData(480_000.0)]
    public async Task Timestamps_AreUniqueAndEvenlySpacedPerChannel(double pointsPerSecond)
    {
        var writer = await SimulatorScenario.RunToEndAsync(SimulatorScenario.PumpAndOven(pointsPerSecond, stopAfter: 9 * 3_000));
        var rate = (decimal)pointsPerSecond;

        foreach (var channel in writer.Readings.GroupBy(r => r.Address))
        {
            var ticks = channel.Select(r => r.TimestampTicks).ToArray();
            Assert.Equal(3_000, ticks.Length);
            for (var s = 0; s < ticks.Length; s++)
            {
                Assert.Equal(SimulatorScenario.Epoch.UtcTicks + ExpectedOffset(s, rate), ticks[s]);
                if (s > 0) Assert.True(ticks[s] > ticks[s - 1], $"{channel.Key}: sample {s} does not advance");
            }
        }
    }

    /// <summary>⌊s · 9 channels / rate⌋ in ticks, dividing last so exact multiples stay exact in decimal.</summary>
    private static long ExpectedOffset(long sample, decimal rate) => (long)decimal.Floor(sample * 9m * TimeSpan.TicksPerSecond / rate);

    [Fact]
    public async Task Cancellation_EndsTheRunAsCancelled_AndReportsStopped()
    {
        var time = new ManualTimeProvider(SimulatorScenario.Epoch);
        var source = new SimulatorSource(SimulatorScenario.PumpAndOven(pointsPerSecond: 10), time);
        using var cts = new CancellationTokenSource();
        var run = source.RunAsync(new CollectingIngestWriter(time), cts.Token);
        await time.WaitForScheduledTimerAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal("running", source.State);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal("stopped", source.State);
    }

    [Fact]
    public async Task MalformedCheckpoint_FailsTheRun_InsteadOfRestartingFromZero()
    {
        var time = new ManualTimeProvider(SimulatorScenario.Epoch);
        var source = new SimulatorSource(SimulatorScenario.PumpAndOven(), time);
        var writer = new CollectingIngestWriter(time, new Dictionary<string, string> { ["sim:sim"] = "garbage" });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.RunAsync(writer, CancellationToken.None));

        Assert.Contains("garbage", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("failed: ", source.State, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_RejectsAnAssetSimulatedTwice()
    {
        var config = SimulatorScenario.PumpAndOven();
        config.Assets.Add(new() { Asset = "pump-1", Model = SimulatedModel.Thermal });

        var error = Assert.Throws<ArgumentException>(() => new SimulatorSource(config, TimeProvider.System));
        Assert.Contains("'pump-1' twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_RejectsARateThatWouldRepeatTimestamps()
    {
        // Nine channels at 10^8 points/s would sample each channel every 0.9 ticks.
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatorSource(SimulatorScenario.PumpAndOven(pointsPerSecond: 1e8), TimeProvider.System));
        Assert.Contains("timestamps would repeat", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_RejectsAnUnknownModel()
    {
        var config = SimulatorScenario.PumpAndOven();
        config.Assets[0].Model = ConfigEnumNames<SimulatedModel>.Undefined;

        Assert.Throws<ArgumentException>(() => new SimulatorSource(config, TimeProvider.System));
    }

    [Fact]
    public void ANewSource_IsStopped_AndCountsItsChannels()
    {
        var config = SimulatorScenario.PumpAndOven();
        config.GeneratedPumps = 10;
        var source = new SimulatorSource(config, TimeProvider.System);

        Assert.Equal("stopped", source.State);
        Assert.Equal(9 + 60, source.ChannelCount);
        Assert.Equal("sim:sim", source.CheckpointKey);
    }
}
