using EdgeTwin.Connectors.Simulator;

namespace EdgeTwin.Connectors.Tests.Simulator;

public sealed class SplitMix64Tests
{
    [Fact]
    public void At_SeedZero_GivesTheReferenceSplitMix64Sequence()
    {
        // First outputs of the reference splitmix64.c (Vigna) seeded with 0.
        Assert.Equal(0xE220A8397B1DCDAFUL, SplitMix64.At(0, 1));
        Assert.Equal(0x6E789E6AA1B965F4UL, SplitMix64.At(0, 2));
        Assert.Equal(0x06C45D188009454FUL, SplitMix64.At(0, 3));
    }

    [Fact]
    public void Gaussian_HasZeroMeanUnitVariance_AndBoundedTails()
    {
        const int N = 1_000_000;
        double sum = 0, sumSquares = 0, min = 0, max = 0;
        for (var i = 0; i < N; i++)
        {
            var x = SplitMix64.Gaussian(SplitMix64.At(12345, i));
            sum += x;
            sumSquares += x * x;
            min = Math.Min(min, x);
            max = Math.Max(max, x);
        }
        var mean = sum / N;
        Assert.InRange(mean, -0.005, 0.005);
        Assert.InRange((sumSquares / N) - (mean * mean), 0.99, 1.01);
        Assert.InRange(min, -3.47, -3.0);
        Assert.InRange(max, 3.0, 3.47);
    }

    [Fact]
    public void Unit_StaysInTheHalfOpenUnitInterval()
    {
        Assert.Equal(0.0, SplitMix64.Unit(0));
        Assert.True(SplitMix64.Unit(ulong.MaxValue) < 1.0);
    }

    [Fact]
    public void Hash_IsFnv1aOfTheText_ThenMixed()
    {
        // 0xAF63DC4C8601EC8C is the published 64-bit FNV-1a of "a". Unlike string.GetHashCode, which changes with
        // every process, this key must stay put or a restart would resume a different simulation.
        Assert.Equal(SplitMix64.Mix(0xAF63DC4C8601EC8CUL), SplitMix64.Hash("a"));
        Assert.NotEqual(SplitMix64.Hash("pump-1"), SplitMix64.Hash("pump-2"));
    }
}
