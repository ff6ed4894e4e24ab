using System.Security.Cryptography.X509Certificates;

namespace EdgeTwin.OpcUa.Session;

/// <summary>Who the session acts as: anonymous, a user name and password, or a user certificate with its private key.</summary>
public sealed record UaUserIdentity(string? UserName = null, string? Password = null)
{
    public static UaUserIdentity Anonymous { get; } = new();

    /// <summary>The user's X.509 certificate with its private key (X509IdentityToken); null for the other kinds.</summary>
    public X509Certificate2? Certificate { get; init; }

    public bool IsAnonymous => UserName is null && Certificate is null;

    public static UaUserIdentity FromCertificate(X509Certificate2 certificate) => new() { Certificate = certificate };

    public override string ToString() => Certificate is not null ? $"certificate {Certificate.Subject}" : UserName is not null ? $"user '{UserName}'" : "anonymous";
}
