using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeTwin.OpcUa.Pki;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.SecureChannel.Security;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.OpcUa.Tests.SecureChannel.Security;

/// <summary>
/// A live node-opcua server presenting a certificate made here (security.js, --certificate): one that has expired,
/// and one that names another ApplicationUri than the server's endpoints. Each is trusted, so the only thing wrong is
/// the problem under test, and each is refused with a message that names it.
/// </summary>
public sealed class ServerCertificateProblemTests
{
    [Fact]
    public async Task AnExpiredServerCertificate_IsRefused_SayingWhenItExpired()
    {
        var expired = DateTimeOffset.UtcNow.AddDays(-1);
        var ex = await ConnectAsync(expired.AddDays(-30), expired, uri: null);
        Assert.True(ex.Status.Is(StatusCode.BadCertificateTimeInvalid), ex.ToString());
        Assert.Contains($"expired on {expired.UtcDateTime:yyyy-MM-dd}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerCertificateForAnotherApplicationUri_IsRefused_NamingBothUris()
    {
        var ex = await ConnectAsync(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), uri: "urn:another:application");
        Assert.True(ex.Status.Is(StatusCode.BadCertificateUriInvalid), ex.ToString());
        Assert.Contains("names the application URI urn:another:application, but the server's endpoint says urn:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerCertificateRevokedByAListInTrustedCrl_IsRefused_WithTheReason_AndOnlyOnceTheListIsThere()
    {
        var revokedAt = DateTimeOffset.UtcNow.AddHours(-1);
        var ex = await ConnectAsync(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), uri: null, revokedAt);
        Assert.True(ex.Status.Is(new StatusCode(0x801D_0000)), ex.ToString());
        Assert.Contains($"was revoked on {revokedAt.UtcDateTime:yyyy-MM-dd HH:mm}", ex.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine("trusted", "crl", "server.crl"), ex.Message, StringComparison.Ordinal);
    }

    // Starts the server on a certificate valid from..until for `uri` (null: the ApplicationUri the server announces, so
    // only the validity period is wrong), trusts it, and opens a SignAndEncrypt channel, which must fail. With
    // `revoked`, the certificate is otherwise fine: a channel opens, then a revocation list of its serial is put in
    // trusted/crl and the next channel must fail.
    private static async Task<UaServiceException> ConnectAsync(DateTimeOffset from, DateTimeOffset until, string? uri, DateTimeOffset? revoked = null)
    {
        using var directory = new TestDirectory("server-cert");
        var host = Dns.GetHostName();
        var port = FreePort.Pick();
        var applicationUri = uri ?? await AnnouncedUriAsync();
        using var rsa = RSA.Create(2048);
        var subject = new X500DistinguishedName($"CN=EdgeTwinTestServer@{host}");
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment
            | X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(applicationUri));
        names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        // Its own CA as well, so that it can sign the revocation list of its own serial number.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(from, until);
        var certificateFile = Path.Combine(directory.Path, "server.pem");
        var keyFile = Path.Combine(directory.Path, "server.key");
        await File.WriteAllTextAsync(certificateFile, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, rsa.ExportRSAPrivateKeyPem());

        var pki = new UaPki(Path.Combine(directory.Path, "client")).EnsureLayout();
        pki.Trust(certificate);
        var own = pki.LoadOrCreateOwn("urn:edgetwin:gateway", host, DateTimeOffset.UtcNow);
        await using var server = await OpcUaTestServer.StartOnPortAsync(port, "--certificate", certificateFile, "--private-key", keyFile);
        var security = new UaChannelSecurity { Policy = "Basic256Sha256", Mode = MessageSecurityMode.SignAndEncrypt, ClientCertificate = () => own, Validator = new UaPkiValidator(pki) };
        var url = $"opc.tcp://{host}:{port}/UA/EdgeTwinTest";
        if (revoked is { } when)
        {
            await using (var channel = await UaSecureChannel.OpenAsync(url, new UaSecureChannelOptions { Security = security }))
            {
                Assert.True(channel.IsOpen);
            }

            var list = new CertificateRevocationListBuilder();
            list.AddEntry(certificate, when);
            await File.WriteAllBytesAsync(Path.Combine(pki.TrustedCrl, "server.crl"),
                list.Build(certificate, 1, DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        }

        var ex = await Assert.ThrowsAsync<UaServiceException>(() => UaSecureChannel.OpenAsync(url, new UaSecureChannelOptions { Security = security }));
        Assert.Empty(UaPki.Read(pki.RejectedCerts));
        return ex;
    }

    // The ApplicationUri a server of the test peer announces on this host (its default depends on the host name).
    private static async Task<string> AnnouncedUriAsync()
    {
        await using var server = await OpcUaTestServer.StartAsync();
        var endpoints = await UaDiscovery.GetEndpointsAsync(server.EndpointUrl);
        return endpoints[0].Server.ApplicationUri!;
    }
}
