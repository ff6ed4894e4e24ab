namespace EdgeTwin.OpcUa.SecureChannel;

/// <summary>SecurityTokenRequestType, encoded as Int32 (OPC 10000-4 §5.6.2.2).</summary>
public enum SecurityTokenRequestType
{
    Issue = 0,
    Renew = 1,
}
