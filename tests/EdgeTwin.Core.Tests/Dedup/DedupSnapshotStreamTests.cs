using System.Buffers;
using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Tests.Dedup;

/// <summary>
/// The snapshot read from a stream through a small buffer (the queue's recovery does, so that a snapshot of a
/// million series is never one array in the heap) restores exactly what the read from a whole span does, across
/// the buffer's refills and with a value larger than the buffer, and a stream that ends early is a malformed
/// snapshot (<see cref="InvalidDataException"/>), like a short span.
/// </summary>
public sealed class DedupSnapshotStreamTests
{
    private const int History = 8;

    private readonly List<StreamDescriptor> _catalog = [];

    private StreamDescriptor? Lookup(int id) => id >= 0 && id < _catalog.Count ? _catalog[id] : null;

    private int IdOf(StreamDescriptor stream)
    {
        var id = _catalog.IndexOf(stream);
        if (id >= 0) return id;
        _catalog.Add(stream);
        return _catalog.Count - 1;
    }

    private static byte[] Write(DedupIndex index, Func<StreamDescriptor, int> ids)
    {
        var output = new ArrayBufferWriter<byte>();
        index.WriteSnapshot(output, ids);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Series enough for a few MB: progressions, rings, and one shadow of a text larger than the read buffer.</summary>
    private byte[] Large()
    {
        var index = new DedupIndex(History);
        for (var i = 0; i < 40_000; i++)
        {
            var stream = new StreamDescriptor("machine-" + i, i % 3 == 0 ? "temperature" : "pressure", "sim");
            var state = index.GetOrAdd(stream);
            for (var t = 0; t < 6; t++) index.Admit(state, 1_000 + (t * 10) + (i % 4 == 0 ? t * t : 0));
            var value = i == 20_000 ? PointValue.FromString(new string('x', 3 << 20)) : PointValue.FromNumber(i);
            state.ApplyToShadow(new TelemetryPoint(stream, state.HighWaterMark, value, Quality.Good, (uint)i));
        }
        index.Accept();
        var ids = new Dictionary<StreamDescriptor, int>();
        return Write(index, s => ids.TryGetValue(s, out var id) ? id : ids[s] = IdOf(s));
    }

    [Fact]
    public void ALargeSnapshot_ReadFromAStreamInSmallReads_IsTheSpansRead()
    {
        var bytes = Large();
        Assert.True(bytes.Length > 4 << 20, $"{bytes.Length} bytes");
        var fromSpan = DedupIndex.ReadSnapshot(bytes, History, Lookup);
        using var trickle = new Trickle(bytes, 4093);
        var fromStream = DedupIndex.ReadSnapshot(trickle, bytes.Length, History, Lookup);

        Assert.Equal(40_000, fromStream.SeriesCount);
        var ids = new Dictionary<StreamDescriptor, int>();
        Func<StreamDescriptor, int> id = s => ids.TryGetValue(s, out var n) ? n : ids[s] = IdOf(s);
        Assert.Equal(Write(fromSpan, id), Write(fromStream, id));
        Assert.True(fromStream.TryGet(new SeriesKey("machine-20000", "pressure"), out var big));
        Assert.Equal(3 << 20, big!.Latest!.Value.Value.Text.Length);
        Assert.Equal(DedupOutcome.Duplicate, fromStream.Admit(fromStream.GetOrAdd(new SeriesKey("machine-4", "pressure")), 1_000 + 20 + 4));
    }

    [Fact]
    public void AStreamEndingEarly_OrAShorterLength_IsAMalformedSnapshot()
    {
        var index = new DedupIndex(History);
        for (var i = 0; i < 50; i++)
        {
            var stream = new StreamDescriptor("pump-" + i, "flow", "sim");
            var state = index.GetOrAdd(stream);
            index.Admit(state, 10 + i);
            index.Admit(state, 25 + (2 * i));
            state.ApplyToShadow(new TelemetryPoint(stream, 25 + (2 * i), PointValue.FromString("v" + i), Quality.Good, 0));
        }
        index.Accept();
        var bytes = Write(index, IdOf);

        for (var length = 0; length < bytes.Length; length += 7)
        {
            // The stream holds the prefix only, the length says all of it; then the length says the prefix.
            using var cut = new Trickle(bytes.AsSpan(0, length).ToArray(), 5);
            var early = Record.Exception(() => DedupIndex.ReadSnapshot(cut, bytes.Length, History, Lookup));
            using var whole = new Trickle(bytes, 5);
            var shorter = Record.Exception(() => DedupIndex.ReadSnapshot(whole, length, History, Lookup));

            Assert.True(early is InvalidDataException, $"stream of {length}/{bytes.Length} bytes: {early?.GetType().Name ?? "no exception"}");
            Assert.True(shorter is InvalidDataException, $"length {length}/{bytes.Length}: {shorter?.GetType().Name ?? "no exception"}");
        }

        // Bytes beyond the length are not the snapshot's: they are left unread.
        using var longer = new Trickle([.. bytes, 1, 2, 3], 5);
        Assert.Equal(50, DedupIndex.ReadSnapshot(longer, bytes.Length, History, Lookup).SeriesCount);
    }

    /// <summary>A stream over bytes that hands out at most a few of them per read.</summary>
    private sealed class Trickle(byte[] bytes, int most) : MemoryStream(bytes, writable: false)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, most)]);

        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, most));
    }
}
