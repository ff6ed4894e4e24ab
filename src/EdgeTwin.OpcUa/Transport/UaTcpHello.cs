using EdgeTwin.OpcUa.Encoding;

namespace EdgeTwin.OpcUa.Transport;

/// <summary>
/// Hello (OPC 10000-6 §7.1.2.3): what the client can receive and will send.
/// <code>
/// | "HELF" | MessageSize | ProtocolVersion | ReceiveBufferSize | SendBufferSize | MaxMessageSize | MaxChunkCount | EndpointUrl |
/// </code>
/// </summary>
public sealed record UaTcpHello(uint ProtocolVersion, uint ReceiveBufferSize, uint SendBufferSize, uint MaxMessageSize, uint MaxChunkCount, string EndpointUrl)
{
    /// <summary>The encoded endpoint URL must stay below 4096 bytes (OPC 10000-6 §7.1.2.3).</summary>
    public const int MaxEndpointUrlLength = 4096;

    public void WriteBody(ref UaBinaryWriter writer)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(EndpointUrl) >= MaxEndpointUrlLength)
        {
            throw new UaEncodingException(StatusCode.BadTcpEndpointUrlInvalid, $"the endpoint URL is {System.Text.Encoding.UTF8.GetByteCount(EndpointUrl)} bytes; it must be under {MaxEndpointUrlLength}");
        }

        writer.WriteUInt32(ProtocolVersion);
        writer.WriteUInt32(ReceiveBufferSize);
        writer.WriteUInt32(SendBufferSize);
        writer.WriteUInt32(MaxMessageSize);
        writer.WriteUInt32(MaxChunkCount);
        writer.WriteString(EndpointUrl);
    }

    public static UaTcpHello ReadBody(ref UaBinaryReader reader) =>
        new(reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadString() ?? "");
}
