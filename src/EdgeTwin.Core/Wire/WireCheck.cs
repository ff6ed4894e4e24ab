using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Wire;

/// <summary>
/// Whether a point can become a valid wire message (§4). The pipeline quarantines such points before the queue;
/// should one get through anyway, a sink rejects it with this reason rather than write a message no consumer can
/// parse, or fail the same batch forever.
/// </summary>
public static class WireCheck
{
    /// <summary>Why <paramref name="point"/> cannot be written as wire JSON (1.0 or 1.1), or null when it can.</summary>
    public static string? Unwritable(in TelemetryPoint point)
    {
        if (point.Stream is null) return "point has no stream";
        return point.Value.Kind switch
        {
            PointValueKind.None => "point has no value",
            PointValueKind.Number when point.Value.IsNonFinite => "value is NaN or infinite, which JSON cannot carry",
            PointValueKind.Array when point.Value.IsNonFinite => "an array element is NaN or infinite, which JSON cannot carry",
            _ => null,
        };
    }
}
