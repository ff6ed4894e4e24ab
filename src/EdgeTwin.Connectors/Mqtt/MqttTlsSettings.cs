using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;

namespace EdgeTwin.Connectors.Mqtt;

/// <summary>
/// The TLS side of a broker connection: the CA the broker's certificate must chain to (or the system's trust
/// store), the name it must carry, and the client certificate to present. The files are read once, at start,
/// so a missing or unreadable file is a configuration error naming its JSON path, not a reconnect loop.
/// </summary>
internal sealed class MqttTlsSettings
{
    private readonly X509Certificate2Collection? _trustedCas;
    private readonly X509Certificate2? _clientCertificate;
    private readonly bool _insecure;
    private readonly string _caFile;

    private MqttTlsSettings(X509Certificate2Collection? trustedCas, string caFile, X509Certificate2? clientCertificate, bool insecure, string serverName)
    {
        _trustedCas = trustedCas;
        _caFile = caFile;
        _clientCertificate = clientCertificate;
        _insecure = insecure;
        ServerName = serverName;
    }

    public string ServerName { get; }

    public bool HasClientCertificate => _clientCertificate is not null;

    /// <summary>Why the last broker certificate was refused; null when none was.</summary>
    public string? LastRejection { get; private set; }

    /// <summary>Reads the configured files; throws <see cref="ArgumentException"/> naming the path of the one that fails.</summary>
    public static MqttTlsSettings Load(MqttTlsConfig config, string host, string configPath)
    {
        X509Certificate2Collection? cas = null;
        if (config.CaFile is { } caFile)
        {
            cas = [];
            try
            {
                cas.ImportFromPemFile(caFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new ArgumentException($"{configPath}.caFile: cannot read the CA certificate(s) from {caFile}: {ex.Message}", ex);
            }
            if (cas.Count == 0) throw new ArgumentException($"{configPath}.caFile: {caFile} holds no PEM certificate");
        }
        X509Certificate2? client = null;
        if (config.ClientCertFile is { } certFile && config.ClientKeyFile is { } keyFile)
        {
            try
            {
                using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
                // A PEM key is ephemeral; a PKCS#12 round trip gives the certificate a key every TLS stack accepts.
                client = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                throw new ArgumentException($"{configPath}.clientCertFile: cannot load the client certificate {certFile} with key {keyFile}: {ex.Message}", ex);
            }
        }
        return new MqttTlsSettings(cas, config.CaFile ?? "", client, config.InsecureSkipVerify, config.ServerName ?? host);
    }

    public MqttClientTlsOptions BuildOptions()
    {
        var builder = new MqttClientTlsOptionsBuilder()
            .UseTls()
            .WithTargetHost(ServerName)
            .WithCertificateValidationHandler(Validate);
        if (_clientCertificate is not null) builder.WithClientCertificates([_clientCertificate]);
        return builder.Build();
    }

    private bool Validate(MqttClientCertificateValidationEventArgs e)
    {
        if (_insecure) return Accept();
        var errors = e.SslPolicyErrors;
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable) || e.Certificate is null) return Reject("the broker presented no certificate");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) return Reject($"the broker's certificate ({e.Certificate.Subject}) is not issued to '{ServerName}'");
        if (_trustedCas is null)
        {
            return errors == SslPolicyErrors.None
                ? Accept()
                : Reject($"the broker's certificate ({e.Certificate.Subject}) is not trusted by the system's CAs: {ChainStatus(e.Chain)}");
        }

        // A configured CA is the only root trusted for this broker: the system's store does not count.
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trustedCas);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (e.Chain is not null)
        {
            foreach (var element in e.Chain.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        X509Certificate2? copy = null;
        try
        {
            var certificate = e.Certificate as X509Certificate2 ?? (copy = X509CertificateLoader.LoadCertificate(e.Certificate.GetRawCertData()));
            return chain.Build(certificate)
                ? Accept()
                : Reject($"the broker's certificate ({e.Certificate.Subject}) does not chain to the CA in {_caFile}: {ChainStatus(chain)}");
        }
        finally
        {
            copy?.Dispose();
        }
    }

    private bool Accept()
    {
        LastRejection = null;
        return true;
    }

    private bool Reject(string why)
    {
        LastRejection = why;
        return false;
    }

    private static string ChainStatus(X509Chain? chain) =>
        chain is null || chain.ChainStatus.Length == 0 ? "no chain" : string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
}
