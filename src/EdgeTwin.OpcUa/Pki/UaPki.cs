using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace EdgeTwin.OpcUa.Pki;

/// <summary>
/// A certificate store folder in the OPC UA Part 12 layout (OPC 10000-12 §F.1):
/// <code>
/// own/certs, own/private     our application instance certificate(s) and private key(s) (key files 0600)
/// trusted/certs, trusted/crl certificates we trust (servers, or CAs) and their revocation lists
/// issuers/certs, issuers/crl CA certificates used to build chains but not trusted by themselves
/// rejected/certs             server certificates we refused, kept for a technician to inspect and trust
/// </code>
/// Every lookup reads the folders again: trusting a certificate takes effect on the next connection, without restart.
/// </summary>
public sealed partial class UaPki
{
    public UaPki(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public string OwnCerts => Path.Combine(Root, "own", "certs");

    public string OwnPrivate => Path.Combine(Root, "own", "private");

    public string TrustedCerts => Path.Combine(Root, "trusted", "certs");

    public string TrustedCrl => Path.Combine(Root, "trusted", "crl");

    public string IssuerCerts => Path.Combine(Root, "issuers", "certs");

    public string IssuerCrl => Path.Combine(Root, "issuers", "crl");

    public string RejectedCerts => Path.Combine(Root, "rejected", "certs");

    /// <summary>Creates the folders that are missing; the private key folder is readable by the owner only.</summary>
    public UaPki EnsureLayout()
    {
        foreach (var folder in new[] { OwnCerts, TrustedCerts, TrustedCrl, IssuerCerts, IssuerCrl, RejectedCerts })
        {
            Directory.CreateDirectory(folder);
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(OwnPrivate);
        }
        else
        {
            Directory.CreateDirectory(OwnPrivate, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return this;
    }

    /// <summary>The certificates of a store folder (DER .der/.cer, or PEM .pem/.crt), each with its file.</summary>
    public static IReadOnlyList<(X509Certificate2 Certificate, string File)> Read(string folder)
    {
        var found = new List<(X509Certificate2, string)>();
        if (!Directory.Exists(folder))
        {
            return found;
        }

        foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            var extension = Path.GetExtension(file).ToLowerInvariant();
            if (extension is not (".der" or ".cer" or ".pem" or ".crt"))
            {
                continue;
            }

            try
            {
                found.Add((extension is ".pem" or ".crt" ? X509Certificate2.CreateFromPemFile(file) : X509CertificateLoader.LoadCertificateFromFile(file), file));
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                // A file that is not a certificate is not one we trust or use.
            }
        }

        return found;
    }

    /// <summary>
    /// Copies a refused certificate to rejected/certs, once: the file's time is when it was first seen. Returns the file.
    /// </summary>
    public string Reject(X509Certificate2 certificate, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        Directory.CreateDirectory(RejectedCerts);
        var file = Path.Combine(RejectedCerts, FileName(certificate));
        if (!File.Exists(file))
        {
            File.WriteAllBytes(file, certificate.RawData);
            File.SetLastWriteTimeUtc(file, now.UtcDateTime);
        }

        return file;
    }

    /// <summary>Trusts a certificate: writes it to trusted/certs and removes it from rejected/certs.</summary>
    public string Trust(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        Directory.CreateDirectory(TrustedCerts);
        var file = Path.Combine(TrustedCerts, FileName(certificate));
        File.WriteAllBytes(file, certificate.RawData);
        foreach (var (rejected, path) in Read(RejectedCerts))
        {
            if (rejected.Thumbprint == certificate.Thumbprint)
            {
                File.Delete(path);
            }
        }

        return file;
    }

    /// <summary>
    /// Finds a certificate in rejected/ or trusted/ by thumbprint (or a unique prefix of at least 8 hex digits). Null when none.
    /// </summary>
    public (X509Certificate2 Certificate, string File)? Find(string thumbprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(thumbprint);
        var wanted = thumbprint.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();
        var matches = Read(RejectedCerts).Concat(Read(TrustedCerts))
            .Where(c => wanted.Length >= 8 && c.Certificate.Thumbprint.StartsWith(wanted, StringComparison.Ordinal))
            .DistinctBy(c => c.Certificate.Thumbprint)
            .ToList();
        return matches.Count == 1 ? matches[0] : null;
    }

    /// <summary>Moves a trusted certificate back to rejected/certs. False when it was not trusted.</summary>
    public bool Untrust(X509Certificate2 certificate, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var removed = false;
        foreach (var (trusted, path) in Read(TrustedCerts))
        {
            if (trusted.Thumbprint == certificate.Thumbprint)
            {
                File.Delete(path);
                removed = true;
            }
        }

        Reject(certificate, now);
        return removed;
    }

    /// <summary>"CN [THUMBPRINT].der", the naming Part 12 stores use.</summary>
    public static string FileName(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var name = certificate.GetNameInfo(X509NameType.SimpleName, false);
        var safe = new string((string.IsNullOrWhiteSpace(name) ? "certificate" : name).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or ' ' or '@' ? c : '_').ToArray());
        return string.Create(CultureInfo.InvariantCulture, $"{safe} [{certificate.Thumbprint}].der");
    }
}
