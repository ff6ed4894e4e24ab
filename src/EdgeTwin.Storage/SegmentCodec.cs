using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Storage;

/// <summary>
/// The binary form of a queue segment: many points in one blob, so one LiteDB document (one transaction)
/// carries thousands of points.
/// <code>
/// header  0  magic "ETS1"        4 bytes
///         4  point count         u32 LE
///         8  payload length      u32 LE
///        12  CRC-32 of payload   u32 LE
/// payload, per point:
///         stream id              varuint (catalog id)
///         ts − previous ts       zigzag varint (previous = 0 for the first point)
///         flags                  u8: bits 0-1 value kind, 2-3 quality, 4 status present, 5 boolean value, 6 end present,
///                                7 extended kind
///         extended kind          u8 (4 array, 5 structure; 1 number, 3 string with their tag), if flag 7 (bits 0-1 are then 0)
///         value                  number: f64 LE | string: varuint length + UTF-8 | boolean: in flags |
///                                array, structure: as PointValueCodec writes them
///         status code            varuint, if flag 4
///         end − ts               zigzag varint, if flag 6
/// </code>
/// A decoder never trusts a length it has not checked against the bytes left.
/// </summary>
public static class SegmentCodec
{
    public const int HeaderSize = 16;
    private static ReadOnlySpan<byte> Magic => "ETS1"u8;

