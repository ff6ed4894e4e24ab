namespace EdgeTwin.Core.Telemetry;

/// <summary>
/// Points that are events rather than measurements carry a kind on the wire ("event") and travel on the
/// events topic. Telemetry has none.
/// </summary>
public enum EventKind : byte
{
    None = 0,
    /// <summary>A loss-ledger record: points the queue dropped under its drop-oldest policy.</summary>
    Loss = 1,
    /// <summary>An anomaly reported by an analytics model.</summary>
    Anomaly = 2,
    /// <summary>A change of the gateway's own state (start, stop, recovery).</summary>
    GatewayState = 3,
}

public static class EventKinds
{
    public static string? ToWire(EventKind kind) => kind switch
    {
        EventKind.Loss => "loss",
        EventKind.Anomaly => "anomaly",
        EventKind.GatewayState => "gateway_state",
        _ => null,
    };

    public static EventKind Parse(string? text) => text switch
    {
        "loss" => EventKind.Loss,
        "anomaly" => EventKind.Anomaly,
        "gateway_state" => EventKind.GatewayState,
        _ => EventKind.None,
    };
}
