using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.Tests.OpcUa;

/// <summary>"element" and "field": one part of an array or structure value as a series of its own.</summary>
public class OpcUaValueSelectorTests
{
    private static OpcUaValueSelector Parse(string? element, string? field)
    {
        var selector = OpcUaValueSelector.Parse(element, field, out _, out var error);
        Assert.Null(error);
        return selector!;
    }

    [Fact]
    public void Element_TakesOneSampleOfAnArray_AndOneCellOfAMatrixRowMajor()
    {
        var wave = PointValue.FromArray(ArrayValue.FromNumbers([10, 11, 12, 13]));
        var matrix = PointValue.FromArray(ArrayValue.FromNumbers([1, 2, 3, 4, 5, 6], [2, 3]));

        Assert.Equal(13, Parse("[3]", null).Select(wave, out _).Number);
        Assert.Equal(6, Parse("[1][2]", null).Select(matrix, out _).Number);
        Assert.Equal(2, Parse("[0][1]", null).Select(matrix, out _).Number);
    }

    [Fact]
    public void Element_OutsideTheArrayOrOfTheWrongRank_SaysWhy()
    {
        var wave = PointValue.FromArray(ArrayValue.FromNumbers([10, 11]));

        Assert.Equal(PointValueKind.None, Parse("[2]", null).Select(wave, out var outside).Kind);
        Assert.Contains("outside the value's 2 elements", outside, StringComparison.Ordinal);
        Parse("[0][0]", null).Select(wave, out var rank);
        Assert.Contains("2 index(es), but the value has 1 dimension(s)", rank, StringComparison.Ordinal);
        Parse("[0]", null).Select(PointValue.FromNumber(1), out var scalar);
        Assert.Contains("not an array", scalar, StringComparison.Ordinal);
    }

    [Fact]
    public void Field_TakesANestedFieldOrArrayElementOfAStructure()
    {
        var drive = PointValue.FromStructure("{\"Status\":{\"Speed\":1480.5,\"Running\":true,\"Name\":\"P1\"},\"T\":[1,2]}");

        Assert.Equal(1480.5, Parse(null, "Status.Speed").Select(drive, out _).Number);
        Assert.True(Parse(null, "Status.Running").Select(drive, out _).Boolean);
        Assert.Equal("P1", Parse(null, "Status.Name").Select(drive, out _).Text);
        Assert.Equal(2, Parse(null, "T[1]").Select(drive, out _).Number);
        Assert.Equal("{\"Speed\":1480.5,\"Running\":true,\"Name\":\"P1\"}", Parse(null, "Status").Select(drive, out _).StructureJson);
        Parse(null, "Status.Torque").Select(drive, out var missing);
        Assert.Contains("no field Status.Torque", missing, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3", null, "element")]
    [InlineData("[x]", null, "element")]
    [InlineData("[1]a", null, "element")]
    [InlineData(null, "Status..Speed", "field")]
    [InlineData("[1]", "Speed", "field")]
    public void Parse_Refuses_NamingTheKey(string? element, string? field, string key)
    {
        Assert.Null(OpcUaValueSelector.Parse(element, field, out var at, out var error));
        Assert.Equal(key, at);
        Assert.NotNull(error);
    }
}