    public static void Encode(IReadOnlyList<TelemetryPoint> points, Func<StreamDescriptor, int> streamId, ArrayBufferWriter<byte> output)
    {
        var start = output.WrittenCount;
        var header = output.GetSpan(HeaderSize);
        header[..HeaderSize].Clear();
        output.Advance(HeaderSize);

        long prev = 0;
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            var span = output.GetSpan(48);
            var n = VarInt.Write(span, (uint)streamId(p.Stream));
            n += VarInt.Write(span[n..], VarInt.ZigZag(p.TimestampTicks - prev));
            prev = p.TimestampTicks;
            var extended = PointValueCodec.HasPayload(p.Value);
            var flags = (byte)((extended ? 0 : (byte)p.Value.Kind) | ((byte)p.Quality << 2) | (extended ? 1 << 7 : 0));
            if (p.StatusCode != 0) flags |= 1 << 4;
            if (p.Value.Kind == PointValueKind.Boolean && p.Value.Boolean) flags |= 1 << 5;
            if (p.EndTicks != 0) flags |= 1 << 6;
            span[n++] = flags;
            if (extended)
            {
                span[n++] = (byte)p.Value.Kind;
                output.Advance(n);
                PointValueCodec.Write(p.Value, output);
                span = output.GetSpan(40);
                n = 0;
            }
            else if (p.Value.Kind == PointValueKind.Number)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(span[n..], p.Value.Number);
                n += 8;
            }
            else if (p.Value.Kind == PointValueKind.String)
            {
                output.Advance(n);
                var text = p.Value.Text;
                var len = Encoding.UTF8.GetByteCount(text);
                span = output.GetSpan(len + 40);
                n = VarInt.Write(span, (uint)len);
                n += Encoding.UTF8.GetBytes(text, span[n..]);
            }
            if (p.StatusCode != 0) n += VarInt.Write(span[n..], p.StatusCode);
            if (p.EndTicks != 0) n += VarInt.Write(span[n..], VarInt.ZigZag(p.EndTicks - p.TimestampTicks));
            output.Advance(n);
        }

        var written = output.WrittenSpan[start..];
        var payloadLength = written.Length - HeaderSize;
        // The header was reserved above; fill it in place now that the payload is known.
        var head = System.Runtime.InteropServices.MemoryMarshal.AsMemory(output.WrittenMemory).Span.Slice(start, HeaderSize);
        Magic.CopyTo(head);
        BinaryPrimitives.WriteUInt32LittleEndian(head[4..], (uint)points.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(head[8..], (uint)payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(head[12..], Crc32.Compute(written[HeaderSize..]));
    }

    /// <summary>Checks magic, lengths and CRC; returns the point count or throws <see cref="InvalidDataException"/>.</summary>
    public static int Verify(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < HeaderSize) throw new InvalidDataException($"segment is {blob.Length} bytes, shorter than its {HeaderSize}-byte header");
        if (!blob[..4].SequenceEqual(Magic)) throw new InvalidDataException($"segment magic is {Convert.ToHexString(blob[..4])}, not ETS1 (byte offset 0)");
        var count = BinaryPrimitives.ReadUInt32LittleEndian(blob[4..]);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(blob[8..]);
        if (length != blob.Length - HeaderSize) throw new InvalidDataException($"segment header says {length} payload bytes, {blob.Length - HeaderSize} present (byte offset 8)");
        if (count > length) throw new InvalidDataException($"segment header says {count} points in {length} bytes (byte offset 4)");
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(blob[12..]);
        var actual = Crc32.Compute(blob[HeaderSize..]);
        if (crc != actual) throw new InvalidDataException($"segment CRC mismatch: header {crc:X8}, payload {actual:X8}");
        return (int)count;
    }

    /// <summary>Verifies and decodes a segment; <paramref name="stream"/> resolves catalog ids.</summary>
    public static void Decode(ReadOnlySpan<byte> blob, Func<int, StreamDescriptor?> stream, List<TelemetryPoint> into)
    {
        var count = Verify(blob);
        var data = blob[HeaderSize..];
        var pos = 0;
        long prev = 0;
        for (var i = 0; i < count; i++)
        {
            var id = (int)ReadVarUInt(data, ref pos);
            var s = stream(id) ?? throw new InvalidDataException($"segment point {i} refers to unknown stream {id} (payload offset {pos})");
            var ts = prev + VarInt.UnZigZag(ReadVarULong(data, ref pos));
            prev = ts;
            if (pos >= data.Length) throw Truncated(pos);
            var flags = data[pos++];
            var kind = (PointValueKind)(flags & 3);
            if ((flags & (1 << 7)) != 0)
            {
                if (kind != PointValueKind.None || pos >= data.Length) throw new InvalidDataException($"segment point {i} has a malformed extended value kind (payload offset {pos - 1})");
                kind = (PointValueKind)data[pos++];
                if (kind is not (PointValueKind.Number or PointValueKind.String or PointValueKind.Array or PointValueKind.Structure))
                {
                    throw new InvalidDataException($"segment point {i} has extended value kind {(int)kind} (payload offset {pos - 1})");
                }
            }
            var quality = (Quality)((flags >> 2) & 3);
            if (quality > Quality.Bad) throw new InvalidDataException($"segment point {i} has quality {(int)quality} (payload offset {pos - 1})");
            var value = (flags & (1 << 7)) != 0 ? ReadPayload(i, kind, data, ref pos) : ReadScalar(i, kind, flags, data, ref pos);
            var status = (flags & (1 << 4)) != 0 ? ReadVarUInt(data, ref pos) : 0;
            var end = (flags & (1 << 6)) != 0 ? ts + VarInt.UnZigZag(ReadVarULong(data, ref pos)) : 0;
            into.Add(new TelemetryPoint(s, ts, value, quality, status, replayed: false, endTicks: end));
        }
        if (pos != data.Length) throw new InvalidDataException($"segment has {data.Length - pos} trailing bytes after {count} points (payload offset {pos})");
    }

    private static PointValue ReadScalar(int i, PointValueKind kind, byte flags, ReadOnlySpan<byte> data, ref int pos)
    {
        switch (kind)
        {
            case PointValueKind.Number:
                if (pos + 8 > data.Length) throw Truncated(pos);
                var number = PointValue.FromNumber(BinaryPrimitives.ReadDoubleLittleEndian(data[pos..]));
                pos += 8;
                return number;
            case PointValueKind.Boolean:
                return PointValue.FromBoolean((flags & (1 << 5)) != 0);
            case PointValueKind.String:
                var len = ReadVarUInt(data, ref pos);
                // Bounded by the bytes left, not by a fixed cap: the encoder takes any string, and what it wrote must read back.
                if (pos + len > data.Length) throw new InvalidDataException($"segment point {i} string of {len} bytes exceeds the payload (offset {pos})");
                var text = PointValue.FromString(Encoding.UTF8.GetString(data.Slice(pos, (int)len)));
                pos += (int)len;
                return text;
            default:
                throw new InvalidDataException($"segment point {i} has no value kind (payload offset {pos - 1})");
        }
    }

    private static PointValue ReadPayload(int i, PointValueKind kind, ReadOnlySpan<byte> data, ref int pos)
    {
        try
        {
            return PointValueCodec.Read(kind, data, ref pos);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"segment point {i}: {ex.Message} in the payload", ex);
        }
    }

    private static InvalidDataException Truncated(int pos) => new($"segment truncated at payload offset {pos}");

    private static uint ReadVarUInt(ReadOnlySpan<byte> data, ref int pos)
    {
        var v = ReadVarULong(data, ref pos);
        if (v > uint.MaxValue) throw new InvalidDataException($"varint {v} exceeds 32 bits (payload offset {pos})");
        return (uint)v;
    }

    private static ulong ReadVarULong(ReadOnlySpan<byte> data, ref int pos)
    {
        if (VarInt.TryRead(data, ref pos, out var value)) return value;
        throw pos >= data.Length ? Truncated(pos) : new InvalidDataException($"varint longer than {VarInt.MaxBytes} bytes (payload offset {pos})");
    }
}
