using EdgeTwin.OpcUa.Encoding;

namespace EdgeTwin.OpcUa.Transport;

/// <summary>Error (OPC 10000-6 §7.1.2.5): a StatusCode and a reason; the connection ends after it.</summary>
public sealed record UaTcpError(StatusCode Error, string? Reason)
{
    /// <summary>Longer reasons are cut: the spec caps them at 4096 bytes.</summary>
    public const int MaxReasonLength = 4096;

    public void WriteBody(ref UaBinaryWriter writer)
    {
        writer.WriteStatusCode(Error);
        writer.WriteString(Reason);
    }

    public static UaTcpError ReadBody(ref UaBinaryReader reader)
    {
        var error = reader.ReadStatusCode();
        var reason = reader.ReadString();
        if (reason is { Length: > MaxReasonLength })
        {
            reason = reason[..MaxReasonLength];
        }

        return new UaTcpError(error, reason);
    }
}
