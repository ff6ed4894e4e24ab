using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Tests.Infrastructure;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Tests.Encoding;

/// <summary>
/// The structures a technician meets first, decoded from bytes laid out here field by field (OPC 10000-6 §5.2: every
/// integer and float little-endian, a String as an Int32 length and UTF-8, a DateTime as 100 ns ticks since 1601).
/// </summary>
public class WellKnownStructuresTests
{
    private const string BuildInfoBody =
        "05 00 00 00 75 72 6E 3A 78 " + // ProductUri "urn:x"
        "04 00 00 00 41 43 4D 45 " + // ManufacturerName "ACME"
        "04 00 00 00 54 77 69 6E " + // ProductName "Twin"
        "03 00 00 00 31 2E 32 " + // SoftwareVersion "1.2"
        "FF FF FF FF " + // BuildNumber null
        "80 C0 48 58 28 3D DA 01"; // BuildDate 2024-01-02T03:04:05Z

    /// <summary>An ExtensionObject as it comes in a Variant: TypeId i=<paramref name="encodingId"/> (four-byte form), body kind 1 (binary), body length, body.</summary>
    private static ExtensionObject Framed(uint encodingId, string bodyHex)
    {
        var body = Hex.Bytes(bodyHex);
        var header = new byte[] { 0x01, 0x00, (byte)encodingId, (byte)(encodingId >> 8), 0x01, (byte)body.Length, (byte)(body.Length >> 8), 0, 0 };
        return Hex.Read([.. header, .. body], (ref UaBinaryReader r) => r.ReadExtensionObject());
    }

    private static UaStructure? Decode(uint encodingId, string bodyHex) => WellKnownStructures.TryDecode(Framed(encodingId, bodyHex));

    [Fact]
    public void Range_LowAndHigh()
    {
        var range = Assert.IsType<UaRange>(Decode(886,
            "00 00 00 00 00 00 29 C0 " + // Low -12.5
            "00 00 00 00 00 00 69 40")); // High 200
        Assert.Equal(-12.5, range.Low);
        Assert.Equal(200, range.High);
    }

