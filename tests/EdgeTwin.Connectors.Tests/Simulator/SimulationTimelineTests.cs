using EdgeTwin.Connectors.Simulator;

namespace EdgeTwin.Connectors.Tests.Simulator;

public sealed class SimulationTimelineTests
{
    private static readonly long Epoch = SimulatorScenario.Epoch.UtcTicks;

    [Theory]
    [InlineData(9, 50.0)]
    [InlineData(9, 0.3)]
    [InlineData(6, 500_000.0)]
    [InlineData(3, 1.0 / 7)]
    [InlineData(60_000, 123_456.789)]
    public void DueCount_CountsExactlyTheReadingsDueAtOrBeforeNow(int channels, double pointsPerSecond)
    {
        var timeline = new SimulationTimeline(Epoch, channels, pointsPerSecond);
        for (long n = 0; n < 2_000; n += 37)
        {
            var due = timeline.DueTicks(n);
            Assert.True(timeline.DueCount(due) >= n + 1, $"reading {n} is not counted at its own due time");
            Assert.True(timeline.DueCount(due - 1) <= n, $"reading {n} is counted before its due time");
        }
        Assert.Equal(0, timeline.DueCount(Epoch - 1));
        Assert.Equal(1, timeline.DueCount(Epoch));
    }

    [Fact]
    public void DueCount_OverALongRun_MatchesTheConfiguredRate()
    {
        var timeline = new SimulationTimeline(Epoch, 9, 0.5);
        // 0.5 points/s: after a year, one reading per two seconds exactly (plus reading 0 at the epoch).
        Assert.Equal((365L * 86400 / 2) + 1, timeline.DueCount(Epoch + (365L * 86400 * TimeSpan.TicksPerSecond)));
    }

    [Fact]
    public void Readings_AreNeverDueBeforeTheirTimestamp()
    {
        var timeline = new SimulationTimeline(Epoch, 7, 3.3);
        for (long n = 0; n < 10_000; n++)
        {
            Assert.True(timeline.DueTicks(n) >= timeline.TimestampOf(n / 7));
        }
    }

    [Fact]
    public void TimestampOf_FarIntoTheRun_StaysExact()
    {
        // 10^12 samples at 1/7 s: the 128-bit path must agree with exact rational arithmetic.
        var timeline = new SimulationTimeline(Epoch, 1, 7);
        Assert.Equal(Epoch + (long)(1_000_000_000_000m * TimeSpan.TicksPerSecond / 7), timeline.TimestampOf(1_000_000_000_000));
    }
}
