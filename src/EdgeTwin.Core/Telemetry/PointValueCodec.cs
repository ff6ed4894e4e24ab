using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace EdgeTwin.Core.Telemetry;

/// <summary>
/// The binary form of an array, a structure or a tagged scalar (<see cref="PointValue.Tag"/>), shared by the queue's
/// segments, the dedup snapshot and the quarantine store:
/// <code>
/// number     f64 LE · varuint length + UTF-8 enumeration name
/// string     varuint length + UTF-8 text · varuint length + UTF-8 locale
/// array      element kind u8 (1 number, 2 boolean, 3 string) · rank varuint (0 = one-dimensional) · each dimension
///            varuint · element count varuint · elements: f64 LE each | u8 each | varuint length + UTF-8 each
/// structure  varuint length + UTF-8 JSON text
/// </code>
/// A reader never trusts a count it has not checked against the bytes left.
/// </summary>
public static class PointValueCodec
{
    /// <summary>Writes an array, structure or tagged scalar's payload (not its kind).</summary>
    public static void Write(PointValue value, IBufferWriter<byte> output)
    {
        switch (value.Kind)
        {
            case PointValueKind.Number when value.Tag is { } name:
                BinaryPrimitives.WriteDoubleLittleEndian(output.GetSpan(8), value.Number);
                output.Advance(8);
                WriteText(name.Value, output);
                break;
            case PointValueKind.String when value.Tag is { } locale:
                WriteText(value.Text, output);
                WriteText(locale.Value, output);
                break;
            case PointValueKind.Array:
                WriteArray(value.Array, output);
                break;
            case PointValueKind.Structure:
                WriteText(value.StructureJson, output);
                break;
            default:
                throw new ArgumentException($"only arrays, structures and tagged scalars have a payload, not {value.Kind}", nameof(value));
        }
    }

    /// <summary>Reads a payload of <paramref name="kind"/> at <paramref name="pos"/>; throws <see cref="InvalidDataException"/> with the offset when it is not whole.</summary>
    public static PointValue Read(PointValueKind kind, ReadOnlySpan<byte> data, ref int pos) => kind switch
    {
        PointValueKind.Number => ReadNamedNumber(data, ref pos),
        PointValueKind.String => PointValue.FromString(ReadText(data, ref pos), ReadText(data, ref pos)),
        PointValueKind.Array => PointValue.FromArray(ReadArray(data, ref pos)),
        PointValueKind.Structure => PointValue.FromStructure(ReadText(data, ref pos)),
        _ => throw new InvalidDataException($"value kind {kind} has no payload (offset {pos})"),
    };

    /// <summary>Whether <paramref name="value"/> is stored through this codec rather than as a plain scalar.</summary>
    public static bool HasPayload(PointValue value) => value.IsExtended;

    private static PointValue ReadNamedNumber(ReadOnlySpan<byte> data, ref int pos)
    {
        if (data.Length - pos < 8) throw Truncated(pos);
        var number = BinaryPrimitives.ReadDoubleLittleEndian(data[pos..]);
        pos += 8;
        return PointValue.FromNumber(number, ReadText(data, ref pos));
    }

    private static void WriteArray(ArrayValue array, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(1 + 5 * (2 + (array.Dimensions?.Length ?? 0)));
        var n = 0;
        span[n++] = (byte)array.ElementKind;
        n += WriteVarUInt(span[n..], (uint)(array.Dimensions?.Length ?? 0));
        foreach (var d in array.Dimensions ?? []) n += WriteVarUInt(span[n..], (uint)d);
        n += WriteVarUInt(span[n..], (uint)array.Length);
        output.Advance(n);
        switch (array.ElementKind)
        {
            case PointValueKind.Number:
                var bytes = MemoryMarshal.AsBytes(array.Numbers());
                if (BitConverter.IsLittleEndian)
                {
                    output.Write(bytes);
                }
                else
                {
                    foreach (var x in array.Numbers())
                    {
                        BinaryPrimitives.WriteDoubleLittleEndian(output.GetSpan(8), x);
                        output.Advance(8);
                    }
                }
                break;
            case PointValueKind.Boolean:
                var flags = output.GetSpan(array.Length);
                for (var i = 0; i < array.Length; i++) flags[i] = array.Booleans()[i] ? (byte)1 : (byte)0;
                output.Advance(array.Length);
                break;
            default:
                foreach (var s in array.Strings()) WriteText(s, output);
                break;
        }
    }

