using System.Formats.Asn1;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeTwin.OpcUa.Pki;

/// <summary>
/// The certificate revocation lists of a PKI folder (trusted/crl and issuers/crl; DER, or PEM "X509 CRL"): whether a
/// certificate is revoked by a list its issuer signed (RFC 5280 §5). A list whose signature does not verify against
/// the issuer is not believed. Read again on every check, like the certificates, so a new list takes effect at once.
/// </summary>
public static class UaRevocationLists
{
    /// <summary>
    /// When <paramref name="certificate"/> was revoked and by which file, or null when no list signed by one of
    /// <paramref name="issuers"/> (its issuer, or itself when self-signed) names its serial number.
    /// </summary>
    public static (DateTime RevokedAt, string File)? FindRevocation(X509Certificate2 certificate, IEnumerable<X509Certificate2> issuers, params string[] folders)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(issuers);
        var signers = issuers.Where(i => i.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData)).ToList();
        if (signers.Count == 0)
        {
            return null;
        }

        var serial = new BigInteger(certificate.SerialNumberBytes.Span, isUnsigned: false, isBigEndian: true);
        foreach (var folder in folders.Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
            {
                if (Read(file) is not { } crl || !crl.Issuer.AsSpan().SequenceEqual(certificate.IssuerName.RawData)
                    || !signers.Any(s => Verifies(crl, s)) || !crl.Revoked.TryGetValue(serial, out var when))
                {
                    continue;
                }

                return (when, file);
            }
        }

        return null;
    }

    private sealed record Crl(byte[] Signed, string AlgorithmOid, byte[] Signature, byte[] Issuer, Dictionary<BigInteger, DateTime> Revoked);

    private static Crl? Read(string file)
    {
        try
        {
            var bytes = File.ReadAllBytes(file);
            if (bytes.Length > 0 && bytes[0] != 0x30)
            {
                var text = System.Text.Encoding.ASCII.GetString(bytes);
                if (!PemEncoding.TryFind(text, out var pem) || text[pem.Label] != "X509 CRL")
                {
                    return null;
                }

                bytes = Convert.FromBase64String(text[pem.Base64Data]);
            }

            var outer = new AsnReader(bytes, AsnEncodingRules.DER).ReadSequence();
            var signed = outer.ReadEncodedValue().ToArray();
            var algorithm = outer.ReadSequence().ReadObjectIdentifier();
            var signature = outer.ReadBitString(out _);
            var tbs = new AsnReader(signed, AsnEncodingRules.DER).ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
            {
                tbs.ReadInteger(); // version
            }

            tbs.ReadSequence(); // signature algorithm, repeated
            var issuer = tbs.ReadEncodedValue().ToArray();
            ReadTime(tbs); // thisUpdate
            if (tbs.HasData && (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) || tbs.PeekTag().HasSameClassAndValue(Asn1Tag.GeneralizedTime)))
            {
                ReadTime(tbs); // nextUpdate
            }

            var revoked = new Dictionary<BigInteger, DateTime>();
            if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                var entries = tbs.ReadSequence();
                while (entries.HasData)
                {
                    var entry = entries.ReadSequence();
                    revoked[entry.ReadInteger()] = ReadTime(entry);
                }
            }

            return new Crl(signed, algorithm, signature, issuer, revoked);
        }
        catch (Exception ex) when (ex is AsnContentException or FormatException or IOException or CryptographicException)
        {
            // A file that is not a revocation list revokes nothing.
            return null;
        }
    }

    private static DateTime ReadTime(AsnReader reader) =>
        (reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime()).UtcDateTime;

    private static bool Verifies(Crl crl, X509Certificate2 issuer)
    {
        var hash = crl.AlgorithmOid switch
        {
            "1.2.840.113549.1.1.11" => HashAlgorithmName.SHA256,
            "1.2.840.113549.1.1.12" => HashAlgorithmName.SHA384,
            "1.2.840.113549.1.1.13" => HashAlgorithmName.SHA512,
            "1.2.840.113549.1.1.5" => HashAlgorithmName.SHA1,
            _ => default,
        };
        using var key = issuer.GetRSAPublicKey();
        return hash.Name is not null && key is not null && key.VerifyData(crl.Signed, crl.Signature, hash, RSASignaturePadding.Pkcs1);
    }

    /// <summary>How a revocation reads in a message.</summary>
    public static string Describe(DateTime revokedAt, string file) =>
        string.Create(CultureInfo.InvariantCulture, $"revoked on {revokedAt:u} by the revocation list {file}");
}
