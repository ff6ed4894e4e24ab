namespace EdgeTwin.Connectors.Simulator;

/// <summary>
/// Maps sequence numbers to time, exactly and in integers so a resumed run lands on the same ticks.
/// Reading n belongs to sample n / C (C channels, round-robin); sample s is stamped
/// epoch + ⌊s · C / rate⌋ (in 100 ns ticks), and reading n is due for emission at epoch + ⌊n / rate⌋.
/// The due time is never before the reading's timestamp (n ≥ s·C), so no reading leaves before the moment
/// it describes, and spreading due times per reading keeps the output smooth even when a sample's period
/// is long.
/// </summary>
internal sealed class SimulationTimeline
{
    // Rates are kept in micro-points per second so fractional rates (0.5/s) stay exact integers.
    private const long MicroPerUnit = 1_000_000;
    private static readonly Int128 MicroTicksPerSecond = (Int128)TimeSpan.TicksPerSecond * MicroPerUnit;
    private static readonly long MaxTicks = DateTime.MaxValue.Ticks;

    private readonly Int128 _sampleNumerator;
    private readonly Int128 _sampleDenominator;
    private readonly long _sampleNumeratorLong;
    private readonly long _sampleDenominatorLong;
    private readonly long _sampleFastLimit;
    private readonly Int128 _readingNumerator;
    private readonly Int128 _readingDenominator;

    public SimulationTimeline(long epochTicks, int channelCount, double pointsPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channelCount);
        var micro = Math.Round(pointsPerSecond * MicroPerUnit);
        if (!double.IsFinite(pointsPerSecond) || micro < 1 || micro > 1e18)
        {
            throw new ArgumentOutOfRangeException(nameof(pointsPerSecond), pointsPerSecond, "must be between 0.000001 and 10^12 points per second");
        }
        var rate = (Int128)(long)micro;
        EpochTicks = epochTicks;
        ChannelCount = channelCount;

        (_sampleNumerator, _sampleDenominator) = Reduce(channelCount * MicroTicksPerSecond, rate);
        if (_sampleNumerator < _sampleDenominator)
        {
            throw new ArgumentOutOfRangeException(nameof(pointsPerSecond), pointsPerSecond,
                $"{channelCount} channels at {pointsPerSecond} points/s give each channel a period under one 100 ns tick, so its timestamps would repeat");
        }
        (_readingNumerator, _readingDenominator) = Reduce(MicroTicksPerSecond, rate);

        // Most configurations reduce to small fractions (500 000 points/s over 6 channels: 12 ticks per sample),
        // so the per-sample timestamp takes 64-bit arithmetic; the 128-bit path gives the same integers.
        if (_sampleNumerator <= long.MaxValue && _sampleDenominator <= long.MaxValue)
        {
            _sampleNumeratorLong = (long)_sampleNumerator;
            _sampleDenominatorLong = (long)_sampleDenominator;
            _sampleFastLimit = long.MaxValue / _sampleNumeratorLong;
        }
    }

    public long EpochTicks { get; }

    public int ChannelCount { get; }

    /// <summary>The timestamp of sample <paramref name="sample"/>: every channel of a sample shares it.</summary>
    public long TimestampOf(long sample)
    {
        var offset = sample <= _sampleFastLimit
            ? sample * _sampleNumeratorLong / _sampleDenominatorLong
            : Clamp(sample * _sampleNumerator / _sampleDenominator);
        return offset > MaxTicks - EpochTicks ? MaxTicks : EpochTicks + offset;
    }

    /// <summary>When reading <paramref name="sequence"/> may be emitted at the earliest.</summary>
    public long DueTicks(long sequence)
    {
        var offset = Clamp(sequence * _readingNumerator / _readingDenominator);
        return offset > MaxTicks - EpochTicks ? MaxTicks : EpochTicks + offset;
    }

    /// <summary>How many readings (from sequence 0) are due at <paramref name="nowTicks"/>: the smallest n with a due time after now.</summary>
    public long DueCount(long nowTicks)
    {
        if (nowTicks < EpochTicks) return 0;
        // ⌊n·a/b⌋ ≤ D  ⇔  n·a < (D+1)·b  ⇔  n < (D+1)·b/a, so the count is ⌈(D+1)·b/a⌉.
        var d = (Int128)(nowTicks - EpochTicks) + 1;
        return Clamp(((d * _readingDenominator) + _readingNumerator - 1) / _readingNumerator);
    }

    private static long Clamp(Int128 value) => value > long.MaxValue ? long.MaxValue : (long)value;

    private static (Int128 Numerator, Int128 Denominator) Reduce(Int128 numerator, Int128 denominator)
    {
        Int128 a = numerator, b = denominator;
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }
        return (numerator / a, denominator / a);
    }
}
