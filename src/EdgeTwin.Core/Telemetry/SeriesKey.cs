namespace EdgeTwin.Core.Telemetry;

/// <summary>
/// A series: one metric of one asset. Together with a timestamp it forms the idempotent key
/// (docs/architecture.md §2.2), which is why neither part may contain the key separator.
/// </summary>
public readonly record struct SeriesKey(string AssetId, string Metric)
{
    /// <summary>The separator of the idempotent key's parts; forbidden inside asset ids and metrics.</summary>
    public const char KeySeparator = '|';

    public override string ToString() => AssetId + "/" + Metric;

    /// <summary>Why <paramref name="name"/> cannot be an asset id or metric, or null when it can.</summary>
    public static string? Check(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "is empty";
        if (name.Length > 200) return $"is {name.Length} characters long (at most 200)";
        foreach (var c in name)
        {
            if (c == KeySeparator) return $"contains '{KeySeparator}', the idempotent key separator";
            if (char.IsControl(c)) return "contains a control character";
        }
        return null;
    }
}

/// <summary>The idempotent key: asset id, metric and UTC timestamp in 100 ns ticks (docs/architecture.md §2.2).</summary>
public static class IdempotentKey
{
    public static string Format(string assetId, string metric, long utcTicks) =>
        string.Concat(assetId, "|", metric, "|", utcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static string Format(SeriesKey series, long utcTicks) => Format(series.AssetId, series.Metric, utcTicks);
}
