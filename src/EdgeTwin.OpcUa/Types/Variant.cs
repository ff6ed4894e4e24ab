using System.Collections;

namespace EdgeTwin.OpcUa.Types;

/// <summary>
/// A value of any built-in type: a scalar, a one-dimensional array or a multi-dimensional array
/// (OPC 10000-6 §5.2.2.16). Numeric scalars are held inline without boxing; arrays are typed CLR arrays
/// (<c>int[]</c>, <c>string?[]</c>, <c>NodeId[]</c>, ...) and a matrix is its flattened array, higher rank
/// first, plus <see cref="ArrayDimensions"/>.
/// </summary>
public readonly struct Variant : IEquatable<Variant>
{
    private readonly ulong _bits;
    private readonly object? _ref;

    private Variant(BuiltInType type, ulong bits, object? reference, bool isArray, int[]? dimensions)
    {
        Type = type;
        _bits = bits;
        _ref = reference;
        IsArray = isArray;
        ArrayDimensions = dimensions;
    }

    public static Variant Null => default;

    public BuiltInType Type { get; }

    public bool IsArray { get; }

    /// <summary>The dimensions of a multi-dimensional array; null for scalars and one-dimensional arrays.</summary>
    public int[]? ArrayDimensions { get; }

    public bool IsNull => Type == BuiltInType.Null;

    public Variant(bool value) : this(BuiltInType.Boolean, value ? 1UL : 0UL, null, false, null) { }

    public Variant(sbyte value) : this(BuiltInType.SByte, unchecked((ulong)value), null, false, null) { }

    public Variant(byte value) : this(BuiltInType.Byte, value, null, false, null) { }

    public Variant(short value) : this(BuiltInType.Int16, unchecked((ulong)value), null, false, null) { }

    public Variant(ushort value) : this(BuiltInType.UInt16, value, null, false, null) { }

    public Variant(int value) : this(BuiltInType.Int32, unchecked((ulong)value), null, false, null) { }

    public Variant(uint value) : this(BuiltInType.UInt32, value, null, false, null) { }

    public Variant(long value) : this(BuiltInType.Int64, unchecked((ulong)value), null, false, null) { }

    public Variant(ulong value) : this(BuiltInType.UInt64, value, null, false, null) { }

    public Variant(float value) : this(BuiltInType.Float, BitConverter.SingleToUInt32Bits(value), null, false, null) { }

    public Variant(double value) : this(BuiltInType.Double, BitConverter.DoubleToUInt64Bits(value), null, false, null) { }

    public Variant(string? value) : this(BuiltInType.String, 0, value, false, null) { }

    public Variant(DateTime value) : this(BuiltInType.DateTime, unchecked((ulong)value.Ticks), null, false, null) { }

    public Variant(Guid value) : this(BuiltInType.Guid, 0, value, false, null) { }

    public Variant(StatusCode value) : this(BuiltInType.StatusCode, value.Code, null, false, null) { }

    public Variant(NodeId value) : this(BuiltInType.NodeId, 0, value, false, null) { }

    public Variant(ExpandedNodeId value) : this(BuiltInType.ExpandedNodeId, 0, value, false, null) { }

    public Variant(QualifiedName value) : this(BuiltInType.QualifiedName, 0, value, false, null) { }

    public Variant(LocalizedText value) : this(BuiltInType.LocalizedText, 0, value, false, null) { }

    public Variant(ExtensionObject value) : this(BuiltInType.ExtensionObject, 0, value, false, null) { }

    public Variant(DataValue value) : this(BuiltInType.DataValue, 0, value, false, null) { }

    public Variant(DiagnosticInfo value) : this(BuiltInType.DiagnosticInfo, 0, value, false, null) { }

    /// <summary>A ByteString scalar (a <c>byte[]</c> array of Byte is <see cref="FromArray"/>).</summary>
    public static Variant FromByteString(byte[]? value) => new(BuiltInType.ByteString, 0, value, false, null);

    public static Variant FromXmlElement(string? value) => new(BuiltInType.XmlElement, 0, value, false, null);

    /// <summary>
    /// An array of <paramref name="type"/>; <paramref name="values"/> must be the CLR array type that
    /// <see cref="ElementType"/> names. With <paramref name="dimensions"/> it is a matrix whose flattened
    /// length is the product of the dimensions.
    /// </summary>
    public static Variant FromArray(BuiltInType type, Array values, int[]? dimensions = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (type == BuiltInType.Null || values.GetType() != ArrayTypeOf(type))
        {
            throw new ArgumentException($"a {type} array must be {ArrayTypeOf(type)?.Name ?? "(none)"}, not {values.GetType().Name}", nameof(values));
        }

        if (dimensions is not null)
        {
            long product = 1;
            foreach (var dimension in dimensions)
            {
                if (dimension < 0)
                {
                    throw new ArgumentException("array dimensions cannot be negative", nameof(dimensions));
                }

                product *= dimension;
            }

            if (dimensions.Length == 0 || product != values.Length)
            {
                throw new ArgumentException($"dimensions multiply to {product} but the array has {values.Length} elements", nameof(dimensions));
            }
        }

        return new Variant(type, 0, values, true, dimensions);
    }

    internal static Variant FromRawScalar(BuiltInType type, ulong bits) => new(type, bits, null, false, null);

    internal static Variant FromRawReference(BuiltInType type, object? reference) => new(type, 0, reference, false, null);

    internal ulong Bits => _bits;

    internal object? Reference => _ref;

    public bool AsBoolean() => Expect(BuiltInType.Boolean) && _bits != 0;

    public sbyte AsSByte() => Expect(BuiltInType.SByte) ? unchecked((sbyte)_bits) : default;

    public byte AsByte() => Expect(BuiltInType.Byte) ? (byte)_bits : default;

    public short AsInt16() => Expect(BuiltInType.Int16) ? unchecked((short)_bits) : default;

    public ushort AsUInt16() => Expect(BuiltInType.UInt16) ? (ushort)_bits : default;

    public int AsInt32() => Expect(BuiltInType.Int32) ? unchecked((int)_bits) : default;

    public uint AsUInt32() => Expect(BuiltInType.UInt32) ? (uint)_bits : default;

    public long AsInt64() => Expect(BuiltInType.Int64) ? unchecked((long)_bits) : default;

    public ulong AsUInt64() => Expect(BuiltInType.UInt64) ? _bits : default;

    public float AsFloat() => Expect(BuiltInType.Float) ? BitConverter.UInt32BitsToSingle((uint)_bits) : default;

    public double AsDouble() => Expect(BuiltInType.Double) ? BitConverter.UInt64BitsToDouble(_bits) : default;

    public string? AsString() => Type is BuiltInType.String or BuiltInType.XmlElement && !IsArray ? (string?)_ref : throw Mismatch(BuiltInType.String);

    public DateTime AsDateTime() => Expect(BuiltInType.DateTime) ? new DateTime(unchecked((long)_bits), DateTimeKind.Utc) : default;

    public Guid AsGuid() => Expect(BuiltInType.Guid) ? (Guid)_ref! : default;

    public byte[]? AsByteString() => Expect(BuiltInType.ByteString) ? (byte[]?)_ref : default;

    public StatusCode AsStatusCode() => Expect(BuiltInType.StatusCode) ? new StatusCode((uint)_bits) : default;

    public NodeId AsNodeId() => Expect(BuiltInType.NodeId) ? (NodeId)_ref! : default;

    public ExpandedNodeId AsExpandedNodeId() => Expect(BuiltInType.ExpandedNodeId) ? (ExpandedNodeId)_ref! : default;

    public QualifiedName AsQualifiedName() => Expect(BuiltInType.QualifiedName) ? (QualifiedName)_ref! : default;

    public LocalizedText AsLocalizedText() => Expect(BuiltInType.LocalizedText) ? (LocalizedText)_ref! : default;

    public ExtensionObject AsExtensionObject() => Expect(BuiltInType.ExtensionObject) ? (ExtensionObject)_ref! : ExtensionObject.Null;

    public DataValue AsDataValue() => Expect(BuiltInType.DataValue) ? (DataValue)_ref! : default;

    public DiagnosticInfo AsDiagnosticInfo() => Expect(BuiltInType.DiagnosticInfo) ? (DiagnosticInfo)_ref! : DiagnosticInfo.Empty;

    /// <summary>The array (flattened for a matrix) as its typed CLR array, e.g. <c>GetArray&lt;double&gt;()</c>.</summary>
    public T[] GetArray<T>() => IsArray && _ref is T[] array ? array : throw new InvalidOperationException($"the variant is not an array of {typeof(T).Name} (it holds {Describe()})");

    /// <summary>The array as <see cref="Array"/> without knowing its element type; null for scalars.</summary>
    public Array? AsArray() => IsArray ? (Array)_ref! : null;

    /// <summary>The scalar as a boxed CLR value (allocates for value types; for display and tests).</summary>
    public object? ToObject() => IsArray ? _ref : Type switch
    {
        BuiltInType.Null => null,
        BuiltInType.Boolean => AsBoolean(),
        BuiltInType.SByte => AsSByte(),
        BuiltInType.Byte => AsByte(),
        BuiltInType.Int16 => AsInt16(),
        BuiltInType.UInt16 => AsUInt16(),
        BuiltInType.Int32 => AsInt32(),
        BuiltInType.UInt32 => AsUInt32(),
        BuiltInType.Int64 => AsInt64(),
        BuiltInType.UInt64 => AsUInt64(),
        BuiltInType.Float => AsFloat(),
        BuiltInType.Double => AsDouble(),
        BuiltInType.DateTime => AsDateTime(),
        BuiltInType.StatusCode => AsStatusCode(),
        _ => _ref,
    };

    /// <summary>The CLR type of one element of <paramref name="type"/>.</summary>
    public static Type? ElementType(BuiltInType type) => ArrayTypeOf(type)?.GetElementType();

    internal static Type? ArrayTypeOf(BuiltInType type) => type switch
    {
        BuiltInType.Boolean => typeof(bool[]),
        BuiltInType.SByte => typeof(sbyte[]),
        BuiltInType.Byte => typeof(byte[]),
        BuiltInType.Int16 => typeof(short[]),
        BuiltInType.UInt16 => typeof(ushort[]),
        BuiltInType.Int32 => typeof(int[]),
        BuiltInType.UInt32 => typeof(uint[]),
        BuiltInType.Int64 => typeof(long[]),
        BuiltInType.UInt64 => typeof(ulong[]),
        BuiltInType.Float => typeof(float[]),
        BuiltInType.Double => typeof(double[]),
        BuiltInType.String or BuiltInType.XmlElement => typeof(string[]),
        BuiltInType.DateTime => typeof(DateTime[]),
        BuiltInType.Guid => typeof(Guid[]),
        BuiltInType.ByteString => typeof(byte[][]),
        BuiltInType.NodeId => typeof(NodeId[]),
        BuiltInType.ExpandedNodeId => typeof(ExpandedNodeId[]),
        BuiltInType.StatusCode => typeof(StatusCode[]),
        BuiltInType.QualifiedName => typeof(QualifiedName[]),
        BuiltInType.LocalizedText => typeof(LocalizedText[]),
        BuiltInType.ExtensionObject => typeof(ExtensionObject[]),
        BuiltInType.DataValue => typeof(DataValue[]),
        BuiltInType.Variant => typeof(Variant[]),
        BuiltInType.DiagnosticInfo => typeof(DiagnosticInfo[]),
        _ => null,
    };

    public bool Equals(Variant other)
    {
        if (Type != other.Type || IsArray != other.IsArray || _bits != other._bits)
        {
            return false;
        }

        if (!StructuralComparisons.StructuralEqualityComparer.Equals(ArrayDimensions, other.ArrayDimensions))
        {
            return false;
        }

        return StructuralComparisons.StructuralEqualityComparer.Equals(_ref, other._ref);
    }

    public override bool Equals(object? obj) => obj is Variant other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Type, IsArray, _bits, _ref is Array array ? array.Length : _ref?.GetHashCode() ?? 0);

    public static bool operator ==(Variant left, Variant right) => left.Equals(right);

    public static bool operator !=(Variant left, Variant right) => !left.Equals(right);

    public override string ToString() => IsArray ? Describe() : ToObject()?.ToString() ?? "null";

    private string Describe() => IsArray
        ? $"{Type}[{(ArrayDimensions is null ? ((Array)_ref!).Length.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Join('x', ArrayDimensions))}]"
        : Type.ToString();

    private bool Expect(BuiltInType type) => Type == type && !IsArray ? true : throw Mismatch(type);

    private InvalidOperationException Mismatch(BuiltInType wanted) => new($"the variant holds {Describe()}, not a {wanted} scalar");
}
