using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Tests.Infrastructure;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Tests.Encoding;

public class VariantEncodingTests
{
    private static Variant RoundTrip(Variant value)
    {
        var bytes = Hex.Write((ref UaBinaryWriter w) => w.WriteVariant(value));
        var decoded = Hex.Read(bytes, (ref UaBinaryReader r) => r.ReadVariant());
        Assert.Equal(value, decoded);
        Assert.Equal(value, Hex.ReadSegmented(bytes, (ref UaBinaryReader r) => r.ReadVariant()));
        return decoded;
    }

    private static void AssertLayout(Variant value, string hex)
    {
        Assert.Equal(Hex.Of(Hex.Bytes(hex)), Hex.Of(Hex.Write((ref UaBinaryWriter w) => w.WriteVariant(value))));
        Assert.Equal(value, Hex.Read(Hex.Bytes(hex), (ref UaBinaryReader r) => r.ReadVariant()));
    }

    [Fact]
    public void Null_IsOneZeroByte() => AssertLayout(Variant.Null, "00");

    [Fact]
    public void Int32Scalar_IsTypeByteThenValue() => AssertLayout(new Variant(-2), "06 FE FF FF FF");

    [Fact]
    public void DoubleScalar_IsTypeByteThenIeee754() => AssertLayout(new Variant(1.5), "0B 00 00 00 00 00 00 F8 3F");

    [Fact]
    public void BooleanScalar() => AssertLayout(new Variant(true), "01 01");

    [Fact]
    public void StringScalar() => AssertLayout(new Variant("ab"), "0C 02 00 00 00 61 62");

    [Fact]
    public void Int16Array_SetsTheArrayBit() => AssertLayout(Variant.FromArray(BuiltInType.Int16, new short[] { 1, -1 }), "84 02 00 00 00 01 00 FF FF");

    [Fact]
    public void NullArray_DecodesAsNullVariant() =>
        Assert.True(Hex.Read(Hex.Bytes("86 FF FF FF FF"), (ref UaBinaryReader r) => r.ReadVariant()).IsNull);

