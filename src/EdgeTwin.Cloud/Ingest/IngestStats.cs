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

    // Time spent per stage of the loop, in Stopwatch ticks (the benchmark prints them; the loop is one thread, so
    // their sum is its wall time apart from the offset commit).
    public long ConsumeTicks;
    public long DecodeTicks;
    public long CopyTicks;
    public long InsertTicks;
    public long CommitTicks;
    public long OffsetTicks;
    public long WaitTicks;
    public long DirectBatches;
    public long StagedBatches;

    /// <summary>Starts the per-stage times again (the benchmark's timed part begins).</summary>
    public void ResetProfile()
    {
        Interlocked.Exchange(ref ConsumeTicks, 0);
        Interlocked.Exchange(ref DecodeTicks, 0);
        Interlocked.Exchange(ref CopyTicks, 0);
        Interlocked.Exchange(ref InsertTicks, 0);
        Interlocked.Exchange(ref CommitTicks, 0);
        Interlocked.Exchange(ref OffsetTicks, 0);
        Interlocked.Exchange(ref WaitTicks, 0);
        Interlocked.Exchange(ref DirectBatches, 0);
        Interlocked.Exchange(ref StagedBatches, 0);
    }

    /// <summary>Per-stage seconds, for the benchmark's profile line.</summary>
    public string Profile()
    {
        static string S(long ticks) => (ticks / (double)System.Diagnostics.Stopwatch.Frequency).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
        return $"consume {S(Interlocked.Read(ref ConsumeTicks))} s, decode {S(Interlocked.Read(ref DecodeTicks))} s, COPY {S(Interlocked.Read(ref CopyTicks))} s, "
            + $"INSERT…ON CONFLICT {S(Interlocked.Read(ref InsertTicks))} s, commit {S(Interlocked.Read(ref CommitTicks))} s, offsets {S(Interlocked.Read(ref OffsetTicks))} s, "
            + $"consumer thread waiting for the database {S(Interlocked.Read(ref WaitTicks))} s; "
            + $"{Interlocked.Read(ref DirectBatches)} batches by direct COPY, {Interlocked.Read(ref StagedBatches)} through staging";
    }

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
