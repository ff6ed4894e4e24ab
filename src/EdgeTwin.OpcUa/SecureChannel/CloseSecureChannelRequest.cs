using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Services;

namespace EdgeTwin.OpcUa.SecureChannel;

/// <summary>CloseSecureChannelRequest (OPC 10000-4 §5.6.3): only a RequestHeader; no response comes back.</summary>
public sealed class CloseSecureChannelRequest : IUaRequest
{
    public uint EncodingId => UaEncodingIds.CloseSecureChannelRequest;

    public void EncodeBody(ref UaBinaryWriter writer)
    {
    }
}
