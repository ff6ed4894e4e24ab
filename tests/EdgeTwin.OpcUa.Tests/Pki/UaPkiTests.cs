using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeTwin.OpcUa.Pki;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.SecureChannel.Security;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Types;
using Microsoft.Extensions.Time.Testing;

namespace EdgeTwin.OpcUa.Tests.Pki;

/// <summary>The PKI folder, our certificate, the validator's checks and the endpoint choice, without a server.</summary>
public sealed class UaPkiTests
{
    private const string ServerUri = "urn:plant:server";
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void FirstStart_CreatesThePart12Layout_AndOurCertificate_KeyReadableByUsOnly()
    {
        using var directory = new TestDirectory("pki");
        var pki = new UaPki(directory["pki"]);
        var own = pki.LoadOrCreateOwn("urn:edgetwin:gateway", "gw-01", Now);

        foreach (var folder in new[] { "own/certs", "own/private", "trusted/certs", "trusted/crl", "issuers/certs", "issuers/crl", "rejected/certs" })
        {
            Assert.True(Directory.Exists(directory[Path.Combine("pki", folder)]), folder);
        }

        var key = Assert.Single(Directory.GetFiles(pki.OwnPrivate));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        }

        Assert.True(own.HasPrivateKey);
        Assert.Equal(2048, own.GetRSAPublicKey()!.KeySize);
        Assert.Equal("sha256RSA", own.SignatureAlgorithm.FriendlyName);
        var (uris, hosts) = UaPkiValidator.SubjectAltNames(own);
        Assert.Equal(["urn:edgetwin:gateway"], uris);
        Assert.Equal(["gw-01"], hosts);
        var usage = own.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages;
        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment | X509KeyUsageFlags.KeyCertSign, usage);
        Assert.False(own.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);

        // The second start loads the same certificate, with its key.
        var again = new UaPki(directory["pki"]).LoadOrCreateOwn("urn:edgetwin:gateway", "gw-01", Now.AddDays(1));
        Assert.Equal(own.Thumbprint, again.Thumbprint);
        using var rsa = again.GetRSAPrivateKey()!;
        Assert.True(rsa.VerifyData("x"u8, own.GetRSAPrivateKey()!.SignData("x"u8.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void Renewal_IsDueAt80PercentOfTheLifetime_AndTheNewCertificateIsPreferred_TheOldKept()
    {
        using var directory = new TestDirectory("pki");
        var pki = new UaPki(directory.Path);
        var old = pki.LoadOrCreateOwn("urn:edgetwin:gateway", "gw-01", Now);
        Assert.False(UaPki.RenewalDue(old, Now + UaPki.DefaultLifetime * 0.79));
        Assert.True(UaPki.RenewalDue(old, Now + UaPki.DefaultLifetime * 0.81));

        var renewed = pki.CreateOwn("urn:edgetwin:gateway", "gw-01", Now + UaPki.DefaultLifetime * 0.81, UaPki.DefaultLifetime);
        Assert.Equal(renewed.Thumbprint, pki.LoadOwn()!.Thumbprint);
        Assert.Equal(2, Directory.GetFiles(pki.OwnCerts).Length);
        Assert.True(old.HasPrivateKey);
    }

    [Fact]
    public void RenewedInTheSameSecond_TheNewCertificateIsStillTheNewest()
    {
        // Validity times have whole seconds: a renewal right after the first start (a technician's `cert renew`) must
        // still be the certificate in use, never a tie the file order decides.
        using var directory = new TestDirectory("pki");
        var pki = new UaPki(directory.Path);
        var first = pki.LoadOrCreateOwn("urn:edgetwin:gateway", "gw-01", Now);
        for (var i = 0; i < 3; i++)
        {
            var renewed = pki.CreateOwn("urn:edgetwin:gateway", "gw-01", Now, UaPki.DefaultLifetime);
            Assert.NotEqual(first.Thumbprint, renewed.Thumbprint);
            Assert.Equal(renewed.Thumbprint, pki.LoadOwn()!.Thumbprint);
        }
    }

    [Fact]
    public void Validator_RefusesAnExpiredCertificate_NamingTheDate()
    {
        var (pki, directory) = TrustingPki(out var certificate, notAfter: Now.AddDays(-1));
        using (directory)
        {
            var ex = Assert.Throws<UaServiceException>(() => Validator(pki).Validate(certificate, [], ServerUri, "opc.tcp://plc-7:4840"));
            Assert.True(ex.Status.Is(StatusCode.BadCertificateTimeInvalid), ex.Message);
            Assert.Contains("expired on 2026-12-05", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validator_RefusesAnotherApplicationUri_NamingBoth()
    {
        var (pki, directory) = TrustingPki(out var certificate);
        using (directory)
        {
            var ex = Assert.Throws<UaServiceException>(() => Validator(pki).Validate(certificate, [], "urn:other:server", "opc.tcp://plc-7:4840"));
            Assert.True(ex.Status.Is(StatusCode.BadCertificateUriInvalid), ex.Message);
            Assert.Contains(ServerUri, ex.Message, StringComparison.Ordinal);
            Assert.Contains("urn:other:server", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validator_RefusesAnotherHostName_AndAKeyThatMayNotEncipher()
    {
        var (pki, directory) = TrustingPki(out var certificate);
        using (directory)
        {
            var ex = Assert.Throws<UaServiceException>(() => Validator(pki).Validate(certificate, [], ServerUri, "opc.tcp://plc-8:4840"));
            Assert.True(ex.Status.Is(StatusCode.BadCertificateHostNameInvalid), ex.Message);
            Assert.Contains("plc-7", ex.Message, StringComparison.Ordinal);

            using var signOnly = Create("plc-7", Now.AddDays(30), X509KeyUsageFlags.DigitalSignature);
            pki.Trust(signOnly);
            ex = Assert.Throws<UaServiceException>(() => Validator(pki).Validate(signOnly, [], ServerUri, "opc.tcp://plc-7:4840"));
            Assert.True(ex.Status.Is(StatusCode.BadCertificateUseNotAllowed), ex.Message);

            // The good one passes: trusted, in its validity, for this URI and host.
            Validator(pki).Validate(certificate, [], ServerUri, "opc.tcp://PLC-7:4840/path");
        }
    }

    [Fact]
    public void Validator_ResultsAreNotCached_ATrustedCertificateRemovedIsRefusedNextTime()
    {
        var (pki, directory) = TrustingPki(out var certificate);
        using (directory)
        {
            var validator = Validator(pki);
            validator.Validate(certificate, [], ServerUri, "opc.tcp://plc-7:4840");
            Assert.True(pki.Untrust(certificate, Now));
            var ex = Assert.Throws<UaServiceException>(() => validator.Validate(certificate, [], ServerUri, "opc.tcp://plc-7:4840"));
            Assert.True(ex.Status.Is(StatusCode.BadCertificateUntrusted), ex.Message);
            Assert.Single(UaPki.Read(pki.RejectedCerts));
        }
    }

    [Fact]
    public void EndpointChoice_BestIsSignAndEncryptWithTheStrongestPolicy_LessThanAskedIsRefused()
    {
        using var certificate = Create("plc-7", Now.AddDays(30), X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment);
        var endpoints = new[]
        {
            Endpoint(UaSecurityPolicyNone.Uri, MessageSecurityMode.None, certificate),
            Endpoint(UaSecurityAlgorithms.Basic256Sha256Uri, MessageSecurityMode.Sign, certificate),
            Endpoint(UaSecurityAlgorithms.Basic256Sha256Uri, MessageSecurityMode.SignAndEncrypt, certificate),
            Endpoint(UaSecurityAlgorithms.Aes256Sha256RsaPssUri, MessageSecurityMode.Sign, certificate),
            Endpoint("http://opcfoundation.org/UA/SecurityPolicy#Basic128Rsa15", MessageSecurityMode.SignAndEncrypt, certificate),
        };

        var best = UaEndpointChoice.Choose(endpoints, new UaChannelSecurity { Policy = UaChannelSecurity.BestPolicy, Mode = MessageSecurityMode.Invalid });
        Assert.Equal((UaSecurityAlgorithms.Basic256Sha256Uri, MessageSecurityMode.SignAndEncrypt), (best.SecurityPolicyUri, best.SecurityMode));
        var pss = UaEndpointChoice.Choose(endpoints, new UaChannelSecurity { Policy = "aes256_sha256_rsapss", Mode = MessageSecurityMode.Invalid });
        Assert.Equal(MessageSecurityMode.Sign, pss.SecurityMode);

        var ex = Assert.Throws<UaServiceException>(() => UaEndpointChoice.Choose(endpoints, new UaChannelSecurity { Policy = "Aes256_Sha256_RsaPss", Mode = MessageSecurityMode.SignAndEncrypt }));
        Assert.True(ex.Status.Is(StatusCode.BadSecurityPolicyRejected), ex.Message);
        Assert.Contains("the server offers None/None, Basic256Sha256/Sign, Basic256Sha256/SignAndEncrypt, Aes256_Sha256_RsaPss/Sign, Basic128Rsa15/SignAndEncrypt", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the config asks for Aes256_Sha256_RsaPss with SignAndEncrypt", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<UaServiceException>(() => UaEndpointChoice.Choose(endpoints, new UaChannelSecurity { Policy = "Basic256", Mode = MessageSecurityMode.Sign }));
        Assert.Contains("unknown security policy 'Basic256'", ex.Message, StringComparison.Ordinal);
    }

    private static UaPkiValidator Validator(UaPki pki) => new(pki, new FakeTimeProvider(Now));

    private static (UaPki Pki, TestDirectory Directory) TrustingPki(out X509Certificate2 certificate, DateTimeOffset? notAfter = null)
    {
        var directory = new TestDirectory("pki");
        var pki = new UaPki(directory.Path).EnsureLayout();
        certificate = Create("plc-7", notAfter ?? Now.AddDays(30), X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign);
        pki.Trust(certificate);
        return (pki, directory);
    }

    private static X509Certificate2 Create(string host, DateTimeOffset notAfter, X509KeyUsageFlags usage)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={host}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(ServerUri));
        names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(notAfter.AddDays(-60), notAfter);
    }

    private static EndpointDescription Endpoint(string policy, MessageSecurityMode mode, X509Certificate2 certificate) =>
        new("opc.tcp://plc-7:4840", new ApplicationDescription(ServerUri, null, new LocalizedText(null, "PLC"), 0, null, null, null), certificate.RawData, mode, policy, [], EndpointDescription.UaTcpTransportProfile, 0);
}
