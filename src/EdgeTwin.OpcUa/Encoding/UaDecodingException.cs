namespace EdgeTwin.OpcUa.Encoding;

/// <summary>
/// Malformed or over-limit bytes inside a complete message. Carries the StatusCode a peer would be told
/// (BadDecodingError or BadEncodingLimitsExceeded) and the byte offset, counted from the start of the
/// buffer the decoder was given, where the bad field starts.
/// </summary>
public sealed class UaDecodingException : Exception
{
    public UaDecodingException(StatusCode status, long offset, string message)
        : base($"{message} (at byte offset {offset}, status {status})")
    {
        Status = status;
        Offset = offset;
    }

    public StatusCode Status { get; }

    public long Offset { get; }
}
