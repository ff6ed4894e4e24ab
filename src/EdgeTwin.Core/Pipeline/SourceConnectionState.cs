namespace EdgeTwin.Core.Pipeline;

/// <summary>
/// A source's connection to its equipment (an OPC UA session, an MQTT subscription, a watched folder), as a
/// small fixed set so monitoring can alert on it; <see cref="ISource.State"/> carries the human-readable detail.
/// </summary>
public enum SourceConnectionState : byte
{
    /// <summary>Not connected yet (first start, or a new session being opened).</summary>
    Connecting = 0,

    /// <summary>Connected and delivering (or able to deliver) readings.</summary>
    Connected = 1,

    /// <summary>The connection was lost or the source failed; it is being retried.</summary>
    Disconnected = 2,

    /// <summary>The source has ended on its own (a simulator past its StopAfter) and will deliver nothing more.</summary>
    Finished = 3,
}

public static class SourceConnectionStates
{
    public static readonly SourceConnectionState[] All = Enum.GetValues<SourceConnectionState>();

    public static string ToText(SourceConnectionState state) => state switch
    {
        SourceConnectionState.Connecting => "connecting",
        SourceConnectionState.Connected => "connected",
        SourceConnectionState.Disconnected => "disconnected",
        SourceConnectionState.Finished => "finished",
        _ => "unknown",
    };
}
