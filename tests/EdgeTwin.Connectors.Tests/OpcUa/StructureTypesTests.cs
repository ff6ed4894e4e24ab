using System.Buffers;
using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Connectors.Tests.OpcUa;

/// <summary>
/// A server's own structures decoded through their DataTypeDefinitions, with the bodies laid out here by hand per
/// OPC 10000-6: matrix fields (value rank 2) as nested arrays, and server-defined structures inside a Variant or a
/// DataValue field.
/// </summary>
public class StructureTypesTests
{
    private static readonly NodeId PointType = new(100, 2);
    private static readonly NodeId PointEncoding = new(101, 2);
    private static readonly NodeId GridType = new(200, 2);
    private static readonly NodeId GridEncoding = new(201, 2);

    private static readonly StructureTypes Types = new(new Dictionary<NodeId, DataTypeDefinition>
    {
        [PointType] = new StructureDefinition(PointEncoding, new NodeId(22), StructureType.Structure, [Field("X", new NodeId(11)), Field("Y", new NodeId(11))]),
        [GridType] = new StructureDefinition(GridEncoding, new NodeId(22), StructureType.Structure,
        [
            Field("Grid", new NodeId(11), 2),
            Field("Points", PointType, 2),
            Field("Empty", new NodeId(6), 2),
            Field("Any", new NodeId(24)),
            Field("Held", new NodeId(23)),
        ]),
    });

    [Fact]
    public void MatrixFields_AreNestedArraysRowMajor_AndStructuresInVariantAndDataValueFieldsDecode()
    {
        var body = Body((ref UaBinaryWriter w) =>
        {
            // Grid: dimensions [2, 3], then six doubles, the last index fastest.
            w.WriteInt32(2);
            w.WriteInt32(2);
            w.WriteInt32(3);
            foreach (var x in new double[] { 1, 2, 3, 4, 5, 6 }) w.WriteDouble(x);
            // Points: dimensions [1, 2], then two Points.
            w.WriteInt32(2);
            w.WriteInt32(1);
            w.WriteInt32(2);
            foreach (var x in new double[] { 1, 2, 3, 4 }) w.WriteDouble(x);
            // Empty: dimensions [0, 4], no elements.
            w.WriteInt32(2);
            w.WriteInt32(0);
            w.WriteInt32(4);
            w.WriteVariant(new Variant(Point(5, 6)));
            w.WriteDataValue(new DataValue(new Variant(Point(7, 8))));
        });

        var value = OpcUaValues.ToPointValue(new Variant(new ExtensionObject(GridEncoding, ExtensionObjectEncoding.Binary, body)),
            OpcUaValues.DefaultMaxArrayElements, out var error, out _, Types);

        Assert.Null(error);
        Assert.Equal("{\"Grid\":[[1,2,3],[4,5,6]],\"Points\":[[{\"X\":1,\"Y\":2},{\"X\":3,\"Y\":4}]],\"Empty\":[],\"Any\":{\"X\":5,\"Y\":6},\"Held\":{\"X\":7,\"Y\":8}}",
            value.StructureJson);
    }

    [Fact]
    public void MatrixFieldWithTheWrongRank_IsForwardedAsTypeIdAndBody_WithWhy()
    {
        var body = Body((ref UaBinaryWriter w) =>
        {
            w.WriteInt32(1); // one dimension where the definition says two
            w.WriteInt32(2);
            w.WriteDouble(1);
            w.WriteDouble(2);
        });

        var value = OpcUaValues.ToPointValue(new Variant(new ExtensionObject(GridEncoding, ExtensionObjectEncoding.Binary, body)),
            OpcUaValues.DefaultMaxArrayElements, out _, out _, Types);

        Assert.Contains("\"TypeId\":\"ns=2;i=201\"", value.StructureJson, StringComparison.Ordinal);
        Assert.Contains("value rank 2 has 1 dimension", value.StructureJson, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerStructureInsideAnArrayOfVariantsOrDataValues_Decodes()
    {
        var variants = OpcUaValues.ToPointValue(Variant.FromArray(BuiltInType.Variant, new[] { new Variant(Point(1, 2)) }),
            OpcUaValues.DefaultMaxArrayElements, out var error, out _, Types);

        Assert.Null(error);
        Assert.Equal("[{\"Type\":22,\"Body\":{\"X\":1,\"Y\":2}}]", variants.StructureJson);
    }

    private static StructureField Field(string name, NodeId type, int valueRank = -1) =>
        new(name, default, type, valueRank, null, 0, false);

    private static ExtensionObject Point(double x, double y) => new(PointEncoding, ExtensionObjectEncoding.Binary, Body((ref UaBinaryWriter w) =>
    {
        w.WriteDouble(x);
        w.WriteDouble(y);
    }));

    private delegate void Write(ref UaBinaryWriter writer);

    private static byte[] Body(Write write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new UaBinaryWriter(buffer);
        write(ref writer);
        return buffer.WrittenSpan.ToArray();
    }
}
