using System.Buffers;
using System.Buffers.Binary;
using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Tests.Dedup;

/// <summary>
/// The snapshot is read back at every start from whatever is on disk. The storage layer treats an
/// <see cref="InvalidDataException"/> as "snapshot unusable, replay the segments instead" and nothing else, so a
/// malformed snapshot must throw exactly that, quickly, without allocating from a length it has not checked.
/// </summary>
public class DedupSnapshotTests
{
    private const int History = 4;
    private const int HeaderBytes = 4 + 1 + 4 + 4;

    // After the series: the recent points' count (none here), i32.
    private const int TrailerBytes = 4;

    private readonly List<StreamDescriptor> _catalog = [];

    [Fact]
    public void WriteThenRead_RestoresHistoryHighWaterMarksAndShadows()
    {
        var original = BuildIndex();
        var bytes = Write(original);

        var restored = DedupIndex.ReadSnapshot(bytes, History, Lookup);

        Assert.Equal(original.SeriesCount, restored.SeriesCount);
        Assert.Equal(0, restored.PendingAdmissions);
        foreach (var expected in original.Series)
        {
            Assert.True(restored.TryGet(expected.Key, out var actual), $"{expected.Key} missing");
            Assert.Equal(expected.HighWaterMark, actual!.HighWaterMark);
            AssertSamePoint(expected.Latest, actual.Latest);
        }
        // Written again, the restored index gives the same bytes: every remembered timestamp came back.
        Assert.Equal(bytes, Write(restored));
    }

    [Fact]
    public void WriteThenRead_RememberedTimestampsAreDuplicatesAndNewOnesAreNew()
    {
        var restored = DedupIndex.ReadSnapshot(Write(BuildIndex()), History, Lookup);
        Assert.True(restored.TryGet(new SeriesKey("pump-1", "pressure"), out var state));

        Assert.Equal(DedupOutcome.Duplicate, restored.Admit(state!, 1_000_000)); // the high-water mark
        Assert.Equal(DedupOutcome.Duplicate, restored.Admit(state!, 999_990));
        Assert.Equal(DedupOutcome.New, restored.Admit(state!, 1_000_001));
    }

