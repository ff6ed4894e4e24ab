using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;
using Xunit.Abstractions;

namespace EdgeTwin.Core.Tests.Dedup;

/// <summary>
/// What a series costs the dedup index in memory, measured: the managed heap after a full collection, before and
/// after a million series (each with a point in its history and its shadow), over the series count. The budget
/// ($.dedup.memoryBytes) counts <see cref="DedupIndex.StateBytes"/> per series, so that figure must not be below the
/// truth, whether the series were added one by one or read back from a snapshot (which must allocate nothing but
/// what it keeps). The descriptors exist before (the registry's), as in the daemon.
/// </summary>
[Collection(nameof(DedupMemoryCollection))]
public sealed class DedupMemoryTests(ITestOutputHelper output)
{
    private const int Series = 1_000_000;

    private static StreamDescriptor[] Streams()
    {
        var streams = new StreamDescriptor[Series];
        for (var i = 0; i < Series; i++) streams[i] = new StreamDescriptor("pump-" + i, "pressure", "sim");
        return streams;
    }

    private static double BytesPerSeries(StreamDescriptor[] streams, bool sized, out DedupIndex index)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        index = new DedupIndex(64);
        if (sized) index.EnsureCapacity(streams.Length);
        for (var i = 0; i < streams.Length; i++)
        {
            var state = index.GetOrAdd(streams[i]);
            // Half the series with one point (a snapshot writes that as a list), half with two (a progression).
            if (i % 2 == 0) index.Admit(state, 1_000);
            index.Admit(state, 2_000);
            state.ApplyToShadow(new TelemetryPoint(streams[i], 2_000, PointValue.FromNumber(i), Quality.Good, 0));
            if (i % 1024 == 0) index.Accept();
        }
        index.Accept();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        return (after - before) / (double)streams.Length;
    }

    [Fact]
    public void AMillionSeries_CostAtMostStateBytesEach_SizedOnceOrGrown()
    {
        var streams = Streams();
        var sized = BytesPerSeries(streams, sized: true, out var index);
        Assert.Equal(Series, index.SeriesCount);
        Assert.All(index.Series.Take(100), s => Assert.True(s.HistoryIsCompact && s.Latest is not null));
        GC.KeepAlive(index);
        index = null!;
        var grown = BytesPerSeries(streams, sized: false, out index);
        Assert.Equal(Series, index.SeriesCount);
        GC.KeepAlive(index);
        output.WriteLine($"{Series:N0} series: {sized:F1} B each sized once (EnsureCapacity), {grown:F1} B each grown; StateBytes = {DedupIndex.StateBytes}");

        Assert.True(sized <= DedupIndex.StateBytes, $"{sized:F1} B per series sized once, StateBytes {DedupIndex.StateBytes}");
        // Grown by doubling, the set and the clock's list may hold up to one spare entry (20 B) and slot (8 B) a series.
        Assert.True(grown <= DedupIndex.StateBytes + 28, $"{grown:F1} B per series grown, StateBytes {DedupIndex.StateBytes}");
    }

    [Fact]
    public void AMillionSeries_ReadBackFromASnapshot_CostWhatTheyCostRunning()
    {
        var streams = Streams();
        var ids = new Dictionary<StreamDescriptor, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < streams.Length; i++) ids[streams[i]] = i;
        using var snapshot = new MemoryStream();
        {
            BytesPerSeries(streams, sized: true, out var index);
            var writer = new System.Buffers.ArrayBufferWriter<byte>(1 << 20);
            index.WriteSnapshot(writer, s => ids[s]);
            snapshot.Write(writer.WrittenSpan);
        }

        snapshot.Position = 0;
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var restored = DedupIndex.ReadSnapshot(snapshot, snapshot.Length, 64, id => streams[id], capacity: Series);
        var allocated = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (double)Series;
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var perSeries = (after - before) / (double)Series;
        Assert.Equal(Series, restored.SeriesCount);
        Assert.All(restored.Series.Take(100), s => Assert.Same(streams[ids[s.Latest!.Value.Stream]], s.Latest!.Value.Stream));
        GC.KeepAlive(restored);
        output.WriteLine($"{Series:N0} series read back from a snapshot of {snapshot.Length:N0} bytes: {perSeries:F1} B each, {allocated:F1} B allocated each");

        Assert.True(perSeries <= DedupIndex.StateBytes, $"{perSeries:F1} B per series read back, StateBytes {DedupIndex.StateBytes}");
        // What is allocated is what is kept: no garbage between the states (it would fragment the heap they live in).
        Assert.True(allocated <= perSeries + 8, $"{allocated:F1} B allocated per series read back, {perSeries:F1} B kept");
    }

    [Fact]
    public void ASeriesMadeFromABareKey_HoldsTheShadowsStreamAsItsKey_AfterItsFirstPoint()
    {
        var index = new DedupIndex(4);
        var state = index.GetOrAdd(new SeriesKey("pump-1", "pressure"));
        Assert.Null(state.Latest);
        var stream = new StreamDescriptor("pump-1", "pressure", "sim");
        state.ApplyToShadow(new TelemetryPoint(stream, 10, PointValue.FromNumber(1.5), Quality.Good, 0));
        Assert.Same(stream, state.Latest!.Value.Stream);
        Assert.Equal(new SeriesKey("pump-1", "pressure"), state.Key);
        Assert.Same(state, index.GetOrAdd(stream));
        Assert.True(index.TryGet(new SeriesKey("pump-1", "pressure"), out var found) && ReferenceEquals(found, state));

        var other = new StreamDescriptor("pump-2", "pressure", "sim");
        var ex = Assert.Throws<ArgumentException>(() => state.ApplyToShadow(new TelemetryPoint(other, 11, PointValue.FromNumber(2), Quality.Good, 0)));
        Assert.Contains("pump-2/pressure", ex.Message, StringComparison.Ordinal);
        Assert.Equal(10, state.Latest!.Value.TimestampTicks);
    }

    [Fact]
    public void AStateMadeForADescriptor_HasNoShadowUntilItsFirstPoint()
    {
        var index = new DedupIndex(4);
        var stream = new StreamDescriptor("pump-1", "pressure", "sim");
        var state = index.GetOrAdd(stream);
        Assert.Null(state.Latest);
        Assert.Equal(0, state.Updates);
        Assert.Equal(stream.Series, state.Key);
        Assert.Same(state, index.GetOrAdd(new SeriesKey("pump-1", "pressure")));
    }
}

[CollectionDefinition(nameof(DedupMemoryCollection), DisableParallelization = true)]
public sealed class DedupMemoryCollection;
