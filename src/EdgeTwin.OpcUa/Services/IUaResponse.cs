using EdgeTwin.OpcUa.Encoding;

namespace EdgeTwin.OpcUa.Services;

/// <summary>A service response type: its encoding id and a decoder for the fields after the ResponseHeader.</summary>
public interface IUaResponse<TSelf> where TSelf : IUaResponse<TSelf>
{
    static abstract uint EncodingId { get; }

    static abstract TSelf Decode(ref UaBinaryReader reader, ResponseHeader header);
}
