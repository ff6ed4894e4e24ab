using EdgeTwin.OpcUa.Encoding;

namespace EdgeTwin.OpcUa.Services;

/// <summary>UserTokenPolicy (OPC 10000-4 §7.42): an identity the endpoint accepts.</summary>
public sealed record UserTokenPolicy(string? PolicyId, UserTokenType TokenType, string? IssuedTokenType, string? IssuerEndpointUrl, string? SecurityPolicyUri)
{
    public static UserTokenPolicy Read(ref UaBinaryReader reader) =>
        new(reader.ReadString(), (UserTokenType)reader.ReadInt32(), reader.ReadString(), reader.ReadString(), reader.ReadString());
}
