using System.Buffers;
using System.Text.Json;
using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.OpcUa;
using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Connectors.Tests.OpcUa;

/// <summary>Every built-in type, arrays, matrices and structures, from a Variant to a point value.</summary>
public class OpcUaValuesTests
{
    private static PointValue Convert(Variant value, int max = OpcUaValues.DefaultMaxArrayElements)
    {
        var point = OpcUaValues.ToPointValue(value, max, out var error, out var tooLarge);
        Assert.Null(error);
        Assert.False(tooLarge);
        return point;
    }

    [Fact]
    public void NumericScalars_AndStatusCode_BecomeNumbers()
    {
        Assert.Equal(-3, Convert(new Variant((sbyte)-3)).Number);
        Assert.Equal(200, Convert(new Variant((byte)200)).Number);
        Assert.Equal(-300, Convert(new Variant((short)-300)).Number);
        Assert.Equal(60_000, Convert(new Variant((ushort)60_000)).Number);
        Assert.Equal(-70_000, Convert(new Variant(-70_000)).Number);
        Assert.Equal(4_000_000_000, Convert(new Variant(4_000_000_000u)).Number);
        Assert.Equal(-9e9, Convert(new Variant(-9_000_000_000L)).Number);
        Assert.Equal(9e9, Convert(new Variant(9_000_000_000UL)).Number);
        Assert.Equal(2.5, Convert(new Variant(2.5f)).Number);
        Assert.Equal(1e-300, Convert(new Variant(1e-300)).Number);
        Assert.Equal(0x80AB_0000u, Convert(new Variant(new StatusCode(0x80AB_0000))).Number);
        Assert.Equal(PointValue.FromBoolean(true), Convert(new Variant(true)));
    }

    [Fact]
    public void TextLikeScalars_BecomeTheirTextForm()
    {
        var guid = Guid.Parse("72962b91-fa75-4ae6-8d28-b404dc7daf63");
        var time = new DateTime(2026, 12, 6, 19, 7, 13, DateTimeKind.Utc).AddTicks(1_234_567);

        Assert.Equal("Grüße", Convert(new Variant("Grüße")).Text);
        Assert.Equal("2026-12-06T19:07:13.1234567Z", Convert(new Variant(time)).Text);
        Assert.Equal("72962b91-fa75-4ae6-8d28-b404dc7daf63", Convert(new Variant(guid)).Text);
        Assert.Equal("AQL/", Convert(Variant.FromByteString([1, 2, 255])).Text);
        Assert.Equal("<a>b</a>", Convert(Variant.FromXmlElement("<a>b</a>")).Text);
        Assert.Equal("ns=2;s=Line1.Pressure", Convert(new Variant(new NodeId("Line1.Pressure", 2))).Text);
        Assert.Equal("nsu=urn:plc;i=7", Convert(new Variant(new ExpandedNodeId(new NodeId(7), "urn:plc"))).Text);
        Assert.Equal("3:Pump", Convert(new Variant(new QualifiedName(3, "Pump"))).Text);
        Assert.Equal("Läuft", Convert(new Variant(new LocalizedText("de", "Läuft"))).Text);
        Assert.Equal(42, Convert(new Variant(new DataValue(new Variant(42)))).Number);
    }

