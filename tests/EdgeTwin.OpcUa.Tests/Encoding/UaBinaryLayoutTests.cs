using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Tests.Infrastructure;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Tests.Encoding;

/// <summary>
/// Hand-written byte layouts from the fact sheet (OPC 10000-6 §5.2): every value encodes to exactly these
/// bytes and decodes back from them, whole and one byte per segment.
/// </summary>
public class UaBinaryLayoutTests
{
    private static void AssertLayout<T>(T value, string hex, Hex.Encode encode, Hex.Decode<T> decode)
    {
        var expected = Hex.Bytes(hex);
        Assert.Equal(Hex.Of(expected), Hex.Of(Hex.Write(encode)));
        Assert.Equal(value, Hex.Read(expected, decode));
        Assert.Equal(value, Hex.ReadSegmented(expected, decode));
    }

    private static void AssertNodeId(NodeId value, string hex) =>
        AssertLayout(value, hex, (ref UaBinaryWriter w) => w.WriteNodeId(value), (ref UaBinaryReader r) => r.ReadNodeId());

    [Fact]
    public void NodeId_Null_IsTwoZeroBytes() => AssertNodeId(NodeId.Null, "00 00");

    [Fact]
    public void NodeId_Namespace0Below256_UsesTwoByteEncoding() => AssertNodeId(new NodeId(85), "00 55");

    [Fact]
    public void NodeId_ReadRequestEncodingId_UsesFourByteEncoding() => AssertNodeId(new NodeId(631), "01 00 77 02");

    [Fact]
    public void NodeId_ServerStatusState_UsesFourByteEncoding() => AssertNodeId(new NodeId(2259), "01 00 D3 08");

    [Fact]
    public void NodeId_SmallNamespaceSmallId_UsesFourByteEncoding() => AssertNodeId(new NodeId(1000, 5), "01 05 E8 03");

    [Fact]
    public void NodeId_LargeId_UsesNumericEncoding() => AssertNodeId(new NodeId(70000, 2), "02 02 00 70 11 01 00");

    [Fact]
    public void NodeId_LargeNamespace_UsesNumericEncoding() => AssertNodeId(new NodeId(1, 300), "02 2C 01 01 00 00 00");

    [Fact]
    public void NodeId_String_IsNamespaceThenLengthPrefixedUtf8() =>
        AssertNodeId(new NodeId("Demo", 2), "03 02 00 04 00 00 00 44 65 6D 6F");

    [Fact]
    public void NodeId_Guid_UsesMixedEndianGuidLayout() =>
        AssertNodeId(new NodeId(Guid.Parse("09087e75-8e5e-499b-954f-f2a9603db28a"), 1), "04 01 00 75 7E 08 09 5E 8E 9B 49 95 4F F2 A9 60 3D B2 8A");

    [Fact]
    public void NodeId_ByteString_IsNamespaceThenLengthPrefixedBytes() =>
        AssertNodeId(new NodeId(new byte[] { 1, 2, 3 }, 1), "05 01 00 03 00 00 00 01 02 03");

    [Fact]
    public void NodeId_DecodesNonMinimalEncodings()
    {
        // Peers may use a longer encoding than needed: the value is the same.
        Assert.Equal(new NodeId(85), Hex.Read(Hex.Bytes("01 00 55 00"), (ref UaBinaryReader r) => r.ReadNodeId()));
        Assert.Equal(new NodeId(85), Hex.Read(Hex.Bytes("02 00 00 55 00 00 00"), (ref UaBinaryReader r) => r.ReadNodeId()));
    }

    [Fact]
    public void ExpandedNodeId_WithUriAndServerIndex_SetsBothFlagsAndZeroesTheIndex()
    {
        var value = new ExpandedNodeId(new NodeId(5), "urn:x", 2);
        AssertLayout(value, "C0 05 05 00 00 00 75 72 6E 3A 78 02 00 00 00",
            (ref UaBinaryWriter w) => w.WriteExpandedNodeId(value), (ref UaBinaryReader r) => r.ReadExpandedNodeId());
    }

    [Fact]
    public void ExpandedNodeId_WithoutExtras_IsAPlainNodeId()
    {
        var value = new ExpandedNodeId(new NodeId("A", 3));
        AssertLayout(value, "03 03 00 01 00 00 00 41",
            (ref UaBinaryWriter w) => w.WriteExpandedNodeId(value), (ref UaBinaryReader r) => r.ReadExpandedNodeId());
    }

    [Fact]
    public void String_NullEmptyAndUtf8()
    {
        AssertLayout<string?>(null, "FF FF FF FF", (ref UaBinaryWriter w) => w.WriteString(null), (ref UaBinaryReader r) => r.ReadString());
        AssertLayout<string?>("", "00 00 00 00", (ref UaBinaryWriter w) => w.WriteString(""), (ref UaBinaryReader r) => r.ReadString());
        AssertLayout<string?>("é€", "05 00 00 00 C3 A9 E2 82 AC", (ref UaBinaryWriter w) => w.WriteString("é€"), (ref UaBinaryReader r) => r.ReadString());
    }

