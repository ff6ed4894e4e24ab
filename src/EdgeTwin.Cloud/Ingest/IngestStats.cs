namespace EdgeTwin.Cloud.Ingest;

/// <summary>
/// Counters of the ingest loop and the delay from each message's Kafka timestamp (the gateway producing it, after its
/// own queue committed the point) to the database commit that made its row visible, over the last 100,000 messages.
/// </summary>
public sealed class IngestStats
{
    private const int Window = 100_000;
    private readonly object _gate = new();
    private readonly double[] _delaysMs = new double[Window];
    private int _next;
    private int _filled;

    public long Messages;
    public long Telemetry;
    public long Events;
    public long Assets;
    public long DeadLetters;
    public long Batches;
    public long DatabaseRetries;

    public void AddDelays(ReadOnlySpan<DateTime> produced, DateTime committed)
    {
        lock (_gate)
        {
            foreach (var t in produced)
            {
                _delaysMs[_next] = (committed - t).TotalMilliseconds;
                _next = (_next + 1) % Window;
                if (_filled < Window) _filled++;
            }
        }
    }

    /// <summary>The delay percentile (0..1) in ms over the window, or null before the first commit.</summary>
    public double? DelayPercentile(double p)
    {
        double[] copy;
        lock (_gate)
        {
            if (_filled == 0) return null;
            copy = _delaysMs.AsSpan(0, _filled).ToArray();
        }
        Array.Sort(copy);
        return copy[Math.Min(copy.Length - 1, (int)Math.Ceiling(p * copy.Length) - 1)];
    }

    public void ResetDelays()
    {
        lock (_gate)
        {
            _next = 0;
            _filled = 0;
        }
    }
}
