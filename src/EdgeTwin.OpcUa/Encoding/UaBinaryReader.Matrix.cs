using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Encoding;

// A structure field of value rank 2 or more (OPC 10000-6 §5.2.5): the dimensions as an Int32 array, then every
// element row-major, their count (the dimensions' product) not encoded.
public ref partial struct UaBinaryReader
{
    /// <summary>A matrix field of built-in <paramref name="type"/> and <paramref name="rank"/> dimensions, as a Variant array with its dimensions.</summary>
    public Variant ReadMatrixField(BuiltInType type, int rank)
    {
        if (type is BuiltInType.Null or > BuiltInType.DiagnosticInfo)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, Position, $"a structure field cannot be of built-in type {(int)type}");
        }

        var dimensions = ReadMatrixDimensions(rank, MinimumSize(type), out var count);
        return dimensions is null ? Variant.Null : Variant.FromArray(type, ReadElements(type, count), dimensions);
    }

    /// <summary>
    /// A matrix field's dimensions (null for a null matrix), which must be <paramref name="rank"/>; <paramref name="count"/>
    /// is their product, checked against the limits and the bytes left at <paramref name="minElementSize"/> each.
    /// </summary>
    public int[]? ReadMatrixDimensions(int rank, int minElementSize, out int count)
    {
        var start = Position;
        count = 0;
        var length = ReadArrayLength(4);
        if (length < 0)
        {
            return null;
        }

        if (length != rank)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, start, $"a field of value rank {rank} has {length} dimension(s)");
        }

        var dimensions = new int[length];
        long product = 1;
        for (var i = 0; i < length; i++)
        {
            dimensions[i] = ReadInt32();
            if (dimensions[i] < 0)
            {
                throw new UaDecodingException(StatusCode.BadDecodingError, start, $"matrix dimension {i} is negative ({dimensions[i]})");
            }

            product = Math.Min(product * dimensions[i], (long)int.MaxValue + 1);
        }

        if (product > Limits.MaxArrayLength)
        {
            throw new UaDecodingException(StatusCode.BadEncodingLimitsExceeded, start, $"a matrix of {product} elements exceeds the limit of {Limits.MaxArrayLength}");
        }

        if (product * minElementSize > Remaining)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, start, $"a matrix of {product} elements needs at least {product * minElementSize} bytes but only {Remaining} remain");
        }

        count = (int)product;
        return dimensions;
    }
}
