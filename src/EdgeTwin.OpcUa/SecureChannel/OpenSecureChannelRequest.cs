using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Services;

namespace EdgeTwin.OpcUa.SecureChannel;

/// <summary>OpenSecureChannelRequest (OPC 10000-4 §5.6.2.2), after its RequestHeader.</summary>
public sealed record OpenSecureChannelRequest(SecurityTokenRequestType RequestType, MessageSecurityMode SecurityMode, byte[]? ClientNonce, uint RequestedLifetime) : IUaRequest
{
    public uint EncodingId => UaEncodingIds.OpenSecureChannelRequest;

    public void EncodeBody(ref UaBinaryWriter writer)
    {
        writer.WriteUInt32(0); // ClientProtocolVersion: the one from Hello
        writer.WriteInt32((int)RequestType);
        writer.WriteInt32((int)SecurityMode);
        writer.WriteByteString(ClientNonce);
        writer.WriteUInt32(RequestedLifetime);
    }
}
