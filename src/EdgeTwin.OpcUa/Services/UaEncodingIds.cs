namespace EdgeTwin.OpcUa.Services;

/// <summary>
/// DefaultBinary encoding ids (namespace 0) written before each message body and as ExtensionObject type
/// ids. Values from the OPC Foundation's NodeIds.csv.
/// </summary>
public static class UaEncodingIds
{
    public const uint ServiceFault = 397;
    public const uint OpenSecureChannelRequest = 446;
    public const uint OpenSecureChannelResponse = 449;
    public const uint CloseSecureChannelRequest = 452;
    public const uint GetEndpointsRequest = 428;
    public const uint GetEndpointsResponse = 431;
    public const uint CreateSessionRequest = 461;
    public const uint CreateSessionResponse = 464;
    public const uint ActivateSessionRequest = 467;
    public const uint ActivateSessionResponse = 470;
    public const uint CloseSessionRequest = 473;
    public const uint CloseSessionResponse = 476;
    public const uint ReadRequest = 631;
    public const uint ReadResponse = 634;
    public const uint BrowseRequest = 527;
    public const uint BrowseResponse = 530;
    public const uint BrowseNextRequest = 533;
    public const uint BrowseNextResponse = 536;
    public const uint TranslateBrowsePathsToNodeIdsRequest = 554;
    public const uint TranslateBrowsePathsToNodeIdsResponse = 557;
    public const uint AnonymousIdentityToken = 321;
    public const uint UserNameIdentityToken = 324;
    public const uint X509IdentityToken = 327;
}
