using Microsoft.Extensions.Time.Testing;

namespace EdgeTwin.Storage.Tests.Sinks;

public sealed class DrainRateLimiterTests
{
    [Fact]
    public void Limiter_AfterABurst_HoldsTheNextSendUntilTheRateHasPaidItBack()
    {
        var clock = new FakeTimeProvider();
        var limiter = new DrainRateLimiter(1000, clock);

        Assert.Equal(250, limiter.BatchPoints(16384));
        Assert.Equal(TimeSpan.Zero, limiter.Delay());
        // A whole segment of 1,000 points overdraws the quarter-second burst by 750.
        limiter.Spend(1000);
        Assert.Equal(0.75, limiter.Delay().TotalSeconds, 3);
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(0.25, limiter.Delay().TotalSeconds, 3);
        clock.Advance(TimeSpan.FromSeconds(0.26));
        Assert.Equal(TimeSpan.Zero, limiter.Delay());
    }

    [Fact]
    public void Limiter_IdleForLong_SavesNoMoreThanOneBurst()
    {
        var clock = new FakeTimeProvider();
        var limiter = new DrainRateLimiter(1000, clock);

        clock.Advance(TimeSpan.FromMinutes(10));
        limiter.Spend(251);

        Assert.True(limiter.Delay() > TimeSpan.Zero);
        Assert.Equal(1, limiter.BatchPoints(1));
    }
}
