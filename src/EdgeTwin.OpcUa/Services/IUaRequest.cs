using EdgeTwin.OpcUa.Encoding;

namespace EdgeTwin.OpcUa.Services;

/// <summary>A service request: its DefaultBinary encoding id and its fields, RequestHeader first.</summary>
public interface IUaRequest
{
    uint EncodingId { get; }

    /// <summary>Writes the fields after the RequestHeader.</summary>
    void EncodeBody(ref UaBinaryWriter writer);
}
