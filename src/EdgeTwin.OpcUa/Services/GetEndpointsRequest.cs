using EdgeTwin.OpcUa.Encoding;

namespace EdgeTwin.OpcUa.Services;

/// <summary>GetEndpointsRequest (OPC 10000-4 §5.4.4).</summary>
public sealed record GetEndpointsRequest(string EndpointUrl, string?[]? LocaleIds = null, string?[]? ProfileUris = null) : IUaRequest
{
    public uint EncodingId => UaEncodingIds.GetEndpointsRequest;

    public void EncodeBody(ref UaBinaryWriter writer)
    {
        writer.WriteString(EndpointUrl);
        writer.WriteStringArray(LocaleIds);
        writer.WriteStringArray(ProfileUris);
    }
}
