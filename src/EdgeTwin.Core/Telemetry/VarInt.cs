namespace EdgeTwin.Core.Telemetry;

/// <summary>
/// Unsigned LEB128 integers (7 bits a byte, low group first, high bit set on every byte but the last) and the zigzag
/// mapping of signed deltas onto them: the compact integers of the queue's segments and of array values.
/// </summary>
public static class VarInt
{
    /// <summary>The most bytes a 64-bit value takes.</summary>
    public const int MaxBytes = 10;

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="span"/>; returns the bytes written.</summary>
    public static int Write(Span<byte> span, ulong value)
    {
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[n++] = (byte)value;
        return n;
    }

    /// <summary>
    /// Reads one value at <paramref name="pos"/> and moves past it. False when the data ends inside it or it runs
    /// past <see cref="MaxBytes"/>; <paramref name="pos"/> then says where (the data's length when it ended).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 7 * MaxBytes; shift += 7)
        {
            if (pos >= data.Length) return false;
            var b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return true;
        }
        return false;
    }

    public static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));

    public static long UnZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);
}
