using System.Buffers;
using System.Buffers.Binary;
using EdgeTwin.Core.Telemetry;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

public class SegmentCodecTests
{
    private static readonly StreamDescriptor Pressure = Stream("line-1", "pressure");
    private static readonly StreamDescriptor Running = Stream("line-1", "running");
    private static readonly StreamDescriptor Batch = Stream("line-1", "batch");

    /// <summary>A stream catalog for the codec: ids 1..n in the order streams are first seen; unknown ids resolve to null.</summary>
    private sealed class Catalog
    {
        private readonly List<StreamDescriptor> _streams = [];

        public int Id(StreamDescriptor s)
        {
            var i = _streams.IndexOf(s);
            if (i >= 0) return i + 1;
            _streams.Add(s);
            return _streams.Count;
        }

        public StreamDescriptor? Get(int id) => id >= 1 && id <= _streams.Count ? _streams[id - 1] : null;
    }

    private static byte[] Encode(IReadOnlyList<TelemetryPoint> points, Catalog catalog)
    {
        var output = new ArrayBufferWriter<byte>();
        SegmentCodec.Encode(points, catalog.Id, output);
        return output.WrittenSpan.ToArray();
    }

    private static List<TelemetryPoint> Decode(ReadOnlySpan<byte> blob, Catalog catalog)
    {
        var into = new List<TelemetryPoint>();
        SegmentCodec.Decode(blob, catalog.Get, into);
        return into;
    }

    private static List<TelemetryPoint> RoundTrip(IReadOnlyList<TelemetryPoint> points)
    {
        var catalog = new Catalog();
        var decoded = Decode(Encode(points, catalog), catalog);
        AssertSame(points, decoded);
        return decoded;
    }

    /// <summary>Bitwise CRC-32 (IEEE, reflected), written out the slow way as an independent check of the table-driven one.</summary>
    private static uint ReferenceCrc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    private static byte[] SmallValidSegment(Catalog catalog) => Encode(
    [
        Number(Pressure, 1, 42.5),
        new TelemetryPoint(Running, At(0.5), PointValue.FromBoolean(true), Quality.Uncertain, 0x40000000, endTicks: At(9)),
        new TelemetryPoint(Batch, At(2), PointValue.FromString("B-ü7"), Quality.Bad, 0x80000000),
    ], catalog);

