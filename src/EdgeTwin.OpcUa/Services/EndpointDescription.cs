using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.SecureChannel;

namespace EdgeTwin.OpcUa.Services;

/// <summary>EndpointDescription (OPC 10000-4 §7.14).</summary>
public sealed record EndpointDescription(
    string? EndpointUrl,
    ApplicationDescription Server,
    byte[]? ServerCertificate,
    MessageSecurityMode SecurityMode,
    string? SecurityPolicyUri,
    IReadOnlyList<UserTokenPolicy> UserIdentityTokens,
    string? TransportProfileUri,
    byte SecurityLevel)
{
    public const string UaTcpTransportProfile = "http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary";

    public static EndpointDescription Read(ref UaBinaryReader reader)
    {
        var url = reader.ReadString();
        var server = ApplicationDescription.Read(ref reader);
        var certificate = reader.ReadByteString();
        var mode = (MessageSecurityMode)reader.ReadInt32();
        var policy = reader.ReadString();
        var count = reader.ReadArrayLength(4);
        var tokens = new UserTokenPolicy[Math.Max(count, 0)];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = UserTokenPolicy.Read(ref reader);
        }

        return new EndpointDescription(url, server, certificate, mode, policy, tokens, reader.ReadString(), reader.ReadByte());
    }

    public static EndpointDescription[] ReadArray(ref UaBinaryReader reader)
    {
        var count = reader.ReadArrayLength(20);
        var endpoints = new EndpointDescription[Math.Max(count, 0)];
        for (var i = 0; i < endpoints.Length; i++)
        {
            endpoints[i] = Read(ref reader);
        }

        return endpoints;
    }
}
