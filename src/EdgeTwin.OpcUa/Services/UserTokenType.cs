namespace EdgeTwin.OpcUa.Services;

/// <summary>UserTokenType, encoded as Int32 (OPC 10000-4 §7.43).</summary>
public enum UserTokenType
{
    Anonymous = 0,
    UserName = 1,
    Certificate = 2,
    IssuedToken = 3,
}
