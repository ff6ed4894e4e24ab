using EdgeTwin.OpcUa.Encoding;

namespace EdgeTwin.OpcUa.Services;

/// <summary>GetEndpointsResponse (OPC 10000-4 §5.4.4).</summary>
public sealed record GetEndpointsResponse(ResponseHeader Header, EndpointDescription[] Endpoints) : IUaResponse<GetEndpointsResponse>
{
    public static uint EncodingId => UaEncodingIds.GetEndpointsResponse;

    public static GetEndpointsResponse Decode(ref UaBinaryReader reader, ResponseHeader header) => new(header, EndpointDescription.ReadArray(ref reader));
}
