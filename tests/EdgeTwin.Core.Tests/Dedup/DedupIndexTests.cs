using System.Buffers;
using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Tests.Dedup;

public class DedupIndexTests
{
    private static readonly SeriesKey Pressure = new("line-1", "pressure");
    private static readonly SeriesKey Flow = new("line-1", "flow");

    [Fact]
    public async Task SnapshotSeries_WhileThePipelineAddsSeries_ListsThemWithoutFailing()
    {
        var index = new DedupIndex(4);
        using var done = new CancellationTokenSource();
        var reads = 0;
        var reader = Task.Run(() =>
        {
            // Another thread (the local API) lists the shadow while series are added.
            while (!done.IsCancellationRequested)
            {
                var seen = index.SnapshotSeries();
                Assert.All(seen, s => Assert.NotNull(s));
                Interlocked.Increment(ref reads);
            }
        });
        var added = 0;
        // Keep adding until the reader has listed many times meanwhile (it may start late on a busy machine).
        while (added < 20_000 || (Volatile.Read(ref reads) < 50 && added < 5_000_000)) index.GetOrAdd(new SeriesKey("asset-" + added++, "m"));
        done.Cancel();
        await reader;
        Assert.Equal(added, index.SnapshotSeries().Length);
        Assert.Equal(index.Series.Select(s => s.Key), index.SnapshotSeries().Select(s => s.Key));
        Assert.True(reads >= 50, $"{reads} reads");
    }

