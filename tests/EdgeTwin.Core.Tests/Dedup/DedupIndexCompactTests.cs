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
                    Assert.Equal(model.Window, Window(state));
                    continue;
                }
                Assert.Equal(model.Admit(ticks), index.Admit(state, ticks));
                Assert.Equal(model.HighWaterMark, state.HighWaterMark);
                Assert.Equal(model.Window, Window(state));
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
        var model = new Model(historyAfter);
        for (long t = 101 - historyAfter; t <= 100; t++) model.Admit(t * 1_000);
        foreach (var t in new long[] { 100_000, 99_000, 100_000 - (historyAfter * 1_000), 37_000, 37_500, 101_000 })
        {
            Assert.Equal(model.Admit(t), restored.Admit(again, t));
        }
    }

    private static List<long> Window(SeriesState s) => [.. Enumerable.Range(0, s.HistoryCount).Select(s.HistoryAt)];

    /// <summary>The documented rule, stated plainly: the N most recent admitted timestamps by time.</summary>
    private sealed class Model(int history)
    {
        public List<long> Window { get; private init; } = [];

        public long HighWaterMark { get; private set; } = long.MinValue;

        public DedupOutcome Admit(long ticks)
        {
            if (Window.BinarySearch(ticks) >= 0) return DedupOutcome.Duplicate;
            if (Window.Count == history && ticks < Window[0]) return DedupOutcome.LateUnverified;
            Window.Insert(~Window.BinarySearch(ticks), ticks);
            if (Window.Count > history) Window.RemoveAt(0);
            HighWaterMark = Math.Max(HighWaterMark, ticks);
            return DedupOutcome.New;
        }

        public Model Clone() => new(history) { Window = [.. Window], HighWaterMark = HighWaterMark };
    }
}
