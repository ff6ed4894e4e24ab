using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Services;

namespace EdgeTwin.OpcUa.SecureChannel;

/// <summary>OpenSecureChannelResponse (OPC 10000-4 §5.6.2.2): the token in ChannelId, TokenId, CreatedAt, RevisedLifetime.</summary>
public sealed record OpenSecureChannelResponse(ResponseHeader Header, uint ServerProtocolVersion, uint ChannelId, uint TokenId, DateTime CreatedAt, uint RevisedLifetime, byte[]? ServerNonce)
    : IUaResponse<OpenSecureChannelResponse>
{
    public static uint EncodingId => UaEncodingIds.OpenSecureChannelResponse;

    public static OpenSecureChannelResponse Decode(ref UaBinaryReader reader, ResponseHeader header) =>
        new(header, reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadDateTime(), reader.ReadUInt32(), reader.ReadByteString());
}