    [Fact]
    public void Encode_ThreePoints_ProducesTheDocumentedBytes()
    {
        var catalog = new Catalog();
        var points = new List<TelemetryPoint>
        {
            new(Pressure, 10, PointValue.FromNumber(1.0), Quality.Good, 0),
            new(Running, 5, PointValue.FromBoolean(true), Quality.Uncertain, 0x40000000, endTicks: 25),
            new(Pressure, 5, PointValue.FromString("hi"), Quality.Bad, 0),
        };
        var payload = Convert.FromHexString(
            "01" + "14" + "01" + "000000000000F03F" // stream 1, ts +10 (zigzag 20), number/good, 1.0
            + "02" + "09" + "76" + "8080808004" + "28" // stream 2, ts -5 (zigzag 9), bool true/uncertain/status/end, status 2^30, end +20 (zigzag 40)
            + "01" + "00" + "0B" + "02" + "6869"); // stream 1, ts +0, string/bad, "hi"
        var header = new byte[SegmentCodec.HeaderSize];
        "ETS1"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), ReferenceCrc32(payload));

        var blob = Encode(points, catalog);

        Assert.Equal(Convert.ToHexString([.. header, .. payload]), Convert.ToHexString(blob));
        AssertSame(points, Decode(blob, catalog));
    }

    [Fact]
    public void Crc32_CheckString_MatchesTheStandardCheckValue()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0u, Crc32.Compute([]));
    }

    [Fact]
    public void Crc32_EveryLengthUpTo64_MatchesTheBitwiseReference()
    {
        var data = new byte[64];
        new Random(7).NextBytes(data);
        for (var n = 0; n <= data.Length; n++)
        {
            Assert.Equal(ReferenceCrc32(data.AsSpan(0, n)), Crc32.Compute(data.AsSpan(0, n)));
        }
    }

    [Fact]
    public void Decode_EmptySegment_ReturnsNoPoints()
    {
        var catalog = new Catalog();
        var blob = Encode([], catalog);

        Assert.Equal(SegmentCodec.HeaderSize, blob.Length);
        Assert.Equal(0, SegmentCodec.Verify(blob));
        Assert.Empty(Decode(blob, catalog));
    }

    [Fact]
    public void Decode_NumbersIncludingExtremesNegativeZeroAndNaNPayload_RoundTripBitExact()
    {
        double[] values =
        [
            0.0, -0.0, 1.0, -1.0, Math.PI, double.MaxValue, double.MinValue, double.Epsilon, -double.Epsilon,
            double.PositiveInfinity, double.NegativeInfinity, double.NaN, BitConverter.Int64BitsToDouble(0x7FF0_0000_0000_0ABC),
            1e-308, 123456789.123456789,
        ];
        var points = values.Select((v, i) => Number(Pressure, i, v)).ToList();

        var decoded = RoundTrip(points);

        Assert.True(double.IsNegative(decoded[1].Value.Number), "-0.0 lost its sign");
        Assert.Equal(0x7FF0_0000_0000_0ABC, BitConverter.DoubleToInt64Bits(decoded[12].Value.Number));
    }

    [Fact]
    public void Decode_Booleans_RoundTrip()
    {
        var decoded = RoundTrip(
        [
            new TelemetryPoint(Running, At(1), PointValue.FromBoolean(true), Quality.Good, 0),
            new TelemetryPoint(Running, At(2), PointValue.FromBoolean(false), Quality.Good, 0),
            new TelemetryPoint(Running, At(3), PointValue.FromBoolean(true), Quality.Bad, 0x80AB0000),
        ]);

        Assert.Equal([true, false, true], decoded.Select(p => p.Value.Boolean));
    }

    [Fact]
    public void Decode_EmptyUnicodeAndLongStrings_RoundTrip()
    {
        var longText = string.Concat(Enumerable.Repeat("Ünïcødé ✓ 測試 🚀 ", 5000));
        RoundTrip(
        [
            new TelemetryPoint(Batch, At(1), PointValue.FromString(""), Quality.Good, 0),
            new TelemetryPoint(Batch, At(2), PointValue.FromString("Grüße, 東京, Ωμέγα, 🚀"), Quality.Good, 0),
            new TelemetryPoint(Batch, At(3), PointValue.FromString(longText), Quality.Good, 0),
            new TelemetryPoint(Batch, At(4), PointValue.FromString("\0 nul and\ttab\n"), Quality.Good, 0),
        ]);
    }

    [Fact]
    public void Decode_StringLargerThanOneMebibyte_RoundTrips()
    {
        // The encoder takes any string a source delivers; a segment it wrote must never read back as corrupt.
        var big = new string('a', (2 << 20) + 3);

        var decoded = RoundTrip([new TelemetryPoint(Batch, At(1), PointValue.FromString(big), Quality.Good, 0)]);

        Assert.Equal(big.Length, decoded[0].Value.Text.Length);
    }

    [Fact]
    public void Decode_StatusCodesAndQualities_RoundTrip()
    {
        uint[] statuses = [0, 1, 0x40000000, 0x80000000, 0x80340000, 0x7F, 0x80, 0x3FFF, uint.MaxValue];
        Quality[] qualities = [Quality.Good, Quality.Uncertain, Quality.Bad];
        var points = new List<TelemetryPoint>();
        var second = 0;
        foreach (var s in statuses)
        {
            foreach (var q in qualities) points.Add(Number(Pressure, second++, second, q, s));
        }

        RoundTrip(points);
    }

    [Fact]
    public void Decode_EndTicksBeforeAfterAndFarFromTheTimestamp_RoundTrip()
    {
        RoundTrip(
        [
            new TelemetryPoint(Pressure, At(10), PointValue.FromNumber(3), Quality.Good, 0, endTicks: At(20)),
            new TelemetryPoint(Pressure, At(10), PointValue.FromNumber(3), Quality.Good, 0, endTicks: At(5)),
            new TelemetryPoint(Pressure, At(10), PointValue.FromNumber(3), Quality.Good, 0, endTicks: 1),
            new TelemetryPoint(Pressure, At(10), PointValue.FromNumber(3), Quality.Good, 0, endTicks: DateTime.MaxValue.Ticks),
            new TelemetryPoint(Pressure, 0, PointValue.FromNumber(3), Quality.Good, 0, endTicks: long.MaxValue),
            new TelemetryPoint(Pressure, long.MaxValue, PointValue.FromNumber(3), Quality.Good, 0, endTicks: long.MinValue),
            new TelemetryPoint(Pressure, At(10), PointValue.FromNumber(3), Quality.Good, 0, endTicks: 0),
        ]);
    }

    [Fact]
    public void Decode_OutOfOrderAndExtremeTimestamps_RoundTripWithNegativeDeltas()
    {
        long[] ticks =
        [
            At(100), At(50), At(50), At(-86400), At(100.0000001), 0, DateTime.MaxValue.Ticks, 1, long.MaxValue, long.MinValue, -1,
            At(0), At(0) - 1,
        ];

        RoundTrip(ticks.Select((t, i) => new TelemetryPoint(Pressure, t, PointValue.FromNumber(i), Quality.Good, 0)).ToList());
    }

    [Fact]
    public void Decode_ManyStreamsAndPoints_RoundTrip()
    {
        var streams = Enumerable.Range(0, 300).Select(i => Stream("asset-" + i, "m")).ToList();
        var random = new Random(42);
        var points = Enumerable.Range(0, 20_000).Select(i => new TelemetryPoint(
            streams[random.Next(streams.Count)], At(random.Next(-1000, 1000) / 7.0), PointValue.FromNumber(random.NextDouble() * 1e6 - 5e5),
            (Quality)random.Next(3), (uint)random.Next())).ToList();

        RoundTrip(points);
    }

    [Fact]
    public void Encode_AfterExistingBytes_WritesAWholeSegmentThere()
    {
        var catalog = new Catalog();
        var output = new ArrayBufferWriter<byte>();
        output.Write("prefix"u8);
        var points = new List<TelemetryPoint> { Number(Pressure, 1, 1), Number(Pressure, 2, 2) };

        SegmentCodec.Encode(points, catalog.Id, output);

        Assert.Equal("prefix"u8.ToArray(), output.WrittenSpan[..6].ToArray());
        AssertSame(points, Decode(output.WrittenSpan[6..], catalog));
    }

    [Fact]
    public void Verify_ValidSegment_ReturnsThePointCount()
    {
        Assert.Equal(3, SegmentCodec.Verify(SmallValidSegment(new Catalog())));
    }

    [Fact]
    public void Verify_BadMagic_Throws()
    {
        var blob = SmallValidSegment(new Catalog());
        blob[0] = (byte)'X';

        var ex = Assert.Throws<InvalidDataException>(() => SegmentCodec.Verify(blob));
        Assert.Contains("magic", ex.Message);
    }

    [Fact]
    public void Verify_ShorterThanTheHeader_Throws()
    {
        var ex = Assert.Throws<InvalidDataException>(() => SegmentCodec.Verify("ETS1"u8));
        Assert.Contains("header", ex.Message);
    }

    [Fact]
    public void Verify_PayloadLongerOrShorterThanTheHeaderSays_Throws()
    {
        var blob = SmallValidSegment(new Catalog());

        Assert.Contains("payload bytes", Assert.Throws<InvalidDataException>(() => SegmentCodec.Verify([.. blob, 0])).Message);
        Assert.Contains("payload bytes", Assert.Throws<InvalidDataException>(() => SegmentCodec.Verify(blob.AsSpan(0, blob.Length - 1))).Message);
    }

    [Fact]
    public void Verify_MorePointsThanPayloadBytes_Throws()
    {
        var blob = SmallValidSegment(new Catalog());
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), (uint)(blob.Length - SegmentCodec.HeaderSize + 1));

        Assert.Contains("points in", Assert.Throws<InvalidDataException>(() => SegmentCodec.Verify(blob)).Message);
    }

    [Fact]
    public void Verify_FlippedPayloadByte_FailsTheCrc()
    {
        var blob = SmallValidSegment(new Catalog());
        blob[SegmentCodec.HeaderSize + 3] ^= 0x10;

        Assert.Contains("CRC", Assert.Throws<InvalidDataException>(() => SegmentCodec.Verify(blob)).Message);
    }

    [Fact]
    public void Decode_UnknownStreamId_Throws()
    {
        var writer = new Catalog();
        var blob = Encode([Number(Pressure, 1, 1)], writer);

        Assert.Contains("unknown stream", Assert.Throws<InvalidDataException>(() => Decode(blob, new Catalog())).Message);
    }

    [Fact]
    public async Task Decode_EveryTruncationPrefix_ThrowsInvalidDataException()
    {
        var catalog = new Catalog();
        var blob = SmallValidSegment(catalog);

        await Task.Run(() =>
        {
            for (var n = 0; n < blob.Length; n++)
            {
                var prefix = blob.AsSpan(0, n).ToArray();
                Assert.Throws<InvalidDataException>(() => Decode(prefix, catalog));
            }
        }).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Decode_EverySingleByteCorruption_ThrowsInvalidDataException()
    {
        // CRC-32 catches every error burst up to 32 bits in the payload; the header fields are each checked on their
        // own. So no single changed byte, at any offset and to any value, may decode to points.
        var catalog = new Catalog();
        var blob = SmallValidSegment(catalog);

        var checkedCount = await Task.Run(() =>
        {
            var n = 0;
            for (var at = 0; at < blob.Length; at++)
            {
                for (var value = 0; value < 256; value++)
                {
                    if (value == blob[at]) continue;
                    var corrupt = (byte[])blob.Clone();
                    corrupt[at] = (byte)value;
                    var ex = Record.Exception(() => Decode(corrupt, catalog));
                    Assert.True(ex is InvalidDataException, $"byte {at} set to 0x{value:X2}: {(ex is null ? "decoded without error" : ex.GetType().Name + ": " + ex.Message)}");
                    n++;
                }
            }
            return n;
        }).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(blob.Length * 255, checkedCount);
    }

    [Fact]
    public async Task Decode_RandomPayloadMutationsWithAValidCrc_ThrowOnlyInvalidDataException()
    {
        // Past the CRC (a bug that wrote bad bytes with a good checksum), the decoder must still fail cleanly:
        // InvalidDataException or a result, never another exception, never a hang.
        var catalog = new Catalog();
        var valid = SmallValidSegment(catalog);
        var random = new Random(20260301);

        var (decoded, rejected) = await Task.Run(() =>
        {
            int ok = 0, bad = 0;
            for (var iteration = 0; iteration < 20_000; iteration++)
            {
                var payload = valid.AsSpan(SegmentCodec.HeaderSize).ToArray();
                if (iteration % 4 == 0) Array.Resize(ref payload, random.Next(0, payload.Length + 8));
                var mutations = random.Next(1, 4);
                for (var m = 0; m < mutations && payload.Length > 0; m++) payload[random.Next(payload.Length)] = (byte)random.Next(256);
                var count = iteration % 3 == 0 ? (uint)random.Next(0, payload.Length + 1) : 3u;
                var blob = new byte[SegmentCodec.HeaderSize + payload.Length];
                "ETS1"u8.CopyTo(blob);
                BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), count);
                BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(8), (uint)payload.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(12), ReferenceCrc32(payload));
                payload.CopyTo(blob, SegmentCodec.HeaderSize);
                var ex = Record.Exception(() => Decode(blob, catalog));
                if (ex is null) ok++;
                else if (ex is InvalidDataException) bad++;
                else Assert.Fail($"iteration {iteration}: {ex.GetType().Name}: {ex.Message} for {Convert.ToHexString(blob)}");
            }
            return (ok, bad);
        }).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(rejected > 0 && decoded > 0, $"the mutations should produce both outcomes (decoded {decoded}, rejected {rejected})");
    }
}
