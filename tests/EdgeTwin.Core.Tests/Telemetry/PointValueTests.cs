using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Tests.Telemetry;

public class PointValueTests
{
    [Fact]
    public void Accessors_OfTheWrongKind_Throw()
    {
        Assert.Throws<InvalidOperationException>(() => PointValue.FromBoolean(true).Number);
        Assert.Throws<InvalidOperationException>(() => PointValue.FromNumber(1).Boolean);
        Assert.Throws<InvalidOperationException>(() => PointValue.FromNumber(1).Text);
        Assert.Throws<InvalidOperationException>(() => PointValue.None.Number);
    }

    [Fact]
    public void Equals_ComparesKindAndValue()
    {
        Assert.Equal(PointValue.FromNumber(1), PointValue.FromNumber(1));
        Assert.NotEqual(PointValue.FromNumber(1), PointValue.FromBoolean(true));
        Assert.NotEqual(PointValue.FromString("1"), PointValue.FromNumber(1));
        Assert.Equal(PointValue.FromString("a"), PointValue.FromString(new string('a', 1)));
        Assert.True(PointValue.None == default);
    }

    [Theory]
    [InlineData(double.NaN, true)]
    [InlineData(double.PositiveInfinity, true)]
    [InlineData(double.NegativeInfinity, true)]
    [InlineData(double.MaxValue, false)]
    [InlineData(-0.0, false)]
    public void IsNonFinite_FlagsNaNAndInfinities(double value, bool expected) =>
        Assert.Equal(expected, PointValue.FromNumber(value).IsNonFinite);

    [Fact]
    public void ToString_NumberIsRoundTripInvariant() =>
        Assert.Equal("0.30000000000000004", PointValue.FromNumber(0.1 + 0.2).ToString());

    [Fact]
    public void FromString_Null_Throws() => Assert.Throws<ArgumentNullException>(() => PointValue.FromString(null!));
}
