using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Storage.Tests.Infrastructure;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

/// <summary>
/// The recent points ($.dedup.recentPoints) across a kill -9: the keys of the last points committed for series whose
/// timestamps are not evenly spaced come back from the checkpoint and the replay, so a broker that redelivers
/// thousands of acknowledged messages (its PUBACKs lost in the crash) gets them recognised far below each series'
/// window of dedup.historyPerSeries.
/// </summary>
public sealed class RecentPointsRecoveryTests
{
    private const int SeriesCount = 10;
    private const int PerSeries = 200;

    private static readonly StreamDescriptor[] Streams = [.. Enumerable.Range(0, SeriesCount).Select(i => Stream("lag-0", "v" + i))];

    /// <summary>Point k of series s: about a second apart, give or take 10–20 ms (no evenly spaced run).</summary>
    private static TelemetryPoint Jittered(int s, int k) => Number(Streams[s], k + ((k % 3) * 0.01), k);

    private static IEnumerable<TelemetryPoint> All() =>
        Enumerable.Range(0, PerSeries).SelectMany(k => Enumerable.Range(0, SeriesCount).Select(s => Jittered(s, k)));

    /// <summary>Commits everything, 100 points a commit, with a checkpoint half-way; then a crash image of the queue.</summary>
    private static string CommitAndCrash(QueueContext ctx, Storage.QueueOptions options)
    {
        var queue = ctx.Open(options);
        var points = All().ToList();
        for (var i = 0; i < points.Count; i += 100)
        {
            queue.CommitPoints(points.Skip(i).Take(100));
            if (i == points.Count / 2) queue.Maintain(force: true); // the checkpoint holds the first half
        }
        return ctx.CrashImage();
    }

    [Fact]
    public void AfterAKill_TheWholeRedelivery_IsRecognised_FarBelowTheWindow()
    {
        using var ctx = new QueueContext();
        var image = CommitAndCrash(ctx, ctx.Options(historyPerSeries: 8));
        using var crashed = ctx.Open(ctx.Options(directory: image, historyPerSeries: 8));

        Assert.True(crashed.Recovery.SegmentsReplayed > 0, "nothing was replayed: the checkpoint alone was tested");
        Assert.Equal(SeriesCount * PerSeries, crashed.Dedup.Recent!.Count);
        var outcomes = crashed.Probe(All());
        Assert.All(outcomes, o => Assert.Equal(DedupOutcome.Duplicate, o));
    }

    [Fact]
    public void WithoutRecentPoints_OnlyTheWindowIsRecognised_TheRestIsLateUnverified()
    {
        using var ctx = new QueueContext();
        var image = CommitAndCrash(ctx, ctx.Options(historyPerSeries: 8, recentPoints: 0));
        using var crashed = ctx.Open(ctx.Options(directory: image, historyPerSeries: 8, recentPoints: 0));

        Assert.Null(crashed.Dedup.Recent);
        var outcomes = crashed.Probe(All());
        Assert.Equal(SeriesCount * 8, outcomes.Count(o => o == DedupOutcome.Duplicate));
        Assert.Equal(SeriesCount * (PerSeries - 8), outcomes.Count(o => o == DedupOutcome.LateUnverified));
    }

    [Fact]
    public void TheNewestRecentPointsAreKept_AndNoMore()
    {
        using var ctx = new QueueContext();
        var image = CommitAndCrash(ctx, ctx.Options(historyPerSeries: 8, recentPoints: 500));
        using var crashed = ctx.Open(ctx.Options(directory: image, historyPerSeries: 8, recentPoints: 500));

        Assert.Equal(500, crashed.Dedup.Recent!.Count);
        var outcomes = crashed.Probe(All());
        // The last 50 points of each series are recognised (the 500 newest keys, the 8 of the window among them).
        Assert.Equal(SeriesCount * 50, outcomes.Count(o => o == DedupOutcome.Duplicate));
        Assert.Equal(SeriesCount * (PerSeries - 50), outcomes.Count(o => o == DedupOutcome.LateUnverified));
    }

    [Fact]
    public void EvenlySpacedSeries_TakeNoRecentPoints_TheirRunRecognisesThem()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(historyPerSeries: 8));
        queue.CommitPoints(Enumerable.Range(0, SeriesCount).SelectMany(s => Series(Streams[s], 0, PerSeries)));

        Assert.Equal(0, queue.Dedup.Recent!.Count);
        Assert.All(queue.Probe(Enumerable.Range(0, SeriesCount).SelectMany(s => Series(Streams[s], 0, PerSeries))), o => Assert.Equal(DedupOutcome.Duplicate, o));
    }

    [Fact]
    public void ASeriesThatBecomesARingWithinACommit_IsRememberedTheSame_AfterTheReplay()
    {
        // 10, 20, 30, 40, 50 s are a run; 55 breaks it within the same commit: the commit remembers all six keys (the
        // series keeps a ring once the commit's points are in), and the replay of that segment must do the same.
        using var ctx = new QueueContext();
        var options = ctx.Options(historyPerSeries: 4);
        var queue = ctx.Open(options);
        queue.CommitPoints([.. new[] { 10, 20, 30, 40, 50, 55 }.Select(t => Number(Streams[0], t, t))]);
        var live = queue.Dedup.Recent!.Oldest().Select(p => (p.Stream.Series, p.Ticks)).ToList();
        Assert.Equal(6, live.Count);

        using var crashed = ctx.Open(ctx.Options(directory: ctx.CrashImage(), historyPerSeries: 4));

        Assert.Equal(live, crashed.Dedup.Recent!.Oldest().Select(p => (p.Stream.Series, p.Ticks)));
        Assert.All(crashed.Probe([Number(Streams[0], 10, 10)]), o => Assert.Equal(DedupOutcome.Duplicate, o));
    }
}
