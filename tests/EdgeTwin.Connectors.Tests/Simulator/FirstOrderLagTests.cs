using EdgeTwin.Connectors.Simulator;

namespace EdgeTwin.Connectors.Tests.Simulator;

public sealed class FirstOrderLagTests
{
    [Fact]
    public void StartOf_WithAConstantTarget_IsThatTarget()
    {
        var targets = new Constant(42.5);
        Assert.Equal(42.5, FirstOrderLag.StartOf(ref targets, segment: 123_456, decayPerSegment: 0.9, window: 400));
    }

    [Fact]
    public void StartOf_MatchesStepByStepIntegrationFromTheDistantPast()
    {
        var targets = new Alternating(10, 90);
        const double Tau = 1200, Segment = 120;
        var decay = Math.Exp(-Segment / Tau);
        var window = FirstOrderLag.WindowFor(Tau, Segment);

        // Reference: carry the state forward over 5 000 segments from an arbitrary start.
        var value = 500.0;
        for (long j = 0; j < 5_000; j++) value = FirstOrderLag.Response(value, targets.TargetAt(j), decay);

        Assert.Equal(value, FirstOrderLag.StartOf(ref targets, 5_000, decay, window), 1e-12 * value);
    }

    [Fact]
    public void WindowFor_ForgetsTheUnknownPastBelowDoublePrecision()
    {
        const double Tau = 900, Segment = 180;
        var window = FirstOrderLag.WindowFor(Tau, Segment);
        Assert.True(Math.Pow(Math.Exp(-Segment / Tau), window) < 1e-15);
    }

    private readonly struct Constant(double value) : ISegmentTargets
    {
        public double TargetAt(long segment) => value;
    }

    private readonly struct Alternating(double low, double high) : ISegmentTargets
    {
        public double TargetAt(long segment) => (segment & 3) == 0 ? high : low;
    }
}