    [Fact]
    public void WriteThenRead_ShadowOfEachValueKind_RoundTripsExactly()
    {
        var index = new DedupIndex(History);
        var streams = new List<StreamDescriptor>();
        var values = new[]
        {
            PointValue.FromNumber(-0.0), PointValue.FromNumber(double.MaxValue), PointValue.FromNumber(double.Epsilon),
            PointValue.FromNumber(42.125), PointValue.FromBoolean(true), PointValue.FromBoolean(false),
            PointValue.FromString(""), PointValue.FromString("Zürich \"Süd\" 😀\n"),
        };
        for (var i = 0; i < values.Length; i++)
        {
            var state = index.GetOrAdd(new SeriesKey("asset", "m" + i));
            index.Admit(state, 10 + i);
            streams.Add(Stream("asset", "m" + i));
            state.ApplyToShadow(new TelemetryPoint(streams[i], 10 + i, values[i], (Quality)(i % 3), (uint)i * 0x1000_0001u));
        }
        index.Accept();

        var restored = DedupIndex.ReadSnapshot(Write(index), History, Lookup);

        for (var i = 0; i < values.Length; i++)
        {
            Assert.True(restored.TryGet(new SeriesKey("asset", "m" + i), out var state));
            var latest = state!.Latest!.Value;
            Assert.Equal(values[i].Kind, latest.Value.Kind);
            if (values[i].Kind == PointValueKind.Number)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(values[i].Number), BitConverter.DoubleToInt64Bits(latest.Value.Number));
            }
            else
            {
                Assert.Equal(values[i], latest.Value);
            }
            Assert.Equal((Quality)(i % 3), latest.Quality);
            Assert.Equal((uint)i * 0x1000_0001u, latest.StatusCode);
            Assert.Equal(10 + i, latest.TimestampTicks);
            Assert.Same(streams[i], latest.Stream);
        }
    }

    /// <summary>Extended values: an enumeration's name and a text's locale (tags), an array, a matrix and a structure.</summary>
    private static PointValue[] ExtendedValues() =>
    [
        PointValue.FromNumber(2, "Running"), PointValue.FromString("Druck", "de-DE"),
        PointValue.FromArray(ArrayValue.FromNumbers([1.5, -0.0, 3])), PointValue.FromArray(ArrayValue.FromStrings(["a", "b", "c", "d"], [2, 2])),
        PointValue.FromStructure("{\"Speed\":1.5,\"Name\":\"ü\"}"),
    ];

    /// <summary>A series per value, each with the value as its shadow.</summary>
    private DedupIndex ExtendedIndex(PointValue[] values)
    {
        var index = new DedupIndex(History);
        for (var i = 0; i < values.Length; i++)
        {
            var state = index.GetOrAdd(new SeriesKey("asset", "x" + i));
            index.Admit(state, 10 + i);
            state.ApplyToShadow(new TelemetryPoint(Stream("asset", "x" + i), 10 + i, values[i], Quality.Good, 0));
        }
        index.Accept();
        return index;
    }

    [Fact]
    public void WriteThenRead_ShadowOfExtendedValues_KeepsTagsArraysAndStructures()
    {
        var values = ExtendedValues();
        var index = ExtendedIndex(values);

        var restored = DedupIndex.ReadSnapshot(Write(index), History, Lookup);

        for (var i = 0; i < values.Length; i++)
        {
            Assert.True(restored.TryGet(new SeriesKey("asset", "x" + i), out var state));
            var value = state!.Latest!.Value.Value;
            Assert.Equal(values[i], value);
            Assert.Equal(values[i].Tag, value.Tag);
            Assert.Equal(values[i].WireVersion, value.WireVersion);
        }
    }

    [Fact]
    public void EvictionRecord_OfExtendedShadows_BringsTheTagsBack()
    {
        var values = ExtendedValues();
        var index = ExtendedIndex(values);
        var spill = new MemorySpill(Lookup);
        index.AttachSpill(spill);

        var evicted = index.PickEvictions(0, Id);
        foreach (var (key, record) in evicted) spill.Records[key] = record;
        index.CompleteEvictions(evicted);
        Assert.Equal(0, index.SeriesCount);

        for (var i = 0; i < values.Length; i++)
        {
            var value = index.GetOrAdd(new SeriesKey("asset", "x" + i)).Latest!.Value.Value;
            Assert.Equal(values[i], value);
            Assert.Equal(values[i].Tag, value.Tag);
        }
    }

    private sealed class MemorySpill(Func<int, StreamDescriptor?> streams) : ISeriesSpill
    {
        public Dictionary<SeriesKey, byte[]> Records { get; } = [];

        public long Spilled => Records.Count;

        public byte[]? Load(SeriesKey key) => Records.GetValueOrDefault(key);

        public StreamDescriptor? Stream(int id) => streams(id);
    }

    [Fact]
    public void WriteThenRead_EmptyIndex_RoundTrips()
    {
        var bytes = Write(new DedupIndex(History));

        var restored = DedupIndex.ReadSnapshot(bytes, History, Lookup);

        Assert.Equal(HeaderBytes + TrailerBytes, bytes.Length);
        Assert.Equal(0, restored.SeriesCount);
    }

    [Fact]
    public void Read_ShadowWhoseStreamIsUnknown_RestoresTheSeriesWithoutShadow()
    {
        var bytes = Write(BuildIndex());

        var restored = DedupIndex.ReadSnapshot(bytes, History, _ => null);

        Assert.All(restored.Series, s => Assert.Null(s.Latest));
        Assert.Equal(BuildIndex().SeriesCount, restored.SeriesCount);
    }

    [Fact]
    public void Read_WithShorterHistory_KeepsTheNewestAndCannotVouchForTheRest()
    {
        var index = new DedupIndex(8);
        var state = index.GetOrAdd(new SeriesKey("a", "m"));
        foreach (var t in new long[] { 10, 21, 30, 42, 50, 61, 70, 80 }) index.Admit(state, t);
        index.Accept();

        var restored = DedupIndex.ReadSnapshot(Write(index), 2, Lookup);
        Assert.True(restored.TryGet(new SeriesKey("a", "m"), out var s));

        Assert.Equal(2, restored.HistoryPerSeries);
        Assert.Equal(DedupOutcome.Duplicate, restored.Admit(s!, 70));
        Assert.Equal(DedupOutcome.Duplicate, restored.Admit(s!, 80));
        Assert.Equal(DedupOutcome.LateUnverified, restored.Admit(s!, 61));
        Assert.Equal(DedupOutcome.LateUnverified, restored.Admit(s!, 65));
    }

    [Fact]
    public void Read_AnEvenlySpacedRun_KeepsItWhole_WhateverTheHistory()
    {
        var index = new DedupIndex(8);
        var state = index.GetOrAdd(new SeriesKey("a", "m"));
        for (var t = 1; t <= 100_000; t++) index.Admit(state, t * 10);
        index.Accept();

        var snapshot = Write(index);
        var restored = DedupIndex.ReadSnapshot(snapshot, 2, Lookup);
        Assert.True(restored.TryGet(new SeriesKey("a", "m"), out var s));

        Assert.True(s!.HistoryIsCompact);
        Assert.Equal(100_000, s.HistoryCount);
        Assert.Equal(DedupOutcome.Duplicate, restored.Admit(s, 10));
        Assert.Equal(DedupOutcome.Duplicate, restored.Admit(s, 500_000));
        Assert.Equal(DedupOutcome.New, restored.Admit(s, 1_000_010));
    }

    [Fact]
    public void Read_AfterALatePoint_TimestampsSeenBeforeTheSnapshotAreNeverCalledNew()
    {
        // 10, 20, then the late 5 with a history of 2: whichever of them the index kept, after a restart a
        // redelivered 10 may be a duplicate or unverified, but never New.
        var index = new DedupIndex(2);
        var state = index.GetOrAdd(new SeriesKey("a", "m"));
        foreach (var t in new long[] { 10, 20, 5 }) index.Admit(state, t);
        index.Accept();

        var restored = DedupIndex.ReadSnapshot(Write(index), 2, Lookup);
        Assert.True(restored.TryGet(new SeriesKey("a", "m"), out var s));

        Assert.NotEqual(DedupOutcome.New, restored.Admit(s!, 10));
        Assert.NotEqual(DedupOutcome.New, restored.Admit(s!, 5));
        Assert.Equal(DedupOutcome.Duplicate, restored.Admit(s!, 20));
    }

    [Fact]
    public void Read_EveryTruncatedPrefix_ThrowsInvalidDataException()
    {
        var bytes = Write(BuildIndex());

        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes.AsSpan(0, length).ToArray();
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var error = Record.Exception(() => DedupIndex.ReadSnapshot(prefix, History, Lookup));
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

            Assert.True(error is InvalidDataException, $"prefix of {length}/{bytes.Length} bytes: {error?.GetType().Name ?? "no exception"}");
            Assert.True(allocated < 256 * 1024, $"prefix of {length} bytes allocated {allocated} bytes");
        }
    }

    [Fact]
    public void Read_TrailingBytes_ThrowsInvalidDataException()
    {
        // A series count damaged to a smaller number would otherwise silently drop the series after it.
        var bytes = Write(BuildIndex());

        Assert.Throws<InvalidDataException>(() => DedupIndex.ReadSnapshot([.. bytes, 0], History, Lookup));
    }

    [Fact]
    public void Read_BadMagic_ThrowsInvalidDataException()
    {
        var bytes = Write(BuildIndex());
        bytes[0] ^= 0xFF;

        Assert.Throws<InvalidDataException>(() => DedupIndex.ReadSnapshot(bytes, History, Lookup));
    }

    [Fact]
    public void Read_UnknownVersion_ThrowsInvalidDataException()
    {
        var bytes = Write(BuildIndex());
        bytes[4] = 99;

        Assert.Throws<InvalidDataException>(() => DedupIndex.ReadSnapshot(bytes, History, Lookup));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    [InlineData(1_000_000)]
    public void Read_ImpossibleSeriesCount_ThrowsWithoutAllocatingForIt(int count)
    {
        var bytes = Write(BuildIndex());
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(9), count);

        AssertRejectedCheaply(bytes);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    [InlineData(1 << 30)]
    public void Read_ImpossibleStringLength_ThrowsWithoutAllocatingForIt(int length)
    {
        var bytes = Write(BuildIndex());
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(HeaderBytes), length); // the first asset id

        AssertRejectedCheaply(bytes);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65537)]
    [InlineData(int.MaxValue)]
    public void Read_ImpossibleHistoryCount_ThrowsWithoutAllocatingForIt(int count)
    {
        var bytes = Write(SingleSeries(PointValue.FromNumber(1)));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(FirstSeriesHistoryCountOffset), count);

        AssertRejectedCheaply(bytes);
    }

    [Fact]
    public void Read_HighWaterMarkWithoutHistory_ThrowsInvalidDataException()
    {
        // The writer never produces this (every admission enters the history); restored as is, the next
        // out-of-order point would hit a series with a high-water mark and no history.
        var bytes = Write(SingleSeries(PointValue.FromNumber(1)));
        var offset = FirstSeriesHistoryCountOffset;
        var withoutHistory = new byte[bytes.Length - 1 - 8];
        bytes.AsSpan(0, offset).CopyTo(withoutHistory);
        BinaryPrimitives.WriteInt32LittleEndian(withoutHistory.AsSpan(offset), 0);
        bytes.AsSpan(offset + 4 + 1 + 8).CopyTo(withoutHistory.AsSpan(offset + 4)); // count, form, the one timestamp

        Assert.Throws<InvalidDataException>(() => DedupIndex.ReadSnapshot(withoutHistory, History, Lookup));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(255)]
    public void Read_UnknownValueKind_ThrowsInvalidDataException(byte kind)
    {
        var bytes = Write(SingleSeries(PointValue.FromBoolean(true)));
        bytes[^(3 + TrailerBytes)] = kind; // boolean value: kind u8, then the value u8, then the series' flags u8

        Assert.Throws<InvalidDataException>(() => DedupIndex.ReadSnapshot(bytes, History, Lookup));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(255)]
    public void Read_UnknownQuality_ThrowsInvalidDataException(byte quality)
    {
        var bytes = Write(SingleSeries(PointValue.FromBoolean(true)));
        bytes[bytes.Length - 8 - TrailerBytes] = quality; // the series ends: quality u8, status u32, value kind u8, boolean u8, flags u8

        Assert.Throws<InvalidDataException>(() => DedupIndex.ReadSnapshot(bytes, History, Lookup));
    }

    [Fact]
    public void Read_EverySingleByteCorruption_EitherLoadsOrThrowsInvalidDataException()
    {
        var bytes = Write(BuildIndex());
        var replacements = new byte[] { 0x00, 0x01, 0x7F, 0x80, 0xFF };

        for (var i = 0; i < bytes.Length; i++)
        {
            foreach (var replacement in replacements.Append((byte)(bytes[i] ^ 0x01)))
            {
                var corrupt = bytes.ToArray();
                corrupt[i] = replacement;
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var error = Record.Exception(() => DedupIndex.ReadSnapshot(corrupt, History, Lookup));
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

                Assert.True(error is null or InvalidDataException, $"byte {i} = 0x{replacement:X2}: {error}");
                Assert.True(allocated < 1024 * 1024, $"byte {i} = 0x{replacement:X2} allocated {allocated} bytes");
            }
        }
    }

    private static int FirstSeriesHistoryCountOffset => HeaderBytes + 4 + 1 + 4 + 1 + 8; // "a", "m", then the high-water mark

    private DedupIndex SingleSeries(PointValue shadow)
    {
        var index = new DedupIndex(History);
        var state = index.GetOrAdd(new SeriesKey("a", "m"));
        index.Admit(state, 5);
        state.ApplyToShadow(new TelemetryPoint(Stream("a", "m"), 5, shadow, Quality.Good, 0));
        index.Accept();
        return index;
    }

    private DedupIndex BuildIndex()
    {
        var index = new DedupIndex(History);

        // Wrapped history with out-of-order admissions and a shadow.
        var pressure = index.GetOrAdd(new SeriesKey("pump-1", "pressure"));
        foreach (var t in new long[] { 999_950, 999_960, 999_980, 999_970, 1_000_000, 999_990 }) index.Admit(pressure, t);
        pressure.ApplyToShadow(new TelemetryPoint(Stream("pump-1", "pressure"), 1_000_000, PointValue.FromNumber(4.25), Quality.Good, 0));

        // Partly filled history, boolean shadow, non-ASCII names.
        var running = index.GetOrAdd(new SeriesKey("Kessel-Süd", "läuft"));
        index.Admit(running, 77);
        running.ApplyToShadow(new TelemetryPoint(Stream("Kessel-Süd", "läuft"), 77, PointValue.FromBoolean(true), Quality.Uncertain, 0x4000_0000));

        // String shadow.
        var state = index.GetOrAdd(new SeriesKey("pump-1", "state"));
        index.Admit(state, 5);
        index.Admit(state, 6);
        state.ApplyToShadow(new TelemetryPoint(Stream("pump-1", "state"), 6, PointValue.FromString("running \"hot\""), Quality.Bad, 0x8000_0000));

        // History but no shadow yet.
        index.Admit(index.GetOrAdd(new SeriesKey("pump-2", "flow")), 3);

        index.Accept();
        return index;
    }

    private StreamDescriptor Stream(string asset, string metric)
    {
        var stream = new StreamDescriptor(asset, metric, $"sim:{asset}/{metric}");
        _catalog.Add(stream);
        return stream;
    }

    // Ids start at 1, as the storage catalog's do; an unknown id maps to null, as there.
    private int Id(StreamDescriptor stream) => _catalog.IndexOf(stream) + 1;

    private StreamDescriptor? Lookup(int id) => id >= 1 && id <= _catalog.Count ? _catalog[id - 1] : null;

    private byte[] Write(DedupIndex index)
    {
        var output = new ArrayBufferWriter<byte>();
        index.WriteSnapshot(output, Id);
        return output.WrittenSpan.ToArray();
    }

    private void AssertRejectedCheaply(byte[] bytes)
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<InvalidDataException>(() => DedupIndex.ReadSnapshot(bytes, History, Lookup));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.True(allocated < 256 * 1024, $"allocated {allocated} bytes");
    }

    private static void AssertSamePoint(TelemetryPoint? expected, TelemetryPoint? actual)
    {
        Assert.Equal(expected.HasValue, actual.HasValue);
        if (expected is not { } e || actual is not { } a) return;
        Assert.Same(e.Stream, a.Stream);
        Assert.Equal(e.TimestampTicks, a.TimestampTicks);
        Assert.Equal(e.Value, a.Value);
        Assert.Equal(e.Quality, a.Quality);
        Assert.Equal(e.StatusCode, a.StatusCode);
    }
}
