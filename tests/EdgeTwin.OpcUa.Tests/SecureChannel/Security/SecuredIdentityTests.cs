using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Tests.Infrastructure;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Tests.SecureChannel.Security;

/// <summary>User identities on secured and unsecured channels: the password never crosses the wire in clear.</summary>
[Collection(SecuredServerCollection.Name)]
public sealed class SecuredIdentityTests(SecuredServerFixture fixture)
{
    private static readonly ExpandedNodeId Int32Node = ExpandedNodeId.Parse("nsu=urn:edgetwin:test;s=Scalar.Int32");

    [Fact]
    public async Task UserName_OverNone_IsEncryptedForTheServer_AndActivates()
    {
        await using var relay = new TamperingRelay(fixture.Server.Port);
        await using (var channel = await UaSecureChannel.OpenAsync(relay.EndpointUrl))
        await using (var session = await UaSession.CreateAsync(channel, new UaSessionOptions { Identity = new UaUserIdentity(SecuredServerFixture.User, SecuredServerFixture.Password) }))
        {
            var value = await session.ReadValuesAsync([session.Namespaces.Resolve(Int32Node)]);
            Assert.Equal(int.MinValue, value[0].Value.AsInt32());
        }

        // The None channel carries everything in clear but the password, which went encrypted with the server's key.
        var sent = relay.ClientBytes;
        Assert.True(sent.AsSpan().IndexOf("operator"u8) >= 0, "the user name is in clear on a None channel");
        Assert.True(sent.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(SecuredServerFixture.Password)) < 0, "the password must not cross in clear");
        Assert.True(sent.AsSpan().IndexOf("http://www.w3.org/2001/04/xmlenc#rsa-oaep"u8) >= 0 || sent.AsSpan().IndexOf("rsa-oaep-sha2-256"u8) >= 0, "the token names its encryption");
    }

    [Theory]
    [InlineData("Basic256Sha256")]
    [InlineData("Aes256_Sha256_RsaPss")]
    public async Task UserName_OverSignAndEncrypt_Activates_AndAWrongPasswordIsRefused(string policy)
    {
        await using (var channel = await UaSecureChannel.OpenAsync(fixture.EndpointUrl, fixture.Channel(policy, MessageSecurityMode.SignAndEncrypt)))
        await using (var session = await UaSession.CreateAsync(channel, new UaSessionOptions { Identity = new UaUserIdentity(SecuredServerFixture.User, SecuredServerFixture.Password) }))
        {
            Assert.Equal(int.MinValue, (await session.ReadValuesAsync([session.Namespaces.Resolve(Int32Node)]))[0].Value.AsInt32());
        }

        await using var again = await UaSecureChannel.OpenAsync(fixture.EndpointUrl, fixture.Channel(policy, MessageSecurityMode.SignAndEncrypt));
        var ex = await Assert.ThrowsAsync<UaServiceException>(() => UaSession.CreateAsync(again, new UaSessionOptions { Identity = new UaUserIdentity(SecuredServerFixture.User, "wrong") }));
        Assert.Contains("user 'operator'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task X509UserIdentity_SignsWithTheUsersKey_AndActivates()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=technician", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment, true));
        using var user = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30));

        await using var channel = await UaSecureChannel.OpenAsync(fixture.EndpointUrl, fixture.Channel("Basic256Sha256", MessageSecurityMode.SignAndEncrypt));
        await using var session = await UaSession.CreateAsync(channel, new UaSessionOptions { Identity = UaUserIdentity.FromCertificate(user) });
        Assert.Equal(int.MinValue, (await session.ReadValuesAsync([session.Namespaces.Resolve(Int32Node)]))[0].Value.AsInt32());
    }
}
