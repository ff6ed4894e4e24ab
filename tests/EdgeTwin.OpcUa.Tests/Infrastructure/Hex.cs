using System.Buffers;
using EdgeTwin.OpcUa.Encoding;

namespace EdgeTwin.OpcUa.Tests.Infrastructure;

/// <summary>Hex literals for byte layouts, and encode/decode shortcuts for the tests.</summary>
internal static class Hex
{
    public static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal));

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);

    public delegate void Encode(ref UaBinaryWriter writer);

    public delegate T Decode<T>(ref UaBinaryReader reader);

    public static byte[] Write(Encode encode)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new UaBinaryWriter(buffer);
        encode(ref writer);
        Assert.Equal(buffer.WrittenCount, writer.Written);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes the whole input and asserts that every byte was consumed.</summary>
    public static T Read<T>(byte[] bytes, Decode<T> decode, UaEncodingLimits? limits = null)
    {
        var reader = new UaBinaryReader(bytes, limits);
        var value = decode(ref reader);
        Assert.True(reader.End, $"{reader.Remaining} bytes left unread");
        return value;
    }

    /// <summary>Decodes the input split into one segment per byte, to exercise the multi-segment paths.</summary>
    public static T ReadSegmented<T>(byte[] bytes, Decode<T> decode)
    {
        var reader = new UaBinaryReader(Segments.OneBytePerSegment(bytes));
        var value = decode(ref reader);
        Assert.True(reader.End);
        return value;
    }
}
