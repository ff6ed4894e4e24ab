using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using EdgeTwin.OpcUa.Services;

namespace EdgeTwin.OpcUa.SecureChannel.Security;

/// <summary>
/// Chooses the endpoint a secured channel opens on: the policy and mode the config names, or the most secure
/// both sides support (SignAndEncrypt over Sign, then the policy's rank). A server that offers less than the
/// config asks for is refused with a message listing what it offers.
/// </summary>
public static class UaEndpointChoice
{
    public static EndpointDescription Choose(IReadOnlyList<EndpointDescription> endpoints, UaChannelSecurity security)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(security);
        var wanted = security.Policy == UaChannelSecurity.BestPolicy ? null : UaSecurityAlgorithms.FromName(security.Policy)
            ?? throw new UaServiceException(StatusCode.BadSecurityPolicyRejected, $"unknown security policy '{security.Policy}'; use None, {string.Join(", ", UaSecurityAlgorithms.All.Select(a => a.Name))} or {UaChannelSecurity.BestPolicy}");
        if (security.Mode == MessageSecurityMode.None)
        {
            throw new UaServiceException(StatusCode.BadSecurityModeRejected, $"security policy {wanted?.Name ?? security.Policy} needs mode Sign or SignAndEncrypt, not None");
        }

        var candidates = endpoints
            .Where(e => e.SecurityMode is MessageSecurityMode.Sign or MessageSecurityMode.SignAndEncrypt
                && (e.TransportProfileUri is null || e.TransportProfileUri == EndpointDescription.UaTcpTransportProfile)
                && UaSecurityAlgorithms.FromUri(e.SecurityPolicyUri) is { } policy
                && (wanted is null || policy == wanted)
                && (security.Mode == MessageSecurityMode.Invalid || e.SecurityMode == security.Mode)
                && e.ServerCertificate is { Length: > 0 })
            .OrderByDescending(e => e.SecurityMode)
            .ThenByDescending(e => UaSecurityAlgorithms.FromUri(e.SecurityPolicyUri)!.Rank)
            .ToList();
        if (candidates.Count == 0)
        {
            var offered = endpoints.Select(e => $"{UaSecurityAlgorithms.ShortName(e.SecurityPolicyUri)}/{e.SecurityMode}").Distinct().ToList();
            var asked = $"{(wanted?.Name ?? "any supported policy")} with {(security.Mode == MessageSecurityMode.Invalid ? "Sign or SignAndEncrypt" : security.Mode.ToString())}";
            throw new UaServiceException(StatusCode.BadSecurityPolicyRejected,
                $"the server offers {(offered.Count == 0 ? "no endpoints" : string.Join(", ", offered))}; the config asks for {asked}: refused");
        }

        return candidates[0];
    }

    /// <summary>Chooses the endpoint, validates its certificate and builds the channel's policy.</summary>
    public static (EndpointDescription Endpoint, UaSecuredPolicy Policy) Prepare(IReadOnlyList<EndpointDescription> endpoints, UaChannelSecurity security, string endpointUrl)
    {
        ArgumentNullException.ThrowIfNull(security);
        var endpoint = Choose(endpoints, security);
        var validator = security.Validator ?? throw new InvalidOperationException("a secured channel needs a certificate validator");
        var own = security.ClientCertificate?.Invoke() ?? throw new InvalidOperationException("a secured channel needs our application instance certificate");
        var certificates = UaCertificateChain.Split(endpoint.ServerCertificate!);
        validator.Validate(certificates[0], certificates.Skip(1).ToList(), endpoint.Server.ApplicationUri, endpointUrl);
        return (endpoint, new UaSecuredPolicy(UaSecurityAlgorithms.FromUri(endpoint.SecurityPolicyUri)!, endpoint.SecurityMode, own, certificates[0]));
    }

}

/// <summary>Splits a ByteString of concatenated DER certificates (OPC 10000-6 §6.2.6) into certificates.</summary>
public static class UaCertificateChain
{
    public static IReadOnlyList<X509Certificate2> Split(ReadOnlySpan<byte> der)
    {
        var certificates = new List<X509Certificate2>();
        while (!der.IsEmpty)
        {
            int length;
            try
            {
                // One DER SEQUENCE: its tag, length and contents.
                AsnDecoder.ReadEncodedValue(der, AsnEncodingRules.DER, out _, out _, out length);
                if (der[0] != 0x30)
                {
                    throw new AsnContentException("it does not start with a SEQUENCE");
                }
            }
            catch (AsnContentException ex)
            {
                throw new UaServiceException(StatusCode.BadCertificateInvalid, $"the server's certificate is not DER: {ex.Message}");
            }

            certificates.Add(X509CertificateLoader.LoadCertificate(der[..length]));
            der = der[length..];
        }

        return certificates.Count == 0 ? throw new UaServiceException(StatusCode.BadCertificateInvalid, "the server sent no certificate") : certificates;
    }
}
