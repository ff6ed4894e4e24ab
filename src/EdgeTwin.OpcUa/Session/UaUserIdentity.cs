namespace EdgeTwin.OpcUa.Session;

/// <summary>Who the session acts as: anonymous, or a user name and password.</summary>
public sealed record UaUserIdentity(string? UserName = null, string? Password = null)
{
    public static UaUserIdentity Anonymous { get; } = new();

    public bool IsAnonymous => UserName is null;
}
