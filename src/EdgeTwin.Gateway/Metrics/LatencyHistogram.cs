namespace EdgeTwin.Gateway.Metrics;

/// <summary>
/// A lock-free latency histogram with log-linear buckets (8 sub-buckets per power of two, from 1 µs to
/// about 70 s), good to within 12.5% for percentiles; recording is one interlocked increment.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBuckets = 8;
    private const int Powers = 27;
    private readonly long[] _counts = new long[Powers * SubBuckets];
    private long _total;
    private long _sumMicros;
    private long _maxMicros;

    public long Count => Volatile.Read(ref _total);

    public double MeanMicros => Count == 0 ? 0 : (double)Volatile.Read(ref _sumMicros) / Count;

    public long MaxMicros => Volatile.Read(ref _maxMicros);

    public void Record(TimeSpan elapsed) => RecordMicros((long)elapsed.TotalMicroseconds);

    public void RecordMicros(long micros)
    {
        if (micros < 1) micros = 1;
        Interlocked.Increment(ref _counts[BucketOf(micros)]);
        Interlocked.Increment(ref _total);
        Interlocked.Add(ref _sumMicros, micros);
        long max;
        while (micros > (max = Volatile.Read(ref _maxMicros)) && Interlocked.CompareExchange(ref _maxMicros, micros, max) != max) { }
    }

    private static int BucketOf(long micros)
    {
        var power = 63 - (int)long.LeadingZeroCount(micros);
        if (power >= Powers) return (Powers * SubBuckets) - 1;
        var sub = power < 3 ? (int)(micros - (1L << power)) * SubBuckets >> power : (int)((micros >> (power - 3)) & (SubBuckets - 1));
        return (power * SubBuckets) + sub;
    }

    private static long UpperBoundOf(int bucket)
    {
        var power = bucket / SubBuckets;
        var sub = bucket % SubBuckets;
        return (1L << power) + ((sub + 1L) << power) / SubBuckets;
    }

    /// <summary>The latency (µs, bucket upper bound) below which <paramref name="quantile"/> of the samples fall.</summary>
    public long PercentileMicros(double quantile)
    {
        var total = Count;
        if (total == 0) return 0;
        var rank = (long)Math.Ceiling(quantile * total);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank) return Math.Min(UpperBoundOf(i), MaxMicros);
        }
        return MaxMicros;
    }
}
