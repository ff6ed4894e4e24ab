namespace EdgeTwin.OpcUa.Client;

/// <summary>Where a <see cref="UaClient"/> stands.</summary>
public enum UaClientState
{
    /// <summary>Opening the first session.</summary>
    Connecting,

    /// <summary>A session is active.</summary>
    Connected,

    /// <summary>The connection was lost; a new channel (and, if need be, a new session) is being opened.</summary>
    Reconnecting,

    /// <summary>Disposed.</summary>
    Closed,
}