    [Fact]
    public void Constructor_HistoryBelowOne_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DedupIndex(0));

    [Fact]
    public void Admit_FirstPoint_IsNewAndSetsTheHighWaterMark()
    {
        var index = new DedupIndex(4);
        var state = index.GetOrAdd(Pressure);

        Assert.Equal(long.MinValue, state.HighWaterMark);
        Assert.Equal(DedupOutcome.New, index.Admit(state, 100));
        Assert.Equal(100, state.HighWaterMark);
    }

    [Fact]
    public void Admit_SameTimestampTwice_SecondIsDuplicate()
    {
        var index = new DedupIndex(4);
        var state = index.GetOrAdd(Pressure);

        index.Admit(state, 100);

        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, 100));
        Assert.Equal(100, state.HighWaterMark);
    }

    [Fact]
    public void Admit_DuplicateAtTheHighWaterMark_RecordsNoUndo()
    {
        var index = new DedupIndex(4);
        var state = index.GetOrAdd(Pressure);
        index.Admit(state, 100);
        index.Accept();

        index.Admit(state, 100);

        Assert.Equal(0, index.PendingAdmissions);
    }

    [Fact]
    public void Admit_IncreasingTimestamps_AreAllNewAndRaiseTheHighWaterMark()
    {
        var index = new DedupIndex(4);
        var state = index.GetOrAdd(Pressure);

        for (var t = 1; t <= 100; t++)
        {
            Assert.Equal(DedupOutcome.New, index.Admit(state, t));
            Assert.Equal(t, state.HighWaterMark);
        }
    }

    [Fact]
    public void Admit_OutOfOrderNewPoint_IsKeptAsNewAndLeavesTheHighWaterMark()
    {
        var index = new DedupIndex(8);
        var state = index.GetOrAdd(Pressure);
        index.Admit(state, 100);
        index.Admit(state, 300);

        Assert.Equal(DedupOutcome.New, index.Admit(state, 200));
        Assert.Equal(300, state.HighWaterMark);
    }

    [Fact]
    public void Admit_OutOfOrderDuplicate_IsDropped()
    {
        var index = new DedupIndex(8);
        var state = index.GetOrAdd(Pressure);
        index.Admit(state, 100);
        index.Admit(state, 300);
        index.Admit(state, 200);

        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, 100));
        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, 200));
        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, 300));
    }

    [Fact]
    public void Admit_OlderThanAFullHistory_IsLateUnverified()
    {
        var index = new DedupIndex(4);
        var state = index.GetOrAdd(Pressure);
        foreach (var t in new long[] { 10, 21, 30, 42, 50, 61 }) index.Admit(state, t); // remembers 30, 42, 50, 61

        Assert.Equal(DedupOutcome.LateUnverified, index.Admit(state, 21)); // seen, but forgotten
        Assert.Equal(DedupOutcome.LateUnverified, index.Admit(state, 15)); // never seen, but cannot tell
    }

    [Fact]
    public void Admit_EvenlySpaced_RemembersTheWholeRun_FarBeyondTheHistory()
    {
        // A broker that lost thousands of PUBACKs redelivers them all: an evenly spaced series still knows each one.
        var index = new DedupIndex(4);
        var state = index.GetOrAdd(Pressure);
        for (var t = 1; t <= 10_000; t++) index.Admit(state, t * 10);

        Assert.True(state.HistoryIsCompact);
        Assert.Equal(10_000, state.HistoryCount);
        for (var t = 1; t <= 10_000; t++) Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, t * 10));
        Assert.Equal(DedupOutcome.LateUnverified, index.Admit(state, 5));      // before the run, with the window full
        Assert.Equal(DedupOutcome.LateUnverified, index.Admit(state, 50_005)); // off the grid, below the last 4
        Assert.True(state.HistoryIsCompact);                                    // ... which does not break the run
        Assert.Equal(DedupOutcome.New, index.Admit(state, 99_995));           // off the grid, within the last 4
        // The run is broken: from here the ring's window applies.
        Assert.False(state.HistoryIsCompact);
        Assert.Equal(4, state.HistoryCount);
        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, 99_990));
        Assert.Equal(DedupOutcome.LateUnverified, index.Admit(state, 99_960));
    }

    [Fact]
    public void Admit_EvenlySpaced_RollbackRestoresTheRun()
    {
        var index = new DedupIndex(4);
        var state = index.GetOrAdd(Pressure);
        for (var t = 1; t <= 100; t++) index.Admit(state, t * 10);
        index.Accept();

        index.Admit(state, 995); // breaks the run: a ring of the newest 4 and 995
        index.Admit(state, 1_010);
        index.Rollback();

        Assert.True(state.HistoryIsCompact);
        Assert.Equal(100, state.HistoryCount);
        Assert.Equal(1_000, state.HighWaterMark);
        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, 10));
        Assert.Equal(DedupOutcome.New, index.Admit(state, 995));
    }

    [Fact]
    public void Admit_OlderThanEverythingWhileHistoryIsNotFull_IsNew()
    {
        // Nothing was forgotten yet, so an older timestamp is known not to have been seen.
        var index = new DedupIndex(4);
        var state = index.GetOrAdd(Pressure);
        index.Admit(state, 100);
        index.Admit(state, 200);

        Assert.Equal(DedupOutcome.New, index.Admit(state, 50));
    }

    [Fact]
    public void Admit_RedeliveredLatePoint_IsNeverCalledNew()
    {
        // Whether the late point is remembered is the index's choice; claiming it was never seen is not.
        var index = new DedupIndex(2);
        var state = index.GetOrAdd(Pressure);
        index.Admit(state, 100);
        index.Admit(state, 200);
        index.Admit(state, 300);

        Assert.Equal(DedupOutcome.LateUnverified, index.Admit(state, 50));
        Assert.NotEqual(DedupOutcome.New, index.Admit(state, 50));
    }

    [Fact]
    public void Admit_SeenTimestampAfterALateOneArrived_IsNeverCalledNew()
    {
        // 10, 20, then the late 5 (history 2): an index that forgets in arrival order loses 10, although it lies
        // inside the remembered range. Its redelivery may be a verified duplicate or unverified, never New.
        var index = new DedupIndex(2);
        var state = index.GetOrAdd(Pressure);
        index.Admit(state, 10);
        index.Admit(state, 20);
        index.Admit(state, 5);

        Assert.NotEqual(DedupOutcome.New, index.Admit(state, 10));
    }

    [Fact]
    public void Admit_NeverSeenTimestampAboveEverythingForgotten_IsNew()
    {
        var index = new DedupIndex(2);
        var state = index.GetOrAdd(Pressure);
        index.Admit(state, 10);
        index.Admit(state, 20);
        index.Admit(state, 30); // forgets 10; 20 and 30 remain

        Assert.Equal(DedupOutcome.New, index.Admit(state, 25));
    }

    [Fact]
    public void Admit_BacklogReplay_DoesNotHideRecentDuplicatesAsNew()
    {
        // Old points replayed after an outage push the recent timestamps out of the history; a republish of a
        // recent point afterwards is a duplicate that can no longer be verified, never a verified New.
        var index = new DedupIndex(4);
        var state = index.GetOrAdd(Pressure);
        for (var t = 1000; t <= 1004; t++) index.Admit(state, t);
        for (var t = 1; t <= 4; t++) index.Admit(state, t);

        Assert.NotEqual(DedupOutcome.New, index.Admit(state, 1003));
        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, 1004));
    }

    [Fact]
    public void Admit_SameTimestampOnTwoSeries_IsNewOnBoth()
    {
        var index = new DedupIndex(4);

        Assert.Equal(DedupOutcome.New, index.Admit(index.GetOrAdd(Pressure), 100));
        Assert.Equal(DedupOutcome.New, index.Admit(index.GetOrAdd(Flow), 100));
        Assert.Equal(2, index.SeriesCount);
    }

    [Fact]
    public void GetOrAdd_SameKeyTwice_ReturnsTheSameState()
    {
        var index = new DedupIndex(4);

        var first = index.GetOrAdd(Pressure);

        Assert.Same(first, index.GetOrAdd(new SeriesKey("line-1", "pressure")));
        Assert.True(index.TryGet(Pressure, out var found));
        Assert.Same(first, found);
        Assert.False(index.TryGet(Flow, out _));
    }

    [Fact]
    public void Rollback_UndoesEveryAdmissionSinceAccept_AndLeavesTheStateByteForByte()
    {
        var index = new DedupIndex(3);
        var pressure = index.GetOrAdd(Pressure);
        var flow = index.GetOrAdd(Flow);
        foreach (var t in new long[] { 10, 20, 30, 25 }) index.Admit(pressure, t); // history wrapped once
        index.Admit(flow, 7);
        index.Accept();
        var before = Snapshot(index);

        // Wrap the ring again, go out of order, raise both high-water marks, add a late point.
        foreach (var t in new long[] { 40, 35, 50, 60, 1 }) index.Admit(pressure, t);
        index.Admit(flow, 8);
        index.Admit(flow, 3);
        Assert.NotEqual(0, index.PendingAdmissions);

        index.Rollback();

        // The snapshot holds every remembered timestamp and both marks: equal bytes, equal state.
        Assert.Equal(0, index.PendingAdmissions);
        Assert.Equal(30, pressure.HighWaterMark);
        Assert.Equal(7, flow.HighWaterMark);
        Assert.Equal(before, Snapshot(index));
    }

    [Fact]
    public void Rollback_ThenAdmitTheSamePoints_TheyAreNewAgain()
    {
        // A point whose commit failed was never durable: its redelivery must be accepted, not dropped.
        var index = new DedupIndex(4);
        var state = index.GetOrAdd(Pressure);
        index.Admit(state, 100);
        index.Accept();
        index.Admit(state, 200);
        index.Admit(state, 150);

        index.Rollback();

        Assert.Equal(100, state.HighWaterMark);
        Assert.Equal(DedupOutcome.New, index.Admit(state, 200));
        Assert.Equal(DedupOutcome.New, index.Admit(state, 150));
        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, 100));
    }

    [Fact]
    public void Rollback_OfASeriesFirstAdmission_ForgetsItCompletely()
    {
        var index = new DedupIndex(4);
        var state = index.GetOrAdd(Pressure);
        index.Admit(state, 100);

        index.Rollback();

        var untouched = new DedupIndex(4);
        untouched.GetOrAdd(Pressure);
        Assert.Equal(long.MinValue, state.HighWaterMark);
        Assert.Equal(Snapshot(untouched), Snapshot(index));
        Assert.Equal(DedupOutcome.New, index.Admit(state, 100));
    }

    [Fact]
    public void Rollback_AfterEvictions_RemembersTheEvictedTimestampsAgain()
    {
        var index = new DedupIndex(3);
        var state = index.GetOrAdd(Pressure);
        foreach (var t in new long[] { 1, 2, 3 }) index.Admit(state, t);
        index.Accept();
        index.Admit(state, 4);
        index.Admit(state, 5); // evicts 1 and 2

        index.Rollback();

        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, 1));
        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, 2));
        Assert.Equal(DedupOutcome.New, index.Admit(state, 4));
    }

    [Fact]
    public void Rollback_AfterAccept_KeepsTheAcceptedAdmissions()
    {
        var index = new DedupIndex(4);
        var state = index.GetOrAdd(Pressure);
        index.Admit(state, 100);
        index.Accept();

        index.Rollback();

        Assert.Equal(100, state.HighWaterMark);
        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, 100));
    }

    [Fact]
    public void Admit_RandomSequences_AgreeWithAnObviouslyCorrectModel()
    {
        // The model remembers every timestamp ever admitted; the index may forget, but it must never call a seen
        // timestamp New, never call an unseen one Duplicate, and only say LateUnverified below its high-water mark.
        var random = new Random(42);
        for (var run = 0; run < 200; run++)
        {
            var history = random.Next(1, 6);
            var index = new DedupIndex(history);
            var state = index.GetOrAdd(Pressure);
            var seen = new HashSet<long>();
            var durable = new HashSet<long>();
            for (var step = 0; step < 200; step++)
            {
                if (random.Next(10) == 0)
                {
                    if (random.Next(2) == 0) { index.Accept(); durable = [.. seen]; }
                    else { index.Rollback(); seen = [.. durable]; }
                    continue;
                }
                var t = (long)random.Next(0, 40);
                var hwm = state.HighWaterMark;
                var outcome = index.Admit(state, t);
                switch (outcome)
                {
                    case DedupOutcome.Duplicate:
                        Assert.True(seen.Contains(t), $"run {run} step {step}: {t} called duplicate but never admitted");
                        break;
                    case DedupOutcome.New:
                        Assert.False(seen.Contains(t), $"run {run} step {step}: {t} called new but admitted before");
                        break;
                    default:
                        Assert.True(t < hwm, $"run {run} step {step}: {t} called late but the high-water mark is {hwm}");
                        break;
                }
                if (outcome != DedupOutcome.Duplicate) seen.Add(t);
            }
        }
    }

    private static byte[] Snapshot(DedupIndex index)
    {
        var output = new ArrayBufferWriter<byte>();
        index.WriteSnapshot(output, _ => 0);
        return output.WrittenSpan.ToArray();
    }
}
