using System.Buffers;
using System.Buffers.Binary;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Core.Wire;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

/// <summary>Arrays and structures in the queue's segments, next to the scalar points segments have always held.</summary>
public class SegmentCodecValuesTests
{
    private static readonly StreamDescriptor Pressure = Stream("line-1", "pressure");
    private static readonly StreamDescriptor Wave = Stream("line-1", "waveform");

    private static StreamDescriptor? Get(int id) => id switch { 1 => Pressure, 2 => Wave, _ => null };

    private static int Id(StreamDescriptor s) => ReferenceEquals(s, Pressure) ? 1 : 2;

    private static TelemetryPoint Point(double seconds, PointValue value) => new(Wave, At(seconds), value, Quality.Good, 0);

    [Fact]
    public void ArraysMatricesAndStructures_RoundTripExactly()
    {
        var points = new List<TelemetryPoint>
        {
            Number(Pressure, 0, 1.5),
            Point(1, PointValue.FromArray(ArrayValue.FromNumbers([.. Enumerable.Range(0, 65_536).Select(i => Math.Sin(i) * 1e3)]))),
            Point(2, PointValue.FromArray(ArrayValue.FromNumbers([1, -0.0, double.Epsilon, 4, 5, 6], [3, 2]))),
            Point(3, PointValue.FromArray(ArrayValue.FromBooleans([true, false, true]))),
            Point(4, PointValue.FromArray(ArrayValue.FromStrings(["", "Grüße", new string('x', 300)]))),
            Point(5, PointValue.FromArray(ArrayValue.FromNumbers([]))),
            Point(6, PointValue.FromStructure("{\"Speed\":1,\"Name\":\"ü\"}")),
            new(Wave, At(7), PointValue.FromArray(ArrayValue.FromNumbers([7])), Quality.Uncertain, 0x4000_0000, endTicks: At(8)),
            Number(Pressure, 9, 2.5),
        };

        var output = new ArrayBufferWriter<byte>();
        SegmentCodec.Encode(points, Id, output);
        var decoded = new List<TelemetryPoint>();
        SegmentCodec.Decode(output.WrittenSpan, Get, decoded);

        AssertSame(points, decoded);
        Assert.Equal([3, 2], decoded[2].Value.Array.Dimensions!);
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits(decoded[2].Value.Array.Numbers()[1]));
        // The waveform is stored as raw doubles: about 8 bytes per sample, not its JSON text.
        Assert.InRange(output.WrittenCount, 65_536 * 8, 65_536 * 8 + 2_000);
    }

    [Fact]
    public void ScalarSegmentOfTheFormerCodec_DecodesAndDrainsAs10_BesideNew11Points()
    {
        // An ETS1 segment exactly as the codec wrote it before arrays existed (no bit 7 in any flags byte): a number
        // and a string on stream 1. Built by hand from the format, not by the current encoder.
        var payload = new List<byte>();
        payload.Add(1);                                               // stream id
        payload.AddRange(VarULong(ZigZag(At(0))));                    // ts − 0
        payload.Add(1);                                               // flags: number, good
        payload.AddRange(BitConverter.GetBytes(42.5));                // f64 LE
        payload.Add(1);
        payload.AddRange(VarULong(ZigZag(At(1) - At(0))));
        payload.Add(3 | 1 << 4);                                      // string, good, status present
        payload.Add(2);
        payload.AddRange("ok"u8.ToArray());
        payload.AddRange(VarULong(0x4000_0000));
        var blob = new byte[16 + payload.Count];
        "ETS1"u8.CopyTo(blob);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(8), (uint)payload.Count);
        payload.CopyTo(blob, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(12), Crc32.Compute(blob.AsSpan(16)));

        var drained = new List<TelemetryPoint>();
        SegmentCodec.Decode(blob, Get, drained);
        var after = new ArrayBufferWriter<byte>();
        SegmentCodec.Encode([Point(2, PointValue.FromArray(ArrayValue.FromNumbers([1, 2])))], Id, after);
        SegmentCodec.Decode(after.WrittenSpan, Get, drained);

        var writer = new WirePointWriter("gw-1");
        var versions = drained.Select(p =>
        {
            var line = new ArrayBufferWriter<byte>();
            writer.Write(p, line, 0);
            using var doc = System.Text.Json.JsonDocument.Parse(line.WrittenMemory);
            return doc.RootElement.GetProperty("schema_version").GetString();
        });
        Assert.Equal(["1.0", "1.0", "1.1"], versions);
        Assert.Equal(42.5, drained[0].Value.Number);
        Assert.Equal("ok", drained[1].Value.Text);
        Assert.Equal(0x4000_0000u, drained[1].StatusCode);
    }

    [Fact]
    public void TruncatedOrMalformedArray_IsRefusedWithItsPoint()
    {
        var output = new ArrayBufferWriter<byte>();
        SegmentCodec.Encode([Point(1, PointValue.FromArray(ArrayValue.FromNumbers([1, 2, 3], [1, 3])))], Id, output);
        var blob = output.WrittenSpan.ToArray();
        // Claim a 4x3 matrix over 3 elements: the first dimension sits before the second, the count and 24 bytes of doubles.
        var at = blob.Length - 24 - 3;
        Assert.Equal(1, blob[at]);
        blob[at] = 4;
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(12), Crc32.Compute(blob.AsSpan(16)));

        var ex = Assert.Throws<InvalidDataException>(() => SegmentCodec.Decode(blob, Get, []));
        Assert.Contains("segment point 0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("multiply to 12", ex.Message, StringComparison.Ordinal);

        var cut = output.WrittenSpan[..^5].ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(cut.AsSpan(8), (uint)(cut.Length - 16));
        BinaryPrimitives.WriteUInt32LittleEndian(cut.AsSpan(12), Crc32.Compute(cut.AsSpan(16)));
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => SegmentCodec.Decode(cut, Get, [])).Message, StringComparison.Ordinal);
    }

    private static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));

    private static byte[] VarULong(ulong value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }
        bytes.Add((byte)value);
        return [.. bytes];
    }
}
