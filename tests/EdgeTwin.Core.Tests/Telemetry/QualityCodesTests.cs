using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Tests.Telemetry;

public class QualityCodesTests
{
    [Theory]
    [InlineData(0x0000_0000u, Quality.Good)]
    [InlineData(0x3FFF_FFFFu, Quality.Good)]
    [InlineData(0x4000_0000u, Quality.Uncertain)]
    [InlineData(0x7FFF_FFFFu, Quality.Uncertain)]
    [InlineData(0x8000_0000u, Quality.Bad)]
    [InlineData(0xBFFF_FFFFu, Quality.Bad)]
    [InlineData(0xC000_0000u, Quality.Bad)]
    [InlineData(0xFFFF_FFFFu, Quality.Bad)]
    public void FromStatusCode_TopTwoBits_DecideTheQuality(uint status, Quality expected) =>
        Assert.Equal(expected, QualityCodes.FromStatusCode(status));

    [Theory]
    [InlineData(Quality.Good, "good")]
    [InlineData(Quality.Uncertain, "uncertain")]
    [InlineData(Quality.Bad, "bad")]
    public void ToWire_ThenTryParse_RoundTrips(Quality quality, string text)
    {
        Assert.Equal(text, QualityCodes.ToWire(quality));
        Assert.True(QualityCodes.TryParse(text, out var parsed));
        Assert.Equal(quality, parsed);
    }

    [Theory]
    [InlineData("GOOD", Quality.Good)]
    [InlineData("Uncertain", Quality.Uncertain)]
    public void TryParse_IgnoresCase(string text, Quality expected)
    {
        Assert.True(QualityCodes.TryParse(text, out var parsed));
        Assert.Equal(expected, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ok")]
    [InlineData("good ")]
    public void TryParse_UnknownText_FailsAsBad(string text)
    {
        Assert.False(QualityCodes.TryParse(text, out var parsed));
        Assert.Equal(Quality.Bad, parsed);
    }

    [Fact]
    public void Reading_EffectiveQuality_PrefersTheExplicitQuality()
    {
        Assert.Equal(Quality.Bad, new Reading("a", 1, PointValue.FromNumber(1), StatusCode: 0x8000_0000).EffectiveQuality);
        Assert.Equal(Quality.Good, new Reading("a", 1, PointValue.FromNumber(1), StatusCode: 0x8000_0000, Quality: Quality.Good).EffectiveQuality);
    }
}