    [Fact]
    public void ByteString_NullAndValue()
    {
        Assert.Equal("FFFFFFFF", Hex.Of(Hex.Write((ref UaBinaryWriter w) => w.WriteByteString((byte[]?)null))));
        Assert.Null(Hex.Read(Hex.Bytes("FF FF FF FF"), (ref UaBinaryReader r) => r.ReadByteString()));
        Assert.Equal(new byte[] { 0xAB, 0xCD }, Hex.Read(Hex.Bytes("02 00 00 00 AB CD"), (ref UaBinaryReader r) => r.ReadByteString()));
    }

    [Fact]
    public void DateTime_IsTicksSince1601_WithMinAndMaxClamped()
    {
        var value = new DateTime(2026, 11, 24, 3, 0, 0, DateTimeKind.Utc);
        var ticks = value.Ticks - 504_911_232_000_000_000;
        AssertLayout(value, Hex.Of(BitConverter.GetBytes(ticks)), (ref UaBinaryWriter w) => w.WriteDateTime(value), (ref UaBinaryReader r) => r.ReadDateTime());
        // Unix epoch = 116 444 736 000 000 000 ticks after 1601.
        Assert.Equal(DateTime.UnixEpoch, Hex.Read(BitConverter.GetBytes(116_444_736_000_000_000L), (ref UaBinaryReader r) => r.ReadDateTime()));
        Assert.Equal("0000000000000000", Hex.Of(Hex.Write((ref UaBinaryWriter w) => w.WriteDateTime(DateTime.MinValue))));
        Assert.Equal("FFFFFFFFFFFFFF7F", Hex.Of(Hex.Write((ref UaBinaryWriter w) => w.WriteDateTime(DateTime.MaxValue))));
        Assert.Equal(DateTime.MaxValue, Hex.Read(Hex.Bytes("FFFFFFFFFFFFFF7F"), (ref UaBinaryReader r) => r.ReadDateTime()));
        Assert.Equal(DateTime.MinValue, Hex.Read(Hex.Bytes("FFFFFFFFFFFFFFFF"), (ref UaBinaryReader r) => r.ReadDateTime()));
    }

    [Fact]
    public void Integers_AreLittleEndian()
    {
        Assert.Equal("3412", Hex.Of(Hex.Write((ref UaBinaryWriter w) => w.WriteInt16(0x1234))));
        Assert.Equal("78563412", Hex.Of(Hex.Write((ref UaBinaryWriter w) => w.WriteUInt32(0x12345678))));
        Assert.Equal("0100000000000080", Hex.Of(Hex.Write((ref UaBinaryWriter w) => w.WriteInt64(long.MinValue + 1))));
        Assert.Equal("000000000000F03F", Hex.Of(Hex.Write((ref UaBinaryWriter w) => w.WriteDouble(1.0))));
        Assert.Equal("0000803F", Hex.Of(Hex.Write((ref UaBinaryWriter w) => w.WriteFloat(1.0f))));
    }

    [Fact]
    public void Boolean_AnyNonZeroByteIsTrue() =>
        Assert.True(Hex.Read(Hex.Bytes("7F"), (ref UaBinaryReader r) => r.ReadBoolean()));

    [Fact]
    public void QualifiedName_IsIndexThenString()
    {
        var value = new QualifiedName(2, "Temp");
        AssertLayout(value, "02 00 04 00 00 00 54 65 6D 70", (ref UaBinaryWriter w) => w.WriteQualifiedName(value), (ref UaBinaryReader r) => r.ReadQualifiedName());
        var dataEncodingNull = new QualifiedName(0, null);
        AssertLayout(dataEncodingNull, "00 00 FF FF FF FF", (ref UaBinaryWriter w) => w.WriteQualifiedName(dataEncodingNull), (ref UaBinaryReader r) => r.ReadQualifiedName());
    }

    [Theory]
    [InlineData(null, null, "00")]
    [InlineData("en", null, "01 02 00 00 00 65 6E")]
    [InlineData(null, "Hi", "02 02 00 00 00 48 69")]
    [InlineData("en", "Hi", "03 02 00 00 00 65 6E 02 00 00 00 48 69")]
    public void LocalizedText_MaskSaysWhichPartsFollow(string? locale, string? text, string hex)
    {
        var value = new LocalizedText(locale, text);
        AssertLayout(value, hex, (ref UaBinaryWriter w) => w.WriteLocalizedText(value), (ref UaBinaryReader r) => r.ReadLocalizedText());
    }

    [Fact]
    public void ExtensionObject_Null_IsNullNodeIdAndNoBody()
    {
        AssertLayout(ExtensionObject.Null, "00 00 00", (ref UaBinaryWriter w) => w.WriteExtensionObject(null), (ref UaBinaryReader r) => r.ReadExtensionObject());
    }

