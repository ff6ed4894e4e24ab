using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Tests.Dedup;

/// <summary>
/// The history window is the most recent timestamps by time: a redelivered batch longer than the window must
/// not evict the timestamps that recognise the rest of it (found by the full-disk test: a retried commit's
/// batch came back as 1,009 duplicates).
/// </summary>
public sealed class DedupIndexWindowTests
{
    private static readonly SeriesKey Series = new("pump-1", "pressure");

    [Fact]
    public void Redelivery_LongerThanTheWindow_OnlyTheOverflowIsLate_TheRestAreDuplicates()
    {
        // Jittered timestamps (no run): the window is the 64 most recent.
        static long Jittered(long t) => (t * 10) + (t % 3);
        var index = new DedupIndex(historyPerSeries: 64);
        var state = index.GetOrAdd(Series);
        for (long t = 1; t <= 68; t++) Assert.Equal(DedupOutcome.New, index.Admit(state, Jittered(t)));
        index.Accept();

        var outcomes = Enumerable.Range(1, 68).Select(t => index.Admit(state, Jittered(t))).ToList();

        Assert.Equal(4, outcomes.Count(o => o == DedupOutcome.LateUnverified));
        Assert.Equal(64, outcomes.Count(o => o == DedupOutcome.Duplicate));
        Assert.DoesNotContain(DedupOutcome.New, outcomes);
    }

    [Fact]
    public void Redelivery_LongerThanTheWindow_OfAnEvenlySpacedSeries_IsAllDuplicates()
    {
        var index = new DedupIndex(historyPerSeries: 64);
        var state = index.GetOrAdd(Series);
        for (long t = 1; t <= 6_800; t++) Assert.Equal(DedupOutcome.New, index.Admit(state, t * 10));
        index.Accept();

        var outcomes = Enumerable.Range(1, 6_800).Select(t => index.Admit(state, t * 10L)).ToList();

        Assert.All(outcomes, o => Assert.Equal(DedupOutcome.Duplicate, o));
    }

    [Fact]
    public void OutOfOrderInsert_WhenFull_EvictsTheOldestByTime()
    {
        var index = new DedupIndex(historyPerSeries: 4);
        var state = index.GetOrAdd(Series);
        foreach (var t in new long[] { 10, 20, 40, 50 }) index.Admit(state, t);
        Assert.Equal(DedupOutcome.New, index.Admit(state, 30));   // window now 20,30,40,50
        Assert.Equal(DedupOutcome.New, index.Admit(state, 60));   // window now 30,40,50,60
        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, 30));
        Assert.Equal(DedupOutcome.LateUnverified, index.Admit(state, 20));
        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, 40));
    }

    [Fact]
    public void Rollback_OfMixedAppendsAndInserts_RestoresTheWindowExactly()
    {
        var index = new DedupIndex(historyPerSeries: 4);
        var state = index.GetOrAdd(Series);
        foreach (var t in new long[] { 10, 20, 40, 50 }) index.Admit(state, t);
        index.Accept();

        index.Admit(state, 30);
        index.Admit(state, 70);
        index.Admit(state, 45);
        index.Admit(state, 5);
        index.Rollback();

        Assert.Equal(50, state.HighWaterMark);
        foreach (var t in new long[] { 10, 20, 40, 50 }) Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, t));
        Assert.Equal(DedupOutcome.New, index.Admit(state, 30));
        Assert.Equal(DedupOutcome.New, index.Admit(state, 70));
    }
}
