using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using EdgeTwin.OpcUa.SecureChannel.Security;
using EdgeTwin.OpcUa.Services;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeTwin.OpcUa.Pki;

/// <summary>
/// Validates a server's certificate against a <see cref="UaPki"/> every time a channel opens, never from a cache:
/// its validity period, key usage, ApplicationUri and host name, then trust (the certificate itself, or a chain to a
/// CA, in trusted/). An unknown certificate is copied to rejected/ and refused with a message that says how to trust it.
/// </summary>
public sealed class UaPkiValidator(UaPki pki, TimeProvider? time = null, bool trustOnFirstUse = false, ILogger? logger = null) : IUaCertificateValidator
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ILogger _log = logger ?? NullLogger.Instance;

    public UaPki Pki => pki;

    public void Validate(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> chain, string? applicationUri, string endpointUrl)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(chain);
        try
        {
            CheckCertificate(certificate, applicationUri, endpointUrl);
            CheckTrust(certificate, chain);
        }
        catch (UaServiceException ex)
        {
            Log.CertificateRefused(_log, certificate.Subject, certificate.Thumbprint, ex.Message);
            throw;
        }
    }

    private void CheckCertificate(X509Certificate2 certificate, string? applicationUri, string endpointUrl)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var who = $"the server's certificate '{certificate.Subject}' ({certificate.Thumbprint})";
        if (now < certificate.NotBefore.ToUniversalTime())
        {
            throw new UaServiceException(StatusCode.BadCertificateTimeInvalid, $"{who} is not valid before {certificate.NotBefore.ToUniversalTime():u}");
        }

        if (now > certificate.NotAfter.ToUniversalTime())
        {
            throw new UaServiceException(StatusCode.BadCertificateTimeInvalid, $"{who} expired on {certificate.NotAfter.ToUniversalTime():u}");
        }

        var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (usage is not null && (!usage.KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature)
            || !(usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyEncipherment) || usage.KeyUsages.HasFlag(X509KeyUsageFlags.DataEncipherment))))
        {
            throw new UaServiceException(StatusCode.BadCertificateUseNotAllowed, $"{who} does not allow digital signatures and key encipherment (its key usage is {usage.KeyUsages})");
        }

        var (uris, hosts) = SubjectAltNames(certificate);
        if (!string.IsNullOrEmpty(applicationUri) && !uris.Contains(applicationUri, StringComparer.Ordinal))
        {
            throw new UaServiceException(StatusCode.BadCertificateUriInvalid,
                $"{who} names the application URI {(uris.Count == 0 ? "(none)" : string.Join(", ", uris))}, but the server's endpoint says {applicationUri}");
        }

        var host = new Uri(endpointUrl.Replace("opc.tcp://", "http://", StringComparison.OrdinalIgnoreCase)).IdnHost;
        if (!hosts.Any(h => string.Equals(h, host, StringComparison.OrdinalIgnoreCase)))
        {
            throw new UaServiceException(StatusCode.BadCertificateHostNameInvalid,
                $"{who} is for the host names {(hosts.Count == 0 ? "(none)" : string.Join(", ", hosts))}, not '{host}' we connect to; connect by one of those names");
        }
    }

    private void CheckTrust(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> sent)
    {
        var trusted = UaPki.Read(pki.TrustedCerts).Select(t => t.Certificate).ToList();
        var itself = trusted.FirstOrDefault(t => t.Thumbprint == certificate.Thumbprint);
        var selfSigned = certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);
        if (itself is not null && !selfSigned)
        {
            // Trusted by name: this very certificate, whoever issued it (OPC 10000-4 §6.1.3).
            CheckRevocation(certificate, sent, trusted);
            return;
        }

        if (trusted.Count > 0)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
            chain.ChainPolicy.VerificationTimeIgnored = false;
            // A trusted self-signed certificate is its own root (its signature still checked); else a trusted CA issued it.
            chain.ChainPolicy.CustomTrustStore.AddRange(itself is not null ? [itself] : trusted.ToArray());
            chain.ChainPolicy.ExtraStore.AddRange(UaPki.Read(pki.IssuerCerts).Select(t => t.Certificate).Concat(sent).ToArray());
            if (chain.Build(certificate))
            {
                CheckRevocation(certificate, sent, trusted);
                return;
            }

            if (itself is not null)
            {
                var problems = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0));
                throw new UaServiceException(StatusCode.BadCertificateInvalid, $"the server's certificate '{certificate.Subject}' is trusted but does not verify: {problems}");
            }
        }

        if (trustOnFirstUse)
        {
            var file = pki.Trust(certificate);
            Log.TrustedOnFirstUse(_log, certificate.Subject, certificate.Thumbprint, file);
            return;
        }

        var rejected = pki.Reject(certificate, _time.GetUtcNow());
        throw new UaServiceException(StatusCode.BadCertificateUntrusted,
            $"the server's certificate '{certificate.Subject}' ({certificate.Thumbprint}) is not trusted; it was copied to {rejected}. " +
            $"Trust it with `edgetwin opcua cert trust {certificate.Thumbprint} --pki {pki.Root}` or by moving it to {pki.TrustedCerts} (no restart needed)");
    }

    // A revocation list in trusted/crl or issuers/crl, signed by the certificate's issuer (itself when self-signed), that
    // names its serial number refuses it.
    private void CheckRevocation(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> sent, List<X509Certificate2> trusted)
    {
        var issuers = trusted.Concat(UaPki.Read(pki.IssuerCerts).Select(t => t.Certificate)).Concat(sent).Append(certificate);
        if (UaRevocationLists.FindRevocation(certificate, issuers, pki.TrustedCrl, pki.IssuerCrl) is { } revocation)
        {
            throw new UaServiceException(BadCertificateRevoked,
                $"the server's certificate '{certificate.Subject}' ({certificate.Thumbprint}) was {UaRevocationLists.Describe(revocation.RevokedAt, revocation.File)}; the server needs a new certificate");
        }
    }

    private static readonly StatusCode BadCertificateRevoked = new(0x801D_0000);

    /// <summary>The URIs and the DNS names / IP addresses of the subjectAltName extension.</summary>
    public static (IReadOnlyList<string> Uris, IReadOnlyList<string> Hosts) SubjectAltNames(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var uris = new List<string>();
        var hosts = new List<string>();
        var extension = certificate.Extensions["2.5.29.17"];
        if (extension is null)
        {
            return (uris, hosts);
        }

        var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
        while (reader.HasData)
        {
            var tag = reader.PeekTag();
            if (tag.TagClass != TagClass.ContextSpecific)
            {
                reader.ReadEncodedValue();
                continue;
            }

            switch (tag.TagValue)
            {
                case 2:
                    hosts.Add(reader.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                    break;
                case 6:
                    uris.Add(reader.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                    break;
                case 7:
                    hosts.Add(new IPAddress(reader.ReadOctetString(tag)).ToString());
                    break;
                default:
                    reader.ReadEncodedValue();
                    break;
            }
        }

        return (uris, hosts);
    }
}
