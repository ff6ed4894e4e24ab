using System.Globalization;

namespace EdgeTwin.Connectors.Simulator;

/// <summary>
/// The simulator's position, committed with each batch: "&lt;epoch ticks&gt;:&lt;next sequence&gt;". The epoch
/// travels with it because an unconfigured epoch is the first start's clock, which a restart must keep.
/// </summary>
internal static class SimulatorCheckpoint
{
    public static string KeyFor(string sourceName) => "sim:" + sourceName;

    public static string Format(long epochTicks, long next) =>
        string.Concat(epochTicks.ToString(CultureInfo.InvariantCulture), ":", next.ToString(CultureInfo.InvariantCulture));

    public static bool TryParse(string? text, out long epochTicks, out long next)
    {
        epochTicks = 0;
        next = 0;
        if (text is null) return false;
        var span = text.AsSpan();
        var colon = span.IndexOf(':');
        return colon > 0
            && long.TryParse(span[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out epochTicks)
            && long.TryParse(span[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out next)
            && epochTicks > 0
            && epochTicks <= DateTime.MaxValue.Ticks;
    }
}
