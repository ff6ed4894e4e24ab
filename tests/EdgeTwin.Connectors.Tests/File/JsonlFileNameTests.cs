using EdgeTwin.Connectors.File;

namespace EdgeTwin.Connectors.Tests.File;

public sealed class JsonlFileNameTests
{
    [Fact]
    public void Format_UsesUtcStartTimeAndSixDigitSequence()
    {
        var started = new DateTimeOffset(2026, 11, 24, 5, 6, 7, TimeSpan.FromHours(2));

        Assert.Equal("edgetwin-20261124T030607Z-000042.jsonl", JsonlFileName.Format(started, 42));
    }

    [Theory]
    [InlineData("edgetwin-20261124T030607Z-000042.jsonl", 42)]
    [InlineData("edgetwin-20261124T030607Z-1234567.jsonl", 1234567)]
    public void TryParse_SinkFileName_GivesItsSequence(string name, long sequence)
    {
        Assert.True(JsonlFileName.TryParse(name, out var parsed));
        Assert.Equal(sequence, parsed);
    }

    [Theory]
    [InlineData("edgetwin-20261124T030607Z-000042.json")]
    [InlineData("edgetwin-20261124T030607Z-.jsonl")]
    [InlineData("edgetwin-20261124T030607Z-00004x.jsonl")]
    [InlineData("edgetwin-20261324T030607Z-000042.jsonl")]
    [InlineData("edgetwin-20261124T030607Z-+00042.jsonl")]
    [InlineData("other-20261124T030607Z-000042.jsonl")]
    [InlineData("../edgetwin-20261124T030607Z-000042.jsonl")]
    [InlineData("")]
    public void TryParse_OtherName_IsRejected(string name)
    {
        Assert.False(JsonlFileName.TryParse(name, out _));
    }
}
