using System.Text.Json;
using EdgeTwin.Core.Assets;

namespace EdgeTwin.Core.Tests.Assets;

public class JsonFieldPathTests
{
    private const string Payload = """{"value":1.5,"data":{"v":"on","readings":[{"t":10},{"t":20}]},"a b":true,"list":[7,8]}""";

    [Theory]
    [InlineData("value", "1.5")]
    [InlineData("$.value", "1.5")]
    [InlineData("data.v", "\"on\"")]
    [InlineData("$.data.readings[1].t", "20")]
    [InlineData("data.readings[0]", """{"t":10}""")]
    [InlineData("a b", "true")]
    [InlineData("list[0]", "7")]
    [InlineData("$", Payload)]
    public void TryFind_ExistingField_ReturnsIt(string path, string expected)
    {
        using var doc = JsonDocument.Parse(Payload);
        Assert.True(JsonFieldPath.TryParse(path, out var parsed, out var error), error);

        Assert.True(parsed!.TryFind(doc.RootElement, out var found));
        Assert.Equal(expected, found.GetRawText());
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("value.deeper")]
    [InlineData("data.readings[2]")]
    [InlineData("data[0]")]
    [InlineData("list.x")]
    [InlineData("Value")]
    public void TryFind_AbsentField_ReturnsFalse(string path)
    {
        using var doc = JsonDocument.Parse(Payload);
        Assert.True(JsonFieldPath.TryParse(path, out var parsed, out _));

        Assert.False(parsed!.TryFind(doc.RootElement, out _));
    }

    [Fact]
    public void TryFind_RootArrayByIndex()
    {
        using var doc = JsonDocument.Parse("[3,4]");
        Assert.True(JsonFieldPath.TryParse("$[1]", out var parsed, out _));
        Assert.True(parsed!.TryFind(doc.RootElement, out var found));
        Assert.Equal(4, found.GetInt32());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a..b", "empty name at 2")]
    [InlineData("a.", "empty name at 2")]
    [InlineData("a[", "not closed")]
    [InlineData("a[x]", "not an array index")]
    [InlineData("a[-1]", "not an array index")]
    [InlineData("a[]", "not an array index")]
    [InlineData("a]b", "expected '.' or '['")]
    [InlineData("$value", "expected '.' or '['")]
    public void TryParse_Malformed_SaysWhereAndWhy(string path, string says)
    {
        Assert.False(JsonFieldPath.TryParse(path, out var parsed, out var error));
        Assert.Null(parsed);
        Assert.Contains(says, error, StringComparison.Ordinal);
    }
}