    [Fact]
    public void Matrix_FlattensHigherRankFirstThenWritesDimensions()
    {
        // 2x3 Int32 matrix: 0x80|0x40|6, total 6, elements, then 2 dimensions [2, 3].
        var value = Variant.FromArray(BuiltInType.Int32, new[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        AssertLayout(value, "C6 06000000 01000000 02000000 03000000 04000000 05000000 06000000 02000000 02000000 03000000");
    }

    [Fact]
    public void UnknownTypeIds26To31_DecodeAsByteString()
    {
        var value = Hex.Read(Hex.Bytes("1A 01 00 00 00 FF"), (ref UaBinaryReader r) => r.ReadVariant());
        Assert.Equal(BuiltInType.ByteString, value.Type);
        Assert.Equal(new byte[] { 0xFF }, value.AsByteString());
    }

    public static TheoryData<string, Variant> Scalars() => new()
    {
        { "Boolean", new Variant(false) },
        { "SByte min", new Variant(sbyte.MinValue) },
        { "Byte max", new Variant(byte.MaxValue) },
        { "Int16 min", new Variant(short.MinValue) },
        { "UInt16 max", new Variant(ushort.MaxValue) },
        { "Int32 min", new Variant(int.MinValue) },
        { "UInt32 max", new Variant(uint.MaxValue) },
        { "Int64 min", new Variant(long.MinValue) },
        { "UInt64 max", new Variant(ulong.MaxValue) },
        { "Float epsilon", new Variant(float.Epsilon) },
        { "Float NaN", new Variant(float.NaN) },
        { "Double -inf", new Variant(double.NegativeInfinity) },
        { "Double max", new Variant(double.MaxValue) },
        { "String null", new Variant((string?)null) },
        { "String unicode", new Variant("Grüße, 世界 🌍") },
        { "DateTime", new Variant(new DateTime(2026, 11, 24, 1, 2, 3, 456, DateTimeKind.Utc)) },
        { "DateTime max", new Variant(DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc)) },
        { "Guid", new Variant(Guid.Parse("72962b91-fa75-4ae6-8d28-b404dc7daf63")) },
        { "ByteString", Variant.FromByteString([0, 1, 255]) },
        { "ByteString null", Variant.FromByteString(null) },
        { "XmlElement", Variant.FromXmlElement("<a/>") },
        { "NodeId", new Variant(new NodeId("Line1.Pressure", 3)) },
        { "ExpandedNodeId", new Variant(new ExpandedNodeId(new NodeId(7), "urn:plc", 1)) },
        { "StatusCode", new Variant(StatusCode.BadNodeIdUnknown) },
        { "QualifiedName", new Variant(new QualifiedName(1, "n")) },
        { "LocalizedText", new Variant(new LocalizedText("de", "Druck")) },
        { "ExtensionObject", new Variant(new ExtensionObject(new NodeId(864), ExtensionObjectEncoding.Binary, new byte[] { 1, 2 })) },
        { "DataValue", new Variant(new DataValue(new Variant(3.25), StatusCode.Uncertain, DateTime.UnixEpoch)) },
        { "DiagnosticInfo", new Variant(new DiagnosticInfo { AdditionalInfo = "why" }) },
    };

    [Theory]
    [MemberData(nameof(Scalars))]
    public void EveryScalarType_RoundTrips(string name, Variant value)
    {
        Assert.False(string.IsNullOrEmpty(name));
        Assert.False(value.IsArray);
        RoundTrip(value);
    }

    public static TheoryData<string, Variant> Arrays() => new()
    {
        { "Boolean", Variant.FromArray(BuiltInType.Boolean, new[] { true, false }) },
        { "SByte", Variant.FromArray(BuiltInType.SByte, new sbyte[] { -128, 127 }) },
        { "Byte", Variant.FromArray(BuiltInType.Byte, new byte[] { 0, 255 }) },
        { "Int16", Variant.FromArray(BuiltInType.Int16, new short[] { short.MinValue, short.MaxValue }) },
        { "UInt16", Variant.FromArray(BuiltInType.UInt16, new ushort[] { 0, ushort.MaxValue }) },
        { "Int32 empty", Variant.FromArray(BuiltInType.Int32, Array.Empty<int>()) },
        { "UInt32", Variant.FromArray(BuiltInType.UInt32, new uint[] { 1, uint.MaxValue }) },
        { "Int64", Variant.FromArray(BuiltInType.Int64, new[] { long.MinValue, long.MaxValue }) },
        { "UInt64", Variant.FromArray(BuiltInType.UInt64, new[] { ulong.MaxValue }) },
        { "Float", Variant.FromArray(BuiltInType.Float, new[] { float.MinValue, float.PositiveInfinity }) },
        { "Double", Variant.FromArray(BuiltInType.Double, new[] { double.Epsilon, double.NaN }) },
        { "String with null", Variant.FromArray(BuiltInType.String, new string?[] { "a", null, "" }) },
        { "DateTime", Variant.FromArray(BuiltInType.DateTime, new[] { DateTime.UnixEpoch, DateTime.MinValue }) },
        { "Guid", Variant.FromArray(BuiltInType.Guid, new[] { Guid.Empty }) },
        { "ByteString", Variant.FromArray(BuiltInType.ByteString, new byte[]?[] { [1], null }) },
        { "XmlElement", Variant.FromArray(BuiltInType.XmlElement, new string?[] { "<x/>" }) },
        { "NodeId", Variant.FromArray(BuiltInType.NodeId, new[] { new NodeId(1), new NodeId(Guid.Empty, 2), new NodeId([9], 3) }) },
        { "ExpandedNodeId", Variant.FromArray(BuiltInType.ExpandedNodeId, new[] { new ExpandedNodeId(new NodeId("s", 0), "urn:a") }) },
        { "StatusCode", Variant.FromArray(BuiltInType.StatusCode, new[] { StatusCode.Good, StatusCode.Bad }) },
        { "QualifiedName", Variant.FromArray(BuiltInType.QualifiedName, new[] { new QualifiedName(0, "x") }) },
        { "LocalizedText", Variant.FromArray(BuiltInType.LocalizedText, new[] { new LocalizedText(null, "t") }) },
        { "ExtensionObject", Variant.FromArray(BuiltInType.ExtensionObject, new[] { ExtensionObject.Null }) },
        { "DataValue", Variant.FromArray(BuiltInType.DataValue, new[] { new DataValue(new Variant(1)) }) },
        { "Variant", Variant.FromArray(BuiltInType.Variant, new[] { new Variant(1), new Variant("two"), Variant.FromArray(BuiltInType.Int32, new[] { 3 }) }) },
        { "DiagnosticInfo", Variant.FromArray(BuiltInType.DiagnosticInfo, new[] { DiagnosticInfo.Empty }) },
        { "Double matrix 2x2x2", Variant.FromArray(BuiltInType.Double, new[] { 1.0, 2, 3, 4, 5, 6, 7, 8 }, [2, 2, 2]) },
        { "String matrix 1x2", Variant.FromArray(BuiltInType.String, new string?[] { "a", "b" }, [1, 2]) },
    };

    [Theory]
    [MemberData(nameof(Arrays))]
    public void EveryArrayType_RoundTrips(string name, Variant value)
    {
        Assert.False(string.IsNullOrEmpty(name));
        Assert.True(value.IsArray);
        RoundTrip(value);
    }

    [Fact]
    public void ScalarVariantInVariant_CannotBeEncodedOrDecoded()
    {
        var ex = Assert.Throws<UaDecodingException>(() => Hex.Read(Hex.Bytes("18 06 01 00 00 00"), (ref UaBinaryReader r) => r.ReadVariant()));
        Assert.Equal(0, ex.Offset);
    }

    [Fact]
    public void FromArray_RejectsAMismatchedClrType_AndWrongDimensions()
    {
        Assert.Throws<ArgumentException>(() => Variant.FromArray(BuiltInType.Int32, new long[] { 1 }));
        Assert.Throws<ArgumentException>(() => Variant.FromArray(BuiltInType.Int32, new[] { 1, 2, 3 }, [2, 2]));
    }

    [Fact]
    public void Accessors_RejectTheWrongType()
    {
        Assert.Equal(5, new Variant(5).AsInt32());
        Assert.Throws<InvalidOperationException>(() => new Variant(5).AsDouble());
        Assert.Throws<InvalidOperationException>(() => new Variant(5).GetArray<int>());
    }
}
