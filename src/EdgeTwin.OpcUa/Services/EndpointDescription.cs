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
        var tokens = reader.ReadArray(4, UserTokenPolicy.Read);
        return new EndpointDescription(url, server, certificate, mode, policy, tokens, reader.ReadString(), reader.ReadByte());
    }

    public static EndpointDescription[] ReadArray(ref UaBinaryReader reader) => reader.ReadArray(20, Read);
}