    [Fact]
    public void NullsAndDiagnosticInfo_AreNoValue()
    {
        Assert.Equal(PointValueKind.None, Convert(default).Kind);
        Assert.Equal(PointValueKind.None, Convert(new Variant((string?)null)).Kind);
        Assert.Equal(PointValueKind.None, Convert(Variant.FromByteString(null)).Kind);
        OpcUaValues.ToPointValue(new Variant(DiagnosticInfo.Empty), 10, out var error, out _);
        Assert.Contains("DiagnosticInfo", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Arrays_BecomeArraysOfNumbersBooleansOrText_AndMatricesKeepTheirDimensions()
    {
        var doubles = Convert(Variant.FromArray(BuiltInType.Double, new[] { 1.5, -2.0 }));
        var ints = Convert(Variant.FromArray(BuiltInType.Int32, new[] { 1, 2, 3, 4, 5, 6 }, [2, 3]));
        var flags = Convert(Variant.FromArray(BuiltInType.Boolean, new[] { true, false }));
        var times = Convert(Variant.FromArray(BuiltInType.DateTime, new[] { new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) }));
        var names = Convert(Variant.FromArray(BuiltInType.String, new string?[] { "a", null }));
        var texts = Convert(Variant.FromArray(BuiltInType.LocalizedText, new[] { new LocalizedText("en", "On") }));

        Assert.Equal([1.5, -2.0], doubles.Array.Numbers().ToArray());
        Assert.Null(doubles.Array.Dimensions);
        Assert.Equal([1.0, 2, 3, 4, 5, 6], ints.Array.Numbers().ToArray());
        Assert.Equal([2, 3], ints.Array.Dimensions!);
        Assert.Equal([true, false], flags.Array.Booleans().ToArray());
        Assert.Equal(["2026-01-01T00:00:00.0000000Z"], times.Array.Strings().ToArray());
        Assert.Equal(["a", ""], names.Array.Strings().ToArray());
        Assert.Equal(["On"], texts.Array.Strings().ToArray());
        Assert.Equal("1.1", ints.WireVersion);
    }

    [Fact]
    public void ArrayOverTheLimit_IsTooLarge_WithItsSize()
    {
        var value = OpcUaValues.ToPointValue(Variant.FromArray(BuiltInType.Double, new double[12], [3, 4]), 11, out var error, out var tooLarge);

        Assert.Equal(PointValueKind.None, value.Kind);
        Assert.True(tooLarge);
        Assert.Contains("12 Double elements (3x4)", error, StringComparison.Ordinal);
        Assert.Contains("11", error, StringComparison.Ordinal);
        Assert.Equal(12, Convert(Variant.FromArray(BuiltInType.Double, new double[12]), 12).Array.Length);
    }

    [Fact]
    public void WellKnownStructures_DecodeWithoutTheServer()
    {
        var range = Structure(WellKnownStructures.RangeBinary, (ref UaBinaryWriter w) => { w.WriteDouble(-1.5); w.WriteDouble(250); });
        var eu = Structure(WellKnownStructures.EUInformationBinary, (ref UaBinaryWriter w) =>
        {
            w.WriteString("http://www.opcfoundation.org/UA/units/un/cefact");
            w.WriteInt32(4408652);
            w.WriteLocalizedText(new LocalizedText("en", "°C"));
            w.WriteLocalizedText(new LocalizedText(null, "degree Celsius"));
        });

        using (var doc = JsonDocument.Parse(Convert(new Variant(range)).StructureJson))
        {
            Assert.Equal(-1.5, doc.RootElement.GetProperty("Low").GetDouble());
            Assert.Equal(250, doc.RootElement.GetProperty("High").GetDouble());
        }
        using (var doc = JsonDocument.Parse(Convert(new Variant(eu)).StructureJson))
        {
            Assert.Equal(4408652, doc.RootElement.GetProperty("UnitId").GetInt32());
            Assert.Equal("°C", doc.RootElement.GetProperty("DisplayName").GetProperty("Text").GetString());
            Assert.Equal("en", doc.RootElement.GetProperty("DisplayName").GetProperty("Locale").GetString());
            Assert.False(doc.RootElement.GetProperty("Description").TryGetProperty("Locale", out _));
        }
    }

    [Fact]
    public void UnknownOrBrokenStructure_IsForwardedAsTypeIdAndBody()
    {
        var unknown = new ExtensionObject(new NodeId(5001, 2), ExtensionObjectEncoding.Binary, new byte[] { 1, 2, 3 });
        var broken = Structure(WellKnownStructures.RangeBinary, (ref UaBinaryWriter w) => w.WriteDouble(1));

        using (var doc = JsonDocument.Parse(Convert(new Variant(unknown)).StructureJson))
        {
            Assert.Equal("ns=2;i=5001", doc.RootElement.GetProperty("TypeId").GetString());
            Assert.Equal(1, doc.RootElement.GetProperty("Encoding").GetInt32());
            Assert.Equal([1, 2, 3], doc.RootElement.GetProperty("Body").GetBytesFromBase64());
        }
        using (var doc = JsonDocument.Parse(Convert(new Variant(broken)).StructureJson))
        {
            Assert.Equal("i=886", doc.RootElement.GetProperty("TypeId").GetString());
            Assert.Contains("offset", doc.RootElement.GetProperty("DecodeError").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ArraysOfStructuresAndVariants_BecomeJsonArraysOfObjects()
    {
        var range = Structure(WellKnownStructures.RangeBinary, (ref UaBinaryWriter w) => { w.WriteDouble(0); w.WriteDouble(1); });
        var structures = Convert(Variant.FromArray(BuiltInType.ExtensionObject, new[] { range, ExtensionObject.Null }));
        var variants = Convert(Variant.FromArray(BuiltInType.Variant, new[] { new Variant(7), new Variant("x") }));

        Assert.Equal("[{\"Low\":0,\"High\":1},null]", structures.StructureJson);
        Assert.Equal("[{\"Type\":6,\"Body\":7},{\"Type\":12,\"Body\":\"x\"}]", variants.StructureJson);
    }

    private delegate void Body(ref UaBinaryWriter writer);

    private static ExtensionObject Structure(uint typeId, Body body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new UaBinaryWriter(buffer);
        body(ref writer);
        return new ExtensionObject(new NodeId(typeId), ExtensionObjectEncoding.Binary, buffer.WrittenMemory.ToArray());
    }
}
