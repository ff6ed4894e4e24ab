using System.Security.Cryptography.X509Certificates;
using EdgeTwin.OpcUa.Services;

namespace EdgeTwin.OpcUa.SecureChannel.Security;

/// <summary>
/// What security a channel asks for, with what certificate, and who judges the server's. Every default is stated
/// on its property.
/// </summary>
public sealed record UaChannelSecurity
{
    /// <summary>The name that asks for the most secure policy both sides support.</summary>
    public const string BestPolicy = "Best";

    public static UaChannelSecurity None { get; } = new();

    /// <summary>
    /// "None", a policy's short name (Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss) or full URI,
    /// or <see cref="BestPolicy"/>. Default "None".
    /// </summary>
    public string Policy { get; init; } = "None";

    /// <summary>Sign or SignAndEncrypt; <see cref="MessageSecurityMode.Invalid"/> asks for the most secure both support. Default None.</summary>
    public MessageSecurityMode Mode { get; init; } = MessageSecurityMode.None;

    /// <summary>
    /// Our application instance certificate with its private key, asked for each time a channel opens (so a renewed
    /// certificate is used by the next channel). Needed unless the policy is None.
    /// </summary>
    public Func<X509Certificate2>? ClientCertificate { get; init; }

    /// <summary>Judges the server's certificate each time a channel opens. Needed unless the policy is None.</summary>
    public IUaCertificateValidator? Validator { get; init; }

    public bool IsNone => string.Equals(Policy, "None", StringComparison.OrdinalIgnoreCase) || Policy == UaSecurityPolicyNone.Uri;
}

/// <summary>Judges a server's certificate; throws <see cref="UaServiceException"/> naming the problem when it is refused.</summary>
public interface IUaCertificateValidator
{
    /// <param name="certificate">The server's application instance certificate.</param>
    /// <param name="chain">Issuer certificates the server sent after it (may be empty).</param>
    /// <param name="applicationUri">The server's ApplicationUri from its endpoint description.</param>
    /// <param name="endpointUrl">The URL we connect to; its host must be one the certificate names.</param>
    void Validate(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> chain, string? applicationUri, string endpointUrl);
}
