namespace EdgeTwin.Storage;

/// <summary>
/// A token bucket for a sink's backlog lane: <see cref="PointsPerSecond"/> on average, with bursts of at most a
/// quarter of a second's worth. Segments are sent whole, so a send may overdraw the bucket; the next one then
/// waits until it is paid back.
/// </summary>
public sealed class DrainRateLimiter
{
    private const double BurstSeconds = 0.25;

    private readonly TimeProvider _time;
    private double _tokens;
    private long _last;

    public DrainRateLimiter(double pointsPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pointsPerSecond);
        PointsPerSecond = pointsPerSecond;
        _time = time;
        _tokens = pointsPerSecond * BurstSeconds;
        _last = time.GetTimestamp();
    }

    public double PointsPerSecond { get; }

    /// <summary>The largest batch worth asking for at once: one burst, at least one point, at most <paramref name="max"/>.</summary>
    public int BatchPoints(int max) => (int)Math.Clamp(PointsPerSecond * BurstSeconds, 1, max);

    /// <summary>How long until the next send may go (zero when it may go now).</summary>
    public TimeSpan Delay()
    {
        Refill();
        return _tokens > 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Max(0.001, -_tokens / PointsPerSecond));
    }

    public void Spend(int points)
    {
        Refill();
        _tokens -= points;
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(PointsPerSecond * BurstSeconds, _tokens + _time.GetElapsedTime(_last, now).TotalSeconds * PointsPerSecond);
        _last = now;
    }
}
