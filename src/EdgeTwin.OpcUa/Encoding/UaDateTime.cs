namespace EdgeTwin.OpcUa.Encoding;

/// <summary>
/// UA DateTime is Int64 100-ns ticks since 1601-01-01 UTC (OPC 10000-6 §5.2.2.5). 0 and anything before it
/// is "MinValue", Int64.MaxValue and anything past 9999-12-31 is "MaxValue".
/// </summary>
public static class UaDateTime
{
    /// <summary>.NET ticks at 1601-01-01 00:00 UTC.</summary>
    public const long EpochTicks = 504_911_232_000_000_000;

    public static DateTime FromWire(long ticks)
    {
        if (ticks <= 0)
        {
            return DateTime.MinValue;
        }

        if (ticks >= DateTime.MaxValue.Ticks - EpochTicks)
        {
            return DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc);
        }

        return new DateTime(ticks + EpochTicks, DateTimeKind.Utc);
    }

    public static long ToWire(DateTime value)
    {
        var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
        if (utc.Ticks <= EpochTicks)
        {
            return 0;
        }

        if (utc.Ticks == DateTime.MaxValue.Ticks)
        {
            return long.MaxValue;
        }

        return utc.Ticks - EpochTicks;
    }
}