    [Fact]
    public void BuildInfo_EveryField_AndANullString()
    {
        var build = Assert.IsType<BuildInfo>(Decode(340, BuildInfoBody));
        Assert.Equal("urn:x", build.ProductUri);
        Assert.Equal("ACME", build.ManufacturerName);
        Assert.Equal("Twin", build.ProductName);
        Assert.Equal("1.2", build.SoftwareVersion);
        Assert.Null(build.BuildNumber);
        Assert.Equal(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc), build.BuildDate);
    }

    [Fact]
    public void ServerStatus_TimesStateNestedBuildInfoShutdownCountdownAndReason()
    {
        var status = Assert.IsType<ServerStatusDataType>(Decode(864,
            "00 80 AD CA 57 85 DD 01 " + // StartTime 2026-12-06T08:00:00Z
            "80 ED 44 66 64 85 DD 01 " + // CurrentTime 2026-12-06T09:30:15Z
            "04 00 00 00 " + // State 4 = Shutdown
            BuildInfoBody + " " + // BuildInfo, inline (a structure field is not wrapped in an ExtensionObject)
            "1E 00 00 00 " + // SecondsTillShutdown 30
            "03 02 00 00 00 65 6E 0B 00 00 00 6D 61 69 6E 74 65 6E 61 6E 63 65")); // ShutdownReason en "maintenance"
        Assert.Equal(new DateTime(2026, 12, 6, 8, 0, 0, DateTimeKind.Utc), status.StartTime);
        Assert.Equal(new DateTime(2026, 12, 6, 9, 30, 15, DateTimeKind.Utc), status.CurrentTime);
        Assert.Equal(ServerState.Shutdown, status.State);
        Assert.Equal("Twin", status.BuildInfo.ProductName);
        Assert.Equal(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc), status.BuildInfo.BuildDate);
        Assert.Equal(30u, status.SecondsTillShutdown);
        Assert.Equal(new LocalizedText("en", "maintenance"), status.ShutdownReason);
    }

    [Fact]
    public void EUInformation_NamespaceUnitIdDisplayNameDescription()
    {
        var eu = Assert.IsType<EUInformation>(Decode(889,
            "2F 00 00 00 68 74 74 70 3A 2F 2F 77 77 77 2E 6F 70 63 66 6F 75 6E 64 61 74 69 6F 6E 2E 6F 72 67 2F 55 41 2F 75 6E 69 74 73 2F 75 6E 2F 63 65 66 61 63 74 " + // NamespaceUri
            "4C 45 43 00 " + // UnitId 4408652 ("CEL")
            "02 03 00 00 00 C2 B0 43 " + // DisplayName, text only: "°C"
            "03 02 00 00 00 65 6E 0E 00 00 00 64 65 67 72 65 65 20 43 65 6C 73 69 75 73")); // Description en "degree Celsius"
        Assert.Equal("http://www.opcfoundation.org/UA/units/un/cefact", eu.NamespaceUri);
        Assert.Equal(4408652, eu.UnitId);
        Assert.Equal("CEL", WellKnownStructures.UneceCode(eu.UnitId));
        Assert.Equal(new LocalizedText(null, "°C"), eu.DisplayName);
        Assert.Equal(new LocalizedText("en", "degree Celsius"), eu.Description);
    }

    [Fact]
    public void Argument_NameDataTypeValueRankDimensionsDescription()
    {
        var argument = Assert.IsType<Argument>(Decode(298,
            "09 00 00 00 54 68 72 65 73 68 6F 6C 64 " + // Name "Threshold"
            "00 0B " + // DataType i=11 (Double), two-byte NodeId
            "01 00 00 00 " + // ValueRank 1
            "01 00 00 00 03 00 00 00 " + // ArrayDimensions [3]
            "00")); // Description: neither locale nor text
        Assert.Equal("Threshold", argument.Name);
        Assert.Equal(new NodeId(11), argument.DataType);
        Assert.Equal(1, argument.ValueRank);
        Assert.Equal([3u], argument.ArrayDimensions!);
        Assert.Equal(new LocalizedText(null, null), argument.Description);

        var scalar = Assert.IsType<Argument>(Decode(298, "FF FF FF FF 00 0C FF FF FF FF FF FF FF FF 00"));
        Assert.Null(scalar.Name);
        Assert.Equal(new NodeId(12), scalar.DataType);
        Assert.Equal(-1, scalar.ValueRank);
        Assert.Null(scalar.ArrayDimensions);
    }

    [Fact]
    public void OtherTypes_AreNotDecoded_WhateverTheirBody()
    {
        Assert.Null(Decode(884, "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")); // Range's DataType id, not its encoding id
        Assert.Null(WellKnownStructures.TryDecode(new ExtensionObject(new NodeId(886, 2), ExtensionObjectEncoding.Binary, new byte[16])));
        Assert.Null(WellKnownStructures.TryDecode(new ExtensionObject(new NodeId(886), ExtensionObjectEncoding.Xml, "<Range/>"u8.ToArray())));
        Assert.Null(WellKnownStructures.TryDecode(ExtensionObject.Null));
    }

    [Fact]
    public void ABodyShorterOrLongerThanItsFields_FailsWithTheOffset()
    {
        var shortBody = Assert.Throws<UaDecodingException>(() => Decode(886, "00 00 00 00 00 00 29 C0 00 00"));
        Assert.Equal(StatusCode.BadDecodingError, shortBody.Status);
        var longBody = Assert.Throws<UaDecodingException>(() => Decode(886, "00 00 00 00 00 00 29 C0 00 00 00 00 00 00 69 40 FF"));
        Assert.Equal(16, longBody.Offset);
        Assert.Contains("1 byte(s) left over", longBody.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4408652, "CEL")]
    [InlineData(20529, "P1")] // percent
    [InlineData(-1, null)]
    [InlineData(0x01434546, null)] // a fourth byte: not a common code
    public void UneceCode_UnpacksUpToThreeCharacters(int unitId, string? expected) =>
        Assert.Equal(expected, WellKnownStructures.UneceCode(unitId));
}
