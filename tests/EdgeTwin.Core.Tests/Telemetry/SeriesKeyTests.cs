using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Tests.Telemetry;

public class SeriesKeyTests
{
    [Theory]
    [InlineData("pump-1")]
    [InlineData("Kessel Süd/Temperatur °C")]
    [InlineData("日本")]
    public void Check_UsableName_IsNull(string name) => Assert.Null(SeriesKey.Check(name));

    [Fact]
    public void Check_NameOfExactly200Characters_IsUsable() => Assert.Null(SeriesKey.Check(new string('x', 200)));

    [Theory]
    [InlineData(null, "is empty")]
    [InlineData("", "is empty")]
    [InlineData("a|b", "'|'")]
    [InlineData("|", "'|'")]
    [InlineData("a\nb", "control character")]
    [InlineData("a\u0000", "control character")]
    [InlineData("a\u0085", "control character")]
    public void Check_UnusableName_SaysWhy(string? name, string why) =>
        Assert.Contains(why, SeriesKey.Check(name), StringComparison.Ordinal);

    [Fact]
    public void Check_NameOver200Characters_GivesItsLength() =>
        Assert.Equal("is 201 characters long (at most 200)", SeriesKey.Check(new string('x', 201)));

    [Fact]
    public void IdempotentKey_IsAssetMetricAndInvariantTicks()
    {
        var ticks = new DateTime(2026, 11, 24, 3, 0, 0, DateTimeKind.Utc).Ticks + 1_234_567;

        Assert.Equal("line-1|pressure|639310860001234567", IdempotentKey.Format(new SeriesKey("line-1", "pressure"), ticks));
        Assert.Equal("a|b|1", IdempotentKey.Format("a", "b", 1));
    }

    [Fact]
    public void IdempotentKey_OfAPoint_UsesItsSeriesAndTimestamp()
    {
        var point = new TelemetryPoint(new StreamDescriptor("line-1", "pressure", "src"), 42, PointValue.FromNumber(1), Quality.Good, 0);

        Assert.Equal("line-1|pressure|42", point.IdempotentKey);
    }

    [Fact]
    public void IdempotentKey_DistinctSeries_NeverCollide()
    {
        // Names may not contain the separator, which is what keeps "a|b" + "c" apart from "a" + "b|c".
        Assert.NotNull(SeriesKey.Check("a|b"));
        Assert.NotEqual(IdempotentKey.Format("ab", "c", 1), IdempotentKey.Format("a", "bc", 1));
    }
}
