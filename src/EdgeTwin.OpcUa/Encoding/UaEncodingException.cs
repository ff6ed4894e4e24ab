namespace EdgeTwin.OpcUa.Encoding;

/// <summary>A value that cannot be written in UA Binary (a length over a limit, an invalid combination).</summary>
public sealed class UaEncodingException(StatusCode status, string message) : Exception($"{message} (status {status})")
{
    public StatusCode Status { get; } = status;
}
