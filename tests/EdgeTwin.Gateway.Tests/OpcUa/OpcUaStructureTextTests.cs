using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeTwin.Gateway.Cli.OpcUa;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Gateway.Tests.OpcUa;

/// <summary>How `edgetwin opcua read/browse` print structures: decoded ones field by field, any other as its type id and length.</summary>
public sealed class OpcUaStructureTextTests
{
    private static readonly NamespaceTable Namespaces = new(["http://opcfoundation.org/UA/", "urn:edgetwin:test", "urn:vendor:types"]);

    private static ExtensionObject Binary(uint id, ushort ns, string hex) => new(new NodeId(id, ns), ExtensionObjectEncoding.Binary, Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal)));

    private static string Json(Variant value)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) OpcUaValues.Write(w, value, Namespaces);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    [Fact]
    public void Range_PrintsItsFields_InTextAndJson()
    {
        var range = new Variant(Binary(886, 0, "0000000000000000 0000000000006940"));
        Assert.Equal("{Low: 0, High: 200}", OpcUaValues.Text(range, Namespaces));
        var json = JsonNode.Parse(Json(range))!;
        Assert.Equal(0, (double)json["low"]!);
        Assert.Equal(200, (double)json["high"]!);
    }

    [Fact]
    public void Argument_NamesItsDataTypeAndValueRank()
    {
        // Name "Threshold", DataType i=11, ValueRank -1, ArrayDimensions null, Description with text "limit".
        var argument = new Variant(Binary(298, 0, "09000000 5468726573686F6C64 000B FFFFFFFF FFFFFFFF 02 05000000 6C696D6974"));
        Assert.Equal("{Name: \"Threshold\", DataType: Double, ValueRank: -1 (scalar), ArrayDimensions: null, Description: \"limit\"}", OpcUaValues.Text(argument, Namespaces));
    }

    [Fact]
    public void EUInformation_ShowsTheUneceCodeOfItsUnitId()
    {
        // NamespaceUri "…/cefact" shortened to "unece", UnitId "CEL", DisplayName "°C", Description absent.
        var eu = new Variant(Binary(889, 0, "05000000 756E656365 4C454300 02 03000000 C2B043 00"));
        Assert.Equal("{DisplayName: \"°C\", Description: null, UnitId: 4408652 (CEL), NamespaceUri: \"unece\"}", OpcUaValues.Text(eu, Namespaces));
    }

    [Fact]
    public void TextAndTheWiresJson_ShowTheSameFieldsInTheSameOrder()
    {
        // The EUInformation above and an Argument: the CLI's text and the source's JSON come from one list of fields.
        foreach (var structure in new[]
        {
            Binary(889, 0, "05000000 756E656365 4C454300 02 03000000 C2B043 00"),
            Binary(298, 0, "09000000 5468726573686F6C64 000B FFFFFFFF FFFFFFFF 02 05000000 6C696D6974"),
        })
        {
            var text = OpcUaValues.Text(new Variant(structure), Namespaces);
            var wire = JsonNode.Parse(EdgeTwin.Connectors.OpcUa.OpcUaStructures.ToJson(structure))!.AsObject();
            var textNames = System.Text.RegularExpressions.Regex.Matches(text, @"(?:\{|, )([A-Z][A-Za-z]*): ").Select(m => m.Groups[1].Value);
            Assert.Equal(wire.Select(p => p.Key), textNames);
        }
    }

    [Fact]
    public void AnyOtherStructure_IsItsTypeIdAndLength_NeverADotNetTypeName()
    {
        var vendor = new Variant(Binary(5001, 2, "0102030405"));
        Assert.Equal("structure nsu=urn:vendor:types;i=5001 (binary, 5 bytes)", OpcUaValues.Text(vendor, Namespaces));
        var json = JsonNode.Parse(Json(vendor))!;
        Assert.Equal("nsu=urn:vendor:types;i=5001", (string?)json["typeId"]);
        Assert.Equal(5, (int)json["bytes"]!);

        var xml = new Variant(new ExtensionObject(new NodeId(887), ExtensionObjectEncoding.Xml, "<x/>"u8.ToArray()));
        Assert.Equal("structure i=887 (xml, 4 bytes)", OpcUaValues.Text(xml, Namespaces));

        // A known type id whose body is short: still its id and length, and why it could not be decoded.
        var broken = OpcUaValues.Text(new Variant(Binary(886, 0, "00000000")), Namespaces);
        Assert.StartsWith("structure i=886 (binary, 4 bytes) (not decodable: ", broken, StringComparison.Ordinal);

        var array = Variant.FromArray(BuiltInType.ExtensionObject, new[] { Binary(886, 0, "000000000000F03F 0000000000000040"), Binary(5001, 2, "00") });
        var text = OpcUaValues.Text(array, Namespaces);
        Assert.Equal("ExtensionObject[2] [{Low: 1, High: 2}, structure nsu=urn:vendor:types;i=5001 (binary, 1 byte)]", text);
        Assert.DoesNotContain("EdgeTwin.", text, StringComparison.Ordinal);
    }
}
