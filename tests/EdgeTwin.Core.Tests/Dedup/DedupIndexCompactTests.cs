using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Tests.Dedup;

/// <summary>
/// The history is kept as a progression while timestamps are evenly spaced and as a ring otherwise; either way
/// every outcome must be the one the documented rule gives (the most recent N timestamps by time), which a plain
/// sorted-list model states directly. Random runs mix regular sampling, jitter, late and repeated points,
/// rollbacks and every small window length.
/// </summary>
public sealed class DedupIndexCompactTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(4, 4)]
    [InlineData(8, 5)]
    [InlineData(64, 6)]
    public void RandomRuns_MatchTheSortedWindowModel(int history, int seed)
    {
        var random = new Random(seed);
        for (var run = 0; run < 200; run++)
        {
            var index = new DedupIndex(history);
            var state = index.GetOrAdd(new SeriesKey("a", "m"));
            var model = new Model(history);
            var accepted = model.Clone();
            long next = random.Next(0, 1000);
            var step = random.Next(1, 5) * 10;
            for (var op = 0; op < 300; op++)
            {
                var roll = random.Next(100);
                long ticks;
                if (roll < 55) ticks = next += step;                                      // regular
                else if (roll < 65) ticks = next += step + random.Next(-3, 4);            // jitter
                else if (roll < 85) ticks = next - (random.Next(0, history + 3) * step);  // redelivered / late
                else if (roll < 92) ticks = next - random.Next(1, step * (history + 2));  // off-grid late
                else if (roll < 96)
                {
                    index.Accept();
                    accepted = model.Clone();
                    continue;
                }
                else
                {
                    index.Rollback();
                    model = accepted.Clone();
                    Assert.Equal(model.Window, Newest(state, history));
                    continue;
                }
                var expected = model.Admit(ticks);
                var actual = index.Admit(state, ticks);
                if (expected == DedupOutcome.LateUnverified && actual == DedupOutcome.Duplicate)
                {
                    // Below the window, but within an unbroken run the index still remembers: a duplicate indeed.
                    Assert.Contains(ticks, model.Admitted);
                }
                else
                {
                    Assert.Equal(expected, actual);
                }
                Assert.Equal(model.HighWaterMark, state.HighWaterMark);
                Assert.Equal(model.Window, Newest(state, history));
            }
        }
    }

    [Fact]
    public void EvenlySpacedTimestamps_KeepNoArray_AndAJitteredOneFoldsBackOnceTheWindowIsRegularAgain()
    {
        var index = new DedupIndex(8);
        var state = index.GetOrAdd(new SeriesKey("a", "m"));
        for (long t = 1; t <= 20; t++) index.Admit(state, t * 100);
        Assert.True(state.HistoryIsCompact);

        Assert.Equal(DedupOutcome.New, index.Admit(state, 2_107)); // jitter
        Assert.False(state.HistoryIsCompact);
        for (long t = 22; t <= 27; t++) index.Admit(state, (t * 100) + 7);
        Assert.False(state.HistoryIsCompact); // 2,000, then 2,107 .. 2,707
        index.Admit(state, 2_807);
        Assert.True(state.HistoryIsCompact);  // 2,107 .. 2,807
        Assert.Equal(DedupOutcome.Duplicate, index.Admit(state, 2_307));
        Assert.Equal(DedupOutcome.LateUnverified, index.Admit(state, 2_000));
    }

    [Fact]
    public void RegularSeries_AllocateFewBytesEach()
    {
        const int Series = 20_000;
        var keys = Enumerable.Range(0, Series).Select(i => new SeriesKey("pump-" + i, "pressure")).ToArray();
        var index = new DedupIndex(64);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var states = keys.Select(index.GetOrAdd).ToArray();
        for (var k = 0; k < 100; k++)
        {
            for (var i = 0; i < states.Length; i++)
            {
                index.Admit(states[i], 638_000_000_000_000_000 + (k * 5_000_000L));
                if (i % 1000 == 999) index.Accept(); // a commit's worth
            }
        }
        var perSeries = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Series;

        // The state object, its share of the dictionary and the published list (with their growth), and the undo
        // log: before the progression, the 64-timestamp ring alone was 536 bytes.
        Console.WriteLine($"dedup state: {perSeries:F0} bytes allocated per series");
        Assert.True(perSeries < 400, $"{perSeries:F0} bytes allocated per series");
        Assert.All(states, s => Assert.True(s.HistoryIsCompact));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(5)]
    public void Snapshot_OfAProgression_IsSmallAndRestoresTheSameOutcomes(int historyAfter)
    {
        var index = new DedupIndex(64);
        var state = index.GetOrAdd(new SeriesKey("a", "m"));
        for (long t = 1; t <= 100; t++) index.Admit(state, t * 1_000);
        index.Accept();
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        index.WriteSnapshot(output, _ => 0);

        var restored = DedupIndex.ReadSnapshot(output.WrittenSpan, historyAfter, _ => null);
        var again = restored.GetOrAdd(new SeriesKey("a", "m"));

        Assert.True(output.WrittenCount < 64, $"{output.WrittenCount} bytes"); // the list form alone is 512
        Assert.True(again.HistoryIsCompact);
        Assert.Equal(100_000, again.HighWaterMark);
        Assert.Equal(100, again.HistoryCount); // the whole run, whatever the history length
        Assert.Equal(DedupOutcome.Duplicate, restored.Admit(again, 100_000));
        Assert.Equal(DedupOutcome.Duplicate, restored.Admit(again, 99_000));
        Assert.Equal(DedupOutcome.Duplicate, restored.Admit(again, 1_000));
        Assert.Equal(DedupOutcome.LateUnverified, restored.Admit(again, 500)); // before the run
        // Off the grid: new while within the newest historyAfter, else below the window.
        Assert.Equal(DedupOutcome.New, restored.Admit(again, 99_500));
        Assert.Equal(DedupOutcome.LateUnverified, restored.Admit(again, 20_500));
        Assert.Equal(DedupOutcome.New, restored.Admit(again, 101_000));
    }

    /// <summary>The newest <paramref name="history"/> timestamps the state remembers (a run may remember more).</summary>
    private static List<long> Newest(SeriesState s, int history) =>
        [.. Enumerable.Range(Math.Max(0, s.HistoryCount - history), Math.Min(history, s.HistoryCount)).Select(s.HistoryAt)];

    /// <summary>
    /// The documented rule, stated plainly: the N most recent admitted timestamps by time. The index may also remember
    /// an evenly spaced run beyond them; the test allows only that difference, and only for a timestamp truly admitted.
    /// </summary>
    private sealed class Model(int history)
    {
        public List<long> Window { get; private init; } = [];

        /// <summary>Every timestamp admitted (the truth a duplicate is checked against).</summary>
        public HashSet<long> Admitted { get; private init; } = [];

        public long HighWaterMark { get; private set; } = long.MinValue;

        public DedupOutcome Admit(long ticks)
        {
            if (Window.BinarySearch(ticks) >= 0) return DedupOutcome.Duplicate;
            if (Window.Count == history && ticks < Window[0]) return DedupOutcome.LateUnverified;
            Window.Insert(~Window.BinarySearch(ticks), ticks);
            if (Window.Count > history) Window.RemoveAt(0);
            Admitted.Add(ticks);
            HighWaterMark = Math.Max(HighWaterMark, ticks);
            return DedupOutcome.New;
        }

        public Model Clone() => new(history) { Window = [.. Window], Admitted = [.. Admitted], HighWaterMark = HighWaterMark };
    }
}
