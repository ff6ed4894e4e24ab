namespace EdgeTwin.OpcUa.Transport;

/// <summary>The fourth header byte: final, intermediate or abort chunk (OPC 10000-6 §6.7.2.2).</summary>
public enum UaTcpChunkType : byte
{
    Final = (byte)'F',
    Intermediate = (byte)'C',
    Abort = (byte)'A',
}