    private static ArrayValue ReadArray(ReadOnlySpan<byte> data, ref int pos)
    {
        var at = pos;
        if (pos >= data.Length) throw Truncated(pos);
        var kind = (PointValueKind)data[pos++];
        var rank = ReadVarUInt(data, ref pos);
        if (rank > 32) throw new InvalidDataException($"array of rank {rank} (offset {at}): at most 32 dimensions");
        var dimensions = rank == 0 ? null : new int[rank];
        for (var i = 0; i < rank; i++) dimensions![i] = checked((int)ReadVarUInt(data, ref pos));
        var length = (int)ReadVarUInt(data, ref pos);
        try
        {
            switch (kind)
            {
                case PointValueKind.Number:
                    if ((long)length * 8 > data.Length - pos) throw Truncated(pos);
                    var numbers = new double[length];
                    var src = data.Slice(pos, length * 8);
                    if (BitConverter.IsLittleEndian) src.CopyTo(MemoryMarshal.AsBytes(numbers.AsSpan()));
                    else for (var i = 0; i < length; i++) numbers[i] = BinaryPrimitives.ReadDoubleLittleEndian(src[(i * 8)..]);
                    pos += length * 8;
                    return ArrayValue.FromNumbers(numbers, dimensions);
                case PointValueKind.Boolean:
                    if (length > data.Length - pos) throw Truncated(pos);
                    var booleans = new bool[length];
                    for (var i = 0; i < length; i++) booleans[i] = data[pos + i] != 0;
                    pos += length;
                    return ArrayValue.FromBooleans(booleans, dimensions);
                case PointValueKind.String:
                    // Each string takes at least its one-byte length.
                    if (length > data.Length - pos) throw Truncated(pos);
                    var strings = new string[length];
                    for (var i = 0; i < length; i++) strings[i] = ReadText(data, ref pos);
                    return ArrayValue.FromStrings(strings, dimensions);
                default:
                    throw new InvalidDataException($"array element kind {(int)kind} is not number, boolean or string (offset {at})");
            }
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"array at offset {at}: {ex.Message}", ex);
        }
    }

    private static void WriteText(string text, IBufferWriter<byte> output)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        var span = output.GetSpan(length + 5);
        var n = WriteVarUInt(span, (uint)length);
        n += Encoding.UTF8.GetBytes(text, span[n..]);
        output.Advance(n);
    }

    private static string ReadText(ReadOnlySpan<byte> data, ref int pos)
    {
        var length = ReadVarUInt(data, ref pos);
        if (length > data.Length - pos) throw new InvalidDataException($"text of {length} bytes exceeds the data (offset {pos})");
        var text = Encoding.UTF8.GetString(data.Slice(pos, (int)length));
        pos += (int)length;
        return text;
    }

    private static InvalidDataException Truncated(int pos) => new($"value truncated at offset {pos}");

    private static int WriteVarUInt(Span<byte> span, uint value) => VarInt.Write(span, value);

    private static uint ReadVarUInt(ReadOnlySpan<byte> data, ref int pos)
    {
        if (!VarInt.TryRead(data, ref pos, out var result))
            throw pos >= data.Length ? Truncated(pos) : new InvalidDataException($"varint longer than {VarInt.MaxBytes} bytes (offset {pos})");
        return result <= int.MaxValue ? (uint)result : throw new InvalidDataException($"count {result} exceeds 2^31 (offset {pos})");
    }
}
