using EdgeTwin.Connectors.Spool;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.Tests.Spool;

/// <summary>A drop-folder line may hold an array, a matrix or a structure value, as wire schema 1.1 writes them.</summary>
public class SpoolValuesTests
{
    private static Reading Line(string value, string more = "") =>
        SpoolSource.Parse($"{{\"asset_id\":\"pump-1\",\"metric\":\"wave\",\"ts\":\"2026-12-06T10:00:00Z\",\"value\":{value}{more}}}", "drop1.jsonl", 1, "spool");

    [Fact]
    public void ArraysMatricesAndStructures_AreValues()
    {
        Assert.Equal(PointValue.FromArray(ArrayValue.FromNumbers([0.5, -1, 1e300])), Line("[0.5,-1,1e300]").Value);
        Assert.Equal(PointValue.FromArray(ArrayValue.FromBooleans([true, false])), Line("[true,false]").Value);
        Assert.Equal(PointValue.FromArray(ArrayValue.FromStrings(["a", ""])), Line("[\"a\",\"\"]").Value);
        Assert.Equal(PointValue.FromArray(ArrayValue.FromNumbers([])), Line("[]").Value);
        Assert.Equal(PointValue.FromArray(ArrayValue.FromNumbers([1, 2, 3, 4, 5, 6], [2, 3])), Line("[1,2,3,4,5,6]", ",\"dimensions\":[2,3]").Value);
        Assert.Equal(PointValue.FromStructure("{\"Speed\":1.5}"), Line("{\"Speed\":1.5}").Value);
        Assert.Equal(PointValue.FromStructure("[{\"Low\":0},null]"), Line("[{\"Low\":0},null]").Value);
        Assert.All(new[] { Line("[1]"), Line("{\"a\":1}") }, r => Assert.Null(r.Error));
    }

    [Theory]
    [InlineData("[1,true]", "element [1] true is not a number")]
    [InlineData("[\"a\",1]", "element [1] 1 is not a string")]
    [InlineData("[[1],[2]]", "not of numbers, booleans or strings")]
    [InlineData("[1,2,3]", "multiply to 4 but the array has 3", ",\"dimensions\":[2,2]")]
    [InlineData("[1,2]", "\"dimensions\"[0] -2 is not an element count", ",\"dimensions\":[-2,1]")]
    [InlineData("{\"a\":1}", "\"dimensions\" is given with a structure", ",\"dimensions\":[1,1]")]
    public void MixedOrMisshapenArrays_AreRefusedWithWhy(string value, string why, string more = "")
    {
        var reading = Line(value, more);

        Assert.Equal(PointValueKind.None, reading.Value.Kind);
        Assert.NotNull(reading.Error);
        Assert.StartsWith("\"value\" ", reading.Error, StringComparison.Ordinal);
        Assert.Contains(why, reading.Error, StringComparison.Ordinal);
    }
}
