namespace EdgeTwin.Connectors.Simulator;

/// <summary>
/// A first-order lag, τ·dx/dt = target − x, driven by a target that is constant within fixed-length segments.
/// Within a segment the solution is closed form; the value at a segment's start is rebuilt from a bounded
/// window of earlier segments instead of being carried forward, so it is a pure function of the segment
/// index: an uninterrupted run and a run resumed anywhere compute bit-identical values.
/// </summary>
internal static class FirstOrderLag
{
    /// <summary>
    /// Segments of history needed so the unknown state before the window weighs less than e^-36 (≈ 2e-16,
    /// below a double's relative precision): the truncation changes nothing a sensor could show.
    /// </summary>
    public static int WindowFor(double tauSeconds, double segmentSeconds) =>
        (int)Math.Ceiling(36.0 * tauSeconds / segmentSeconds) + 1;

    /// <summary>The value after following <paramref name="target"/> from <paramref name="start"/> for a time whose decay factor is <paramref name="decay"/> = e^(−Δt/τ).</summary>
    public static double Response(double start, double target, double decay) => target + ((start - target) * decay);

    /// <summary>
    /// The value at the start of <paramref name="segment"/>, assuming the lag sat at its steady state
    /// <paramref name="window"/> segments earlier. <paramref name="decayPerSegment"/> is e^(−segment length/τ).
    /// </summary>
    public static double StartOf<T>(ref T targets, long segment, double decayPerSegment, int window)
        where T : struct, ISegmentTargets
    {
        var first = segment - window;
        var value = targets.TargetAt(first - 1);
        for (var j = first; j < segment; j++)
        {
            value = Response(value, targets.TargetAt(j), decayPerSegment);
        }
        return value;
    }
}
