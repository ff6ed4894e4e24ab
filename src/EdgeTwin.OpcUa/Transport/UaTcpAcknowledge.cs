using EdgeTwin.OpcUa.Encoding;

namespace EdgeTwin.OpcUa.Transport;

/// <summary>
/// Acknowledge (OPC 10000-6 §7.1.2.4), from the server's point of view: its ReceiveBufferSize is our send
/// chunk size, its SendBufferSize our receive chunk size, its MaxMessageSize/MaxChunkCount bound our requests.
/// </summary>
public sealed record UaTcpAcknowledge(uint ProtocolVersion, uint ReceiveBufferSize, uint SendBufferSize, uint MaxMessageSize, uint MaxChunkCount)
{
    public const int BodySize = 20;

    public void WriteBody(ref UaBinaryWriter writer)
    {
        writer.WriteUInt32(ProtocolVersion);
        writer.WriteUInt32(ReceiveBufferSize);
        writer.WriteUInt32(SendBufferSize);
        writer.WriteUInt32(MaxMessageSize);
        writer.WriteUInt32(MaxChunkCount);
    }

    public static UaTcpAcknowledge ReadBody(ref UaBinaryReader reader) =>
        new(reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32());
}
