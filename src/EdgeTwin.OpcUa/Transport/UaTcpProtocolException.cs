namespace EdgeTwin.OpcUa.Transport;

/// <summary>
/// The peer broke the UA TCP or secure conversation rules (bad header, over-limit size, wrong sequence
/// number, an ERR message...). The connection cannot continue; the StatusCode says why.
/// </summary>
public sealed class UaTcpProtocolException(StatusCode status, string message) : Exception($"{message} (status {StatusCodeNames.Describe(status)})")
{
    public StatusCode Status { get; } = status;

    /// <summary>What happened, without the status.</summary>
    public string Detail { get; } = message;
}
