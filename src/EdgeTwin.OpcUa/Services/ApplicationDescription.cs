using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Services;

/// <summary>ApplicationDescription (OPC 10000-4 §7.2). ApplicationType: Server 0, Client 1, ClientAndServer 2, DiscoveryServer 3.</summary>
public sealed record ApplicationDescription(string? ApplicationUri, string? ProductUri, LocalizedText ApplicationName, int ApplicationType, string? GatewayServerUri, string? DiscoveryProfileUri, string?[]? DiscoveryUrls)
{
    public static ApplicationDescription Read(ref UaBinaryReader reader) =>
        new(reader.ReadString(), reader.ReadString(), reader.ReadLocalizedText(), reader.ReadInt32(), reader.ReadString(), reader.ReadString(), reader.ReadStringArray());

    public void Write(ref UaBinaryWriter writer)
    {
        writer.WriteString(ApplicationUri);
        writer.WriteString(ProductUri);
        writer.WriteLocalizedText(ApplicationName);
        writer.WriteInt32(ApplicationType);
        writer.WriteString(GatewayServerUri);
        writer.WriteString(DiscoveryProfileUri);
        writer.WriteStringArray(DiscoveryUrls);
    }
}
