namespace EdgeTwin.OpcUa.Transport;

/// <summary>
/// The first three bytes of every UA TCP message header, read as the low 24 bits of a little-endian UInt32
/// (OPC 10000-6 §7.1.2.2).
/// </summary>
public enum UaTcpMessageType : uint
{
    Hello = 0x4C4548, // "HEL"
    Acknowledge = 0x4B4341, // "ACK"
    Error = 0x525245, // "ERR"
    ReverseHello = 0x454852, // "RHE"
    Message = 0x47534D, // "MSG"
    OpenSecureChannel = 0x4E504F, // "OPN"
    CloseSecureChannel = 0x4F4C43, // "CLO"
}
