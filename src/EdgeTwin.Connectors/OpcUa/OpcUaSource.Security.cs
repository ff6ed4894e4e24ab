using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeTwin.OpcUa.Pki;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.SecureChannel.Security;
using EdgeTwin.OpcUa.Session;

namespace EdgeTwin.Connectors.OpcUa;

// The source's channel security: the PKI folder (default the state directory's pki/), our certificate created on
// first use and renewed at 80 % of its lifetime (the client moves its session and subscriptions onto the new one), and
// the server's certificate validated against trusted/ on every connection.
public sealed partial class OpcUaSource
{
    /// <summary>The ApplicationUri the gateway's certificate and sessions carry.</summary>
    public const string ApplicationUri = "urn:edgetwin:gateway";

    private readonly Lock _ownLock = new();
    private X509Certificate2? _own;
    private string? _ownFiles;

    /// <summary>The gateway's state directory, under which the PKI folder lives unless the config names one.</summary>
    public string StateDirectory { get; init; } = ".";

    /// <summary>When the gateway's certificate this source uses expires (UTC); null until a secured channel asked for it.</summary>
    public DateTime? OwnCertificateExpiry
    {
        get
        {
            lock (_ownLock)
            {
                return _own?.NotAfter.ToUniversalTime();
            }
        }
    }

    /// <summary>The PKI folder this source uses.</summary>
    public string PkiDirectory => _config.PkiDirectory ?? Path.Combine(StateDirectory, "pki");

    private UaChannelSecurity ChannelSecurity()
    {
        if (_config.SecurityPolicy == OpcUaSecurityPolicy.None)
        {
            return UaChannelSecurity.None;
        }

        var pki = new UaPki(PkiDirectory);
        return new UaChannelSecurity
        {
            Policy = PolicyName(_config.SecurityPolicy),
            Mode = _config.SecurityMode switch
            {
                OpcUaSecurityMode.Sign => MessageSecurityMode.Sign,
                OpcUaSecurityMode.SignAndEncrypt => MessageSecurityMode.SignAndEncrypt,
                _ => MessageSecurityMode.Invalid,
            },
            ClientCertificate = () => OwnCertificate(pki),
            Validator = new UaPkiValidator(pki, _time, trustOnFirstUse: false, _clientLog),
        };
    }

    /// <summary>The UaChannelSecurity policy name of a config policy.</summary>
    public static string PolicyName(OpcUaSecurityPolicy policy) => policy switch
    {
        OpcUaSecurityPolicy.None => "None",
        OpcUaSecurityPolicy.Basic256Sha256 => UaSecurityAlgorithms.Basic256Sha256.Name,
        OpcUaSecurityPolicy.Aes128Sha256RsaOaep => UaSecurityAlgorithms.Aes128Sha256RsaOaep.Name,
        OpcUaSecurityPolicy.Aes256Sha256RsaPss => UaSecurityAlgorithms.Aes256Sha256RsaPss.Name,
        _ => UaChannelSecurity.BestPolicy,
    };

    // Asked at every channel open and every keep-alive interval: the newest stored certificate, created on first use,
    // renewed once it has lived 80 % of its life. The store is read again whenever its files change, so a certificate
    // renewed beside the running gateway (`edgetwin opcua cert renew`) is taken up, and the client moves to it.
    private X509Certificate2 OwnCertificate(UaPki pki)
    {
        lock (_ownLock)
        {
            var now = _time.GetUtcNow();
            var files = OwnFiles(pki);
            if (_own is null || files != _ownFiles)
            {
                _own = pki.LoadOrCreateOwn(ApplicationUri, Dns.GetHostName(), now);
                _ownFiles = OwnFiles(pki);
            }

            if (UaPki.RenewalDue(_own, now))
            {
                _own = pki.CreateOwn(ApplicationUri, Dns.GetHostName(), now, UaPki.DefaultLifetime);
                _ownFiles = OwnFiles(pki);
            }

            return _own;
        }
    }

    private static string OwnFiles(UaPki pki) =>
        Directory.Exists(pki.OwnCerts) ? string.Join('\n', Directory.EnumerateFiles(pki.OwnCerts).Order(StringComparer.Ordinal)) : "";

    private UaUserIdentity Identity() => _config.Identity.Type switch
    {
        OpcUaIdentityType.Username => new UaUserIdentity(_config.Identity.Username, _config.Identity.Password),
        OpcUaIdentityType.Certificate => UaUserIdentity.FromCertificate(LoadUserCertificate(_config.Identity.CertificateFile!, _config.Identity.PrivateKeyFile!)),
        _ => UaUserIdentity.Anonymous,
    };

    /// <summary>A user certificate (PEM or DER) with its PEM private key.</summary>
    public static X509Certificate2 LoadUserCertificate(string certificateFile, string privateKeyFile)
    {
        var certificate = System.IO.File.ReadAllText(certificateFile).Contains("-----BEGIN", StringComparison.Ordinal)
            ? X509Certificate2.CreateFromPemFile(certificateFile)
            : X509CertificateLoader.LoadCertificateFromFile(certificateFile);
        using var key = RSA.Create();
        key.ImportFromPem(System.IO.File.ReadAllText(privateKeyFile));
        using (certificate)
        {
            return certificate.CopyWithPrivateKey(key);
        }
    }
}
