using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeTwin.OpcUa.Pki;

// Our application instance certificate: created on first start (RSA 2048, SHA-256, self-signed, subjectAltName URI =
// the ApplicationUri and DNS = the host name, the key usages OPC 10000-6 §6.2.2 lists), renewed before it expires.
// A renewed certificate is a new file beside the old: a channel open on the old one goes on, the next one uses the new.
public sealed partial class UaPki
{
    /// <summary>The default lifetime of a created certificate: 2 years.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(730);

    /// <summary>Our newest certificate that has its private key, or null when there is none.</summary>
    public X509Certificate2? LoadOwn()
    {
        if (Newest() is not { } newest)
        {
            return null;
        }

        var (certificate, key) = newest;

        using var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(key));
        using (certificate)
        {
            return certificate.CopyWithPrivateKey(rsa);
        }
    }

    /// <summary>Our newest certificate that has a private key file, without its key (to show or check); null when there is none.</summary>
    public X509Certificate2? NewestOwn() => Newest()?.Certificate;

    private (X509Certificate2 Certificate, string KeyFile)? Newest()
    {
        (X509Certificate2 Certificate, string KeyFile)? best = null;
        foreach (var (certificate, file) in Read(OwnCerts))
        {
            var key = Path.Combine(OwnPrivate, Path.ChangeExtension(Path.GetFileName(file), ".pem"));
            if (File.Exists(key) && (best is null || certificate.NotBefore > best.Value.Certificate.NotBefore))
            {
                best = (certificate, key);
            }
        }

        return best;
    }

    /// <summary>Our certificate; created (with the layout) when there is none yet.</summary>
    public X509Certificate2 LoadOrCreateOwn(string applicationUri, string hostName, DateTimeOffset now)
    {
        EnsureLayout();
        return LoadOwn() ?? CreateOwn(applicationUri, hostName, now, DefaultLifetime);
    }

    /// <summary>
    /// Whether <paramref name="certificate"/> has lived <paramref name="fraction"/> of its lifetime (0.8 by default).
    /// </summary>
    public static bool RenewalDue(X509Certificate2 certificate, DateTimeOffset now, double fraction = 0.8)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var from = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        var to = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        return now >= from + (to - from) * fraction;
    }

    /// <summary>Creates and stores a new self-signed application instance certificate; the old ones stay.</summary>
    public X509Certificate2 CreateOwn(string applicationUri, string hostName, DateTimeOffset now, TimeSpan lifetime, int keyBits = 2048)
    {
        ArgumentException.ThrowIfNullOrEmpty(applicationUri);
        ArgumentException.ThrowIfNullOrEmpty(hostName);
        EnsureLayout();
        using var rsa = RSA.Create(keyBits);
        var subject = new X500DistinguishedName($"CN=EdgeTwin@{hostName}, O=EdgeTwin, DC={hostName}");
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation | X509KeyUsageFlags.KeyEncipherment
            | X509KeyUsageFlags.DataEncipherment | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(applicationUri));
        names.AddDnsName(hostName);
        if (IPAddress.TryParse(hostName, out var address))
        {
            names.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(names.Build());
        var keyIdentifier = new X509SubjectKeyIdentifierExtension(request.PublicKey, false);
        request.CertificateExtensions.Add(keyIdentifier);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(keyIdentifier));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        // Backdated for clocks a little behind ours, and always after the newest one there is: validity times have
        // whole seconds, and the newest by NotBefore is the one in use, so a renewal in the same second must still win.
        var notBefore = now.AddMinutes(-5);
        using (var previous = NewestOwn())
        {
            if (previous is not null && new DateTimeOffset(previous.NotBefore.ToUniversalTime()) >= notBefore.AddSeconds(-1))
            {
                notBefore = new DateTimeOffset(previous.NotBefore.ToUniversalTime()).AddSeconds(1);
            }
        }

        using var created = request.Create(subject, X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1), notBefore, now + lifetime, serial);
        var certificate = created.CopyWithPrivateKey(rsa);

        var name = FileName(certificate);
        File.WriteAllBytes(Path.Combine(OwnCerts, name), certificate.RawData);
        WritePrivate(Path.Combine(OwnPrivate, Path.ChangeExtension(name, ".pem")), rsa.ExportPkcs8PrivateKeyPem());
        return certificate;
    }

    // The key file is created with mode 0600 before a byte is written to it.
    private static void WritePrivate(string path, string pem)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(pem);
    }
}
