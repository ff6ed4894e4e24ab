namespace EdgeTwin.OpcUa.Transport;

/// <summary>The 8-byte header of a UA TCP message or chunk; <see cref="MessageSize"/> includes the header.</summary>
public readonly record struct UaTcpChunkHeader(UaTcpMessageType MessageType, UaTcpChunkType ChunkType, uint MessageSize)
{
    public const int Size = 8;
}
