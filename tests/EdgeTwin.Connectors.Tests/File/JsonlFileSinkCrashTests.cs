using EdgeTwin.Connectors.File;
using static EdgeTwin.Connectors.Tests.File.FileSinkTestKit;

namespace EdgeTwin.Connectors.Tests.File;

/// <summary>
/// kill -9 keeps the page cache, so a crash leaves on disk exactly what the sink had written when it died.
/// These tests stop the sink at every durability step (or leave what each step leaves), recover with a new
/// instance the way the queue does, and check that every confirmed segment ends up in the files exactly once.
/// </summary>
public sealed class JsonlFileSinkCrashTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Send_StepsHappenInDurableOrder_FileThenPositionThenLinesThenPosition()
    {
        await using var sink = Sink(Config(_dir, maxFileBytes: 500));
        await sink.RecoverAsync(default);
        await sink.SendAsync(Batch(1, 1), default);
        var steps = new List<DurabilityStep>();
        sink.StepHook = steps.Add;

        await sink.SendAsync(Batch(2, 2), default);

        DurabilityStep[] positionWrite =
            [DurabilityStep.PositionTempSynced, DurabilityStep.PositionRenamed, DurabilityStep.DirectorySynced, DurabilityStep.PositionDurable];
        Assert.Equal(
            [
                // Rotation: the new file exists durably before the position names it, and is named before it is written.
                DurabilityStep.DirectorySynced, DurabilityStep.FileCreated, .. positionWrite,
                // The batch: lines synced before the position claims them.
                DurabilityStep.ChunkWritten, DurabilityStep.DataSynced, .. positionWrite,
            ],
            steps);
    }

    [Fact]
    public async Task KillAtEveryDurabilityStep_EveryConfirmedSegmentIsInTheFilesExactlyOnce()
    {
        // Batches of 5 000 points (about 1.2 MB) span two write chunks and fill a 1 MB file, so every batch
        // after the first rotates and the run passes through every kind of step. It is repeated with the kill
        // at step 1, 2, 3, ... until a run completes without reaching the kill.
        const int pointsPerSegment = 2_500;
        const long lastSegment = 6;
        var killedRuns = 0;
        for (var killAt = 1; ; killAt++)
        {
            using var dir = new TestDirectory();
            var config = Config(dir, maxFileBytes: 1 << 20, maxFiles: 0);
            var time = Clock();
            var seen = new HashSet<DurabilityStep>();
            long confirmed = 0;
            var killed = false;

            await using (var sink = Sink(config, time))
            {
                var step = 0;
                sink.StepHook = s =>
                {
                    seen.Add(s);
                    if (++step == killAt) throw new SimulatedKill();
                };
                try
                {
                    var next = (await sink.RecoverAsync(default) ?? 0) + 1;
                    while (next <= lastSegment)
                    {
                        await sink.SendAsync(Batch(next, next + 1, pointsPerSegment), default);
                        confirmed = next + 1;
                        next += 2;
                        time.Advance(TimeSpan.FromSeconds(1));
                    }
                }
                catch (SimulatedKill)
                {
                    killed = true;
                }
            }

            await using (var restarted = Sink(config, time))
            {
                var held = await restarted.RecoverAsync(default) ?? 0;
                Assert.True(held >= confirmed, $"kill at step {killAt}: the sink holds {held} but {confirmed} was confirmed");
                // The queue resends from its own cursor (confirmed + 1): anything the sink already holds is skipped.
                var next = confirmed + 1;
                while (next <= lastSegment)
                {
                    await restarted.SendAsync(Batch(next, next + 1, pointsPerSegment), default);
                    next += 2;
                }
            }
            Assert.Equal(ExpectedIdentities(1, lastSegment, pointsPerSegment), Values(dir));

            if (!killed)
            {
                Assert.Equal(Enum.GetValues<DurabilityStep>().Where(s => s != DurabilityStep.TailTruncated), seen.Order());
                break;
            }
            killedRuns++;
        }
        Assert.True(killedRuns >= 20, $"only {killedRuns} kill points were exercised");
    }

    [Fact]
    public async Task KillAtEveryDurabilityStepOfRecovery_RecoveryCanBeRepeated()
    {
        await using (var sink = Sink(Config(_dir)))
        {
            await sink.RecoverAsync(default);
            await sink.SendAsync(Batch(1, 1), default);
        }
        Append(SinkFiles(_dir).Single(), "{\"half\":");
        await using (var dying = Sink(Config(_dir)))
        {
            dying.StepHook = s =>
            {
                if (s == DurabilityStep.TailTruncated) throw new SimulatedKill();
            };
            await Assert.ThrowsAsync<SimulatedKill>(() => dying.RecoverAsync(default).AsTask());
        }

        await using var recovered = Sink(Config(_dir));
        Assert.Equal(1, await recovered.RecoverAsync(default));
        await recovered.SendAsync(Batch(2, 2), default);
        Assert.Equal(ExpectedIdentities(1, 2), Values(_dir));
    }

    [Fact]
    public async Task CrashAtRandomMoments_EveryConfirmedSegmentIsInTheFilesExactlyOnce()
    {
        // A model of kill -9 against a queue: each round the "queue" resends from the segment the sink reports,
        // then the process dies at a random step and leaves what that step leaves on disk.
        var random = new Random(20261124);
        var time = Clock();
        var config = Config(_dir, maxFileBytes: 4000, maxFiles: 0);
        long confirmed = 0;
        for (var round = 0; round < 60; round++)
        {
            await using var sink = Sink(config, time);
            var held = await sink.RecoverAsync(default) ?? 0;
            Assert.True(held >= confirmed, $"round {round}: the sink holds {held}, but {confirmed} was confirmed");
            var next = held + 1;
            for (var b = random.Next(0, 4); b > 0; b--)
            {
                var size = random.Next(1, 4);
                await sink.SendAsync(Batch(next, next + size - 1), default);
                confirmed = next + size - 1;
                next += size;
            }
            time.Advance(TimeSpan.FromSeconds(1));

            var active = sink.ActiveFile!;
            switch (random.Next(5))
            {
                case 0: // killed while writing lines
                    Append(active, "{\"schema_version\":\"1.0\",\"gateway_id\":\"gw");
                    break;
                case 1: // killed after the data fsync, before the position rename
                    Append(active, System.IO.File.ReadAllText(active));
                    System.IO.File.WriteAllText(_dir.Combine("position.json.tmp"), "{\"segment\":");
                    break;
                case 2: // killed during a rotation, after creating the next file
                    System.IO.File.WriteAllBytes(_dir.Combine(JsonlFileName.Format(time.GetUtcNow(), 999_000 + round)), []);
                    break;
                default: // killed between batches
                    break;
            }
        }

        await using (var last = Sink(config, time))
        {
            Assert.Equal(confirmed, await last.RecoverAsync(default));
        }
        Assert.Equal(ExpectedIdentities(1, confirmed), Values(_dir));
    }

    private sealed class SimulatedKill : Exception
    {
        public SimulatedKill()
            : base("killed")
        {
        }
    }
}