    [Fact]
    public void ExtensionObject_Binary_IsTypeIdEncodingLengthBody()
    {
        // An AnonymousIdentityToken (i=321) whose body is PolicyId "0".
        var value = new ExtensionObject(new NodeId(321), ExtensionObjectEncoding.Binary, Hex.Bytes("01 00 00 00 30"));
        AssertLayout(value, "01 00 41 01 01 05 00 00 00 01 00 00 00 30",
            (ref UaBinaryWriter w) => w.WriteExtensionObject(value), (ref UaBinaryReader r) => r.ReadExtensionObject());
    }

    [Fact]
    public void DataValue_ReadResponseExample_ValueSourceAndServerTimestamps()
    {
        // Fact sheet §10: mask 0D, Variant Int32 0, SourceTimestamp, ServerTimestamp.
        var source = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        var server = source.AddMilliseconds(7);
        var value = new DataValue(new Variant(0), sourceTimestamp: source, serverTimestamp: server);
        var hex = "0D 06 00 00 00 00" + Hex.Of(BitConverter.GetBytes(source.Ticks - UaDateTime.EpochTicks)) + Hex.Of(BitConverter.GetBytes(server.Ticks - UaDateTime.EpochTicks));
        AssertLayout(value, hex, (ref UaBinaryWriter w) => w.WriteDataValue(value), (ref UaBinaryReader r) => r.ReadDataValue());
    }

    [Fact]
    public void DataValue_AllMaskBits_WriteSourcePicosecondsBeforeServerTimestamp()
    {
        var value = new DataValue
        {
            Value = new Variant((byte)9),
            Status = new StatusCode(0x40000000),
            SourceTimestamp = DateTime.UnixEpoch,
            SourcePicoseconds = 0x0102,
            ServerTimestamp = DateTime.UnixEpoch,
            ServerPicoseconds = 0x0304,
        };
        var epoch = Hex.Of(BitConverter.GetBytes(116_444_736_000_000_000L));
        AssertLayout(value, "3F 03 09 00 00 00 40" + epoch + "02 01" + epoch + "04 03",
            (ref UaBinaryWriter w) => w.WriteDataValue(value), (ref UaBinaryReader r) => r.ReadDataValue());
    }

    [Fact]
    public void DataValue_Empty_IsMaskZero_AndStatusDefaultsToGood()
    {
        var value = Hex.Read(Hex.Bytes("00"), (ref UaBinaryReader r) => r.ReadDataValue());
        Assert.True(value.Value.IsNull);
        Assert.Null(value.Status);
        Assert.True(value.EffectiveStatus.IsGood);
        Assert.Equal("02 00 00 34 80".Replace(" ", "", StringComparison.Ordinal), Hex.Of(Hex.Write((ref UaBinaryWriter w) => w.WriteDataValue(new DataValue { Status = StatusCode.BadNodeIdUnknown }))));
    }

    [Fact]
    public void DiagnosticInfo_WritesLocaleBeforeLocalizedText_AndNests()
    {
        var value = new DiagnosticInfo
        {
            SymbolicId = 1,
            NamespaceUri = 2,
            LocalizedText = 3,
            Locale = 4,
            AdditionalInfo = "x",
            InnerStatusCode = StatusCode.BadTimeout,
            InnerDiagnosticInfo = new DiagnosticInfo { SymbolicId = 9 },
        };
        AssertLayout(value, "7F 01000000 02000000 04000000 03000000 01000000 78 00000A80 01 09000000",
            (ref UaBinaryWriter w) => w.WriteDiagnosticInfo(value), (ref UaBinaryReader r) => r.ReadDiagnosticInfo());
    }

    [Fact]
    public void DiagnosticInfo_Empty_IsOneZeroByte() =>
        AssertLayout(DiagnosticInfo.Empty, "00", (ref UaBinaryWriter w) => w.WriteDiagnosticInfo(DiagnosticInfo.Empty), (ref UaBinaryReader r) => r.ReadDiagnosticInfo());

    [Fact]
    public void StatusCode_IsUInt32_AndSeverityComesFromTheTopBits()
    {
        AssertLayout(StatusCode.BadNodeIdUnknown, "00 00 34 80", (ref UaBinaryWriter w) => w.WriteStatusCode(StatusCode.BadNodeIdUnknown), (ref UaBinaryReader r) => r.ReadStatusCode());
        Assert.True(new StatusCode(0x00000000).IsGood);
        Assert.True(new StatusCode(0x40920000).IsUncertain);
        Assert.True(new StatusCode(0x80340000).IsBad);
        Assert.True(new StatusCode(0x80340480).Is(StatusCode.BadNodeIdUnknown));
    }

    [Fact]
    public void Guid_UsesTheSameLayoutAsGuidToByteArray()
    {
        var value = Guid.NewGuid();
        AssertLayout(value, Hex.Of(value.ToByteArray()), (ref UaBinaryWriter w) => w.WriteGuid(value), (ref UaBinaryReader r) => r.ReadGuid());
    }
}
